"""Schedule replay on the real Go code: the model and the installed poolqueue.go, interleaving by interleaving.

``instrumented_source(src)`` runs our go/ast rewriter (goreplay_go.py) on a
poolqueue.go text (the installed file, or a Go mutant's text from
gomutants.py) so that each of the 21 labelled shared accesses of the queue
layer (HOOKS; the model's labels, the same ones tests/test_drift.py checks
against the source) first blocks in a scheduler hook. ``GoReplayer`` builds
the scheduling driver around it (cached by content hash, like the
sequential driver) and runs scenarios under given schedules.
``replay_both(...)`` runs the model (model.harness) and Go on the same
schedule and returns the first differing step, value or result, or None.

Values are compared in the model's terms: headTail as the packed integer,
a slot as ``[typ, val]`` (typ ``"T"`` for a token, ``"dequeueNil"`` for Go's
nil, null for an empty word), CompareAndSwap as ``[old, new, swapped]``, and
chain pointers (poolChainElt) named d1, d2, ... in order of first appearance
on each side, so that addresses never have to agree, only identities.

Nothing from Go is copied into the repository: the rewriter reads the
installed file at run time and writes the instrumented copy to a temporary
directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from model.harness import build
from model.kernel import Kernel, ScheduleError
from model.params import Params
from model.variants.base import Model
from properties.conformance.driver import DriverError, cache_dir, close_process
from properties.conformance.goreplay_go import GO_MOD_DRIVER, GO_MOD_REWRITER, REWRITER_GO, SCHED_GO
from properties.conformance.gosource import GoEnv, go_env, go_subprocess_env, sync_source

__all__ = ["Hook", "HOOKS", "SHARED_ACCESSES", "NotReplayable", "GoRun", "ReplayMismatch", "Comparison",
           "instrumented_source", "build_replay_driver", "GoReplayer", "model_run", "replay_both", "replay_many", "replayable",
           "DEAD", "model_steps", "compare_runs"]


@dataclass(frozen=True)
class Hook:
    """One scheduling point in Go: ``stmt`` inside ``func`` (``recv.name``), the model's ``label``."""

    id: int
    func: str
    stmt: str
    ptr: bool = False        # the value is a *poolChainElt (compared by identity)
    optional: bool = False   # only a mutant's source has it
    entry: bool = False      # not a shared access: an operation's first statement, a scheduling point in the model

    @property
    def label(self) -> str:
        return f"poolqueue.go:{self.func.split('.')[-1]}: {self.stmt}"


_PD, _PC = "poolDequeue", "poolChain"
_H: list[tuple[str, str, bool, bool, bool]] = [
    (f"{_PD}.pushHead", "ptrs := d.headTail.Load()", False, False, False),
    (f"{_PD}.pushHead", "typ := atomic.LoadPointer(&slot.typ)", False, False, False),
    (f"{_PD}.pushHead", "*(*any)(unsafe.Pointer(slot)) = val", False, False, False),
    (f"{_PD}.pushHead", "d.headTail.Add(1 << dequeueBits)", False, False, False),
    (f"{_PD}.popHead", "ptrs := d.headTail.Load()", False, False, False),
    (f"{_PD}.popHead", "d.headTail.CompareAndSwap(ptrs, ptrs2)", False, False, False),
    (f"{_PD}.popHead", "val := *(*any)(unsafe.Pointer(slot))", False, False, False),
    (f"{_PD}.popHead", "*slot = eface{}", False, False, False),
    (f"{_PD}.popTail", "ptrs := d.headTail.Load()", False, False, False),
    (f"{_PD}.popTail", "d.headTail.CompareAndSwap(ptrs, ptrs2)", False, False, False),
    (f"{_PD}.popTail", "val := *(*any)(unsafe.Pointer(slot))", False, False, False),
    (f"{_PD}.popTail", "slot.val = nil", False, False, False),
    (f"{_PD}.popTail", "atomic.StorePointer(&slot.typ, nil)", False, False, False),
    (f"{_PC}.pushHead", "c.tail.Store(d)", True, False, False),
    (f"{_PC}.pushHead", "d2.prev.Store(d)", True, False, False),
    (f"{_PC}.pushHead", "d.next.Store(d2)", True, False, False),
    (f"{_PC}.popHead", "d = d.prev.Load()", True, False, False),
    (f"{_PC}.popTail", "d := c.tail.Load()", True, False, False),
    (f"{_PC}.popTail", "d2 := d.next.Load()", True, False, False),
    (f"{_PC}.popTail", "c.tail.CompareAndSwap(d, d2)", True, False, False),
    (f"{_PC}.popTail", "d2.prev.Store(nil)", True, False, False),
    # The model starts every operation at a scheduling point; the chain's
    # pushHead and popHead begin with the producer-private read of c.head.
    (f"{_PC}.pushHead", "d := c.head", True, False, True),
    (f"{_PC}.popHead", "d := c.head", True, False, True),
    # Statements only the Go mutants have (gomutants.py; the model mutants' labels).
    (f"{_PD}.popHead", "d.headTail.Store(ptrs2)", False, True, False),
    (f"{_PD}.pushHead", "typ := slot.typ", False, True, False),
    (f"{_PC}.popTail", "c.tail.Store(d2)", True, True, False),
]
HOOKS: tuple[Hook, ...] = tuple(Hook(i, f, s, p, o, e) for i, (f, s, p, o, e) in enumerate(_H))
SHARED_ACCESSES: tuple[Hook, ...] = tuple(h for h in HOOKS if not h.optional and not h.entry)  # the 21
_BY_LABEL: dict[str, Hook] = {}
for _h in HOOKS:
    _BY_LABEL.setdefault(_h.label, _h)
# A label names a statement within a function name; the chain and the
# dequeue share no statement text, so the label decides the hook.
_LABEL_OF: dict[int, str] = {h.id: h.label for h in HOOKS}
_CONSTS = {"initSize": "pcInitSize", "dequeueLimit": "pcDequeueLimit"}

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
    if target not in ("dequeue", "chain"):
        return f"the {target} layer is not replayed step by step (docs/conformance.md, Pool layer)"
    if params.dequeue_bits != 32:
        return f"dequeue_bits={params.dequeue_bits}: Go's dequeueBits is the constant 32 of the packed index"
    if target == "chain" and params.start_index != 0:
        return "a chain's dequeues start at index 0 in Go (start_index must be 0)"
    return None


# -- building ------------------------------------------------------------

_lock = threading.Lock()


def _sha(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _cache_root() -> Path:
    root = cache_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        root = Path(tempfile.gettempdir()) / "poolcheck-cache"
        root.mkdir(parents=True, exist_ok=True)
    return root


def _go_build(env: GoEnv, files: dict[str, str], binary: Path, what: str) -> Path:
    """Build a main package made of ``files`` into ``binary`` (atomically); cached if it exists."""
    with _lock:
        if binary.is_file():
            return binary
        with tempfile.TemporaryDirectory(prefix="poolcheck-goreplay-") as tmp:
            d = Path(tmp)
            for name, text in files.items():
                (d / name).write_text(text)
            out = d / "bin"
            try:
                p = subprocess.run([env.go, "build", "-o", str(out), "."], cwd=d, capture_output=True, text=True,
                                   timeout=900, env=go_subprocess_env(env.goroot, CGO_ENABLED="0", GOPROXY="off"))
            except subprocess.TimeoutExpired as e:
                raise DriverError(f"building the {what} took more than 15 minutes") from e
            if p.returncode != 0:
                raise DriverError(f"building the {what} failed with {env.version}:\n{p.stderr[-4000:]}")
            tmp_bin = binary.with_name(binary.name + f".tmp{os.getpid()}")
            os.replace(out, tmp_bin)
            os.replace(tmp_bin, binary)
    return binary


def _rewriter(env: GoEnv) -> Path:
    key = _sha(env.version, env.goroot, env.goos, env.goarch, REWRITER_GO, GO_MOD_REWRITER)
    return _go_build(env, {"go.mod": GO_MOD_REWRITER, "main.go": REWRITER_GO},
                     _cache_root() / f"goreplay-rewriter-{env.version}-{key}", "goreplay rewriter")


def _hook_spec(strict: bool = True) -> str:
    """The rewriter's table. A mutant's source may lack statements (it removed them): ``strict=False``."""
    return json.dumps({"hooks": [{"id": h.id, "func": h.func, "stmt": h.stmt, "optional": h.optional or not strict}
                                 for h in HOOKS], "consts": _CONSTS})


def instrumented_source(src: str | None = None, env: GoEnv | None = None, strict: bool = True) -> str:
    """``src`` (default: the installed poolqueue.go) with every hook inserted; DriverError if one is missing."""
    env = env or go_env()
    text = src if src is not None else sync_source("poolqueue.go", env)
    rw = _rewriter(env)
    with tempfile.TemporaryDirectory(prefix="poolcheck-rewrite-") as tmp:
        d = Path(tmp)
        (d / "poolqueue.go").write_text(text)
        (d / "hooks.json").write_text(_hook_spec(strict))
        p = subprocess.run([str(rw), str(d / "poolqueue.go"), str(d / "hooks.json"), str(d / "out.go")],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise DriverError(f"instrumenting poolqueue.go ({env.version}) failed: {p.stderr.strip()}\n"
                              "If the installed poolqueue.go changed shape, update HOOKS in "
                              "properties/conformance/goreplay.py")
        return (d / "out.go").read_text()


def build_replay_driver(mutant: str | None = None, env: GoEnv | None = None) -> Path:
    """The scheduling driver for the installed poolqueue.go, or for Go mutant ``mutant`` (gomutants.py)."""
    env = env or go_env()
    if mutant is None:
        src = sync_source("poolqueue.go", env)
    else:
        from properties.conformance.gomutants import GO_MUTANTS, mutated_source
        if mutant not in GO_MUTANTS or GO_MUTANTS[mutant].file != "sync/poolqueue.go":
            raise NotReplayable(f"{mutant!r} is not a Go mutant of poolqueue.go")
        _, src = mutated_source(mutant, env)
    key = _sha(env.version, env.goroot, env.goos, env.goarch, src, SCHED_GO, GO_MOD_DRIVER, REWRITER_GO, _hook_spec())
    binary = _cache_root() / f"goreplay-driver-{env.version}-{key}"
    if binary.is_file():
        return binary
    inst = instrumented_source(src, env, strict=mutant is None)
    return _go_build(env, {"go.mod": GO_MOD_DRIVER, "main.go": SCHED_GO, "poolqueue.go": inst}, binary,
                     "goreplay driver" + (f" for {mutant}" if mutant else ""))


# -- running Go --------------------------------------------------------------

@dataclass
class GoRun:
    """What the Go driver reported for one schedule."""

    steps: list[tuple[int, str, Any]]       # (thread, model label, value in the model's terms)
    results: list[list[Any]]                # per thread, per operation
    schedule: list[int]                     # the schedule Go followed (completed round-robin)
    error: str = ""


def _ops(world_threads: Sequence[Sequence[str]], tokens: dict[tuple[int, int], Any]) -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = []
    for tid, ops in enumerate(world_threads):
        row: list[dict[str, Any]] = []
        for j, w in enumerate(ops):
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
        return {"target": target, "size": params.size, "start": params.start_index, "init_size": params.init_size,
                "limit": limit if limit is not None else params.limit, "threads": _ops(scenario, tokens),
                "schedule": list(schedule),
                "skip": [h.id for h in HOOKS if h.label in DEAD.get(self.mutant or "", ())]}

    def run_many(self, requests: Sequence[dict[str, Any]]) -> list[GoRun]:
        """Send ``requests`` (pipelined) and return one GoRun per request."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        out: list[GoRun] = []
        for i in range(0, len(requests), 64):
            chunk = requests[i:i + 64]
            try:
                self.proc.stdin.write("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in chunk))
                self.proc.stdin.flush()
            except OSError as e:
                raise self._died(f"stopped reading ({e})") from None
            for _ in chunk:
                line = self.proc.stdout.readline()
                if not line:
                    raise self._died("died")
                d = json.loads(line)
                steps = [(int(t), _LABEL_OF[int(h)], v) for t, h, v in d.get("steps") or []]
                out.append(GoRun(steps, d.get("results") or [], d.get("schedule") or [], d.get("error") or ""))
            self.runs += len(chunk)
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


def model_steps(k: Kernel) -> list[tuple[int, str, Any]]:
    """The model's hooked steps as (thread, label, value) in the Go driver's terms."""
    out: list[tuple[int, str, Any]] = []
    for s in k.trace:
        h = _BY_LABEL.get(s.label)
        if h is None:
            continue
        if s.kind == "CompareAndSwap":
            old, new = s.value
            out.append((s.tid, s.label, [old, new, bool(s.result)]))
        else:
            out.append((s.tid, s.label, _model_value(s.value)))
    return out


def _canon(steps: list[tuple[int, str, Any]]) -> list[tuple[int, str, Any]]:
    """Chain pointers renamed d1, d2, ... in order of first appearance (addresses never agree, identities must)."""
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
        if _BY_LABEL[label].ptr:
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


def compare_runs(target: str, scenario: str, params: Params, k: Kernel, nthreads: int, go: GoRun) -> Comparison:
    ms, gs = _canon(model_steps(k)), _canon(go.steps)
    mr = model_results(k, nthreads)
    sched = list(k.schedule)

    def mm(step: int | None, a: Any, b: Any, what: str) -> Comparison:
        return Comparison(ReplayMismatch(target, scenario, params, sched, step, a, b, what), len(ms), ms, gs, mr,
                          go.results, k)

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
    return Comparison(None, len(ms), ms, gs, mr, go.results, k)


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
