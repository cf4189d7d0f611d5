"""poolCleanup's cost, and what the version printed in the text retains (P11).

The seed text: "The cost of pool cleanup grows linearly with the number of
pools, not items. [...] A pool with millions of items in its shared queues
does not slow cleanup. The cleanup just changes pointers." Its printed
poolCleanup omits Go's first loop (``for _, p := range oldPools { p.victim =
nil; p.victimSize = 0 }``): the ``cleanup-no-victim-drop`` mutant.

Cost is counted, not timed: the number of model effects (shared-memory
accesses, kernel.nsteps with ``record_trace=False``) of one ``gc`` operation:
stop the world, poolCleanup, the numgc update, start the world. Each effect is
one Go statement's access (model/pool.py), so the count is poolCleanup's work
in Go statements. The GC's marking and sweeping of the items themselves is
not part of poolCleanup and not modelled.

State before the measured GC (steady state): every pool was used in the
previous GC cycle and again in this one, so it is in both oldPools and
allPools, as in a process whose pools are all busy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from model.bits import pack, slot_index, uN, unpack
from model.effects import Gen, alloc
from model.harness import Sequential
from model.kernel import Kernel
from model.params import Params
from model.pool import LOCAL_CELLS, LOCAL_FIELDS, Pool, gc
from model.poolqueue import TYP_VAL
from model.variants import Model, VariantError, resolve
from poolcheck.studies import md_table
from poolcheck.studies.victim import objects_held
from properties.invariants import p11_registry

__all__ = ["CleanupConfig", "FULL", "QUICK", "CostPoint", "RetentionPoint", "CleanupStudy", "gc_cost",
           "cost_pools", "cost_items", "retention", "seed_model", "run", "SEED_VARIANT"]

SEED_VARIANT = "cleanup-no-victim-drop"


@dataclass(frozen=True)
class CleanupConfig:
    """pools            pool counts of the pools sweep (items: 0, and 1 per pool)
    items            item counts of the items sweep
    items_pools      pools of the items sweep
    gomaxprocs       Ps
    idle_pools       K pools of the retention study, each holding
    idle_items       M objects, then idle for
    idle_gcs         this many GCs
    """

    pools: tuple[int, ...] = (1, 10, 100, 1000, 10_000)
    items: tuple[int, ...] = (0, 10, 100, 1000, 10_000, 100_000, 1_000_000)
    items_pools: int = 10
    gomaxprocs: int = 4
    idle_pools: int = 10
    idle_items: int = 1000
    idle_gcs: int = 6


FULL = CleanupConfig()
QUICK = CleanupConfig(pools=(1, 10, 100, 1000), items=(0, 10, 100, 1000, 10_000), idle_items=100, idle_gcs=4)


class _NamedLocalsPool(Pool):
    """Set-up shortcut: the reference Pool, but make_locals names its block uniquely.

    memory.apply numbers blocks without a trailing ``!`` by scanning every
    block (O(blocks) per allocation), which makes 10,000 pools quadratic to set
    up. The effect, its label and every value are the reference's; only the
    block's name differs. tests/test_study_cleanup.py checks the counts match.
    """

    def make_locals(self, size: int) -> Gen[int]:
        fields = tuple((f"[{i}].{f}", None) for i in range(size) for f in LOCAL_FIELDS)
        local: int = yield alloc(fields, f"local@{self.addr}!", "pool.go:pinSlow: local := make([]poolLocal, size)")
        return local


def _fast(model: type[Model]) -> type[Model]:
    pool_cls = type(f"_Named{model.Pool.__name__}", (model.Pool,), {"make_locals": _NamedLocalsPool.make_locals})
    return type(f"_FastSetup{model.__name__}", (model,), {"Pool": pool_cls})


def seed_model() -> type[Model] | None:
    """The mutant that is the poolCleanup printed in the text, or None if this checkout lacks it."""
    try:
        return resolve(SEED_VARIANT)
    except VariantError:
        return None


class _Bench:
    """A pool world driven directly through the model's generators (set-up; no kernel steps)."""

    def __init__(self, model: type[Model], pools: int, procs: int, fast: bool = True) -> None:
        self.s = Sequential("pool", Params(pools=pools, gomaxprocs=procs), model=_fast(model) if fast else model,
                            threads=1, record_trace=False, track_races=False)
        self.w = self.s.world
        assert self.w.rt is not None
        self.rt = self.w.rt
        self.procs = procs
        self._h: dict[tuple[int, int], Pool] = {}
        self.next_tok = 1

    def pool(self, i: int, home: int) -> Pool:
        key = (i, home)
        if key not in self._h:
            self._h[key] = self.w.cfg.pool(self.w.pools[i], self.rt, home)
        return self._h[key]

    def put(self, i: int, home: int) -> None:
        self.s.kernel.setup(self.pool(i, home).put(self.next_tok))
        self.next_tok += 1

    def touch(self) -> None:
        """Put and Get one object on every pool: each is registered (allPools) and left empty."""
        for i in range(len(self.w.pools)):
            self.put(i, 0)
            self.s.kernel.setup(self.pool(i, 0).get())

    def place(self, start: int, end: int, bulk: bool = True) -> None:
        """Put items ``start`` .. ``end - 1``: item j into pool j mod pools on P (j div pools) mod procs.

        ``bulk=False``: every item through the model's Pool.Put, in order.
        ``bulk=True``: the same final state, faster: each pool and P's items
        in order, through Pool.Put whenever the item lands in the private slot
        or needs a new dequeue (so the model allocates and links every
        dequeue itself); the pushes in between are fast-forwarded
        (``_fast_forward``). tests/test_study_cleanup.py checks both give the
        same pools.
        """
        k = len(self.w.pools)
        tok0 = self.next_tok - start
        self.next_tok += end - start
        if not bulk:
            for j in range(start, end):
                self.s.kernel.setup(self.pool(j % k, (j // k) % self.procs).put(tok0 + j))
            return
        groups: dict[tuple[int, int], list[int]] = {}
        for j in range(start, end):
            groups.setdefault((j % k, (j // k) % self.procs), []).append(tok0 + j)
        mem = self.s.mem
        bits = self.w.params.dequeue_bits
        for (i, h), toks in groups.items():
            pool = self.pool(i, h)
            n = 0
            while n < len(toks):
                l = self._local(i, h)
                if l is not None and mem[l] is not None and mem[l + 1] is not None:
                    n += _fast_forward(mem, mem[l + 1], toks[n:], bits)
                    if n == len(toks):
                        break
                self.s.kernel.setup(pool.put(toks[n]))
                n += 1

    def _local(self, i: int, h: int) -> int | None:
        """The address of pool i's poolLocal for P h, or None before pinSlow allocated it."""
        p = self.w.pools[i]
        arr, size = self.s.mem[p], self.s.mem[p + 1]
        return None if arr is None or h >= size else int(arr) + h * LOCAL_CELLS

    def gc(self) -> None:
        self.s.kernel.setup(gc(self.w.cfg, self.rt))

    def held(self) -> int:
        tiers = int(getattr(self.w.model, "victim_tiers", 1))
        return sum(objects_held(self.s.mem, p, tiers, self.w.params.dequeue_bits) for p in self.w.pools)

    def measure(self) -> tuple[int, int]:
        """(effects, scheduling steps) of one gc operation run on a copy of the current memory."""
        k = Kernel(list(self.s.mem), track_races=False, record_trace=False)
        k.epoch_addr = self.rt.numgc
        k.spawn([self.w.make_op(0, "gc")])
        k.run_op(0)
        return k.nsteps, len(k.schedule)


def _fast_forward(mem: list[Any], d: int, toks: list[int], bits: int) -> int:
    """Fill the free slots of dequeue ``d`` with ``toks`` as pushHead would with no consumer running; return how many.

    pushHead on a dequeue with no concurrent popTail writes the head slot
    (typ, val) and adds 1 to head; k pushes write slots head .. head+k-1 (mod
    len(vals)) and add k. Only free slots are written (asserted), and never
    more than the ring holds (the next push then finds it full and grows the
    chain through the model).
    """
    head, tail = unpack(mem[d], bits)
    base, n = mem[d + 1]
    room = int(n) - uN(head - tail, bits)
    m = min(room, len(toks))
    for i in range(m):
        a = base + 2 * slot_index(head + i, n, bits)
        assert mem[a] is None and mem[a + 1] is None, "fast-forward onto a slot that is not free"
        mem[a] = TYP_VAL
        mem[a + 1] = toks[i]
    mem[d] = pack(uN(head + m, bits), tail, bits)
    return m


@dataclass(frozen=True)
class CostPoint:
    variant: str
    pools: int
    items: int
    gc_effects: int         # the whole gc operation
    cleanup_effects: int    # poolCleanup's share (gc_effects minus stop/start the world and numgc++)
    steps: int              # scheduling points of the gc operation
    in_private: int         # where the items were
    in_shared: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


# stopTheWorld, numgc read, numgc write, startTheWorld
_GC_OVERHEAD = 4


def gc_cost(b: _Bench, variant: str, items: int, in_private: int) -> CostPoint:
    eff, steps = b.measure()
    return CostPoint(variant, len(b.w.pools), items, eff, eff - _GC_OVERHEAD, steps, in_private, items - in_private)


def cost_pools(model: type[Model], variant: str, pools: int, per_pool: int, procs: int, fast: bool = True) -> CostPoint:
    """Steady-state gc cost with ``pools`` busy pools, each holding ``per_pool`` (0 or 1) objects in a private slot."""
    b = _Bench(model, pools, procs, fast)
    b.touch()
    b.gc()
    b.touch()
    for i in range(pools if per_pool else 0):
        b.put(i, 0)
    return gc_cost(b, variant, pools * per_pool, pools * per_pool)


def cost_items(model: type[Model], variant: str, pools: int, items: tuple[int, ...], procs: int,
               tick: Callable[[], None] | None = None, bulk: bool = True) -> Iterator[CostPoint]:
    """Steady-state gc cost with ``pools`` busy pools holding each count in ``items`` in all.

    Item j goes to pool j mod pools on P (j div pools) mod procs: the first
    pools*procs land in private slots, the rest in the shared chains
    (``_Bench.place``).
    """
    b = _Bench(model, pools, procs)
    b.touch()
    b.gc()
    b.touch()
    placed = 0
    for n in sorted(items):
        b.place(placed, n, bulk)
        placed = n
        if tick is not None:
            tick()
        yield gc_cost(b, variant, n, min(n, pools * procs))


@dataclass(frozen=True)
class RetentionPoint:
    variant: str
    gcs: int                # GCs since the pools went idle
    held: int               # objects all pools still reference
    p11: int                # pools violating P11 (holding an array no GC will reach)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def retention(model: type[Model], variant: str, pools: int, items: int, gcs: int, procs: int) -> list[RetentionPoint]:
    """``pools`` pools each get ``items`` objects, then go idle; objects held after 0..``gcs`` GCs."""
    b = _Bench(model, pools, procs, fast=False)
    for i in range(pools):
        for j in range(items):
            b.put(i, j % procs)

    def point(n: int) -> RetentionPoint:
        bad = sum(1 for p in b.w.pools if p11_registry(b.s.mem, p, b.rt))
        return RetentionPoint(variant, n, b.held(), bad)

    out = [point(0)]
    for n in range(1, gcs + 1):
        b.gc()
        out.append(point(n))
    return out


def _steps(n: int) -> str:
    return "a single scheduling step" if n == 1 else f"{n} scheduling steps"


@dataclass
class CleanupStudy:
    config: CleanupConfig
    pools_sweep: list[CostPoint] = field(default_factory=list)
    items_sweep: list[CostPoint] = field(default_factory=list)
    retention: dict[str, list[RetentionPoint]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def fit(self, variant: str = "reference") -> tuple[int, int, bool] | None:
        """(a, b, exact): gc effects = a * pools + b through the smallest and largest pools of the 0-item sweep."""
        pts = sorted((p.pools, p.gc_effects) for p in self.pools_sweep if p.variant == variant and p.items == 0)
        if len(pts) < 2:
            return None
        (x0, y0), (x1, y1) = pts[0], pts[-1]
        if (y1 - y0) % (x1 - x0):
            return None
        a = (y1 - y0) // (x1 - x0)
        b = y0 - a * x0
        return a, b, all(y == a * x + b for x, y in pts)

    def pools_table(self) -> str:
        seed = {p.pools: p for p in self.pools_sweep if p.variant == SEED_VARIANT and p.items == 0}
        rows = []
        for p in self.pools_sweep:
            if p.variant != "reference":
                continue
            s = seed.get(p.pools) if p.items == 0 else None
            rows.append([p.pools, p.items, p.gc_effects, p.cleanup_effects, f"{p.cleanup_effects / p.pools:.2f}",
                         p.steps, "-" if s is None else s.gc_effects])
        return md_table(["pools", "items", "gc effects", "poolCleanup effects", "per pool", "steps",
                         "gc effects, text's poolCleanup"], rows)

    def items_table(self) -> str:
        rows = [[p.items, p.in_private, p.in_shared, p.gc_effects, p.cleanup_effects, p.steps]
                for p in self.items_sweep]
        return md_table(["items", "in private slots", "in shared chains", "gc effects", "poolCleanup effects",
                         "steps"], rows)

    def retention_table(self) -> str:
        names = list(self.retention)
        n = max((len(v) for v in self.retention.values()), default=0)
        rows = []
        for g in range(n):
            cells: list[object] = [g]
            for name in names:
                pt = self.retention[name][g]
                cells.append(f"{pt.held}" + (f" ({pt.p11} pools violate P11)" if pt.p11 else ""))
            rows.append(cells)
        return md_table(["GCs since idle"] + [f"objects held: {nm}" for nm in names], rows)

    def findings(self) -> list[str]:
        c = self.config
        out: list[str] = []
        f = self.fit()
        if f is not None:
            a, b, exact = f
            biggest = max(p.pools for p in self.pools_sweep)
            out.append(f"**Linear in pools holds**: one GC costs {a}·pools + {b} model effects "
                       f"({'exactly, at every point' if exact else 'through the end points; not exact in between'} "
                       f"from 1 to {biggest:,} pools): poolCleanup spends 2 effects per pool in oldPools (drop the "
                       f"victim) and 5 per pool in allPools (move local to victim). The whole GC is "
                       f"{_steps(max(p.steps for p in self.pools_sweep))} whatever the size: the world is stopped, "
                       f"so no other goroutine can interleave with it; in Go that is STW time.")
            sf = self.fit(SEED_VARIANT)
            if sf is not None:
                out.append(f"The text's poolCleanup costs {sf[0]}·pools + {sf[1]}: cheaper only because it skips the "
                           f"oldPools loop, the work that frees idle pools' memory (below).")
        items = sorted({p.gc_effects for p in self.items_sweep})
        if self.items_sweep:
            top = max(p.items for p in self.items_sweep)
            if len(items) == 1:
                out.append(f"**Flat in items holds**: {items[0]} effects for {c.items_pools} pools at every item "
                           f"count from 0 to {top:,} (items in private slots and shared chains alike): poolCleanup "
                           f"moves the pointer to each per-P array, never the items.")
            else:
                out.append(f"**Flat in items does NOT hold in the model**: gc effects range over {items} for 0 to "
                           f"{top:,} items.")
        seed = self.retention.get(SEED_VARIANT)
        ref = self.retention.get("reference")
        if seed and ref:
            total = c.idle_pools * c.idle_items
            gone = next((pt.gcs for pt in ref if pt.gcs > 0 and pt.held == 0), None)
            out.append(f"**The text's poolCleanup retains idle pools' objects forever (P11)**: {c.idle_pools} pools "
                       f"with {c.idle_items} objects each go idle; Go's poolCleanup holds {ref[1].held} after one GC "
                       f"and 0 from GC {gone} on; the printed version still holds {seed[-1].held} "
                       f"({seed[-1].held / total:.0%} of {total}) after {seed[-1].gcs} GCs, with "
                       f"{seed[-1].p11} pools in neither allPools nor oldPools, so no GC will ever drop them.")
        for name, pts in self.retention.items():
            if name.startswith("victim-tiers-") and name != "victim-tiers-1":
                gone = next((pt.gcs for pt in pts if pt.gcs > 0 and pt.held == 0), None)
                out.append(f"For comparison, {name} (a design with two victim tiers) holds idle objects through "
                           f"GC {(gone or 1) - 1} and drops them at GC {gone}: it still satisfies P11.")
        out.extend(self.notes)
        return out

    def to_markdown(self) -> str:
        c = self.config
        return "\n\n".join([
            f"Pools sweep: GOMAXPROCS={c.gomaxprocs}; every pool was used in the previous cycle and in this one "
            f"(in oldPools and allPools); items = 0, or 1 per pool in P0's private slot.\n\n" + self.pools_table(),
            f"Items sweep: {c.items_pools} busy pools, GOMAXPROCS={c.gomaxprocs}; item j goes to pool "
            f"j mod {c.items_pools} on P (j div {c.items_pools}) mod {c.gomaxprocs}: through the model's Pool.Put "
            f"for the private slots and for every push that grows a chain, the pushes in between fast-forwarded "
            f"(slots and head written as pushHead writes them; tests check the state equals Put item by item). "
            f"Placement is set-up, not counted.\n\n" + self.items_table(),
            f"Retention: {c.idle_pools} pools each get {c.idle_items} objects, then go idle (no Put or Get) "
            f"for {c.idle_gcs} GCs.\n\n" + self.retention_table(),
            "\n".join(f"- {x}" for x in self.findings()),
        ])

    def to_json(self) -> dict[str, Any]:
        f = self.fit()
        return {
            "config": dict(self.config.__dict__),
            "pools_sweep": [p.to_json() for p in self.pools_sweep],
            "items_sweep": [p.to_json() for p in self.items_sweep],
            "retention": {k: [p.to_json() for p in v] for k, v in self.retention.items()},
            "fit": None if f is None else {"per_pool": f[0], "constant": f[1], "exact": f[2]},
            "findings": self.findings(),
            "seconds": round(self.seconds, 2),
        }


def run(config: CleanupConfig = FULL, seed: type[Model] | None = None,
        tick: Callable[[str], None] | None = None) -> CleanupStudy:
    """Both sweeps and the retention study. ``seed``: the text's poolCleanup (default: the registered mutant)."""
    t0 = time.monotonic()
    study = CleanupStudy(config)
    seed = seed or seed_model()

    def note(what: str) -> None:
        if tick is not None:
            tick(what)

    for k in config.pools:
        for per_pool in (0, 1):
            study.pools_sweep.append(cost_pools(Model, "reference", k, per_pool, config.gomaxprocs))
            note(f"pools {k}")
        if seed is not None:
            study.pools_sweep.append(cost_pools(seed, SEED_VARIANT, k, 0, config.gomaxprocs))
    study.items_sweep.extend(cost_items(Model, "reference", config.items_pools, config.items, config.gomaxprocs,
                                        lambda: note("items")))
    note("retention")
    models: list[tuple[str, type[Model] | None]] = [("reference", Model), (SEED_VARIANT, seed)]
    models += [(n, resolve(n)) for n in ("victim-tiers-2",)]
    for name, m in models:
        if m is None:
            study.notes.append(f"`{SEED_VARIANT}` is not registered in this checkout: its retention was not measured.")
            continue
        study.retention[name] = retention(m, name, config.idle_pools, config.idle_items, config.idle_gcs,
                                          config.gomaxprocs)
    study.seconds = time.monotonic() - t0
    return study
