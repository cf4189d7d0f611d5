"""Random small scenarios (seeded): no vacuous goal on the reference; reduction on and off agree on mutants."""

from __future__ import annotations

import random

import pytest

from model.params import Params
from model.variants import registry
from proofs.explore import explore

pytestmark = [pytest.mark.explore, pytest.mark.slow]


def _scenario(rng: random.Random, target: str) -> tuple[str, Params]:
    if target == "pool":
        threads = [" ".join(rng.choice(["put", "get", "gc"]) for _ in range(rng.randint(1, 3)))
                   for _ in range(rng.randint(1, 3))]
        return " | ".join(threads), Params(gomaxprocs=rng.randint(1, 2))
    owner = " ".join(rng.choice(["push", "push", "push:nil", "pop", "tail"]) for _ in range(rng.randint(1, 4)))
    threads = [owner] + [" ".join(["tail"] * rng.randint(1, 2)) for _ in range(rng.randint(0, 2))]
    bits = rng.choice([32, 3])
    start = rng.randrange(1 << bits) if bits == 3 else 0
    return " | ".join(threads), Params(size=rng.choice([1, 2]), init_size=1, dequeue_limit=rng.choice([1, 2, 4]),
                                       dequeue_bits=bits, start_index=start)


def test_reference_random_scenarios_pass_with_every_declared_goal() -> None:
    rng = random.Random(20261126)
    for _ in range(40):
        target = rng.choice(["dequeue", "chain", "pool"])
        scenario, params = _scenario(rng, target)
        res = explore(target, scenario, params, max_states=100_000)
        assert res.verdict in ("pass", "incomplete"), f"{target} {scenario!r} {params}: {res.summary()}"


def test_reduction_agrees_on_random_mutant_scenarios() -> None:
    rng = random.Random(7)
    mutants = [m for m in registry().values() if m.kind == "mutant"]
    checked = 0
    while checked < 30:
        m = rng.choice(mutants)
        target = m.layer if m.layer != "all" else "dequeue"
        scenario, params = _scenario(rng, target)
        on = explore(target, scenario, params, m, max_states=20_000)
        if not on.complete:
            continue
        off = explore(target, scenario, params, m, reduction=False, max_states=200_000)
        if not off.complete:
            continue
        checked += 1
        assert on.verdict == off.verdict, (m.name, scenario)
        assert {v.prop: v.length for v in on.violations} == {v.prop: v.length for v in off.violations}, \
            (m.name, target, scenario, params)
        assert on.goals == off.goals
