"""From a scenario to a runnable world: memory, thread programs, tokens.

Every engine builds its executions here, so that a schedule found by one
(the explorer, Hypothesis, BMC) replays identically in another. ``Sequential``
drives the same world one operation at a time (stateful tests, conformance,
studies).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from model.effects import Gen, alloc, plain_read, plain_write
from model.kernel import Kernel, Op, RoundRobin
from model.memory import apply, new_memory
from model.params import Params
from model.pool import Runtime, gc, new_pool, new_runtime, set_gomaxprocs
from model.poolqueue import new_pool_chain, new_pool_dequeue
from model.scenario import Scenario, parse
from model.variants.base import Cfg, Model

__all__ = ["World", "build", "run", "new_world", "Sequential", "PAYLOAD_WRITE", "PAYLOAD_READ"]

# DEVIATION: not pool.go's code but its user's: a Put's caller writes the
# object's payload before Put, a Get's caller reads it after Get (ordinary
# accesses, labelled ``user:``). They are there so that a missing
# happens-before edge from Put to Get shows up as a data race (P8).
PAYLOAD_WRITE = "user: obj.payload = k (before Put)"
PAYLOAD_READ = "user: read obj.payload (after Get)"


@dataclass
class World:
    """A scenario made concrete: initial memory and one program per thread."""

    target: str
    scenario: Scenario
    params: Params
    model: type[Model]
    cfg: Cfg
    mem0: list[Any]
    programs: list[list[Op]]
    root: int                          # the dequeue, chain or (first) pool
    rt: Runtime | None = None          # pool target only
    pools: list[int] = field(default_factory=list)
    tokens: dict[tuple[int, int], Any] = field(default_factory=dict)  # (tid, op index) -> value pushed/put
    payload: dict[int, int] = field(default_factory=dict)             # token -> payload cell

    def kernel(self, track_races: bool = True, record_trace: bool = True) -> Kernel:
        k = Kernel(list(self.mem0), track_races=track_races, record_trace=record_trace)
        for prog in self.programs:
            k.spawn(prog)
        if self.rt is not None:
            k.epoch_addr = self.rt.numgc
        return k

    def make_op(self, tid: int, word: str, arg: Any = None, mem: list[Any] | None = None) -> Op:
        """The Op for scenario word ``word`` run by thread ``tid`` (``arg``: the value pushed or put).

        For a put, the object's payload cell is allocated in ``mem`` (default:
        the initial memory) the first time the token is seen.
        """
        t = self.target
        if t in ("dequeue", "chain"):
            obj: Any = self.cfg.dequeue(self.root) if t == "dequeue" else self.cfg.chain(self.root)
            if word.startswith("push"):
                return Op(word, arg, _bind(obj.push_head, arg))
            if word == "pop":
                return Op(word, None, obj.pop_head)
            if word == "tail":
                return Op(word, None, obj.pop_tail)
            raise ValueError(f"unknown {t} operation {word!r}")
        assert self.rt is not None
        if word == "put":
            if arg is not None and arg not in self.payload:
                self.payload[arg] = _setup(self.mem0 if mem is None else mem, _alloc_object(arg))
            return Op("put", arg, _bind(_user_put, self.cfg.pool(self.root, self.rt, tid), arg, self.payload))
        if word == "get":
            return Op("get", None, _bind(_user_get, self.cfg.pool(self.root, self.rt, tid), self.payload))
        if word == "gc":
            return Op("gc", None, _bind(gc, self.cfg, self.rt))
        if word.startswith("procs="):
            n = int(word.split("=")[1])
            return Op(word, n, _bind(set_gomaxprocs, self.rt, n))
        raise ValueError(f"unknown pool operation {word!r}")


def _setup(mem: list[Any], gen: Gen[Any]) -> Any:
    try:
        eff = next(gen)
        while True:
            eff = gen.send(apply(mem, eff, -1))
    except StopIteration as stop:
        return stop.value


def new_world(target: str, params: Params, model: type[Model] = Model, nprocs_max: int | None = None,
              scenario: Scenario | None = None, nthreads: int | None = None) -> World:
    """An empty world of ``target``: the structure allocated, no thread programs yet.

    ``nthreads``: how many goroutines will run (pool: each gets its own New counter); default the
    scenario's thread count (at least 1).
    """
    params = params.validate(target)
    cfg = Cfg(model, params)
    mem = new_memory()
    sc = scenario or Scenario(target, ())
    if target == "dequeue":
        return World(target, sc, params, model, cfg, mem, [], _setup(mem, new_pool_dequeue(cfg, params.size)))
    if target == "chain":
        return World(target, sc, params, model, cfg, mem, [], _setup(mem, new_pool_chain()))
    if target != "pool":
        raise ValueError(f"unknown target {target!r}")
    n = max(nprocs_max or 0, params.gomaxprocs)
    g = nthreads if nthreads is not None else max(len(sc.threads), 1)
    rt = Runtime(_setup(mem, new_runtime(params.gomaxprocs, n, g)), n, g)
    pools = [_setup(mem, new_pool(f"p{i + 1}!" if params.pools > 1 else "p!", model.pool_fields()))
             for i in range(params.pools)]
    return World(target, sc, params, model, cfg, mem, [], pools[0], rt, pools)


def build(target: str, scenario: str | Scenario, params: Params | None = None,
          model: type[Model] = Model) -> World:
    """Build the world for ``scenario`` (text or parsed) on ``model`` with ``params``.

    Values are unique tokens 1, 2, ... in scenario order (thread by thread);
    ``push:nil`` pushes Go's nil. New's objects are negative, numbered per
    goroutine (model.pool.new_token). Raises ScenarioError or ParamError on bad input.
    """
    params = (params or Params()).validate(target)
    sc = scenario if isinstance(scenario, Scenario) else parse(target, scenario, model.multi_producer)
    w = new_world(target, params, model, sc.max_procs(params.gomaxprocs) if target == "pool" else None, sc)
    next_token = 1
    for tid, ops in enumerate(sc.threads):
        prog: list[Op] = []
        for j, word in enumerate(ops):
            arg: Any = None
            if word in ("push", "put"):
                arg = next_token
                next_token += 1
            if word.startswith("push") or word == "put":
                w.tokens[(tid, j)] = arg
            prog.append(w.make_op(tid, word, arg))
        w.programs.append(prog)
    return w


def _alloc_object(tok: int) -> Gen[int]:
    base: int = yield alloc((("payload", 0),), f"obj{tok}!", "user: new object")
    return base


def _user_put(pool: Any, tok: Any, payload: dict[Any, int]) -> Gen[None]:
    """The user's side of Put: initialise the object, then Put it (P8's write)."""
    if tok is not None:
        yield plain_write(payload[tok], (tok,), PAYLOAD_WRITE)
    yield from pool.put(tok)


def _user_get(pool: Any, payload: dict[Any, int]) -> Gen[Any]:
    """Get, then read the object if it came from a Put (P8's read)."""
    x = yield from pool.get()
    if x is not None and x in payload:
        yield plain_read(payload[x], PAYLOAD_READ)
    return x


def _bind(fn: Callable[..., Gen[Any]], *args: Any) -> Callable[[], Gen[Any]]:
    def start() -> Gen[Any]:
        return fn(*args)
    return start


def run(world: World, schedule: Sequence[int] | None = None, complete: bool = True) -> Kernel:
    """Run ``world`` under ``schedule`` (None: round-robin) and return the finished kernel."""
    k = world.kernel()
    if schedule is None:
        k.run(RoundRobin())
    else:
        k.run_schedule(schedule, complete=complete)
    return k


class Sequential:
    """One model instance driven operation by operation, each to its end.

    ``threads`` fixes how many threads (goroutines, for the pool: thread i's
    home P is i) can call operations. Example::

        s = Sequential("dequeue", Params(size=4))
        s.call(0, "push", 1); s.call(1, "tail")  # -> (1, True)
    """

    def __init__(self, target: str, params: Params | None = None, model: type[Model] = Model, threads: int = 4,
                 nprocs_max: int | None = None, record_trace: bool = False, track_races: bool = True) -> None:
        self.world = new_world(target, params or Params(), model, nprocs_max, nthreads=threads)
        self.kernel = self.world.kernel(track_races=track_races, record_trace=record_trace)
        for _ in range(threads):
            self.kernel.spawn([])
        if track_races and self.kernel.hb is None:
            from model.hb import HBTracker
            self.kernel.hb = HBTracker(threads)

    @property
    def mem(self) -> list[Any]:
        return self.kernel.mem

    def call(self, tid: int, word: str, arg: Any = None) -> Any:
        """Run operation ``word`` on thread ``tid`` to its end and return its result."""
        th = self.kernel.threads[tid]
        th.ops.append(self.world.make_op(tid, word, arg, self.kernel.mem))
        return self.kernel.run_op(tid)
