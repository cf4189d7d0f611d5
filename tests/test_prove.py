"""proofs.smt.prove.run_all (the campaign's and the kill matrix's entry point) and `poolcheck prove`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.variants import resolve
from poolcheck.cli import main
from proofs.smt import prove as P
from proofs.smt.prove import ProofResult, run_all

pytestmark = pytest.mark.proof


def test_run_all_returns_typed_rows_for_the_lemmas() -> None:
    seen: list[dict[str, object]] = []
    rows = run_all(only="L1,L2,L3,L4,L5,L6", progress=seen.append)
    assert [r.name for r in rows] == [n for n in P.row_names() if n.startswith("L") and not n.startswith("L7")]
    assert all(isinstance(r, ProofResult) and r.kind == "lemma" for r in rows)
    assert all(r.result == r.expected for r in rows)
    assert seen[-1]["done"] == seen[-1]["total"] == len(rows)
    assert {r.prop for r in rows} >= {"D1", "D2", "C5", "P10"}


def test_a_mutant_is_killed_by_the_bounded_check_with_a_replayable_counterexample() -> None:
    model = resolve("push-no-typ-check")
    rows = run_all(only="bmc-T1-empty,L5", model=model)
    assert rows[0].name == "bmc-T1-empty"              # a kill is found first
    r = rows[0]
    assert r.result == "counterexample" and r.expected == "proved" and r.violation
    assert r.counterexample is not None and r.counterexample.prop in model.expected
    assert r.bound == 9 and "schedule (thread per step): " in r.detail
    assert len(r.extra["schedule"]) == 10 and set(r.extra["schedule"]) == {0, 1}


def test_a_variant_without_an_encoding_is_not_applicable() -> None:
    rows = run_all(only="bmc-T1-empty,induction-T1,crosscheck", model=resolve("get-keeps-private"))
    assert {r.result for r in rows} == {"n/a"}
    assert "does not change poolDequeue" in rows[0].detail


def test_bad_only_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match="matches no proof"):
        run_all(only="nosuch")
    assert main(["prove", "--only", "nosuch"]) == 2


def test_cli_table_and_exit_statuses(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["prove", "--only", "L1,L6"]) == 0
    out = capsys.readouterr().out
    assert "L1-pack-unpack" in out and "PASS reference" in out
    assert main(["prove", "--only", "bmc-T1-empty", "--variant", "push-no-typ-check", "--json",
                 "--out", str(tmp_path)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "fail"
    (trace,) = data["reports"].values()
    assert Path(trace).is_file()
    assert main(["replay", trace]) == 1


def test_an_unknown_where_a_proof_was_expected_is_incomplete(monkeypatch: pytest.MonkeyPatch) -> None:
    tiny = P.Budget("ci", {1: 40, 2: 40, 3: 40}, 3, {1: 2_000_000, 2: 1, 3: 1}, False, (2,), {2: 1}, 10, 1.0, 10.0)
    monkeypatch.setitem(P.BUDGETS, "ci", tiny)
    (r,) = run_all(only="bmc-T1-empty")
    assert r.result == "unknown" and r.incomplete
    # which budget ran out, where, and by how much
    assert "the rlimit budget of 2,000,000 Z3 resource units (bmc empty T=1 ring 2) ran out in the query for bound" \
        in r.detail
    assert r.extra["rlimit"] == 2_000_000 and r.extra["rlimit_used"] >= 2_000_000
    assert main(["prove", "--only", "bmc-T1-empty"]) == 3


def test_a_loaded_machine_does_not_make_a_row_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    # every clock reading 1000 s after the previous one: a wall-clock budget would run out at once
    from proofs.smt import bmc as B
    from proofs.smt import induction as I
    clock = iter(range(0, 10**9, 1000))
    fake = lambda: float(next(clock))  # noqa: E731
    monkeypatch.setattr(B.time, "monotonic", fake)
    monkeypatch.setattr(I.time, "monotonic", fake)
    small = P.Budget("ci", {1: 16, 2: 14, 3: 14}, 3, P.BUDGETS["ci"].bmc_rlimit, False, (2,),
                     P.BUDGETS["ci"].induction_rlimit, 10, 1.0, 10.0)
    monkeypatch.setitem(P.BUDGETS, "ci", small)
    rows = run_all(only="bmc-T1-invariant,induction-T1")
    assert [r.result for r in rows] == ["proved", "proved"], [r.detail for r in rows]


def test_a_variant_mostly_not_applicable_is_partial_not_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--variant", "get-keeps-private"]) == 0
    out = capsys.readouterr().out
    assert "PASS" not in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("PARTIAL get-keeps-private: 15 rows, 2 checked, 13 n/a")
    # a line per row class: what was and was not checked
    assert "L1-L6 (lemmas at Go's widths): checked 2 (1 counterexample (expected), 1 proved); not run 9" in out
    assert "bmc-*-empty (bounded check, empty start): n/a 3: the variant does not change poolDequeue" in out
    assert "induction (inductive invariant): n/a 3" in out and "crosscheck (Z3 step vs Python step): n/a 1" in out


def test_nothing_applicable_is_incomplete_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--variant", "get-keeps-private", "--only", "bmc,induction,crosscheck", "--json"]) == 3
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "incomplete"
    assert data["coverage"]["ran"] == 0 and data["coverage"]["not_applicable"] == 10
    assert any(line.startswith("nothing applicable ran for get-keeps-private") for line in data["coverage"]["lines"])


def test_the_crosscheck_row_covers_ring_8_with_three_thieves() -> None:
    (r,) = run_all(only="crosscheck")
    assert r.result == "proved", r.detail
    assert r.extra["configs"].get("ring 8, T=3", 0) >= 20
    assert "rings 1, 2, 4, 8; 1-3 thieves" in r.detail


def test_crosshair_budget_is_cpu_seconds_and_says_so_when_spent() -> None:
    """The CrossHair row is budgeted in CPU seconds (RLIMIT_CPU), never wall time (issue 15 item 3)."""
    import dataclasses

    from proofs.smt import prove

    tiny = dataclasses.replace(prove.BUDGETS["ci"], crosshair_seconds=1)
    r = prove._crosshair_row(tiny)
    assert r.result == "unknown" and "CPU budget of 1s" in r.detail and "crosshair_seconds" in r.detail


def test_a_variant_whose_invariant_differs_gets_n_a_induction_not_unknown() -> None:
    """full-check-off-by-one is equivalent, but the reference's invariant (I9) is not inductive for it: that row
    does not apply to the variant (n/a, with the counterexample to induction), the bounded rows decide; an unknown
    here made every verify exit 3 on the mutants stage."""
    from model.variants import resolve

    rows = run_all(only="induction-T1,bmc-T1-empty", model=resolve("full-check-off-by-one"))
    got = {r.name: r.result for r in rows}
    assert got == {"induction-T1": "n/a", "bmc-T1-empty": "proved"}
    ind = next(r for r in rows if r.name == "induction-T1")
    assert "not inductive for this variant" in ind.detail and "counterexample to induction" in ind.detail
