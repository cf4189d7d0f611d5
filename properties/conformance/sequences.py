"""Sequential operation sequences for the differential tests, and their Hypothesis strategies.

An ``OpSeq`` is a target (``dequeue``, ``chain`` or ``pool``), its set-up
(ring size and start index; New or not) and a list of operations. Strategies
build sequences out of *phases* (a run of one kind of operation, or a mixed
run), so that a dequeue fills up and wraps, a chain grows through several
dequeues (8, 16, 32, 64, ...) and drains again, and a pool sees several GCs in
a row, while Hypothesis can still shrink a failure to a few operations.

Pool ``put`` takes a fresh object (labels 1, 2, ...), Go's nil, or
``Held(i)``: an object an earlier Get returned, chosen when the sequence runs
(``resolve`` in differential.py), so objects travel through the pool more
than once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

__all__ = ["Held", "OpSeq", "QUEUE_OPS", "POOL_OPS", "dequeue_sequences", "chain_sequences", "pool_sequences",
           "sequences", "render_op", "START_NEAR_WRAP"]

QUEUE_OPS = ("pushHead", "popHead", "popTail")
POOL_OPS = ("put", "get", "gc")

# Go's own TestPoolDequeue starts at 2^32 - 500; we start closer still, so
# short sequences already wrap the 32-bit indices.
START_NEAR_WRAP = (1 << 32) - 40


@dataclass(frozen=True)
class Held:
    """``put`` of the i-th object (modulo their number) the caller holds from earlier Gets; a fresh one if none."""

    i: int


@dataclass(frozen=True)
class OpSeq:
    """One sequence: ``ops`` are (name, arg) with arg the value pushed/put (None: Go's nil) or None."""

    target: str
    ops: tuple[tuple[str, Any], ...]
    size: int = 8            # dequeue: len(vals)
    start: int = 0           # dequeue: initial head = tail
    with_new: bool = False   # pool: Pool.New set

    def setup(self) -> str:
        if self.target == "dequeue":
            return f"new dequeue size={self.size} start={self.start}"
        if self.target == "chain":
            return "new chain"
        return f"new pool{' with New' if self.with_new else ''}"

    def __str__(self) -> str:
        return "; ".join([self.setup()] + [render_op(op, arg) for op, arg in self.ops])


def render_op(op: str, arg: Any) -> str:
    """``pushHead 3``, ``pushHead nil``, ``popTail``, ``put 2``, ``put held#1``, ``get``, ``gc``."""
    if op in ("pushHead", "put"):
        if arg is None:
            return f"{op} nil"
        if isinstance(arg, Held):
            return f"{op} held#{arg.i}"
        return f"{op} {arg}"
    return op


# -- strategies -------------------------------------------------------------
def _queue_ops(draw: st.DrawFn, kinds: list[str], max_count: int, max_phases: int, max_ops: int) -> list[tuple[str, Any]]:
    phases = draw(st.lists(st.tuples(st.sampled_from(kinds), st.integers(1, max_count)), min_size=1,
                           max_size=max_phases))
    ops: list[tuple[str, Any]] = []
    token = 0

    def push(nil: bool) -> None:
        nonlocal token
        if nil:
            ops.append(("pushHead", None))
        else:
            token += 1
            ops.append(("pushHead", token))

    for kind, count in phases:
        if kind == "mixed":
            for word in draw(st.lists(st.sampled_from(["push", "pop", "tail", "nil"]), min_size=count,
                                      max_size=count)):
                if word in ("push", "nil"):
                    push(word == "nil")
                else:
                    ops.append(("popHead" if word == "pop" else "popTail", None))
        else:
            for _ in range(count):
                if kind in ("push", "nil"):
                    push(kind == "nil")
                else:
                    ops.append(("popHead" if kind == "pop" else "popTail", None))
        if len(ops) >= max_ops:
            break
    return ops[:max_ops]


@st.composite
def dequeue_sequences(draw: st.DrawFn, max_ops: int = 80) -> OpSeq:
    """A standalone poolDequeue: size 1..16, start at 0, near 2^32 or anywhere; fills, wraps, drains."""
    size = draw(st.sampled_from([4, 1, 2, 8, 16]))
    # Near the wrap first (what shrinking prefers): 1..3*size below 2^32, so
    # a few pushes already carry head past 2^32 while tail has not.
    start = draw(st.one_of(st.integers(1, 3 * size + 2).map(lambda k: (1 << 32) - k), st.just(0),
                           st.integers(START_NEAR_WRAP, (1 << 32) - 1), st.integers(0, (1 << 32) - 1)))
    ops = _queue_ops(draw, ["push", "mixed", "tail", "pop", "nil"], 2 * size + 2, 10, max_ops)
    return OpSeq("dequeue", tuple(ops), size=size, start=start)


@st.composite
def chain_sequences(draw: st.DrawFn, max_ops: int = 400) -> OpSeq:
    """A poolChain: runs of up to 72 pushes grow it through dequeues of 8, 16, 32, 64, ...; pops drain and drop them."""
    ops = _queue_ops(draw, ["push", "mixed", "tail", "pop", "push", "nil"], 72, 10, max_ops)
    return OpSeq("chain", tuple(ops))


@st.composite
def pool_sequences(draw: st.DrawFn, max_ops: int = 200) -> OpSeq:
    """A sync.Pool with one P: puts of fresh or held objects (and nil), gets, and runs of GCs."""
    with_new = draw(st.booleans())
    phases = draw(st.lists(st.tuples(st.sampled_from(["put", "mixed", "get", "gc", "putback", "nil"]),
                                     st.integers(1, 24)), min_size=1, max_size=12))
    ops: list[tuple[str, Any]] = []
    label = 0

    def put_fresh() -> None:
        nonlocal label
        label += 1
        ops.append(("put", label))

    for kind, count in phases:
        if kind == "gc":
            ops.extend([("gc", None)] * (1 + count % 3))
            continue
        words = draw(st.lists(st.sampled_from(["put", "get", "gc", "putback"]), min_size=count, max_size=count)) \
            if kind == "mixed" else [kind] * count
        for w in words:
            if w == "put":
                put_fresh()
            elif w == "nil":
                ops.append(("put", None))
            elif w == "putback":
                ops.append(("put", Held(draw(st.integers(0, 7)))))
            else:
                ops.append((w, None))
        if len(ops) >= max_ops:
            break
    return OpSeq("pool", tuple(ops[:max_ops]), with_new=with_new)


def sequences(target: str) -> st.SearchStrategy[OpSeq]:
    """The strategy for ``target`` (dequeue, chain or pool)."""
    if target == "dequeue":
        return dequeue_sequences()
    if target == "chain":
        return chain_sequences()
    if target == "pool":
        return pool_sequences()
    raise ValueError(f"unknown conformance target {target!r}: use dequeue, chain or pool")
