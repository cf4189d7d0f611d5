"""Schedule replay on the real Go code (properties/conformance/goreplay*.py): issue 16 parts 1 and 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from model_labels import non_silent_labels

from model.params import Params
from model.tracefile import load
from model.variants import resolve
from properties.conformance.driver import DriverError
from properties.conformance.goreplay import SHARED_ACCESSES, GoReplayer, instrumented_source, replay_both
from properties.conformance.goschedules import run_schedules
from properties.conformance.gosource import sync_source

pytestmark = pytest.mark.conformance

ROOT = Path(__file__).resolve().parents[1]
def _model_shared_labels() -> set[str]:
    """Every non-silent poolqueue.go label model/poolqueue.py yields (read from its source)."""
    return non_silent_labels(ROOT / "model" / "poolqueue.py", "poolqueue.go:")


def test_hooks_are_the_models_21_shared_accesses() -> None:
    labels = {h.label for h in SHARED_ACCESSES}
    assert len(SHARED_ACCESSES) == 21
    assert labels == _model_shared_labels()


def test_rewriter_hooks_every_access_of_the_installed_source() -> None:
    src = instrumented_source()
    for h in SHARED_ACCESSES:
        assert f"pcWait({h.id})" in src, h.label
    assert "package main" in src and "var dequeueLimit = pcDequeueLimit" in src


def test_rewriter_refuses_a_source_without_a_hooked_statement() -> None:
    text = sync_source("poolqueue.go").replace("slot.val = nil", "slot.val = unsafe.Pointer(nil)", 1)
    with pytest.raises(DriverError, match="slot.val = nil"):
        instrumented_source(text)


def test_reference_agrees_with_go_on_every_e1_transition_and_samples() -> None:
    res = run_schedules(samples=40, hypothesis=15, full=("E1",), sampled=("E5",), regressions=ROOT / "tests" / "regressions")
    assert res.ok, "\n".join(str(m) for _, m in res.mismatches)
    assert res.per_source["E1 (every transition)"]["schedules"] >= 300
    assert res.per_source["E5 (40 sampled)"]["steps"] > 1000
    assert res.per_source["hypothesis chain pct"]["schedules"] == 15
    assert any(k.startswith("regression C2-chain-next-after-pop") for k in res.per_source)
    assert res.steps > 8000


def test_a_model_that_is_not_go_is_caught_at_its_first_differing_step() -> None:
    """The model's push-no-typ-check against Go's unmodified code: the comparison must fail, at the typ load."""
    cx = load(ROOT / "tests" / "regressions" / "D3-push-no-typ-check.json")
    with GoReplayer() as g:
        c = replay_both(g, cx.target, cx.scenario, cx.params, cx.schedule, resolve("push-no-typ-check"))
    assert c.mismatch is not None and c.mismatch.step == 1
    assert c.mismatch.go[1] == "poolqueue.go:pushHead: typ := atomic.LoadPointer(&slot.typ)"
    assert "differ at step 1" in str(c.mismatch)


def test_go_values_and_results_on_a_known_interleaving() -> None:
    """push, then a popTail that takes the slot while a second push runs: Go's values, step by step."""
    with GoReplayer() as g:
        c = replay_both(g, "dequeue", "push push | tail", Params(size=2), [0, 0, 0, 0, 1, 1, 0])
    assert c.mismatch is None
    assert c.go_steps[3] == (0, "poolqueue.go:pushHead: d.headTail.Add(1 << dequeueBits)", 1 << 32)
    assert c.go_steps[5][2] == [1 << 32, (1 << 32) + 1, True]
    assert c.go_results == [[True, True], [[1, True]]]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "poolcheck", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=600)


def test_replay_on_go_reproduces_a_mutant_counterexample() -> None:
    p = _cli("replay", "tests/regressions/C2-chain-next-after-pop.json", "--on", "go")
    assert p.returncode == 1, p.stderr
    assert "reproduced on the real Go code: yes" in p.stdout
    assert "lost on Go (never handed out, no longer inside): [1]" in p.stdout


def test_replay_on_go_refuses_what_go_cannot_run() -> None:
    p = _cli("replay", "tests/regressions/D2-push-no-typ-check.json", "--on", "go")
    assert p.returncode == 2
    assert "dequeueBits is the constant 32" in p.stderr and "Traceback" not in p.stderr


def test_conform_schedules_command_counts_and_passes() -> None:
    p = _cli("conform", "--schedules", "--exhaustive", "E1", "--samples", "20", "--examples", "5", "--json")
    assert p.returncode == 0, p.stderr
    import json
    d = json.loads(p.stdout)
    assert d["verdict"] == "pass" and d["command"] == "conform" and d["mismatches"] == []
    assert d["per_source"]["E1 (every transition)"]["schedules"] == 359
    assert d["per_source"]["E2 (20 sampled)"]["schedules"] == 20
    assert d["per_source"]["G2 (20 sampled)"]["schedules"] == 20 and d["per_source"]["G2 (20 sampled)"]["steps"] > 1000
    assert d["per_source"]["hypothesis pool pct"]["schedules"] == 5
    assert d["steps"] > 7000


def test_conform_schedules_rejects_an_unknown_configuration() -> None:
    p = _cli("conform", "--schedules", "--exhaustive", "E9")
    assert p.returncode == 2 and "--exhaustive 'E9'" in p.stderr and "Traceback" not in p.stderr


def test_shortest_counterexample_of_push_publish_first_reproduces_on_mutated_go() -> None:
    from proofs.explore import explore
    from properties.conformance.goreplay_cli import go_replay
    v = resolve("push-publish-first")
    assert v.witness is not None
    target, scenario, params = v.witness
    res = explore(target, scenario, params, v)
    cx = min(res.violations, key=lambda x: x.length).counterexample
    rep = go_replay(cx)
    assert rep.reproduced and rep.data["same_steps_and_results"]
    assert rep.data["go_code"] == "push-publish-first"


@pytest.mark.slow
def test_every_mutant_counterexample_reproduces_on_go() -> None:
    """The table of docs/conformance.md: every replayable Go mutant's shortest counterexample reproduces, with
    every step, value and result the model's (dequeue, chain and Pool layers)."""
    from properties.conformance.goreplay_cli import mutant_table
    rows = {r["mutant"]: r for r in mutant_table()}
    replayable = [r for r in rows.values() if "reproduced" in r]
    assert len(replayable) == 18
    assert {r["layer"] for r in replayable} == {"dequeue", "chain", "pool"}
    assert all(r["reproduced"] and r["same"] for r in replayable), [r for r in replayable if not r["reproduced"]]
    assert rows["get-keeps-private"]["duplicated"] == [1] and rows["getslow-mark-early"]["property"] == "P9"
    assert rows["limit-full-width"]["result"].startswith("not replayable")
