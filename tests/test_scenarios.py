"""Concurrent scenarios (properties/scenarios.py): the selected variant passes every scenario search and
reaches every reachability goal; known bugs are caught and shrunk to at most 2 threads and 6 operations;
counterexamples replay; the PCT and burst schedulers behave as documented.

One generic body per purpose, parametrised by target and schedule kind.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import find, given, settings

from model.harness import build
from model.params import Params
from model.scenario import Scenario
from model.tracefile import load
from model.variants import Model, resolve
from poolcheck import artifacts
from poolcheck.replay import replay
from properties.checks import check_execution
from properties.fuzz import search_cases
from properties.pct import PCT, PCTPlan
from properties.profiles import budget, stable_generation
from properties.scenarios import (
    GOALS,
    KINDS,
    Bursts,
    Case,
    cases,
    goals_of,
    p3_at_unpin,
    run_case,
    save_case,
    scenarios,
)

pytestmark = pytest.mark.hypothesis

TARGETS = ("dequeue", "chain", "pool")


@pytest.mark.parametrize("target", TARGETS)
def test_variant_passes_concurrent_scenarios_and_reaches_goals(target: str, poolcheck_variant: str,
                                                               poolcheck_out: Path) -> None:
    """Every drawn scenario and schedule (bursts and PCT) satisfies every property one execution can check
    (properties.checks plus D5/C4 linearizability); together they reach every goal in GOALS[target]."""
    model = resolve(poolcheck_variant)
    reached: Counter[str] = Counter()
    for kind in KINDS:
        @settings(settings.default, max_examples=budget("scenario"))
        @given(case=cases(target, kind, model))
        def run(case: Case) -> None:
            o = run_case(case, model)
            if o.failed:
                path = save_case(o, model, artifacts.saver(poolcheck_out))
                pytest.fail(f"{o.violations[0]}\n  case: {case}\n  replay: poolcheck replay {path}", pytrace=False)
            reached.update(goals_of(o))
        with stable_generation():
            run()
    missed = [f"{g} ({GOALS[target][g]})" for g in GOALS[target] if not reached[g]]
    assert not missed, f"no {target} scenario reached: {'; '.join(missed)} (widen the strategies or the budget)"


# (variant, target, schedule kind): the mutants the scenario searches must catch, shrunk small.
CATCHES = [
    ("push-no-typ-check", "dequeue", "choices"),
    ("push-no-typ-check", "dequeue", "pct"),
    ("chain-next-after-pop", "chain", "choices"),
    ("chain-next-after-pop", "chain", "pct"),
]


@pytest.mark.quality
@pytest.mark.parametrize("variant, target, kind", CATCHES, ids=[f"{v}-{k}" for v, _, k in CATCHES])
def test_scenarios_catch_a_known_bug_with_a_small_replayable_counterexample(variant: str, target: str, kind: str,
                                                                            tmp_path: Path) -> None:
    model = resolve(variant)
    n, outcome, first = search_cases(target, kind, model, examples=budget("mutant"), seed=0)
    assert outcome is not None, f"{variant} survived {n} {kind} examples"
    v = outcome.violations[0]
    assert v.prop in model.expected, f"{variant} caught by {v.prop}, expected one of {model.expected}"
    case = outcome.case
    assert case.nthreads <= 2 and case.nops <= 6, f"shrunk counterexample too large: {case}"
    path = save_case(outcome, model, artifacts.saver(tmp_path))
    res = replay(load(path))
    assert res.reproduced and not res.mismatches
    assert load(path).schedule == outcome.kernel.schedule


def test_scenarios_with_a_thief_that_pushes_only_for_multi_producer_variants() -> None:
    two = resolve("two-producers")
    assert two.multi_producer
    sc = find(scenarios("dequeue", True), lambda s: any("push" in t for t in s.threads[1:]),
              settings=settings(database=None, max_examples=500), random=random.Random(0))
    assert sc.threads[1:] and any(op == "push" for t in sc.threads[1:] for op in t)
    sc = find(scenarios("dequeue", False), lambda s: True, settings=settings(database=None),
              random=random.Random(0))
    assert all(op == "tail" for t in sc.threads[1:] for op in t)


# -- schedulers ------------------------------------------------------------------
def test_bursts_skip_entries_for_threads_that_cannot_move_then_run_on() -> None:
    w = build("dequeue", "push push | tail", Params(size=2))
    k = w.kernel()
    k.run(Bursts([5, 1, 1, 0, 3]))    # 5 and 3 name no thread; the thief's first tail finds the deque empty
    assert k.schedule[:2] == [1, 0]
    assert k.schedule[2:] == sorted(k.schedule[2:])   # then no preemption: the owner runs on, then the thief
    k2 = w.kernel()
    k2.run(Bursts([], round_robin=True))
    assert k2.schedule[:4] == [0, 1, 0, 0]            # round-robin while the thief can move


def test_pct_runs_the_highest_priority_thread_and_lowers_it_at_a_change_point() -> None:
    w = build("dequeue", "push push | tail tail", Params(size=2))
    k = w.kernel()
    k.run(PCT(PCTPlan((1, 0))))                      # the thief first: both its tails find the deque empty
    assert k.schedule[:2] == [1, 1] and set(k.schedule[2:]) == {0}
    k = w.kernel()
    k.run(PCT(PCTPlan((0, 1), change_points=(3,))))  # the owner runs 2 steps, then is lowered below the thief
    assert k.schedule[:4] == [0, 0, 1, 1]


def test_pct_plans_are_reproducible_and_replay_exactly() -> None:
    a = PCTPlan.random(3, 40, 3, random.Random(7))
    b = PCTPlan.random(3, 40, 3, random.Random(7))
    assert a == b and a.depth == 3 and sorted(a.order) == [0, 1, 2] and len(a.change_points) == 2
    w = build("chain", "push push push pop | tail tail | tail", Params(init_size=1))
    k = w.kernel()
    k.run(PCT(a))
    k2 = w.kernel()
    k2.run_schedule(k.schedule, complete=False)
    assert [s.label for s in k2.trace] == [s.label for s in k.trace]


def test_case_strings_name_the_scenario_params_and_schedule() -> None:
    c = Case("dequeue", Scenario("dequeue", (("push", "push"), ("tail",))), Params(size=1), (0, 1), round_robin=True)
    assert str(c) == "dequeue 'push push | tail' (size=1) choices=[0, 1] then round-robin"
    assert c.nthreads == 2 and c.nops == 3 and c.kind == "choices"


# -- P3 dated at the unpin ------------------------------------------------------------
def test_p3_is_dated_when_the_object_leaves_the_pool() -> None:
    """Two GCs after a Get left the pool (before the user read the object) are not P3: the trace-based
    check and properties.checks (OpRecord.epoch_unpin) agree."""
    w = build("pool", "put get | gc gc", Params())
    k = w.kernel()
    k.step(0)                         # payload write
    while k.threads[0].op_index == 0:
        k.step(0)                     # Put
    while k.trace[-1].label != "pool.go:Get: runtime_procUnpin()":
        k.step(0)                     # Get up to its unpin: the object has left the pool
    while not k.threads[1].done:
        k.step(1)                     # two GCs
    while not k.threads[0].done:
        k.step(0)                     # the user's read of the object
    assert p3_at_unpin(w, k) == []
    assert not [v for v in check_execution(w, k) if v.prop == "P3"]


def test_p3_at_unpin_still_catches_a_pool_that_keeps_its_victims() -> None:
    model = resolve("cleanup-no-victim-drop")
    o = run_case(Case("pool", Scenario("pool", (("put", "gc", "gc", "get"), ("get",))), Params()), model)
    assert "P3" in {v.prop for v in o.violations}
    assert [v.prop for v in p3_at_unpin(o.world, o.kernel)] == ["P3"]


def test_reference_case_is_clean() -> None:
    o = run_case(Case("chain", Scenario("chain", (("push", "push", "pop"), ("tail", "tail"))),
                      Params(init_size=1, dequeue_limit=2), (0, 1, 0, 1)), Model)
    assert not o.failed and goals_of(o) <= set(GOALS["chain"])
