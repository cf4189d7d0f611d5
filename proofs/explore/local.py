"""Thread-local states of the explorer, each computed once.

A model thread is a deterministic generator: given the results the kernel
sent into its current operation, its next effect is fixed. So a thread's
local state is the key ``(class, op, results)``:

- ``class``      which program the thread runs (threads with identical
                 programs share a class, which is what thread symmetry needs);
- ``op``         the index of the current operation in the program;
- ``results``    the results sent into the current operation so far.

What finished operations returned does not influence the thread's future,
so it is not part of the key: the search keeps the history in its global
ghost state instead (a multiset, which is all the terminal checks need),
and threads that differ only in what they returned earlier share one lid.

With ``liveness=True`` (part of the explorer's reduction) the key is
instead ``(class, op, pending effect, live frame state)``: the generator
chain's code positions and live local variables (proofs/explore/liveness.py),
so that states differing only in dead results share a lid. Where the frame
state cannot be keyed safely (values hidden on a frame's stack), the
results key is used. Either way a lid keeps one *representative* results
tuple, replayed to compute its successors.

Every distinct key gets a small integer id (a *lid*) the first time it is
reached. Its pending effect is computed by replaying a fresh generator with
those results (model threads have no other state), and the transition "lid
receives result r" is memoised in ``succ[lid]``. So the search never copies
or clones a generator, and the replay cost is paid once per local state,
not once per global state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from model.effects import Effect, GoPanic
from model.kernel import Op
from proofs.explore.liveness import frame_key

__all__ = ["LocalTable", "Ret", "Panic", "Outcome"]


class Ret:
    """The operation returned ``value`` after the effect (the thread needs an epoch to go on)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Panic:
    """The operation raised a Go panic (G1) after the effect."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


Outcome = int | Ret | Panic
"""What ``outcome(lid, result)`` gives: the next lid within the operation, a return, or a panic."""

Key = tuple[Any, ...]


class LocalTable:
    """Interned thread-local states and their memoised transitions.

    Parallel lists indexed by lid (lists rather than objects: the search reads
    them in its inner loop):

    ``eff[lid]``      the pending effect, or None when the thread is finished;
    ``succ[lid]``     result -> Outcome, filled on demand;
    ``started[lid]``  the current operation has performed an effect (it is in flight);
    ``op[lid]``       index of the current operation in the thread's program;
    ``cls[lid]``      the thread's program class;
    ``prev[lid]``     the lid this one was reached from within the operation (-1 at its start);
    ``reps[lid]``     the representative results tuple (replayed to compute successors);
    ``keys[lid]``     the key itself.

    ``on_new(lid)`` is called for every new lid, so that an engine can keep
    its own per-lid facts (flags, footprints) in lists of the same length.
    """

    def __init__(self, programs: Sequence[Sequence[Op]], on_new: Callable[[int], None] | None = None,
                 liveness: bool = False) -> None:
        self.programs = [list(p) for p in programs]
        self.on_new = on_new
        self.liveness = liveness
        self.reps: list[tuple[Any, ...]] = []
        self.keys: list[Key] = []
        self.eff: list[Effect | None] = []
        self.succ: list[dict[Any, Outcome]] = []
        self.started: list[bool] = []
        self.op: list[int] = []
        self.cls: list[int] = []
        self.prev: list[int] = []
        self._index: dict[Key, int] = {}
        self._begun: dict[tuple[int, int], tuple[tuple[tuple[int, Any], ...], int] | Panic] = {}
        self.replays = 0

    def __len__(self) -> int:
        return len(self.keys)

    # -- construction --------------------------------------------------
    def _intern(self, cls: int, op: int, results: tuple[Any, ...], eff: Effect | None, fkey: Any,
                prev: int) -> int:
        key: Key = ("L", cls, op, eff, fkey) if fkey is not None else ("R", cls, op, results)
        lid = self._index.get(key)
        if lid is not None:
            return lid
        lid = len(self.keys)
        self._index[key] = lid
        self.keys.append(key)
        self.reps.append(results)
        self.eff.append(eff)
        self.succ.append({})
        self.started.append(bool(results))
        self.op.append(op)
        self.cls.append(cls)
        self.prev.append(prev)
        if self.on_new is not None:
            self.on_new(lid)
        return lid

    def _replay(self, cls: int, op: int, results: tuple[Any, ...]) -> tuple[Effect | Ret | Panic, Any]:
        """Run operation ``op`` of program ``cls`` from its start, sending ``results``.

        Returns what it did next and, for an effect under ``liveness``, the
        live frame key (None: key by results).
        """
        self.replays += 1
        operation = self.programs[cls][op]
        gen = operation.start()
        try:
            eff: Effect = next(gen)
            for r in results:
                eff = gen.send(r)
        except StopIteration as stop:
            return Ret(stop.value), None
        except GoPanic as panic:
            return Panic(f"panic in {operation.name}: {panic}"), None
        fkey = frame_key(gen) if self.liveness else None  # type: ignore[arg-type]
        gen.close()
        return eff, fkey

    def begin(self, cls: int, op: int) -> tuple[tuple[tuple[int, Any], ...], int] | Panic:
        """A thread of ``cls`` about to begin operation ``op``: ``(returned, lid)`` (memoised).

        Operations that return without any effect (Put(nil)) complete here, as
        the kernel completes them without a scheduling point: ``returned``
        lists them as (operation index, value); ``lid`` is the first operation
        with an effect (or the finished thread).
        """
        memo = self._begun.get((cls, op))
        if memo is not None:
            return memo
        prog = self.programs[cls]
        returned: list[tuple[int, Any]] = []
        j = op
        out: tuple[tuple[tuple[int, Any], ...], int] | Panic
        while True:
            if j >= len(prog):
                out = (tuple(returned), self._intern(cls, j, (), None, None, -1))
                break
            nxt, fkey = self._replay(cls, j, ())
            if isinstance(nxt, Effect):
                out = (tuple(returned), self._intern(cls, j, (), nxt, fkey, -1))
                break
            if isinstance(nxt, Panic):
                out = nxt
                break
            returned.append((j, nxt.value))
            j += 1
        self._begun[(cls, op)] = out
        return out

    def crashed(self, cls: int) -> int:
        """A finished lid for a thread of ``cls`` whose first operation panicked before any effect."""
        return self._intern(cls, len(self.programs[cls]), ("crashed",), None, None, -1)

    # -- transitions ---------------------------------------------------
    def outcome(self, lid: int, result: Any) -> Outcome:
        """What the thread at ``lid`` does after its pending effect returned ``result`` (memoised)."""
        memo = self.succ[lid]
        out = memo.get(result)
        if out is not None:
            return out
        cls, op = self.cls[lid], self.op[lid]
        results = self.reps[lid] + (result,)
        nxt, fkey = self._replay(cls, op, results)
        out = self._intern(cls, op, results, nxt, fkey, lid) if isinstance(nxt, Effect) else nxt
        memo[result] = out
        return out

    # -- decoding ------------------------------------------------------
    def results(self, lid: int) -> tuple[Any, ...]:
        return self.reps[lid]

    def op_effects(self, lid: int) -> list[tuple[Effect, Any]]:
        """The (effect, result) pairs the current operation has performed so far, oldest first."""
        out: list[tuple[Effect, Any]] = []
        cur = lid
        while self.prev[cur] >= 0:
            p = self.prev[cur]
            eff = self.eff[p]
            assert eff is not None
            out.append((eff, self.reps[cur][-1]))
            cur = p
        out.reverse()
        return out
