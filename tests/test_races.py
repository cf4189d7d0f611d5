"""The happens-before race tracker: flags racy programs, stays quiet on synchronised ones and the reference."""

from __future__ import annotations

from typing import Any

import pytest

from model.effects import Gen, alloc, atomic_load, atomic_store, plain_read, plain_write
from model.harness import build
from model.kernel import Kernel, Op
from model.memory import new_memory
from model.params import Params
from model.schedulers import RandomScheduler
from properties.checks import check_execution


def _world() -> tuple[Kernel, int]:
    k = Kernel(new_memory())
    base = k.setup(_alloc())
    return k, base


def _alloc() -> Gen[int]:
    b: int = yield alloc((("data", 0), ("flag", 0)), "m", "test")
    return b


def _writer(base: int, publish: bool) -> Gen[None]:
    yield plain_write(base, (42,), "test: data = 42")
    if publish:
        yield atomic_store(base + 1, 1, "test: flag.Store(1)")


def _reader(base: int, acquire: bool) -> Gen[Any]:
    if acquire:
        while (yield atomic_load(base + 1, "test: flag.Load()")) != 1:
            pass
    return (yield plain_read(base, "test: r := data"))


def test_unsynchronised_write_and_read_is_a_race() -> None:
    k, b = _world()
    k.spawn([Op("w", None, lambda: _writer(b, False))])
    k.spawn([Op("r", None, lambda: _reader(b, False))])
    k.run_schedule([0, 1])
    assert len(k.races) == 1
    race = k.races[0]
    assert race.location == "m1.data"
    assert (race.first.tid, race.first.write, race.second.tid, race.second.write) == (0, True, 1, False)
    assert "test: data = 42" in race.describe() and "test: r := data" in race.describe()


def test_message_passing_through_an_atomic_flag_is_race_free() -> None:
    k, b = _world()
    k.spawn([Op("w", None, lambda: _writer(b, True))])
    k.spawn([Op("r", None, lambda: _reader(b, True))])
    k.run_schedule([1, 0, 0, 1, 1])
    assert k.history[1].result == 42
    assert k.races == []


def test_write_after_the_release_is_a_race() -> None:
    def writer2(base: int) -> Gen[None]:
        yield atomic_store(base + 1, 1, "test: flag.Store(1)")
        yield plain_write(base, (7,), "test: data = 7 (after publishing)")

    k, b = _world()
    k.spawn([Op("w", None, lambda: writer2(b))])
    k.spawn([Op("r", None, lambda: _reader(b, True))])
    k.run_schedule([0, 1, 1, 0])
    assert [r.location for r in k.races] == ["m1.data"]


@pytest.mark.parametrize("target,scenario,params", [
    ("dequeue", "push push push pop | tail tail | tail", Params(size=2)),
    ("chain", "push push push push pop | tail tail | tail", Params(init_size=1, dequeue_limit=2)),
    ("pool", "put get put | put get | gc get", Params(gomaxprocs=2)),
])
def test_reference_is_race_free_under_random_schedules(target: str, scenario: str, params: Params) -> None:
    for seed in range(150):
        w = build(target, scenario, params)
        k = w.kernel()
        k.run(RandomScheduler(seed))
        assert k.races == [], k.races[0].describe()
        assert check_execution(w, k) == []
