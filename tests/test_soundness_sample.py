"""Issue 12 item 3: an undecided linearizability check must not discard a run's races and faults.

The sample engine (the kill matrix's ``sample`` column and the campaign's
``sample`` stage, both poolcheck.engine.sample through
properties.checked_run.check_all) checks every run with check_execution. When the
history checker runs out of budget (properties.linearizability.Undecided),
the run is undecided for D5/C4 only: its races (and faults) are still
findings. Here every history check is made undecided, and a mutant whose
runs race must still be killed by D7.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

import properties.checks
from model.harness import World
from model.kernel import OpRecord
from model.params import Params
from model.variants import resolve
from poolcheck.killmatrix import sample
from properties.checked_run import check_all
from properties.invariants import Violation
from properties.linearizability import Undecided

WITNESS = ("dequeue", "push push push | tail tail", Params(size=2))
RACY_SCHEDULE_RUNS = 200


def _always_undecided(world: World, history: Sequence[OpRecord], budget: int = 0) -> list[Violation]:
    raise Undecided("D5: undecided (test: every history check runs out of budget)")


@pytest.fixture
def undecided(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(properties.checks, "check_kernel_history", _always_undecided)


def _racy_run() -> tuple[World, Any]:
    """One run of push-plain-typ-load in which the kernel's vector clocks see the D7 race."""
    from model.harness import build
    from model.schedulers import RandomScheduler

    m = resolve("push-plain-typ-load")
    for seed in range(RACY_SCHEDULE_RUNS):
        w = build(*WITNESS, m)
        k = w.kernel()
        k.run(RandomScheduler(seed))
        if k.races:
            return w, k
    raise AssertionError("no racy run of push-plain-typ-load in 200 random schedules")


def test_check_all_keeps_races_when_linearizability_is_undecided(undecided: None) -> None:
    w, k = _racy_run()
    vs, note = check_all(w, k)
    assert note.startswith("linearizability undecided")
    assert "D7" in {v.prop for v in vs}
    assert "typ := slot.typ" in next(v.message for v in vs if v.prop == "D7")


def test_sample_engine_kills_a_racy_mutant_although_every_history_check_is_undecided(undecided: None) -> None:
    cell = sample(resolve("push-plain-typ-load"), WITNESS, runs=RACY_SCHEDULE_RUNS, seconds=60.0, expected=("D7",))
    assert cell.status == "killed", cell
    assert cell.prop == "D7"
    assert "undecided" in cell.note


def test_sample_engine_on_the_reference_reports_no_race_when_undecided(undecided: None) -> None:
    cell = sample(resolve("reference"), WITNESS, runs=20, seconds=60.0)
    # No race and no fault on the reference, and D5 could not be decided: incomplete, never 'survived' (a pass).
    assert cell.status == "incomplete" and cell.prop in (None, "")
    assert "20 undecided" in cell.note


def test_fuzz_keeps_races_when_linearizability_is_undecided(undecided: None) -> None:
    """The fuzz engine's scenario searches (properties.fuzz.search_cases through properties.scenarios.run_case)
    used to count an undecided case as passing, dropping its races with the history."""
    from properties.fuzz import search_cases

    n, outcome, _ = search_cases("dequeue", "choices", resolve("push-plain-typ-load"), examples=300, seed=0)
    assert outcome is not None, f"the D7 race was dropped with the undecided history ({n} examples)"
    assert "D7" in {v.prop for v in outcome.violations} and outcome.undecided


def test_sample_engine_says_incomplete_for_an_undecided_history(undecided: None) -> None:
    """A run whose D5 could not be decided leaves D5 unknown: the engine's verdict is incomplete, never pass."""
    from poolcheck import engine
    from poolcheck.engine.explore import one_config

    res = engine.run("sample", "reference", {"configs": [one_config("dequeue", "push pop | tail", Params(size=2))]},
                     engine.Budget("ci", runs=5))
    assert res.verdict is engine.Verdict.INCOMPLETE and res.incomplete == ["D5"] and not res.violations
