"""proofs.prove.run_all (the campaign's and the kill matrix's entry point) and `poolcheck prove`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.variants import resolve
from poolcheck.cli import main
from proofs import prove as P
from proofs.prove import ProofResult, run_all

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
    tiny = P.Budget("ci", {1: 40, 2: 40, 3: 40}, 3, 0.5, False, (2,), 10, 1.0, 10.0)
    monkeypatch.setitem(P.BUDGETS, "ci", tiny)
    (r,) = run_all(only="bmc-T1-empty")
    assert r.result == "unknown" and r.incomplete
    assert main(["prove", "--only", "bmc-T1-empty"]) == 3
