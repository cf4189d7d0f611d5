"""Victim tiers (model/variants/victim_tiers.py) and the victim study (poolcheck/studies/victim.py)."""

from __future__ import annotations

import random

import pytest

from model.harness import Sequential, new_world
from model.memory import Block
from model.params import Params
from model.pool import POOL_FIELDS, POOL_ZERO
from model.variants import Model, resolve
from model.variants.victim_tiers import VictimTiers0, VictimTiers1, VictimTiers2
from poolcheck.studies import victim
from properties import invariants as inv


def _seq(model: type[Model], procs: int = 2) -> Sequential:
    return Sequential("pool", Params(gomaxprocs=procs, with_new=True), model=model, threads=procs,
                      record_trace=False, track_races=False)


def _put_gc_get(model: type[Model], k: int, gcs: int) -> list[int]:
    """Put objects 1..k (alternating Ps), run ``gcs`` GCs with no Put in between, then Get k objects."""
    s = _seq(model)
    for x in range(1, k + 1):
        s.call(x % 2, "put", x)
    for _ in range(gcs):
        s.call(0, "gc")
    return [s.call(j % 2, "get") for j in range(k)]


# -- the hook: the reference's layout is unchanged -------------------------------
def test_reference_pool_block_is_gos_four_fields() -> None:
    assert Model.pool_fields() == POOL_ZERO
    w = new_world("pool", Params())
    assert w.mem0[w.root - 1] == Block(4, "p", POOL_FIELDS)
    assert w.mem0[w.root:w.root + 4] == [None, 0, None, 0]


def test_extra_tiers_are_appended_after_gos_fields() -> None:
    assert VictimTiers0.pool_fields() == POOL_ZERO and VictimTiers1.pool_fields() == POOL_ZERO
    w = new_world("pool", Params(), VictimTiers2)
    assert w.mem0[w.root - 1] == Block(6, "p", POOL_FIELDS + ("victim2", "victim2Size"))


def test_registered_as_design_variants() -> None:
    for n, cls in enumerate((VictimTiers0, VictimTiers1, VictimTiers2)):
        assert resolve(f"victim-tiers-{n}") is cls
        assert (cls.kind, cls.layer, cls.victim_tiers) == ("design", "pool", n)


# -- the claims, on the smallest examples ---------------------------------------
def test_single_tier_misses_every_get_after_a_gc_with_no_puts_in_between() -> None:
    got = _put_gc_get(VictimTiers0, 6, 1)
    assert all(x < 0 for x in got), got          # every Get called New: 100% miss rate
    assert sorted(got) == [-6, -5, -4, -3, -2, -1]


def test_two_tiers_serve_the_first_gets_after_a_gc_from_the_victim() -> None:
    got = _put_gc_get(VictimTiers1, 6, 1)
    assert sorted(got) == [1, 2, 3, 4, 5, 6]      # every object Put before the GC comes back
    assert all(x < 0 for x in _put_gc_get(VictimTiers1, 6, 2))   # and none after a second GC (P3)


def test_three_tiers_survive_two_gcs_and_not_three() -> None:
    assert sorted(_put_gc_get(VictimTiers2, 6, 2)) == [1, 2, 3, 4, 5, 6]
    assert all(x < 0 for x in _put_gc_get(VictimTiers2, 6, 3))


def test_three_tiers_prefer_the_younger_victim() -> None:
    s = _seq(VictimTiers2, procs=1)
    s.call(0, "put", 1)
    s.call(0, "gc")
    s.call(0, "put", 2)
    s.call(0, "gc")            # 1 is in victim2, 2 in victim
    assert s.call(0, "get") == 2
    assert s.call(0, "get") == 1
    assert s.call(0, "get") < 0


def _script(seed: int, n: int) -> list[tuple[int, str]]:
    rnd = random.Random(seed)
    return [(rnd.randrange(2), rnd.choices(["put", "get", "gc"], [5, 5, 1])[0]) for _ in range(n)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_victim_tiers_1_is_the_reference_step_for_step(seed: int) -> None:
    """Same Gets, same memory after every operation and the same number of effects."""
    a, b = _seq(Model), _seq(VictimTiers1)
    tok = 0
    for tid, word in _script(seed, 300):
        arg = None
        if word == "put":
            tok += 1
            arg = tok
        assert a.call(tid, word, arg) == b.call(tid, word, arg)
        assert a.mem == b.mem
        assert a.kernel.nsteps == b.kernel.nsteps


@pytest.mark.parametrize(("cls", "tiers"), [(VictimTiers0, 0), (VictimTiers1, 1), (VictimTiers2, 2)])
def test_registry_and_victim_mark_hold_with_any_tier_count(cls: type[Model], tiers: int) -> None:
    """P11 (every pool holding a local or victim array is registered) and P9, after every operation."""
    s = _seq(cls)
    rt = s.world.rt
    assert rt is not None
    tok = 0
    for tid, word in _script(7, 300):
        tok += word == "put"
        s.call(tid, word, tok if word == "put" else None)
        assert inv.p11_registry(s.mem, s.world.root, rt) == []
        assert inv.p9_victim_empty_mark(s.mem, s.world.root, 32) == []
    # Idle: every tier drains within N+1 GCs and the pool leaves oldPools.
    for _ in range(tiers + 1):
        s.call(0, "gc")
    assert victim.objects_held(s.mem, s.world.root, tiers) == 0
    assert s.world.root not in s.mem[rt.old_pools]


def test_objects_held_agrees_with_pool_objects_up_to_one_victim() -> None:
    s = _seq(Model)
    for x in range(1, 12):
        s.call(x % 2, "put", x)
    s.call(0, "gc")
    for x in range(12, 20):
        s.call(x % 2, "put", x)
    s.call(1, "get")
    held = victim.objects_held(s.mem, s.world.root, 1)
    assert held == sum(inv.pool_objects(s.mem, s.world.root, 32).values()) == 18


# -- the simulator's numbers -------------------------------------------------------
def _w(name: str) -> victim.Workload:
    return next(w for w in victim.WORKLOADS if w.name == name)


def test_steady_single_tier_misses_one_working_set_per_gc() -> None:
    r0 = victim.simulate(_w("steady"), 4, 32, VictimTiers0)
    assert (r0.gets, r0.gcs) == (256, 8)
    assert r0.misses == 8 * 8                      # 8 objects after each of 8 GCs (the first is the cold start)
    assert r0.post_gc_miss_rate == 1.0
    assert r0.retained_avg == 0 and r0.dropped == 8 * 8
    r1 = victim.simulate(_w("steady"), 4, 32, VictimTiers1)
    assert r1.misses == 8 and r1.post_gc_misses == 0 and r1.dropped == 0   # cold start only


def test_burst_after_gc_misses_without_a_victim_and_hits_with_one() -> None:
    r0 = victim.simulate(_w("burst"), 8, 32, VictimTiers0)
    r1 = victim.simulate(_w("burst"), 8, 32, VictimTiers1)
    assert r0.post_gc_gets == 3 * 16 and r0.post_gc_miss_rate == 1.0
    assert r1.post_gc_miss_rate == 0.0


def test_third_tier_helps_an_idle_period_spanning_two_gcs_and_holds_more() -> None:
    # 48 idle ticks with a GC every 32: the objects Put before the idle period
    # see two GCs before they are needed again.
    r1 = victim.simulate(_w("idle"), 32, 128, VictimTiers1)
    r2 = victim.simulate(_w("idle"), 32, 128, VictimTiers2)
    assert r2.misses < r1.misses
    assert (r1.misses, r2.misses) == (16, 8)       # N=2 misses only the cold start
    assert r2.held_avg > r1.held_avg


def test_series_records_before_and_after_each_gc() -> None:
    r = victim.simulate(_w("steady"), 4, 8, VictimTiers0, keep_series=True)
    assert r.series[0] == (0.0, 0)
    assert (4.0, 8) in r.series and (4.0, 0) in r.series
    assert len(r.series) == 1 + 8 + 2


def test_study_tables_and_findings_on_a_small_sweep() -> None:
    cfg = victim.VictimConfig(ticks=64, intervals=(4, 32), table_interval=32, series_interval=32)
    st = victim.run(cfg)
    assert len(st.runs) == len(victim.WORKLOADS) * 3 * 2
    md = st.to_markdown()
    assert "| steady   | N=0 (1 tier)" in md and "GC every 32" in md
    f = " ".join(st.findings())
    assert "holds literally" in f and "100.0% of the Gets just after a GC miss with N=0" in f
    j = st.to_json()
    assert j["config"]["intervals"] == [4, 32] and len(j["runs"]) == 24
    assert sum(1 for r in j["runs"] if "series" in r) == 2 * 3     # drift and idle at the series interval
