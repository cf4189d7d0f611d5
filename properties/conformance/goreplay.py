"""Schedule replay on the real Go code: the model and the installed poolqueue.go and pool.go, interleaving by
interleaving.

``instrumented_source(src, file=...)`` runs our go/ast rewriter (goreplay_go.py)
on a poolqueue.go or pool.go text (the installed file, or a Go mutant's text
from gomutants.py) so that each labelled shared access (goreplay_hooks.py: the
21 of the queue layer, the 26 of pool.go; the model's labels, the same ones
tests/test_drift.py checks against the source) first blocks in a scheduler
hook. pool.go is transplanted whole into the driver: its runtime hooks
(runtime_procPin/Unpin, allPoolsMu, runtime.GOMAXPROCS, the GC's poolCleanup)
and its internal imports become the driver's, driven by the same scheduler.
``GoReplayer`` builds the scheduling driver around both files (cached by
content hash, like the sequential driver) and runs scenarios of all three
targets under given schedules. ``replay_both(...)`` runs the model
(model.harness) and Go on the same schedule and returns the first differing
step, value or result, or None.

Values are compared in the model's terms: headTail as the packed integer,
a slot as ``[typ, val]`` (typ ``"T"`` for a token, ``"dequeueNil"`` for Go's
nil, null for an empty word), CompareAndSwap as ``[old, new, swapped]``, a
Pool object as its token, and pointers (chain elements, local arrays, pools)
named d1, d2, ... in order of first appearance on each side, so that
addresses never have to agree, only identities.

Nothing from Go is copied into the repository: the rewriter reads the
installed files at run time and writes the instrumented copies to a temporary
directory.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from model.harness import build
from model.kernel import Kernel, ScheduleError
from model.params import Params
from model.pool import INDEX_LOCAL_LABEL
from model.variants.base import Model
from properties.conformance.driver import DriverError, close_process, exchange_lines, go_build
from properties.conformance.gocode import SERVE_GO
from properties.conformance.goreplay_go import (
    DRIVER_MODULE,
    GO_MOD_DRIVER,
    GO_MOD_REWRITER,
    RACE_GO,
    REWRITER_GO,
    RTATOMIC_GO,
    SCHED_GO,
)
from properties.conformance.goreplay_hooks import (
    BY_LABEL,
    DRIVER_HOOK_NAMES,
    ENTRY_IDS,
    HOOKS,
    LABEL_OF,
    SHARED_ACCESSES,
    Hook,
    layer_labels,
)
from properties.conformance.gosource import GoEnv, go_env, go_subprocess_env, sync_source

__all__ = ["Hook", "HOOKS", "SHARED_ACCESSES", "NotReplayable", "GoRun", "ReplayMismatch", "Comparison",
           "instrumented_source", "build_replay_driver", "GoReplayer", "model_run", "replay_both", "replay_many", "replayable",
           "DEAD", "model_steps", "compare_runs"]


_CONSTS = {"initSize": "pcInitSize", "dequeueLimit": "pcDequeueLimit"}
# pool.go's imports a main package cannot have, and its runtime call, pointed at the driver's stand-ins.
_IMPORTS = {"internal/race": f"{DRIVER_MODULE}/race", "internal/runtime/atomic": f"{DRIVER_MODULE}/rtatomic"}
# indexLocal is unchecked pointer arithmetic: a mutant that indexes past an array would corrupt the driver's
# heap. The driver's pcIndexLocal checks the index against the array's length (recorded by pcMakeLocals)
# and panics as the model's P7 check does (model.pool.index_local), then calls Go's indexLocal.
_CALLS = {"runtime.GOMAXPROCS": "pcGOMAXPROCS", "indexLocal": "pcIndexLocal"}
_EXPRS = {"make([]poolLocal,size)": "pcMakeLocals(size)"}

# Go mutants that keep an access whose value they no longer use, where the
# model's mutant drops it: the access cannot change any outcome, so it is not
# a scheduling point in the replay (otherwise the two would not take the
# same number of steps).
DEAD: dict[str, tuple[str, ...]] = {
    # gomutants.py turns `if typ != nil {` into `if _ = typ; false {`: the load stays, unused.
    "push-no-typ-check": ("poolqueue.go:pushHead: typ := atomic.LoadPointer(&slot.typ)",),
}


class NotReplayable(ValueError):
    """A scenario or parameter Go cannot run (the message says why)."""


def replayable(target: str, params: Params) -> str | None:
    """Why ``params`` cannot be replayed on Go's code, or None if it can."""
    if target not in ("dequeue", "chain", "pool"):
        return f"unknown target {target!r}"
    if params.dequeue_bits != 32:
        return f"dequeue_bits={params.dequeue_bits}: Go's dequeueBits is the constant 32 of the packed index"
    if target != "dequeue" and params.start_index != 0:
        return "a chain's dequeues start at index 0 in Go (start_index must be 0)"
    return None


# -- building ------------------------------------------------------------

def _rewriter(env: GoEnv) -> Path:
    files = {"go.mod": GO_MOD_REWRITER, "main.go": REWRITER_GO}
    return go_build(env, "goreplay-rewriter", list(files.values()), lambda _d: files, "goreplay rewriter")


def _hook_spec(file: str, strict: bool = True) -> str:
    """The rewriter's table for ``file``. A mutant's source may lack statements (it removed them): ``strict=False``."""
    hooks = [{"id": h.id, "func": h.func, "stmt": h.match or h.stmt, "optional": h.optional or not strict,
              "void": h.void, "read_id": h.read_id}
             for h in HOOKS if h.file == file and not h.split_read]
    spec: dict[str, Any] = {"hooks": hooks, "consts": _CONSTS if file == "poolqueue.go" else {}}
    if file == "pool.go":
        spec.update(imports=_IMPORTS, calls=_CALLS, exprs=_EXPRS, drop_bodiless=True)
    return json.dumps(spec)


def instrumented_source(src: str | None = None, env: GoEnv | None = None, strict: bool = True,
                        file: str = "poolqueue.go") -> str:
    """``src`` (default: the installed ``file``, poolqueue.go or pool.go) with every hook inserted; DriverError
    if one is missing."""
    env = env or go_env()
    text = src if src is not None else sync_source(file, env)
    rw = _rewriter(env)
    with tempfile.TemporaryDirectory(prefix="poolcheck-rewrite-") as tmp:
        d = Path(tmp)
        (d / file).write_text(text)
        (d / "hooks.json").write_text(_hook_spec(file, strict))
        p = subprocess.run([str(rw), str(d / file), str(d / "hooks.json"), str(d / "out.go")],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise DriverError(f"instrumenting {file} ({env.version}) failed: {p.stderr.strip()}\n"
                              f"If the installed {file} changed shape, update its hooks in "
                              "properties/conformance/goreplay_hooks.py")
        return (d / "out.go").read_text()


def _hooks_go() -> str:
    """The driver's table of hooks: each value's kind, each step's condition, the driver's own steps' ids."""
    kinds = ", ".join(f'{h.id}: "{h.kind}"' for h in HOOKS if h.kind)
    syncs = ", ".join(f'{h.id}: "{h.sync}"' for h in HOOKS if h.sync)
    consts = "\n".join(f"\t{name} = {hid}" for name, hid in DRIVER_HOOK_NAMES.items())
    consts += f"\n\tpcIndexLocalLabel = {json.dumps(INDEX_LOCAL_LABEL)}"
    return (f"// Generated from properties/conformance/goreplay_hooks.py.\npackage main\n\nconst (\n{consts}\n)\n\n"
            f"var hookKind = map[int]string{{{kinds}}}\n\nvar hookSync = map[int]string{{{syncs}}}\n")


_FILES = {"sync/poolqueue.go": "poolqueue.go", "sync/pool.go": "pool.go"}


def build_replay_driver(mutant: str | None = None, env: GoEnv | None = None) -> Path:
    """The scheduling driver for the installed poolqueue.go and pool.go, or with Go mutant ``mutant``
    (gomutants.py) in place of the file it changes."""
    env = env or go_env()
    srcs = {name: sync_source(name, env) for name in _FILES.values()}
    changed = ""
    if mutant is not None:
        from properties.conformance.gomutants import GO_MUTANTS, mutated_source
        if mutant not in GO_MUTANTS or GO_MUTANTS[mutant].file not in _FILES:
            raise NotReplayable(f"{mutant!r} is not a Go mutant of poolqueue.go or pool.go")
        changed = _FILES[GO_MUTANTS[mutant].file]
        _, srcs[changed] = mutated_source(mutant, env)
    hooks_go = _hooks_go()

    def files(_d: Path) -> dict[str, str]:
        out = {"go.mod": GO_MOD_DRIVER, "main.go": SCHED_GO, "serve.go": SERVE_GO, "hooks.go": hooks_go,
               "race/race.go": RACE_GO, "rtatomic/rtatomic.go": RTATOMIC_GO}
        for name, text in srcs.items():
            out[name] = instrumented_source(text, env, strict=name != changed, file=name)
        return out

    # Keyed by the sources before instrumentation, so a cached driver costs no rewriter run.
    key = [*srcs.values(), SCHED_GO, SERVE_GO, GO_MOD_DRIVER, REWRITER_GO, RACE_GO, RTATOMIC_GO, hooks_go,
           *(_hook_spec(f) for f in srcs)]
    return go_build(env, "goreplay-driver", key, files, "goreplay driver" + (f" for {mutant}" if mutant else ""))


# -- running Go --------------------------------------------------------------

@dataclass
class GoRun:
    """What the Go driver reported for one schedule."""

    steps: list[tuple[int, str, Any]]       # (thread, model label, value in the model's terms)
    results: list[list[Any]]                # per thread, per operation
    schedule: list[int]                     # the schedule Go followed (completed round-robin)
    error: str = ""
    contents: list[Any] = field(default_factory=list)  # what the structure still holds at the end


def _ops(world_threads: Sequence[Sequence[str]], tokens: dict[tuple[int, int], Any]) -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = []
    for tid, ops in enumerate(world_threads):
        row: list[dict[str, Any]] = []
        for j, w in enumerate(ops):
            if w.startswith("procs="):
                row.append({"op": "procs", "v": int(w.split("=")[1])})
            else:
                row.append({"op": "push" if w.startswith("push") else w, "v": tokens.get((tid, j))})
        out.append(row)
    return out


class GoReplayer:
    """One running scheduling driver (reference or a Go mutant). A context manager."""

    def __init__(self, mutant: str | None = None, env: GoEnv | None = None) -> None:
        self.env = env or go_env()
        self.mutant = mutant
        self.binary = build_replay_driver(mutant, self.env)
        self.proc = subprocess.Popen([str(self.binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1 << 16,
                                     env=go_subprocess_env(self.env.goroot, GOGC="off", GODEBUG=""))
        self.runs = 0

    def __enter__(self) -> GoReplayer:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        close_process(self.proc)

    def request(self, target: str, scenario: Sequence[Sequence[str]], tokens: dict[tuple[int, int], Any],
                params: Params, schedule: Sequence[int], limit: int | None = None) -> dict[str, Any]:
        why = replayable(target, params)
        if why:
            raise NotReplayable(why)
        skip = [h.id for h in HOOKS if h.label in DEAD.get(self.mutant or "", ())]
        if target == "pool":
            skip += ENTRY_IDS  # a chain operation inside Put or Get starts within the step before it
        return {"target": target, "size": params.size, "start": params.start_index, "init_size": params.init_size,
                "limit": limit if limit is not None else params.limit, "gomaxprocs": params.gomaxprocs,
                "with_new": params.with_new, "threads": _ops(scenario, tokens), "schedule": list(schedule),
                "skip": skip}

    def run_many(self, requests: Sequence[dict[str, Any]]) -> list[GoRun]:
        """Send ``requests`` (pipelined) and return one GoRun per request."""
        out: list[GoRun] = []
        for _, d in exchange_lines(self.proc, requests, 64, self._died):
            steps = [(int(t), LABEL_OF[int(h)], v) for t, h, v in d.get("steps") or []]
            out.append(GoRun(steps, d.get("results") or [], d.get("schedule") or [], d.get("error") or "",
                             d.get("contents") or []))
        self.runs += len(requests)
        return out

    def _died(self, what: str) -> DriverError:
        err = ""
        if self.proc.poll() is not None and self.proc.stderr:
            err = self.proc.stderr.read()[-3000:]
        return DriverError(f"the Go replay driver {what} (exit status {self.proc.poll()}):\n{err}")


# -- the model side and the comparison ----------------------------------------------

def model_run(target: str, scenario: str, params: Params, model: type[Model], schedule: Sequence[int]) -> Kernel:
    """The model's execution of ``scenario`` under ``schedule`` (completed round-robin, as Go does)."""
    world = build(target, scenario, params, model)
    k = world.kernel(track_races=False)
    try:
        k.run_schedule(schedule, complete=True)
    except ScheduleError as e:
        raise NotReplayable(f"the schedule does not fit the scenario on the model: {e}") from None
    return k


def _model_value(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_model_value(x) for x in v]
    return v


def model_steps(k: Kernel, target: str) -> list[tuple[int, str, Any]]:
    """The model's hooked steps as (thread, label, value) in the Go driver's terms."""
    out: list[tuple[int, str, Any]] = []
    labels = layer_labels(target)
    for s in k.trace:
        if s.label not in labels:
            continue
        if s.kind == "CompareAndSwap":
            old, new = s.value
            out.append((s.tid, s.label, [old, new, bool(s.result)]))
        else:
            out.append((s.tid, s.label, _model_value(s.value)))
    return out


def _canon(steps: list[tuple[int, str, Any]]) -> list[tuple[int, str, Any]]:
    """Pointers (chain elements, local arrays, pools) renamed d1, d2, ... in order of first appearance
    (addresses never agree, identities must)."""
    names: dict[Any, str] = {}

    def name(p: Any) -> Any:
        if p is None:
            return None
        key = json.dumps(p, sort_keys=True)
        if key not in names:
            names[key] = f"d{len(names) + 1}"
        return names[key]

    out = []
    for t, label, v in steps:
        h = BY_LABEL[label]
        if h.kind == "ptrs":
            v = [name(x) for x in v] if isinstance(v, list) else v
        elif h.by_identity:
            v = [name(v[0]), name(v[1]), v[2]] if isinstance(v, list) and len(v) == 3 else name(v)
        out.append((t, label, v))
    return out


def model_results(k: Kernel, nthreads: int) -> list[list[Any]]:
    res: list[list[Any]] = [[] for _ in range(nthreads)]
    for r in sorted(k.history, key=lambda r: (r.tid, r.seq)):
        if r.ret is None:
            res[r.tid].append({"blocked": "unfinished"})
            continue
        v = r.result
        res[r.tid].append(list(v) if isinstance(v, tuple) else v)
    for f in k.faults:
        res[f.tid][-1:] = [{"panic": f.message}]
    return res


@dataclass
class ReplayMismatch:
    """The first difference between the model and Go on one schedule."""

    target: str
    scenario: str
    params: Params
    schedule: list[int]
    step: int | None              # index among the hooked steps, or None for a result difference
    model: Any
    go: Any
    what: str                     # "step" | "result" | "error"

    def __str__(self) -> str:
        where = f"step {self.step}" if self.step is not None else self.what
        return (f"{self.target} \"{self.scenario}\" schedule {self.schedule}: the model and Go differ at {where}\n"
                f"  model: {json.dumps(self.model)}\n  go:    {json.dumps(self.go)}")

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "scenario": self.scenario, "params": self.params.to_json(),
                "schedule": self.schedule, "step": self.step, "what": self.what, "model": self.model, "go": self.go}


@dataclass
class Comparison:
    """The model's and Go's runs of one schedule, and the first difference (None: identical)."""

    mismatch: ReplayMismatch | None
    steps: int
    model_steps: list[tuple[int, str, Any]] = field(default_factory=list)
    go_steps: list[tuple[int, str, Any]] = field(default_factory=list)
    model_results: list[list[Any]] = field(default_factory=list)
    go_results: list[list[Any]] = field(default_factory=list)
    kernel: Kernel | None = None
    go_contents: list[Any] = field(default_factory=list)


def compare_runs(target: str, scenario: str, params: Params, k: Kernel, nthreads: int, go: GoRun) -> Comparison:
    ms, gs = _canon(model_steps(k, target)), _canon(go.steps)
    mr = model_results(k, nthreads)
    sched = list(k.schedule)

    def mm(step: int | None, a: Any, b: Any, what: str) -> Comparison:
        return Comparison(ReplayMismatch(target, scenario, params, sched, step, a, b, what), len(ms), ms, gs, mr,
                          go.results, k, go.contents)

    for i, (a, b) in enumerate(zip(ms, gs)):
        if list(a) != list(b):
            return mm(i, list(a), list(b), "step")
    if len(ms) != len(gs):
        i = min(len(ms), len(gs))
        return mm(i, list(ms[i]) if i < len(ms) else "(no further step)",
                  list(gs[i]) if i < len(gs) else "(no further step)", "step")
    if go.error:
        return mm(None, "(ran)", go.error, "error")
    if json.loads(json.dumps(mr)) != go.results:
        return mm(None, mr, go.results, "result")
    return Comparison(None, len(ms), ms, gs, mr, go.results, k, go.contents)


def replay_both(replayer: GoReplayer, target: str, scenario: str, params: Params, schedule: Sequence[int],
                model: type[Model] = Model) -> Comparison:
    """Run ``scenario`` under ``schedule`` on ``model`` and on Go; the first difference, if any."""
    return replay_many(replayer, [(target, scenario, params, list(schedule))], model)[0]


def replay_many(replayer: GoReplayer, cases: Sequence[tuple[str, str, Params, list[int]]],
                model: type[Model] = Model) -> list[Comparison]:
    """``replay_both`` for many schedules, pipelined to one driver."""
    kernels: list[tuple[Kernel, Any]] = []
    reqs: list[dict[str, Any]] = []
    for target, scenario, params, schedule in cases:
        world = build(target, scenario, params, model)
        k = model_run(target, scenario, params, model, schedule)
        reqs.append(replayer.request(target, world.scenario.threads, world.tokens, world.params, k.schedule,
                                     limit=world.cfg.limit))
        kernels.append((k, world))
    runs = replayer.run_many(reqs)
    out: list[Comparison] = []
    for (target, scenario, _params, _), (k, world), go in zip(cases, kernels, runs):
        out.append(compare_runs(target, scenario, world.params, k, len(world.programs), go))
    return out
