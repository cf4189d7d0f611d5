"""poolCleanup's cost (linear in pools, flat in items) and the retention of the text's version (P11)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from model.effects import Gen, plain_read, plain_write
from model.pool import Runtime
from model.variants import Model, VariantError, resolve
from poolcheck.studies import cleanup
from properties import invariants as inv


def _seed_model() -> type[Model]:
    """cleanup-no-victim-drop (model/variants/pool_mutants.py), or a private stand-in if it is not there."""
    try:
        return resolve(cleanup.SEED_VARIANT)
    except VariantError:
        return _SeedStandIn


def _printed_pool_cleanup(rt: Runtime) -> Gen[None]:
    # The seed text's poolCleanup: no loop over oldPools.
    for p in (yield plain_read(rt.all_pools, "pool.go:poolCleanup: for _, p := range allPools", silent=True)):
        local, local_size = yield plain_read(p, "pool.go:poolCleanup: p.victim = p.local", n=2, silent=True)
        yield plain_write(p + 2, (local,), "pool.go:poolCleanup: p.victim = p.local", silent=True)
        yield plain_write(p + 3, (local_size,), "pool.go:poolCleanup: p.victimSize = p.localSize", silent=True)
        yield plain_write(p, (None,), "pool.go:poolCleanup: p.local = nil", silent=True)
        yield plain_write(p + 1, (0,), "pool.go:poolCleanup: p.localSize = 0", silent=True)
    all_pools = yield plain_read(rt.all_pools, "pool.go:poolCleanup: oldPools, allPools = allPools, nil", silent=True)
    yield plain_write(rt.old_pools, (all_pools,), "pool.go:poolCleanup: oldPools, allPools = allPools, nil", silent=True)
    yield plain_write(rt.all_pools, ((),), "pool.go:poolCleanup: oldPools, allPools = allPools, nil", silent=True)


class _SeedStandIn(Model):
    name = "cleanup-no-victim-drop-stand-in"
    layer = "pool"
    kind = "mutant"
    description = "test stand-in for cleanup-no-victim-drop"
    expected = ("P11",)

    @staticmethod
    def pool_cleanup(rt: Runtime) -> Gen[None]:
        return _printed_pool_cleanup(rt)


def test_cost_is_linear_in_pools() -> None:
    pts = {k: cleanup.cost_pools(Model, "reference", k, 0, 4) for k in (1, 2, 10, 100, 400)}
    effects = {k: p.gc_effects for k, p in pts.items()}
    # 2 effects per pool in oldPools (victim = nil, victimSize = 0), 5 per pool in allPools, 5 for the
    # registry, 4 for stopping and starting the world and numgc++.
    assert effects == {k: 7 * k + 9 for k in effects}
    assert all(p.steps == 1 for p in pts.values())      # the world is stopped: one scheduling step
    assert cleanup.cost_pools(Model, "reference", 100, 1, 4).gc_effects == effects[100]   # one item per pool


def test_cost_is_flat_in_items() -> None:
    pts = list(cleanup.cost_items(Model, "reference", 10, (0, 10, 40, 100, 1000, 5000), 4))
    assert {p.gc_effects for p in pts} == {7 * 10 + 9}
    assert [(p.items, p.in_private, p.in_shared) for p in pts][-2:] == [(1000, 40, 960), (5000, 40, 4960)]


def test_the_texts_cleanup_is_cheaper_only_by_the_oldpools_loop() -> None:
    seed = _seed_model()
    assert {k: cleanup.cost_pools(seed, "seed", k, 0, 2).gc_effects for k in (1, 10, 100)} == \
           {k: 5 * k + 8 for k in (1, 10, 100)}


def test_setup_shortcuts_change_nothing_measured() -> None:
    # Renamed local blocks (the set-up shortcut for 10,000 pools): same counts as the reference's own names.
    assert cleanup.cost_pools(Model, "reference", 60, 1, 2, fast=True) == \
           cleanup.cost_pools(Model, "reference", 60, 1, 2, fast=False)

    # Fast-forwarded pushes: the same privates, chain contents and dequeue sizes as Pool.Put item by item.
    def shape(b: cleanup._Bench) -> Iterator[tuple[object, list[object], list[int]]]:
        for i in range(len(b.w.pools)):
            for h in range(b.procs):
                l = b._local(i, h)
                assert l is not None
                yield (b.s.mem[l], inv.chain_contents(b.s.mem, l + 1, 32),
                       [b.s.mem[d + 1][1] for d in inv.chain_elts(b.s.mem, l + 1)])

    benches = []
    for bulk in (False, True):
        b = cleanup._Bench(Model, 3, 2)
        b.touch()
        b.gc()
        b.touch()
        b.place(0, 700, bulk)
        b.place(700, 1500, bulk)
        benches.append(b)
    slow, fast = benches
    assert list(shape(slow)) == list(shape(fast))
    assert slow.held() == fast.held() == 1500
    assert slow.measure() == fast.measure()
    for b in benches:
        for p in b.w.pools:
            for l in (b._local(i, h) for i in range(3) for h in range(2)):
                assert l is not None
                for d in inv.chain_elts(b.s.mem, l + 1):
                    assert inv.d1_packed_index(b.s.mem, d, 32) == [] and inv.d6_no_retention(b.s.mem, d, 32) == []
            assert inv.p11_registry(b.s.mem, p, b.rt) == []


def test_reference_drops_idle_pools_after_two_gcs() -> None:
    pts = cleanup.retention(Model, "reference", 3, 5, 4, 2)
    assert [p.held for p in pts] == [15, 15, 0, 0, 0]
    assert all(p.p11 == 0 for p in pts)


def test_the_texts_cleanup_retains_idle_pools_forever() -> None:
    pts = cleanup.retention(_seed_model(), "seed", 3, 5, 5, 2)
    assert [p.held for p in pts] == [15] * 6                # K*M objects, whatever the number of GCs
    assert [p.p11 for p in pts] == [0, 0, 3, 3, 3, 3]       # from GC 2 on, no registry reaches the 3 pools


def test_two_victim_tiers_hold_idle_pools_one_gc_longer() -> None:
    pts = cleanup.retention(resolve("victim-tiers-2"), "victim-tiers-2", 3, 5, 4, 2)
    assert [p.held for p in pts] == [15, 15, 15, 0, 0]
    assert all(p.p11 == 0 for p in pts)


@pytest.mark.parametrize("with_seed", [True, False])
def test_study_on_a_small_config(with_seed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = cleanup.CleanupConfig(pools=(1, 10, 50), items=(0, 100, 2000), items_pools=5, gomaxprocs=2,
                                idle_pools=2, idle_items=10, idle_gcs=3)
    if not with_seed:   # a checkout without the mutant: the study says so instead of failing
        monkeypatch.setattr(cleanup, "seed_model", lambda: None)
    st = cleanup.run(cfg, seed=_seed_model() if with_seed else None)
    assert st.fit() == (7, 9, True)
    assert {p.gc_effects for p in st.items_sweep} == {7 * 5 + 9}
    md = st.to_markdown()
    assert "Linear in pools holds" in md and "Flat in items holds" in md
    if with_seed:
        assert st.fit(cleanup.SEED_VARIANT) == (5, 8, True)
        assert "retains idle pools' objects forever" in md
        assert [p.held for p in st.retention[cleanup.SEED_VARIANT]] == [20, 20, 20, 20]
    else:
        assert cleanup.SEED_VARIANT not in st.retention and "is not registered in this checkout" in md
    j = st.to_json()
    assert j["fit"] == {"per_pool": 7, "constant": 9, "exact": True}
