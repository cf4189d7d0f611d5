"""The explorer's reduction (thread symmetry + live-variable merging) changes nothing but the cost.

Both searches are breadth-first, so they must agree on the verdict, on the
violated properties and on the length of each shortest counterexample; and
since the reduction only merges thread-local states, the sets of reachable
(memory, ghost) pairs must be identical. The state counts of both are
printed (``pytest -s``) and bounded.
"""

from __future__ import annotations

import pytest

from model.harness import build
from model.params import Params
from model.variants import Model, resolve
from proofs.explore import explore
from proofs.explore.search import GMASK, MMASK, MW, Search

pytestmark = pytest.mark.explore

CASES = [
    ("reference", "dequeue", "push push pop | tail tail", Params(size=2)),
    ("reference", "dequeue", "push push push pop | tail tail | tail tail", Params(size=2)),
    ("reference", "dequeue", "push push:nil push pop pop | tail | tail", Params(size=2, dequeue_bits=3, start_index=6)),
    ("reference", "chain", "push push push | tail | tail", Params(init_size=1, dequeue_limit=2)),
    ("reference", "pool", "put get | put get | gc", Params(gomaxprocs=2)),
    ("reference", "pool", "put put get | get put | gc procs=1", Params(gomaxprocs=2)),
    ("push-no-typ-check", "dequeue", "push push push | tail tail", Params(size=2)),
    ("push-no-typ-check", "dequeue", "push push push pop | tail | tail", Params(size=2)),
    ("chain-next-after-pop", "chain", "push push push | tail tail", Params(init_size=1)),
    ("chain-next-after-pop", "chain", "push push push | tail | tail", Params(init_size=1, dequeue_limit=2)),
    ("poptail-typ-before-val", "dequeue", "push push | tail", Params(size=1)),
    ("gc-while-pinned", "pool", "put get | gc", Params()),
    ("pin-local-first", "pool", "put | put", Params(gomaxprocs=2)),
]

# Larger configurations (hundreds of thousands of states without the reduction).
SLOW_CASES = [
    ("reference", "chain", "push push push pop | tail tail | tail", Params(init_size=1, dequeue_limit=2)),
    ("push-no-typ-check", "dequeue", "push push push pop | tail tail | tail tail", Params(size=2)),
    ("chain-next-after-pop", "chain", "push push push pop | tail tail | tail", Params(init_size=1, dequeue_limit=2)),
]


def _id(c: tuple[str, str, str, Params]) -> str:
    return f"{c[0]}:{c[1]}:{c[2]}"


def _agree(case: tuple[str, str, str, Params]) -> tuple[int, int]:
    variant, target, scenario, params = case
    m = resolve(variant)
    on = explore(target, scenario, params, m, reduction=True)
    off = explore(target, scenario, params, m, reduction=False)
    print(f"\n{_id(case)}: reduction on {on.states:,} states / {on.transitions:,} transitions, "
          f"off {off.states:,} / {off.transitions:,}")
    assert on.verdict == off.verdict
    assert {v.prop: v.length for v in on.violations} == {v.prop: v.length for v in off.violations}
    assert on.goals == off.goals
    assert on.complete and off.complete
    assert on.states <= off.states
    if variant == "reference":
        assert on.verdict == "pass", on.summary()
    else:
        assert on.verdict == "fail"
    return on.states, off.states


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_reduction_on_and_off_agree(case: tuple[str, str, str, Params]) -> None:
    on, off = _agree(case)
    if case == CASES[1]:  # E2: the reduction pays off
        assert on * 10 < off, (on, off)


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW_CASES, ids=_id)
def test_reduction_on_and_off_agree_on_larger_scenarios(case: tuple[str, str, str, Params]) -> None:
    _agree(case)


def _projection(target: str, scenario: str, params: Params, model: type[Model], reduction: bool) -> set[object]:
    s = Search(build(target, scenario, params, model), [], reduction=reduction)
    s.run()
    return {(s.mems[st & MMASK], s.ghosts[(st >> MW) & GMASK]) for st in s.index}


@pytest.mark.parametrize("case", CASES[:4] + CASES[6:7] + CASES[8:9] + CASES[4:5], ids=_id)
def test_the_same_memories_and_ghosts_are_reachable(case: tuple[str, str, str, Params]) -> None:
    variant, target, scenario, params = case
    m = resolve(variant)
    assert _projection(target, scenario, params, m, True) == _projection(target, scenario, params, m, False)
