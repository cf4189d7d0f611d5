"""Designs with another number of victim tiers (issue 12, item 7).

P1/P6 accounting, P9, P11 and the Pool machine count every victim tier a
design has (model/variants/victim_tiers.py), so a correct three-tier pool
(``victim-tiers-2``) fails only P3, Go's "one GC in the victim" claim, which
it breaks by design. An array referenced twice (local and victim the same
array) holds each object once: P1's "two Gets can hand it out" is reported
only when an object sits in two distinct places, and then two Gets do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from model.effects import Gen, alloc, plain_read, plain_write
from model.harness import Sequential, build, run
from model.params import Params
from model.pool import LOCAL_FIELDS, Runtime
from model.variants import Model
from model.variants.victim_tiers import VictimTiers0, VictimTiers1, VictimTiers2, tier_addrs
from poolcheck import artifacts
from properties import invariants as inv
from properties.checks import check_execution
from properties.fuzz import fuzz
from properties.machines import PoolMachine, PropertyViolation, machine_for
from properties.specs import PoolSpec


def _pool_machine(model: type[Model]) -> PoolMachine:
    cls = machine_for("pool", model)
    assert issubclass(cls, PoolMachine)
    return cls()


def _props(model: type[Model], scenario: str, params: Params | None = None) -> dict[str, str]:
    """Property id -> first message, of ``scenario`` run round-robin on ``model``."""
    w = build("pool", scenario, params or Params(), model)
    out: dict[str, str] = {}
    for v in check_execution(w, run(w)):
        out.setdefault(v.prop, v.message)
    return out


# -- a correct three-tier pool fails P3 only ----------------------------------------------------
def test_three_tier_machine_reports_p3_not_p1() -> None:
    """put, gc, gc, get: the object is in victim2 and comes back; Go's P3 fails, P1 does not."""
    m = _pool_machine(VictimTiers2)
    m.setup(Params())
    m.put(0, 7)
    m.gc()
    m.gc()
    m.pool_state()   # P1/P6 accounting, P9, P11 over all three tiers: the object is held once, in victim2
    with pytest.raises(PropertyViolation) as e:
        m.get(0)
    assert e.value.violation.prop == "P3"
    assert "returned 7, Put before GC 1, after GC 2" in e.value.violation.message


def test_three_tier_spec_follows_the_designs_lookup_order() -> None:
    """Tier by tier, youngest first; each tier skipped or marked empty as Go's one victim is."""
    ps = PoolSpec(2)
    s = ps.initial(gomaxprocs=2)
    s = ps.put(s, 0, 1)
    s = ps.gc(s)                  # 1 in victim
    s = ps.put(s, 1, 2)
    s = ps.gc(s)                  # 2 in victim, 1 in victim2
    assert sorted(ps.all_held(s)) == [1, 2]
    # P0: victim P0's private is empty and the victim's tails hold nothing, so the victim is marked empty
    # on the way to victim2, which has 1.
    out = ps.get(s, 0)
    assert (out.value, out.source) == (1, "victim2 P0's private")
    out = ps.get(out.state, 0)
    assert (out.value, out.source) == (None, "nil (victim skipped, victim2 marked empty)")
    out = ps.get(out.state, 1)    # both marked empty: 2 (victim P1's private) is not found until a GC
    assert (out.value, out.source) == (None, "nil (victim skipped, victim2 skipped)")
    # The model does the same, Get for Get.
    seq = Sequential("pool", Params(gomaxprocs=2), VictimTiers2, threads=2)
    for word, g, arg in (("put", 0, 1), ("gc", 0, None), ("put", 1, 2), ("gc", 0, None)):
        seq.call(g, word, arg)
    assert [seq.call(g, "get") for g in (0, 0, 1)] == [1, None, None]
    s = ps.gc(ps.gc(ps.gc(out.state)))
    assert ps.all_held(s) == []   # three GCs drop everything


def test_no_victim_spec_drops_local_at_each_gc() -> None:
    ps = PoolSpec(0)
    s = ps.gc(ps.put(ps.initial(gomaxprocs=1), 0, 1))
    assert ps.all_held(s) == []
    assert ps.get(s, 0).source == "nil (no victim cache)"


@pytest.mark.parametrize("model", [VictimTiers0, VictimTiers1, VictimTiers2])
def test_tier_designs_pass_p1_p6_p9_p11_on_concurrent_scenarios(model: type[Model]) -> None:
    """The generalised accounting holds on every tier count; only P3 may fail (and only with two tiers)."""
    for sc in ("put put gc gc get get", "put put | get gc get | gc get", "put gc put gc | get get get"):
        for params in (Params(), Params(gomaxprocs=2)):
            got = set(_props(model, sc, params))
            assert got <= ({"P3"} if model is VictimTiers2 else set()), (sc, params, got)
    assert set(_props(VictimTiers2, "put gc gc get")) == {"P3"}


def test_p6_lifetime_is_the_designs() -> None:
    """An object dropped after N + 1 GCs is aged out, not lost (P6), for every N."""
    for model in (VictimTiers0, VictimTiers1, VictimTiers2):
        n = model.victim_tiers
        assert _props(model, "put " + "gc " * (n + 1) + "get") == {}
        assert _props(model, "put " + "gc " * n + "get").keys() <= {"P3"}


def test_p9_and_p11_see_the_second_tier() -> None:
    s = Sequential("pool", Params(), VictimTiers2, threads=1)
    for word, arg in (("put", 1), ("put", 2), ("gc", None), ("gc", None)):   # 1 private, 2 shared; two GCs
        s.call(0, word, arg)
    mem, p = s.mem, s.world.root
    assert s.world.rt is not None
    rt: Runtime = s.world.rt
    v2, v2size = tier_addrs(p, 2)
    assert mem[v2] is not None and mem[v2size] == 1
    assert [f for f, _, _ in inv.victim_tiers(mem, p)] == ["victim", "victim2"]
    assert inv.p9_victim_empty_mark(mem, p, 32) == [] and inv.p11_registry(mem, p, rt) == []
    mem[v2size] = 0       # marked empty while victim2[0].shared still holds object 2
    assert [v.message for v in inv.p9_victim_empty_mark(mem, p, 32)] == [
        "victim2Size is 0 but victim2[0].shared still holds [2]"]
    mem[rt.old_pools] = ()   # a pool holding victim2 that no GC will visit
    assert [v.message for v in inv.p11_registry(mem, p, rt)] == [
        "the pool holds a victim2 array but is not in oldPools: no GC will ever drop it, so its objects are "
        "retained forever"]


# -- aliasing: local and victim the same array ------------------------------------------------------
def _cleanup_keeps_local(rt: Runtime) -> Gen[None]:
    """poolCleanup without `p.local = nil; p.localSize = 0`: victim and local are the same array."""
    for p in (yield plain_read(rt.old_pools, "test: for _, p := range oldPools", silent=True)):
        yield plain_write(p + 2, (None,), "test: p.victim = nil", silent=True)
        yield plain_write(p + 3, (0,), "test: p.victimSize = 0", silent=True)
    for p in (yield plain_read(rt.all_pools, "test: for _, p := range allPools", silent=True)):
        local, local_size = yield plain_read(p, "test: p.victim = p.local", n=2, silent=True)
        yield plain_write(p + 2, (local,), "test: p.victim = p.local", silent=True)
        yield plain_write(p + 3, (local_size,), "test: p.victimSize = p.localSize", silent=True)
        # MUTATION: p.local and p.localSize are kept.
    all_pools = yield plain_read(rt.all_pools, "test: oldPools, allPools = allPools, nil", silent=True)
    yield plain_write(rt.old_pools, (all_pools,), "test: oldPools, allPools = allPools, nil", silent=True)
    yield plain_write(rt.all_pools, ((),), "test: oldPools, allPools = allPools, nil", silent=True)


def _cleanup_copies_privates(rt: Runtime) -> Gen[None]:
    """poolCleanup that keeps local and gives victim a new array with copies of the private objects."""
    for p in (yield plain_read(rt.all_pools, "test: for _, p := range allPools", silent=True)):
        local, local_size = yield plain_read(p, "test: p.victim = p.local", n=2, silent=True)
        fields = tuple((f"[{i}].{f}", None) for i in range(local_size) for f in LOCAL_FIELDS)
        victim: int = yield alloc(fields, "victim-copy", "test: make([]poolLocal, size)")
        for i in range(local_size):
            x = yield plain_read(local + 3 * i, "test: copy private", silent=True)
            # MUTATION: the private object is copied into the victim and stays in local.
            yield plain_write(victim + 3 * i, (x,), "test: copy private", silent=True)
        yield plain_write(p + 2, (victim,), "test: p.victim = copy", silent=True)
        yield plain_write(p + 3, (local_size,), "test: p.victimSize = p.localSize", silent=True)
    all_pools = yield plain_read(rt.all_pools, "test: oldPools = allPools", silent=True)
    yield plain_write(rt.old_pools, (all_pools,), "test: oldPools = allPools", silent=True)


class CleanupKeepsLocal(Model):
    name = "test-cleanup-keeps-local"
    layer = "pool"
    kind = "mutant"
    description = "poolCleanup moves local to victim but keeps local: the two fields alias one array"
    expected = ("P3", "P11")

    @staticmethod
    def pool_cleanup(rt: Runtime) -> Gen[None]:
        return _cleanup_keeps_local(rt)


class CleanupCopiesPrivates(Model):
    name = "test-cleanup-copies-privates"
    layer = "pool"
    kind = "mutant"
    description = "poolCleanup copies each private object into a new victim array and keeps local"
    expected = ("P1",)

    @staticmethod
    def pool_cleanup(rt: Runtime) -> Gen[None]:
        return _cleanup_copies_privates(rt)


def test_aliased_local_and_victim_hold_each_object_once() -> None:
    """The same array under two fields is one place: no P1, but the right properties (P11, then P3)."""
    got = _props(CleanupKeepsLocal, "put gc")
    assert "P1" not in got, got
    assert got["P11"] == "the pool holds a local array but is not in allPools: no GC will age it"
    got = _props(CleanupKeepsLocal, "put gc gc get")
    assert "P1" not in got and {"P3", "P11"} <= set(got), got


def test_aliased_arrays_never_hand_an_object_out_twice() -> None:
    """Two Gets after the GC: the first takes the object, the second finds its cell empty."""
    w = build("pool", "put gc get get", Params(), CleanupKeepsLocal)
    k = run(w)
    assert [r.result for r in k.history if r.name == "get"] == [1, None]
    assert "P1" not in {v.prop for v in check_execution(w, k)}


def test_aliasing_machine_reports_p11_not_p1() -> None:
    m = _pool_machine(CleanupKeepsLocal)
    m.setup(Params())
    m.put(0, 1)
    m.gc()
    with pytest.raises(PropertyViolation) as e:
        m.pool_state()
    assert e.value.violation.prop == "P11"


def test_a_real_second_copy_is_p1_and_two_gets_return_it() -> None:
    """When the object is in two distinct cells, P1 says so, and two Gets do return it."""
    got = _props(CleanupCopiesPrivates, "put gc")
    assert got["P1"] == "object 1 is in the pool 2 times: two Gets can hand it out"
    w = build("pool", "put gc get get", Params(), CleanupCopiesPrivates)
    k = run(w)
    assert [r.result for r in k.history if r.name == "get"] == [1, 1]
    msgs = [v.message for v in check_execution(w, k) if v.prop == "P1"]
    assert any("was handed to thread 0 and again to thread 0" in m for m in msgs), msgs


def test_tiers_1_is_the_reference_for_every_check() -> None:
    """The generic N-tier code with N = 1 and Go's code give the same verdicts (none) on the same runs."""
    for sc in ("put put gc get | get gc", "put | put gc get get"):
        assert _props(VictimTiers1, sc, Params(gomaxprocs=2)) == _props(Model, sc, Params(gomaxprocs=2)) == {}


@pytest.mark.slow
def test_fuzz_finds_only_p3_on_three_tiers(tmp_path: Path) -> None:
    """Every search (machine, bursts, PCT) on victim-tiers-2: P3 or nothing, never P1/P6/P9/P11."""
    res = fuzz(["pool"], 150, VictimTiers2, 0, artifacts.saver(tmp_path))
    assert {v.prop for v in res.violations} <= {"P3"}
    assert res.per_target["pool"]["machine"]["property"] == "P3"


@pytest.mark.slow
def test_fuzz_passes_the_other_tier_counts(tmp_path: Path) -> None:
    for model in (VictimTiers0, VictimTiers1):
        res = fuzz(["pool"], 150, model, 0, artifacts.saver(tmp_path))
        assert res.verdict == "pass", [(v.prop, v.message) for v in res.violations]
