"""Issue 12 item 1: a plain access that conflicts with an atomic access to the same word is a data race.

Go's memory model: a write concurrent with another access to the same word is
a race "unless all the accesses involved are atomic". Both race checks (the
kernel's vector clocks, model/hb.py, and the explorer's co-enabled check,
proofs/explore/search.racy) must report plain/atomic and atomic/plain
conflicts, never atomic/atomic ones, and must stay quiet on the reference
except for the allow-listed formal race of Go's own code (``l := p.local``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import model.hb
from model.effects import Gen, alloc, atomic_cas, atomic_load, atomic_store, plain_read, plain_write
from model.harness import build
from model.kernel import Kernel, Op
from model.memory import new_memory
from model.params import Params
from model.variants import Model, resolve
from poolcheck.cli import main
from proofs.explore import explore
from proofs.explore.search import Footprint, racy
from properties.checks import check_execution

PIN_LOCAL = "pool.go:pin: l := p.local"
STORE_LOCAL = "pool.go:pinSlow: atomic.StorePointer(&p.local, unsafe.Pointer(&local[0]))"


def _kernel() -> tuple[Kernel, int]:
    k = Kernel(new_memory())
    base: int = k.setup(_alloc())
    return k, base


def _alloc() -> Gen[int]:
    b: int = yield alloc((("word", 0), ("flag", 0)), "m", "test")
    return b


def _plain_write(b: int) -> Gen[None]:
    yield plain_write(b, (1,), "test: word = 1")


def _plain_read(b: int) -> Gen[Any]:
    return (yield plain_read(b, "test: r := word"))


def _atomic_store(b: int) -> Gen[None]:
    yield atomic_store(b, 2, "test: word.Store(2)")


def _atomic_load(b: int) -> Gen[Any]:
    return (yield atomic_load(b, "test: word.Load()"))


def _failed_cas(b: int) -> Gen[Any]:
    return (yield atomic_cas(b, 99, 3, "test: word.CompareAndSwap(99, 3)"))


def _run(first: Any, second: Any) -> Kernel:
    k, b = _kernel()
    k.spawn([Op("a", None, lambda: first(b))])
    k.spawn([Op("b", None, lambda: second(b))])
    k.run_schedule([0, 1])
    return k


@pytest.mark.parametrize("first, second, kinds", [
    (_plain_read, _atomic_store, ("read", "atomic write")),
    (_atomic_store, _plain_read, ("atomic write", "read")),
    (_plain_write, _atomic_load, ("write", "atomic read")),
    (_atomic_load, _plain_write, ("atomic read", "write")),
    (_failed_cas, _plain_write, ("atomic read", "write")),
])
def test_hb_reports_unordered_plain_atomic_conflicts(first: Any, second: Any, kinds: tuple[str, str]) -> None:
    k = _run(first, second)
    assert len(k.races) == 1, k.races
    race = k.races[0]
    assert (race.first.kind(), race.second.kind()) == kinds
    assert race.location == "m1.word" and "not ordered by happens-before" in race.describe()


@pytest.mark.parametrize("first, second", [
    (_atomic_store, _atomic_load), (_atomic_load, _atomic_store), (_atomic_store, _atomic_store),
    (_plain_read, _atomic_load), (_atomic_load, _plain_read),
])
def test_hb_atomic_pairs_and_read_pairs_never_race(first: Any, second: Any) -> None:
    assert _run(first, second).races == []


def _publish(b: int) -> Gen[None]:
    yield plain_write(b, (1,), "test: word = 1")
    yield atomic_store(b + 1, 1, "test: flag.Store(1)")


def _consume_then_store(b: int) -> Gen[None]:
    while (yield atomic_load(b + 1, "test: flag.Load()")) != 1:
        pass
    yield atomic_store(b, 2, "test: word.Store(2)")


def test_hb_plain_write_then_atomic_store_ordered_by_a_flag_is_no_race() -> None:
    k, b = _kernel()
    k.spawn([Op("w", None, lambda: _publish(b))])
    k.spawn([Op("s", None, lambda: _consume_then_store(b))])
    k.run_schedule([0, 0, 1, 1])
    assert k.races == []


def _fp(pr: int = 0, pw: int = 0, ar: int = 0, aw: int = 0, fences: int = 0, label: str = "x") -> Footprint:
    return Footprint(pr, pw, ar, aw, fences, pr | pw | ar | aw, label)


def test_explorer_race_test_matches_the_memory_model() -> None:
    assert racy(_fp(pr=1), _fp(aw=1))[0] == 1          # plain read / atomic write
    assert racy(_fp(pw=2), _fp(ar=2))[0] == 2          # plain write / atomic read
    assert racy(_fp(aw=1), _fp(aw=1))[0] == 0          # atomic / atomic
    assert racy(_fp(ar=1), _fp(pr=1))[0] == 0          # two reads
    assert racy(_fp(pr=1, fences=3), _fp(aw=1))[0] == 0   # a stop-the-world step: ordered both ways
    assert racy(_fp(pr=1, fences=2), _fp(aw=1))[0] == 1   # ordered only if it runs first: still a race
    assert racy(_fp(pr=1, label=PIN_LOCAL), _fp(aw=1, label=STORE_LOCAL))[0] == 0  # the allow-listed pair


def test_explore_kills_push_plain_typ_load_with_d7() -> None:
    m = resolve("push-plain-typ-load")
    assert m.expected == ("D7",)
    res = explore("dequeue", "push push push | tail tail", Params(size=2), m)
    assert res.verdict == "fail"
    d7 = [v for v in res.violations if v.prop == "D7"]
    assert d7 and d7[0].replayable
    assert d7[0].message.startswith("data race on d1.vals[0].typ")
    assert "a plain read and an atomic write" in d7[0].message or "an atomic write and a plain read" in d7[0].message
    ref = explore("dequeue", "push push push | tail tail", Params(size=2), Model)
    assert ref.verdict == "pass" and not ref.violations


def test_hb_kills_push_plain_typ_load_on_the_explorer_schedule() -> None:
    m = resolve("push-plain-typ-load")
    res = explore("dequeue", "push push push | tail tail", Params(size=2), m)
    cx = next(v.counterexample for v in res.violations if v.prop == "D7")
    w = build("dequeue", "push push push | tail tail", Params(size=2), m)
    k = w.kernel()
    k.run_schedule(list(cx.schedule))
    races = [v for v in check_execution(w, k) if v.prop == "D7"]
    assert races and "poolqueue.go:pushHead: typ := slot.typ" in races[0].message
    assert "atomic.StorePointer(&slot.typ, nil)" in races[0].message


def _pool_kernel() -> Kernel:
    w = build("pool", "put | put", Params(gomaxprocs=2), Model)
    k = w.kernel()
    # T0 pins and loads localSize (0); T1 goes all the way into pinSlow and stores p.local; T0 then reads it.
    while True:
        en = k.enabled()
        if not en:
            return k
        if 1 in en and not any(s.label == STORE_LOCAL for s in k.trace):
            k.step(1 if any(s.tid == 0 and "s := rtatomic.LoadAcquintptr" in s.label for s in k.trace) else 0)
        else:
            k.step(en[0])


def test_p_local_is_a_formal_race_allow_listed_as_benign() -> None:
    """pool.go's load-consume of p.local against pinSlow's StorePointer: reported as benign, not as P8."""
    k = _pool_kernel()
    assert k.races == []
    assert k.hb is not None
    pairs = {frozenset({r.first.label, r.second.label}) for r in k.hb.benign}
    assert frozenset({PIN_LOCAL, STORE_LOCAL}) in pairs
    assert model.hb.benign_race(PIN_LOCAL, STORE_LOCAL) is not None


def test_without_the_allow_list_both_checks_report_the_p_local_race(monkeypatch: pytest.MonkeyPatch) -> None:
    """The allow-list is what keeps the reference clean: the checks do see the formal race."""
    monkeypatch.setattr(model.hb, "BENIGN_RACES", {})
    k = _pool_kernel()
    assert any({r.first.label, r.second.label} == {PIN_LOCAL, STORE_LOCAL} for r in k.races)
    res = explore("pool", "put | put", Params(gomaxprocs=2), Model)
    assert [v.prop for v in res.violations] == ["P8"]
    assert "p.local" in res.violations[0].message or ".local" in res.violations[0].message


def test_reference_pool_with_a_resize_passes_with_the_allow_list() -> None:
    res = explore("pool", "put get | put get procs=3 | get", Params(gomaxprocs=2), Model)
    assert res.verdict == "pass", res.summary()


def test_cli_explore_kills_push_plain_typ_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["explore", "dequeue", "push push push | tail tail", "--size", "2", "--variant", "push-plain-typ-load",
               "--json", "--out", str(tmp_path)])
    d = json.loads(capsys.readouterr().out)
    assert rc == 1 and d["verdict"] == "fail"
    assert [v["property"] for v in d["violations"]][:1] == ["D7"]
    assert d["violations"][0]["replayable"] is True

