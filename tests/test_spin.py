"""SPIN side by side (proofs/spin, issue 14 part 5): the generated Promela models, pan's report, bench --against-spin.

The runs need ``spin`` and ``gcc`` (Debian: apt-get install -y spin gcc); without them only the generator's
tests run, and the others say why they are skipped.
"""

from __future__ import annotations

import json
import re

import pytest

from model.params import Params
from poolcheck.cli import main
from proofs.explore.bench_configs import by_name
from proofs.spin import against_spin, promela, run_pan, spin_missing
from proofs.spin.pan import hash_bits

needs_spin = pytest.mark.skipif(bool(spin_missing()), reason=f"SPIN cannot run here: {spin_missing()}")


def _blocks(text: str, proc: str) -> list[str]:
    body = text.split(f"active proctype {proc}()")[1].split("\n}")[0]
    return [ln.strip() for ln in body.splitlines() if re.match(r"\s*L\d+_", ln)]


def test_one_atomic_block_per_scheduling_point_of_push_head() -> None:
    """pushHead: Load headTail, Load slot.typ, the slot write (two plain writes), Add: four steps, then the end."""
    text = promela("dequeue", "push", Params(size=2)).text
    blocks = _blocks(text, "T0")
    assert [b.split(":")[0].split("_", 1)[1] for b in blocks] == ["push", "ph_typ", "ph_write", "ph_add", "end"]
    assert "E[1].typ[slot] = 1; E[1].val[slot] = 1;" in blocks[2]
    assert all(b.count("atomic {") == 1 for b in blocks[:-1])


def test_tokens_follow_scenario_order_and_push_nil_writes_dequeue_nil() -> None:
    text = promela("dequeue", "push push:nil | tail", Params(size=2)).text
    writes = re.findall(r"E\[1\]\.typ\[slot\] = (\d); E\[1\]\.val\[slot\] = (\d);", text)
    assert writes == [("1", "1"), ("2", "0")]


def test_full_width_start_index_is_kept_as_offsets() -> None:
    """E4 starts at 2^32 - 1: indices are offsets from it, the slot adds start mod 256 back (a bijection)."""
    c = by_name("E4")
    text = promela(c.target, c.scenario, c.params).text
    assert "((h) + 255) % 2" in text and "4294967295" not in text.split("*/", 1)[1]


def test_pool_target_and_oversized_models_are_refused() -> None:
    with pytest.raises(ValueError, match="dequeue and chain only"):
        promela("pool", "put get", Params())
    with pytest.raises(ValueError, match="at most 250 pushes"):
        promela("dequeue", "push", Params(size=128))


def test_hash_table_is_sized_from_the_expected_states() -> None:
    assert hash_bits(10) == 18 and hash_bits(1_000_000) == 21 and hash_bits(10**12) == 28


@needs_spin
@pytest.mark.parametrize("name", ["E4", pytest.param("E1", marks=pytest.mark.slow),
                                  pytest.param("E2", marks=pytest.mark.slow), pytest.param("E5", marks=pytest.mark.slow)])
def test_spin_checks_the_reference_models_without_errors(name: str) -> None:
    c = by_name(name)
    r = run_pan(promela(c.target, c.scenario, c.params).text, expected_states=100_000, optimize="-O0")
    assert r.errors == 0 and r.states > 0 and r.transitions >= r.states
    if name in ("E2", "E4"):
        assert r.states == 13_883  # E4 is E2 from index 2^32 - 1: the same state space


@needs_spin
def test_spin_finds_the_seeded_bug() -> None:
    """The assertions can fail: pushHead without its typ != nil check loses or duplicates a value."""
    text = promela("dequeue", "push push push | tail tail", Params(size=2), no_typ_check=True).text
    r = run_pan(text, expected_states=10_000, optimize="-O0")
    assert r.errors >= 1 and "assertion violated" in r.output


@needs_spin
@pytest.mark.slow
def test_against_spin_rows() -> None:
    rows = against_spin([by_name("E1"), by_name("E6")])
    assert [r.config for r in rows] == ["E1"]  # the pool target has no Promela model
    r = rows[0]
    assert r.ok and r.states == 169 and r.spin.states > r.states
    assert r.ratio == pytest.approx(r.cpu_seconds / r.spin.total_cpu)


@needs_spin
def test_bench_against_spin_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["bench", "--only", "E1", "--without-reduction", "none", "--against-spin", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0
    (row,) = d["spin"]
    assert row["config"] == "E1" and row["states"] == 169 and row["spin_errors"] == 0
    assert row["spin_states"] > row["states"] and row["ratio"] == pytest.approx(
        row["cpu_seconds"] / row["spin_cpu_seconds"], rel=0.01, abs=0.01)


def test_bench_against_spin_without_spin_is_exit_2(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import proofs.spin
    monkeypatch.setattr(proofs.spin, "spin_missing", lambda: "spin not installed (Debian: apt-get install -y spin)")
    assert main(["bench", "--only", "E1", "--against-spin"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "apt-get install -y spin" in err


def test_a_configuration_spin_cannot_finish_is_reported_and_the_run_is_incomplete(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """pan out of memory or killed: one line for that configuration, the others still measured, exit 3."""
    import proofs.spin
    from proofs.spin.pan import SpinError

    def pan(text: str, **_: object) -> object:
        raise SpinError("pan failed (exit -15): killed")

    monkeypatch.setattr(proofs.spin, "spin_missing", lambda: "")
    monkeypatch.setattr(proofs.spin, "_poolcheck", lambda c, model: (169, 0.5, 0.01, "pass"))
    monkeypatch.setattr(proofs.spin, "run_pan", pan)
    rc = main(["bench", "--only", "E1", "--without-reduction", "none", "--against-spin", "--json"])
    captured = capsys.readouterr()
    assert rc == 3 and "Traceback" not in captured.err
    d = json.loads(captured.out)
    assert d["spin"] == [] and d["spin_failures"] == ["E1: not measured: pan failed (exit -15): killed"]
