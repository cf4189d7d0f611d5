"""The step-level concurrency kernel.

Threads are lists of operations; an operation is a generator (a model
function such as ``PoolDequeue.pop_tail``) that yields Effects. The kernel owns
memory, performs each effect (model/memory.py), records the step in the trace,
tracks happens-before (model/hb.py) and asks a Scheduler which thread moves
next. A scheduling point precedes every non-silent effect; silent effects run
on as part of the step before them.

Run modes: ``run_sequential`` (each operation to its end, thread by thread),
``run_schedule`` (an explicit list of thread ids: replay), ``run`` with any
Scheduler (Hypothesis-drawn, PCT), and ``step`` for engines that drive it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from model.effects import (
    ADD,
    ALLOC,
    CAS,
    INDEX,
    KIND_NAMES,
    LOCK,
    PIN,
    READ,
    STARTW,
    STORE,
    STW,
    UNLOCK,
    UNPIN,
    WRITE,
    Effect,
    Gen,
    GoPanic,
)
from model.hb import HBTracker, Race
from model.memory import WORLD, Fault, access_name, apply, enabled, location_name, new_memory

__all__ = ["Op", "Step", "OpRecord", "FaultRecord", "Kernel", "Scheduler", "RoundRobin", "ScheduleError"]


@dataclass(frozen=True)
class Op:
    """One operation of a thread's program: its scenario name, argument, and model call."""

    name: str
    arg: Any
    start: Callable[[], Gen[Any]]


@dataclass(frozen=True)
class Step:
    """One performed effect."""

    index: int
    tid: int
    op: int               # index of the operation in the thread's program
    op_name: str
    label: str            # the Go statement modelled
    kind: str             # effect kind, e.g. "CompareAndSwap"
    addr: int
    location: str
    value: Any            # value read or written (CAS: (old, new))
    result: Any           # what the effect returned to the thread
    silent: bool
    writes: tuple[tuple[int, Any], ...]  # cells changed, as (addr, new value)
    returned: Any = None  # the operation's return value, on its last step
    op_done: bool = False


@dataclass
class OpRecord:
    """An operation in the history: call and return step indices (real-time order)."""

    tid: int
    seq: int
    name: str
    arg: Any
    call: int             # step index of the first access (-1 until it happens)
    ret: int | None = None
    result: Any = None
    epoch_call: int = 0   # completed GCs when the operation began (pool target)
    epoch_ret: int = 0    # completed GCs when it returned
    epoch_unpin: int | None = None  # completed GCs at its last procUnpin (when a Put/Get left the pool section)


@dataclass(frozen=True)
class FaultRecord:
    prop: str
    message: str
    tid: int
    step: int


class ScheduleError(ValueError):
    """A schedule names a thread that cannot move."""


class Scheduler(Protocol):
    def choose(self, enabled: Sequence[int], kernel: Kernel) -> int: ...


class RoundRobin:
    """Picks the enabled thread after the last one chosen."""

    def __init__(self) -> None:
        self.last = -1

    def choose(self, enabled: Sequence[int], kernel: Kernel) -> int:
        for t in enabled:
            if t > self.last:
                self.last = t
                return t
        self.last = enabled[0]
        return enabled[0]


@dataclass
class _Thread:
    tid: int
    ops: list[Op]
    op_index: int = 0
    gen: Gen[Any] | None = None
    pending: Effect | None = None
    record: OpRecord | None = None
    results: list[Any] = field(default_factory=list)  # results sent into the current op
    crashed: bool = False

    @property
    def done(self) -> bool:
        return self.crashed or (self.op_index >= len(self.ops) and self.gen is None)


class Kernel:
    """Memory, threads, trace, history and the race tracker of one execution."""

    def __init__(self, mem: list[Any] | None = None, track_races: bool = True, record_trace: bool = True) -> None:
        self.record_trace = record_trace
        self._nsteps = 0
        self.mem: list[Any] = mem if mem is not None else new_memory()
        self.threads: list[_Thread] = []
        self.trace: list[Step] = []
        self.history: list[OpRecord] = []
        self.faults: list[FaultRecord] = []
        self.schedule: list[int] = []
        self._track = track_races
        self.hb: HBTracker | None = None
        self.epoch_addr: int | None = None

    # -- setup ---------------------------------------------------------
    def setup(self, gen: Gen[Any]) -> Any:
        """Run a generator to completion outside any thread (initialisation; not traced)."""
        try:
            eff = next(gen)
            while True:
                eff = gen.send(apply(self.mem, eff, -1))
        except StopIteration as stop:
            return stop.value

    def spawn(self, ops: Sequence[Op]) -> int:
        tid = len(self.threads)
        self.threads.append(_Thread(tid, list(ops)))
        return tid

    # -- stepping ------------------------------------------------------
    def _advance(self, th: _Thread, value: Any, first: bool) -> None:
        """Feed ``value`` to th's generator until it yields an effect or its ops run out."""
        while True:
            if th.gen is None:
                if th.op_index >= len(th.ops):
                    th.pending = None
                    return
                op = th.ops[th.op_index]
                th.gen = op.start()
                th.results = []
                th.record = OpRecord(th.tid, th.op_index, op.name, op.arg, call=-1)
                self.history.append(th.record)
                first, value = True, None
            try:
                eff = next(th.gen) if first else th.gen.send(value)
                th.pending = eff
                return
            except StopIteration as stop:
                self._finish(th, stop.value)
                first = True
            except GoPanic as panic:
                self._crash(th, "G1", f"panic in {th.ops[th.op_index].name}: {panic}")
                return

    def _finish(self, th: _Thread, value: Any) -> None:
        assert th.record is not None
        if th.record.call < 0:  # an operation with no shared access
            th.record.call = self.nsteps
            th.record.epoch_call = self._epoch()
        th.record.ret = max(self.nsteps - 1, th.record.call)
        th.record.result = value
        th.record.epoch_ret = self._epoch()
        if self.trace and self.trace[-1].tid == th.tid and self.trace[-1].index >= th.record.call:
            last = self.trace[-1]
            self.trace[-1] = Step(**{**last.__dict__, "returned": value, "op_done": True})
        th.gen = None
        th.op_index += 1

    def _epoch(self) -> int:
        """Completed GCs so far (the runtime's numgc cell; 0 without a runtime).

        DEVIATION: a read outside the model's effects, no Go statement: the
        kernel stamps each operation with it (epoch_call at its first step,
        epoch_ret at its return, epoch_unpin at each procUnpin) for the
        checks that date objects by GC (P3, P6). It is never a scheduling
        point and is invisible to the race tracker.
        """
        return int(self.mem[self.epoch_addr]) if self.epoch_addr is not None else 0

    def _crash(self, th: _Thread, prop: str, message: str) -> None:
        th.crashed = True
        th.gen = None
        th.pending = None
        self.faults.append(FaultRecord(prop, message, th.tid, self.nsteps - 1))

    def _ensure_started(self) -> None:
        if self.hb is None and self._track:
            self.hb = HBTracker(max(1, len(self.threads)))
        for th in self.threads:
            if th.pending is None and not th.done:
                self._advance(th, None, True)

    def enabled(self) -> list[int]:
        """Threads that can take a step now."""
        self._ensure_started()
        return [th.tid for th in self.threads
                if th.pending is not None and enabled(self.mem, th.pending, th.tid)]

    def finished(self) -> bool:
        return all(th.done for th in self.threads)

    def deadlocked(self) -> bool:
        return not self.finished() and not self.enabled()

    def pending(self, tid: int) -> Effect | None:
        self._ensure_started()
        return self.threads[tid].pending

    def step(self, tid: int) -> None:
        """Let ``tid`` perform its pending effect and every silent effect after it."""
        self._ensure_started()
        th = self.threads[tid]
        if th.pending is None or not enabled(self.mem, th.pending, tid):
            raise ScheduleError(f"thread {tid} cannot move now")
        self.schedule.append(tid)
        while True:
            eff = th.pending
            assert eff is not None
            try:
                result = self._perform(th, eff)
            except Fault as f:
                self._crash(th, f.prop, f.message)
                return
            th.results.append(result)
            op_before = th.op_index
            self._advance(th, result, False)
            nxt = th.pending
            # A new operation's first effect is always a scheduling point.
            if nxt is None or th.op_index != op_before or not nxt.silent:
                return

    def _writes(self, eff: Effect, result: Any, before_len: int) -> tuple[tuple[int, Any], ...]:
        mem, k, a = self.mem, eff.kind, eff.addr
        if k in (STORE, ADD, UNPIN, LOCK, UNLOCK) or (k == CAS and result):
            return ((a, mem[a]),)
        if k == WRITE:
            return tuple((a + i, v) for i, v in enumerate(eff.a))
        if k == ALLOC:
            return tuple((i, mem[i]) for i in range(before_len, len(mem)))
        if k == PIN:
            c = eff.b[1] + result
            return ((c, mem[c]),)
        if k in (STW, STARTW):
            return ((WORLD, mem[WORLD]),)
        return ()

    def _perform(self, th: _Thread, eff: Effect) -> Any:
        assert th.record is not None
        if th.record.call < 0:  # the invocation is the operation's first step
            th.record.call = self.nsteps
            th.record.epoch_call = self._epoch()
        before_len = len(self.mem)
        result = apply(self.mem, eff, th.tid)
        k = eff.kind
        value: Any
        if k == WRITE:
            value = eff.a[0] if len(eff.a) == 1 else eff.a
        elif k == STORE:
            value = eff.a
        elif k == CAS:
            value = (eff.a, eff.b)
        else:
            value = result
        idx = self.nsteps
        loc_addr = eff.b[1] + result if k == PIN else result if k == INDEX else eff.addr
        # Named only when recorded (the hot path of a search records nothing): two words are a whole eface.
        loc = (access_name(self.mem, loc_addr, (eff.a if k == READ else len(eff.a)) if k in (READ, WRITE) else 1)
               if loc_addr >= 0 and self.record_trace else "")
        if self.record_trace:
            self.trace.append(Step(idx, th.tid, th.op_index, th.record.name, eff.label, KIND_NAMES[k],
                                   eff.addr, loc, value, result, eff.silent, self._writes(eff, result, before_len)))
        else:
            self._nsteps += 1
        if k == UNPIN:
            th.record.epoch_unpin = self._epoch()
        if self.hb is not None:
            self.hb.observe(th.tid, eff, idx, result, loc)
        return result

    # -- run modes -----------------------------------------------------
    def run(self, scheduler: Scheduler, max_steps: int = 100_000) -> None:
        """Run until every thread is done (or deadlocked) under ``scheduler``."""
        for _ in range(max_steps):
            en = self.enabled()
            if not en:
                return
            self.step(scheduler.choose(en, self))
        raise RuntimeError(f"execution exceeded {max_steps} steps (a livelock in the model?)")

    def run_schedule(self, schedule: Sequence[int], complete: bool = True) -> None:
        """Follow ``schedule`` exactly; then, if ``complete``, finish round-robin.

        A schedule entry naming a thread that cannot move raises ScheduleError.
        """
        for tid in schedule:
            if not 0 <= tid < len(self.threads):
                raise ScheduleError(f"schedule names thread {tid}, but there are {len(self.threads)} threads")
            if tid not in self.enabled():
                raise ScheduleError(f"schedule step {len(self.schedule)}: thread {tid} cannot move now")
            self.step(tid)
        if complete:
            self.run(RoundRobin())

    def run_sequential(self) -> None:
        """Each thread runs all its operations to the end, in thread order."""
        for th in self.threads:
            while not th.done:
                if th.tid not in self.enabled():
                    raise ScheduleError(f"thread {th.tid} blocks when run sequentially")
                self.step(th.tid)

    def run_op(self, tid: int) -> Any:
        """Run thread ``tid``'s next operation alone to its end; return its result."""
        th = self.threads[tid]
        target = th.op_index
        self._ensure_started()
        rec = th.record if th.record is not None and th.record.seq == target and th.record.ret is None else None
        while not th.done and th.op_index == target:
            self.step(tid)
        if rec is None:  # the operation finished while starting (no shared access)
            for r in reversed(self.history):
                if r.tid == tid and r.seq == target:
                    return r.result
            return None
        return rec.result

    # -- results -------------------------------------------------------
    @property
    def nsteps(self) -> int:
        return len(self.trace) if self.record_trace else self._nsteps

    @property
    def races(self) -> list[Race]:
        return self.hb.races if self.hb is not None else []

    def location(self, addr: int) -> str:
        return location_name(self.mem, addr)

    def format_trace(self, silent: bool = True) -> str:
        """The trace as text: one line per step with thread, operation, Go statement, location and value."""
        lines = []
        for s in self.trace:
            if s.silent and not silent:
                continue
            ret = f"  -> {s.returned!r}" if s.op_done else ""
            lines.append(f"{s.index:>4}  T{s.tid} {s.op_name:<8} {s.label:<70} {s.location:<18} {s.value!r}{ret}")
        return "\n".join(lines)
