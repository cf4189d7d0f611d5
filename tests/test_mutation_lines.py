"""Each built-in mutant differs from the reference only at its ``# MUTATION:`` lines.

A mutant is a copy of one reference function with one change (DESIGN.md,
model/variants/*_mutants.py). A copy drifts when the reference is edited and
the copy is not: then the mutant tests a second, unmarked change too. This
test compares every function a mutant overrides with the reference function of
the same name, line by line after normalising (comments, docstrings and
formatting dropped; nesting kept), and fails on any differing line that is not
marked.

What counts as marked:
- a statement carrying a trailing ``# MUTATION:`` comment;
- the statements directly under a ``# MUTATION:`` comment block (the comment
  and the comment lines that continue it), up to the next blank line, the
  next comment line or the end of the enclosing block;
- a reference statement the mutant deletes, if the deletion is where a
  ``# MUTATION:`` comment block stands (a deletion is written as the comment
  followed by a blank line), or if the mutant moved it to a marked line.
A block must end at its change: one that runs on over unchanged statements
(which it would excuse from this test) is reported too.
"""

from __future__ import annotations

import difflib
import inspect
import io
import textwrap
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from model import pool as ref_pool
from model.effects import Gen, atomic_cas, atomic_load, atomic_store, plain_read, plain_write
from model.params import Params
from model.pool import POOL_VICTIM, POOL_VICTIM_SIZE
from model.poolqueue import EFACE_WORDS, SLOT_VAL, TYP_NIL, PoolDequeue, Value
from model.variants import registry
from model.variants.base import Model

MARK = "# MUTATION:"
# The handles a variant may replace, and the model-level hooks (base.Model's
# overridable methods); pool_cleanup's reference body is model/pool.py's.
HANDLES = ("PoolDequeue", "PoolChain", "Pool")
HOOKS = ("pool_cleanup", "pool_fields", "dequeue_limit", "gc_needs_unpinned")


@dataclass(frozen=True)
class Stmt:
    """One logical line of a function body: its normalised text and where it starts."""

    text: str
    line: int      # first physical line, 1-based, in the dedented source
    marked: bool


@dataclass(frozen=True)
class Block:
    """A ``# MUTATION:`` comment block: where it starts and the statements it marks."""

    line: int
    end: int                 # its last comment line
    scope: tuple[int, ...]   # indices into Body.stmts


@dataclass(frozen=True)
class Body:
    stmts: tuple[Stmt, ...]
    deletion_gaps: frozenset[int]   # i: a MUTATION block stands just before stmts[i] (len: at the end)
    blocks: tuple[Block, ...]


def _source(fn: Callable[..., Any]) -> str:
    return textwrap.dedent(inspect.getsource(inspect.unwrap(fn)))


def _mark_blocks(lines: list[str]) -> list[tuple[int, int, set[int]]]:
    """Each MUTATION comment block: its first and last line and the physical lines it marks (1-based)."""
    blocks: list[tuple[int, int, set[int]]] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped.startswith(MARK):
            i += 1
            continue
        indent = len(lines[i]) - len(lines[i].lstrip())
        j = i + 1
        while j < len(lines) and lines[j].strip().startswith("#"):
            j += 1                                   # the block's continuation lines
        marked: set[int] = set()
        blocks.append((i + 1, j, marked))            # j: the 1-based number of the block's last line
        k = j
        while k < len(lines):
            s = lines[k].strip()
            if not s or s.startswith("#"):
                break
            ind = len(lines[k]) - len(lines[k].lstrip())
            if ind < indent and not s.startswith((")", "]", "}")):
                break
            marked.add(k + 1)
            k += 1
        i = j
    return blocks


def _is_docstring(text: str) -> bool:
    toks = [t for t in tokenize.generate_tokens(io.StringIO(text.strip() + "\n").readline)
            if t.type not in (tokenize.NEWLINE, tokenize.ENDMARKER)]
    return len(toks) == 1 and toks[0].type == tokenize.STRING


def body(fn: Callable[..., Any]) -> Body:
    """The normalised statements of fn's body (the def line and the docstring left out)."""
    src = _source(fn)
    lines = src.splitlines()
    marks = _mark_blocks(lines)
    marked_lines = set().union(*(m for _, _, m in marks))
    stmts: list[tuple[str, int, bool]] = []
    depth = 0
    cur: list[str] = []
    start = 0
    trailing_mark = False
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.INDENT:
            depth += 1
        elif tok.type == tokenize.DEDENT:
            depth -= 1
        elif tok.type == tokenize.COMMENT:
            if tok.string.startswith(MARK) and cur:
                trailing_mark = True
        elif tok.type in (tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER):
            pass
        elif tok.type == tokenize.NEWLINE:
            if cur:
                stmts.append(("  " * depth + " ".join(cur), start, trailing_mark or start in marked_lines))
            cur, trailing_mark = [], False
        else:
            if not cur:
                start = tok.start[0]
            cur.append(tok.string)
    # Drop decorators and the def line (up to the first statement of depth 1), then a docstring.
    first = next(i for i, s in enumerate(stmts) if s[0].startswith("  "))
    out = stmts[first:]
    if out and _is_docstring(out[0][0]):
        out = out[1:]
    result = tuple(Stmt(t, ln, m) for t, ln, m in out)
    gaps: set[int] = set()
    blocks: list[Block] = []
    for first_line, end, scope in marks:
        # the statement the block stands before (a block after the last statement: the end)
        gaps.add(next((i for i, s in enumerate(result) if s.line > end), len(result)))
        blocks.append(Block(first_line, end, tuple(i for i, s in enumerate(result) if s.line in scope)))
    return Body(result, frozenset(gaps), tuple(blocks))


def unmarked_differences(mutant: Callable[..., Any], reference: Callable[..., Any]) -> list[str]:
    """Every difference between the two bodies that no MUTATION comment marks, as readable lines."""
    m, r = body(mutant), body(reference)
    mt, rt = [s.text for s in m.stmts], [s.text for s in r.stmts]
    problems: list[str] = []
    moved_in = {s.text for s in m.stmts if s.marked}
    sm = difflib.SequenceMatcher(a=rt, b=mt, autojunk=False)
    changed: set[int] = set()   # mutant statements that differ, or that a deletion directly follows
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        changed.update(range(j1, j2))
        if op == "delete" and j1 > 0:
            changed.add(j1 - 1)
        for s in m.stmts[j1:j2]:
            if not s.marked:
                problems.append(f"line {s.line} of the mutant differs from the reference, unmarked: {s.text.strip()}")
        if op != "delete" or j1 in m.deletion_gaps:
            continue   # a replaced line is reported once, as the mutant's line that replaces it
        for s in r.stmts[i1:i2]:
            if s.text not in moved_in:
                problems.append(f"the mutant lost reference line {s.line} without a {MARK} comment there: "
                                f"{s.text.strip()}")
    # A block must not reach past its change: unchanged lines after it would be excused from this test.
    for b in m.blocks:
        # (the body of a changed `if`/`for` header may be unchanged: only the block's outermost statements count)
        outer = [i for i in b.scope if _depth(m.stmts[i]) == min(_depth(m.stmts[j]) for j in b.scope)]
        if outer and outer[-1] not in changed:
            problems.append(f"the {MARK} comment at line {b.line} also marks unchanged lines (up to line "
                            f"{m.stmts[b.scope[-1]].line}): end its block with a blank line after the changed lines")
    return problems


def _depth(s: Stmt) -> int:
    return len(s.text) - len(s.text.lstrip(" "))


def _reference_for(handle: str | None, name: str) -> Callable[..., Any] | None:
    if handle is None:
        if name == "pool_cleanup":
            return ref_pool.pool_cleanup
        return getattr(Model, name, None)
    return getattr(getattr(Model, handle), name, None)


def overrides(variant: type[Model]) -> Iterator[tuple[str, Callable[..., Any], Callable[..., Any] | None]]:
    """(where, mutant function, reference function or None) for every function the variant replaces."""
    for handle in HANDLES:
        cls = getattr(variant, handle)
        if cls is getattr(Model, handle):
            continue
        for klass in cls.__mro__:
            if klass is getattr(Model, handle):
                break
            for name, attr in vars(klass).items():
                fn = attr.__func__ if isinstance(attr, (staticmethod, classmethod)) else attr
                if inspect.isfunction(fn):
                    yield f"{klass.__qualname__}.{name}", fn, _reference_for(handle, name)
    for name in HOOKS:
        attr = inspect.getattr_static(variant, name)
        if attr is inspect.getattr_static(Model, name):
            continue
        yield f"{variant.__qualname__}.{name}", attr.__func__, _reference_for(None, name)


def check(variant: type[Model]) -> list[str]:
    problems: list[str] = []
    for where, fn, ref in overrides(variant):
        if ref is None:
            problems.append(f"{where}: no reference function of that name to compare with")
            continue
        problems += [f"{where}: {p}" for p in unmarked_differences(fn, ref)]
    return problems


MUTANTS = sorted((v for v in registry().values() if v.kind == "mutant"), key=lambda v: v.name)


def test_every_mutant_is_checked() -> None:
    # a mutant that replaces no function must carry its MUTATION on a class attribute (two-producers)
    assert len(MUTANTS) >= 20
    replaced = [v.name for v in MUTANTS if any(True for _ in overrides(v))]
    assert set(v.name for v in MUTANTS) - set(replaced) == {"two-producers"}
    assert MARK in inspect.getsource(registry()["two-producers"])


@pytest.mark.parametrize("variant", MUTANTS, ids=lambda v: v.name)
def test_mutant_differs_only_at_mutation_lines(variant: type[Model]) -> None:
    problems = check(variant)
    assert problems == [], "\n".join(problems)


# -- the check itself can fail: synthetic mutants --------------------------------------------------

class _DriftedPopTail(PoolDequeue):
    """popTail with its marked change (typ released before val) and one unmarked drift: ``tail + 1`` unreduced."""

    def pop_tail(self) -> Gen[tuple[Value, bool]]:
        while True:
            ptrs = yield atomic_load(self.head_tail, "poolqueue.go:popTail: ptrs := d.headTail.Load()")
            head, tail = self.unpack(ptrs)
            if tail == head:
                return None, False
            ptrs2 = self.pack(head, tail + 1)
            ok = yield atomic_cas(self.head_tail, ptrs, ptrs2, "poolqueue.go:popTail: d.headTail.CompareAndSwap(ptrs, ptrs2)")
            if ok:
                vals = yield from self._vals("popTail")
                slot = self._slot(vals, tail)
                break
        typ, val = yield plain_read(slot, "poolqueue.go:popTail: val := *(*any)(unsafe.Pointer(slot))", n=EFACE_WORDS)
        if typ == TYP_NIL:
            val = None
        # MUTATION: typ released first.
        yield atomic_store(slot, None, "poolqueue.go:popTail: atomic.StorePointer(&slot.typ, nil)")
        yield plain_write(slot + SLOT_VAL, (None,), "poolqueue.go:popTail: slot.val = nil")

        return val, True


class _Drifted(Model):
    name = "synthetic-drifted"
    layer = "dequeue"
    kind = "mutant"
    description = "a copy of popTail with one marked and one unmarked change"
    expected = ("D7",)
    witness = ("dequeue", "push | tail", Params(size=2))
    PoolDequeue = _DriftedPopTail


class _UnmarkedDeletion(Model):
    name = "synthetic-unmarked-deletion"
    layer = "pool"
    kind = "mutant"
    description = "poolCleanup without its victim drop and without a MUTATION comment"
    expected = ("P3",)

    @staticmethod
    def pool_cleanup(rt: ref_pool.Runtime) -> Gen[None]:
        for p in (yield plain_read(rt.old_pools, "pool.go:poolCleanup: for _, p := range oldPools", silent=True)):
            yield plain_write(p + POOL_VICTIM, (None,), "pool.go:poolCleanup: p.victim = nil", silent=True)
            yield plain_write(p + POOL_VICTIM_SIZE, (0,), "pool.go:poolCleanup: p.victimSize = 0", silent=True)
        all_pools = yield plain_read(rt.all_pools, "pool.go:poolCleanup: oldPools, allPools = allPools, nil",
                                     silent=True)
        yield plain_write(rt.old_pools, (all_pools,), "pool.go:poolCleanup: oldPools, allPools = allPools, nil",
                          silent=True)
        yield plain_write(rt.all_pools, ((),), "pool.go:poolCleanup: oldPools, allPools = allPools, nil", silent=True)


def test_check_catches_an_unmarked_change_next_to_a_marked_one() -> None:
    problems = check(_Drifted)
    # the reordering under the MUTATION comment passes; the unreduced tail + 1 does not
    assert len(problems) == 1, problems
    assert "_DriftedPopTail.pop_tail" in problems[0]
    assert "self . pack ( head , tail + 1 )" in problems[0]
    assert "unmarked" in problems[0]


def test_check_catches_an_unmarked_deletion() -> None:
    problems = check(_UnmarkedDeletion)
    assert problems, "a deleted loop with no MUTATION comment must be reported"
    assert all("lost reference line" in p for p in problems)
    assert any("for p in ( yield plain_read ( rt . all_pools" in p for p in problems)


def test_marked_deletion_passes_and_moved_line_counts_once() -> None:
    def ref() -> Iterator[int]:
        yield 1
        yield 2
        yield 3

    def deleted() -> Iterator[int]:
        yield 1
        # MUTATION: `yield 2` is gone.

        yield 3

    def moved() -> Iterator[int]:
        # MUTATION: 3 first.
        yield 3
        yield 1
        yield 2

    def moved_unmarked() -> Iterator[int]:
        yield 3
        yield 1
        yield 2

    def overmarked() -> Iterator[int]:
        yield 1
        # MUTATION: 2 became 20; the block runs on over the unchanged `yield 3`.
        yield 20
        yield 3

    problems = unmarked_differences(overmarked, ref)
    assert len(problems) == 1 and "also marks unchanged lines" in problems[0], problems
    assert unmarked_differences(deleted, ref) == []
    assert unmarked_differences(moved, ref) == []
    # an unmarked move is reported twice: the line where it appears and the line it left
    assert len(unmarked_differences(moved_unmarked, ref)) == 2
