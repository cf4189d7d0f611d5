"""Bounded model checking of the dequeue: the reference holds, mutants are rejected with a replayable schedule."""

from __future__ import annotations

import pytest

from model.variants import registry, resolve
from poolcheck.replay import replay
from proofs.smt import bmc as B
from proofs.smt import dequeue_smt as E
from proofs.smt.bmc import DEFAULT_START, bmc, bounds, replayable, to_counterexample
from proofs.smt.dequeue_smt import Config

pytestmark = pytest.mark.proof


def _cfg(thieves: int = 1, variant: str = "reference", size: int = 2) -> Config:
    return Config(size=size, thieves=thieves, vbits=8, variant=variant)


def test_bounds_grow_one_by_one_then_by_two() -> None:
    assert bounds(14) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14]
    assert bounds(15)[-2:] == [14, 15]


@pytest.mark.parametrize("thieves,depth", [(1, 16), pytest.param(2, 14, marks=pytest.mark.slow)])
def test_reference_holds_from_an_empty_dequeue_at_the_top_of_the_index_space(thieves: int, depth: int) -> None:
    r = bmc(_cfg(thieves), max_depth=depth)
    assert r.status == "proved", r.message
    assert r.depth == depth
    assert r.start_index == DEFAULT_START
    # no vacuous pass: the interesting branches are reachable within the bound
    assert all(d is not None for d in r.goals.values()), r.goals
    assert "head-wraps" in r.goals and "typ-busy" in r.goals


def test_reference_holds_from_any_invariant_state() -> None:
    r = bmc(_cfg(2), start="invariant", max_depth=2)
    assert r.status == "proved", r.message


@pytest.mark.slow
def test_a_free_start_index_gives_the_same_verdict() -> None:
    r = bmc(_cfg(1), max_depth=8, start_index=None, goals=False)
    assert r.status == "proved", r.message
    assert r.start_index is None


def test_push_no_typ_check_is_rejected_with_a_schedule_the_kernel_replays(tmp_path: object) -> None:
    model = resolve("push-no-typ-check")
    r = bmc(_cfg(1, "push-no-typ-check"), max_depth=20, prefer=model.expected)
    assert r.status == "counterexample"
    assert r.prop == "D2"
    assert r.trace is not None
    assert r.trace.scenario() == "push push push | tail"
    assert len(r.trace.schedule) == r.depth + 1 == 10
    text = r.describe_trace()
    assert "thread 1 performs T_CAS" in text and "thread 0 performs P_WRITE" in text
    cx, note = to_counterexample(r, model)
    assert cx is not None, note
    assert cx.engine == "bmc" and cx.params.start_index == DEFAULT_START
    assert cx.prop in model.expected
    assert "D2" in cx.extra["kernel_properties"]
    assert not cx.extra["notes"], cx.extra["notes"]          # the kernel reached exactly Z3's state
    assert replay(cx).reproduced


def test_an_empty_return_while_a_value_is_in_the_deque_is_a_violation() -> None:
    # popTail's empty test altered to head - tail <= 1: it returns empty with one value in the deque. Every other
    # property holds (the value stays where it is), so before D5-empty the bounded check proved this encoding.
    r = bmc(Config(size=2, thieves=1, vbits=8, alter="poptail-empty-when-one"), max_depth=12)
    assert r.status == "counterexample", r.message
    assert r.props == ["D5-empty"]
    assert r.trace is not None and r.trace.scenario() == "push"     # one push; the thief's next step returns empty
    last = r.trace.states[-1]
    assert last["nlive"] == 1 and last["pc1"] == E.T_LOAD


def test_a_push_that_fails_with_a_free_slot_is_a_violation() -> None:
    r = bmc(Config(size=2, thieves=1, vbits=8, alter="full-one-early"), max_depth=12)
    assert r.status == "counterexample", r.message
    assert r.props == ["D5-full"]
    last = r.trace.states[-1] if r.trace else {}
    assert last["nlive"] == 1 and last["pc0"] == E.P_LOAD


def test_the_reference_message_names_exactly_what_is_checked() -> None:
    r = bmc(_cfg(1), max_depth=6, goals=False)
    assert r.status == "proved"
    assert "D4, D5-value, D5-empty, D5-full, D8" in r.message


def test_the_budget_is_resource_units_not_wall_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    # a loaded machine: every clock reading is 1000 s later than the one before
    clock = iter(range(0, 10**9, 1000))
    monkeypatch.setattr(B.time, "monotonic", lambda: float(next(clock)))
    r = bmc(_cfg(1), max_depth=8, goals=False)
    assert r.status == "proved", r.message
    assert 0 < r.budget.used < r.budget.total


def test_a_budget_that_runs_out_says_which_and_by_how_much() -> None:
    r = bmc(_cfg(1), max_depth=16, rlimit=300_000, goals=False)
    assert r.status == "unknown"
    assert "rlimit budget of 300,000 Z3 resource units (bmc empty T=1 ring 2) ran out in the query for bound" in r.message
    assert r.budget.exhausted and r.budget.used >= 300_000
    assert r.depth < 16


def test_reductions_keep_the_shortest_counterexample() -> None:
    a = bmc(_cfg(1, "push-no-typ-check"), max_depth=10, goals=False)
    b = bmc(_cfg(1, "push-no-typ-check"), max_depth=10, goals=False, reduce=False)
    assert a.status == b.status == "counterexample"
    assert a.depth == b.depth


_EXPECT = {
    # variant -> (ring size, the property the BMC names first)
    "push-no-typ-check": (2, "D2"),
    "push-publish-first": (2, "D2"),
    "poptail-typ-before-val": (1, "D2"),
    "poptail-no-zero": (2, "D2"),
    "pophead-plain-store": (2, "D2"),
    "two-producers": (2, "D5-full"),   # a push fails while the other producer holds the head slot
}


@pytest.mark.parametrize("name", sorted(_EXPECT))
def test_encoded_mutants_are_rejected(name: str) -> None:
    size, prop = _EXPECT[name]
    r = bmc(_cfg(1, name, size=size), max_depth=20, goals=False)
    assert r.status == "counterexample", r.message
    if prop is not None:
        assert r.prop == prop
    assert r.trace is not None and r.trace.schedule
    if name in registry():
        cx, note, _ = replayable(r, resolve(name))
        assert cx is not None, note
        assert not cx.extra["notes"], cx.extra["notes"]
        assert replay(cx).reproduced


def test_full_check_off_by_one_is_caught_by_the_typ_check() -> None:
    # Admitting one item too many at the full test is harmless in a dequeue: the head slot is then the
    # tail slot, which holds a value, so the typ check refuses the push. The BMC proves it (equivalent
    # for the dequeue alone).
    r = bmc(_cfg(1, "full-check-off-by-one"), max_depth=12, goals=False)
    assert r.status == "proved", r.message


def test_every_encoded_variant_is_known() -> None:
    assert set(_EXPECT) | {"reference", "full-check-off-by-one"} == set(E.ENCODED)
