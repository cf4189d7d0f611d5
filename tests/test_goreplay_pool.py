"""The Pool layer on the real Go code: pool.go replayed schedule by schedule (goreplay), and the real sync.Pool
under stress with P1/P2 checked from the outside (gopool_stress)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from properties.conformance.gopool_stress import stress

pytestmark = pytest.mark.conformance
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("procs", [2, 4, 8])
def test_real_pool_keeps_p1_p2_under_stress(procs: int) -> None:
    r = stress(procs, 20_000)
    d = r.data
    assert r.ok, d
    assert d["procs"] == procs and d["goroutines"] == 2 * procs and d["ops"] == 20_000
    assert d["reused"] > 1000 and d["news"] >= 1 and d["gcs"] >= 1  # objects really travel through the pool


def test_stress_check_catches_get_keeps_private() -> None:
    r = stress(2, 5_000, mutant="get-keeps-private")
    assert not r.ok and r.data["p1_duplicates"] > 0


def test_pool_stress_command(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "poolcheck", "conform", "--pool-stress", "--stress-ops", "4000"],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("P1 duplicates 0") == 3 and "PASS real sync.Pool under stress" in p.stdout


# -- schedule replay of pool.go (issue 16 part 3) ------------------------------------------------------

def _model_pool_labels() -> set[str]:
    """Every non-silent pool.go label model/pool.py yields (its source, and its pin/unpin label tables)."""
    from model_labels import non_silent_labels

    from model import pool
    return (non_silent_labels(ROOT / "model" / "pool.py", "pool.go:") | set(pool._PIN_LABEL.values())
            | set(pool._UNPIN_LABEL.values()))


def test_pool_hooks_are_the_models_pool_accesses() -> None:
    from properties.conformance.goreplay_hooks import POOL_ACCESSES
    assert {h.label for h in POOL_ACCESSES} == _model_pool_labels()
    assert len({h.label for h in POOL_ACCESSES}) == 26  # 27 hooks: allPools' append is a read and a write


def test_rewriter_transplants_pool_go_with_every_hook() -> None:
    from properties.conformance.goreplay import instrumented_source
    from properties.conformance.goreplay_hooks import POOL_ACCESSES
    src = instrumented_source(file="pool.go")
    for h in POOL_ACCESSES:
        assert f"pcWait({h.id})" in src, h.label
    assert "package main" in src and '"internal/' not in src and "runtime.GOMAXPROCS" not in src
    assert src.count("pcIndexLocal(") == 5 and "pcMakeLocals(size)" in src
    assert "func runtime_procPin" not in src  # the driver's, driven by the scheduler


def test_rewriter_refuses_a_pool_go_without_a_hooked_statement() -> None:
    from properties.conformance.driver import DriverError
    from properties.conformance.goreplay import instrumented_source
    from properties.conformance.gosource import sync_source
    text = sync_source("pool.go").replace("l.private = x", "l.private = any(x)", 1)
    with pytest.raises(DriverError, match="l.private = x"):
        instrumented_source(text, file="pool.go")


def test_reference_pool_agrees_with_go_on_sampled_schedules() -> None:
    from properties.conformance.goschedules import run_schedules
    res = run_schedules(samples=60, hypothesis=20, full=(), sampled=("E6", "G2", "E6+P"))
    assert res.ok, "\n".join(str(m) for _, m in res.mismatches)
    for name in ("E6", "G2", "E6+P"):
        row = res.per_source[f"{name} (60 sampled)"]
        assert row["schedules"] == 60 and row["steps"] > 60 * 30, (name, row)
    assert res.per_source["hypothesis pool choices"]["schedules"] == 20


@pytest.mark.slow
def test_reference_pool_agrees_with_go_on_every_e6_and_g2_transition() -> None:
    from properties.conformance.goschedules import run_schedules
    res = run_schedules(samples=0, hypothesis=0, full=("E6", "G2"), sampled=())
    assert res.ok, "\n".join(str(m) for _, m in res.mismatches)
    assert res.per_source["E6 (every transition)"]["schedules"] == 5816
    assert res.per_source["G2 (every transition)"]["schedules"] == 12389


def test_go_pool_steps_on_a_victim_hit() -> None:
    """Put, GC, Get on one P: Get misses the new (empty) local array and takes the object from the victim's
    private slot, on Go as in the model, value by value."""
    from model.params import Params
    from properties.conformance.goreplay import GoReplayer, replay_both
    with GoReplayer() as g:
        c = replay_both(g, "pool", "put gc get", Params(), [])
    assert c.mismatch is None
    labels = [label for _, label, _ in c.go_steps]
    assert "runtime: stopTheWorld (gcStart)" in labels
    hit = labels.index("pool.go:getSlow: if x := l.private; x != nil")
    assert c.go_steps[hit][2] == 1 and c.go_steps[hit + 1] == (0, "pool.go:getSlow: l.private = nil", None)
    assert c.go_results == [[None, None, 1]] and c.go_contents == []


def test_a_pool_model_that_is_not_go_is_caught() -> None:
    """The model's get-keeps-private against Go's unmodified pool.go: the comparison fails where Go clears
    l.private and the mutant does not."""
    from model.params import Params
    from model.variants import resolve
    from properties.conformance.goreplay import GoReplayer, replay_both
    with GoReplayer() as g:
        c = replay_both(g, "pool", "put get get", Params(), [], resolve("get-keeps-private"))
    assert c.mismatch is not None and c.mismatch.what == "step"
    assert c.mismatch.go[1] == "pool.go:Get: l.private = nil"


def test_go_scheduler_refuses_a_pin_of_a_pinned_p() -> None:
    """Two goroutines on one P: while goroutine 0 is pinned, goroutine 1's pin is not enabled (the model's
    memory.enabled); the Go driver refuses the schedule, as the model's kernel does."""
    from model.harness import build
    from model.params import Params
    from properties.conformance.goreplay import GoReplayer
    w = build("pool", "put | put", Params(gomaxprocs=1))
    with GoReplayer() as g:
        ok, blocked = g.run_many([
            g.request("pool", w.scenario.threads, w.tokens, w.params, [0, 0, 1, 0]),
            g.request("pool", w.scenario.threads, w.tokens, w.params, [0, 0, 1, 1])])
    assert ok.error == "" and blocked.error.startswith("schedule step 3: thread 1 cannot move (its next step is not enabled")
    assert sorted(ok.contents) == [1, 2]


def test_p7_mutant_panics_on_go_where_the_model_faults() -> None:
    """pin-no-size-check indexes past the local array; on Go the driver's bound check panics with the model's
    P7 message instead of writing past the array."""
    from model.variants import resolve
    from proofs.explore import explore
    from properties.conformance.goreplay_cli import go_replay
    v = resolve("pin-no-size-check")
    assert v.witness is not None
    res = explore(*v.witness, v)
    cx = min(res.violations, key=lambda x: x.length).counterexample
    rep = go_replay(cx)
    assert rep.reproduced and rep.data["same_steps_and_results"] and cx.prop == "P7"
    panics = [r["panic"] for row in rep.data["go_results"] for r in row if isinstance(r, dict) and "panic" in r]
    assert panics and "past the end of a 1-element local array" in panics[0]


def test_replay_on_go_reproduces_a_pool_counterexample() -> None:
    p = subprocess.run([sys.executable, "-m", "poolcheck", "replay", "tests/regressions/P1-get-keeps-private.json",
                        "--on", "go"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert p.returncode == 1, p.stderr
    assert "duplicated on Go (handed out twice, or handed out and still inside): [1]" in p.stdout
    assert "pool.go:Get: x := l.private" in p.stdout
    assert "reproduced on the real Go code: yes (every step, value and result identical to the model's)" in p.stdout


def test_replay_on_go_puts_the_go_verdict_in_the_report(tmp_path: Path) -> None:
    """A trace in a report folder: replay --on go saves Go's run beside it and renders the report again with a
    section "On the real Go code"."""
    from model.tracefile import load
    from poolcheck import artifacts
    folder = artifacts.save(load(ROOT / "tests" / "regressions" / "P1-get-keeps-private.json"), tmp_path)
    assert "## On the real Go code" not in (folder / "report.md").read_text()
    p = subprocess.run([sys.executable, "-m", "poolcheck", "replay", str(folder / "trace.json"), "--on", "go"],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert p.returncode == 1, p.stderr
    assert "report updated:" in p.stdout and (folder / "go_replay.json").is_file()
    md = (folder / "report.md").read_text()
    assert "## On the real Go code" in md
    assert "- Reproduced on the real Go code: yes (every step, value and result identical to the model's)." in md
    assert "Duplicated on Go (handed out twice, or handed out and still inside): [1]." in md
    assert "Reproduced on the real Go code: yes" in (folder / "report.html").read_text()
