"""Shrinking works: a bug planted in the model, first hit by a large random scenario, is reduced by
Hypothesis to a minimal scenario and schedule (DESIGN.md section 5)."""

from __future__ import annotations

import random

import pytest
from hypothesis import find

from model.effects import Gen, atomic_load, atomic_store, plain_read, plain_write
from model.params import Params
from model.poolqueue import TYP_NIL, PoolDequeue, Value
from model.scenario import Scenario
from model.variants import Model
from properties.fuzz import fuzz_settings
from properties.profiles import stable_generation
from properties.scenarios import Case, cases, minimize, run_case

pytestmark = [pytest.mark.hypothesis, pytest.mark.quality]


class _StoreNotCasDequeue(PoolDequeue):
    """Planted bug: popTail claims the tail with a Store instead of a CompareAndSwap, so two consumers that
    load the same headTail both take the same slot."""

    def pop_tail(self) -> Gen[tuple[Value, bool]]:
        ptrs = yield atomic_load(self.head_tail, "poolqueue.go:popTail: ptrs := d.headTail.Load()")
        head, tail = self.unpack(ptrs)
        if tail == head:
            return None, False
        yield atomic_store(self.head_tail, self.pack(head, tail + 1),
                           "poolqueue.go:popTail: d.headTail.CompareAndSwap(ptrs, ptrs2)")
        vals = yield from self._vals("popTail")
        slot = self._slot(vals, tail)
        typ, val = yield plain_read(slot, "poolqueue.go:popTail: val := *(*any)(unsafe.Pointer(slot))", n=2)
        if typ == TYP_NIL:
            val = None
        yield plain_write(slot + 1, (None,), "poolqueue.go:popTail: slot.val = nil")
        yield atomic_store(slot, None, "poolqueue.go:popTail: atomic.StorePointer(&slot.typ, nil)")
        return val, True


class StoreNotCas(Model):
    name = "test-store-not-cas"
    layer = "dequeue"
    kind = "mutant"
    description = "popTail stores headTail instead of CompareAndSwap (planted for the shrinking test)"
    expected = ("D3", "D4", "D5", "D7")
    PoolDequeue = _StoreNotCasDequeue


def test_a_planted_bug_found_in_a_large_scenario_shrinks_to_a_minimal_one() -> None:
    first: list[Case] = []

    def fails(case: Case) -> bool:
        failed = run_case(case, StoreNotCas).failed
        if failed and not first:
            first.append(case)
        return failed

    with stable_generation():
        shrunk = find(cases("dequeue", "choices", StoreNotCas), fails, settings=fuzz_settings(2000),
                      random=random.Random(0))
    big = first[0]
    # Hypothesis met the bug in a large example and shrank it (scenario, parameters and schedule) ...
    assert big.nops >= 6 and big.nthreads >= 3, str(big)
    assert shrunk.nops < big.nops and shrunk.nthreads <= big.nthreads, (str(big), str(shrunk))
    assert shrunk.params.start_index == 0 and shrunk.params.dequeue_bits == 32
    # ... and the deletion pass over the explicit schedule finishes the job: one value and two consumers
    # that both take it, with a five-entry schedule.
    m = minimize(run_case(shrunk, StoreNotCas), StoreNotCas)
    assert m.failed and {v.prop for v in m.violations} & {"D4", "D5"}
    assert m.case.nops == 3, str(m.case)
    assert str(m.case.scenario) in ("push pop | tail", "push | tail | tail", "push | tail tail"), str(m.case)
    assert len(m.case.choices) <= 6 and m.shrunk_from == shrunk


def test_minimize_is_one_minimal_and_keeps_a_failure() -> None:
    """No single thread, operation or schedule entry of the result can go and the run still fail."""
    from properties.scenarios import _deletions
    # What Hypothesis alone shrinks the planted bug to: round-robin gives the interleaving for free, so it
    # keeps extra tails instead of adding schedule entries.
    o = run_case(Case("dequeue", Scenario("dequeue", (("push",), ("tail",) * 4, ("tail",) * 4)), Params(size=1),
                      round_robin=True), StoreNotCas)
    assert o.failed
    m = minimize(o, StoreNotCas)
    assert m.failed and m.case.nops <= o.case.nops
    assert not any(run_case(c, StoreNotCas).failed for c in _deletions(m))


def test_minimize_leaves_a_passing_outcome_alone() -> None:
    o = run_case(Case("dequeue", Scenario("dequeue", (("push",), ("tail",))), Params()), Model)
    assert not o.failed and minimize(o) is o
