"""The model's field offsets and departures are written where a reader needs them (issue 13).

- Every cell of a memory block is reached through a named offset (model/poolqueue.py's D_*, C_*, SLOT_*,
  model/pool.py's POOL_*, LOCAL_*, Runtime.*), never ``p + 2``; the names land on the cells they say.
- Each offset declaration carries a comment (the field's invariant).
- Every silent access in the reference model sits in a function that says ``DEVIATION:`` and why.
"""

from __future__ import annotations

import ast
import inspect
import io
import linecache
import re
import tokenize
import types
from pathlib import Path

from model import pool as mpool
from model import poolqueue as mpq
from model.harness import Sequential, new_world
from model.memory import location_name
from model.params import Params

MODEL = Path(mpq.__file__).parent
ADDRESS_NAMES = r"(?:addr|p|l|slot|base|ring|local|locals_|d|d2|c|rt)"
MAGIC = re.compile(rf"\b{ADDRESS_NAMES}\s*\+\s*\d|\b\d\s*\*\s*j\b")


def magic_cell_arithmetic(src: str) -> list[tuple[int, str]]:
    """(line, code) of each ``address + literal`` in src's code, comments and strings left out."""
    out: list[tuple[int, str]] = []
    code_by_line: dict[int, list[str]] = {}
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type in (tokenize.COMMENT, tokenize.STRING, tokenize.NL, tokenize.NEWLINE):
            continue
        code_by_line.setdefault(tok.start[0], []).append(tok.string)
    for line, toks in sorted(code_by_line.items()):
        code = " ".join(toks)
        if MAGIC.search(code):
            out.append((line, code))
    return out


def test_no_magic_cell_arithmetic_in_the_model() -> None:
    files = sorted(MODEL.glob("*.py")) + sorted((MODEL / "variants").glob("*.py"))
    found = {f.name: magic_cell_arithmetic(f.read_text()) for f in files}
    assert {k: v for k, v in found.items() if v} == {}


def test_magic_cell_arithmetic_is_found() -> None:
    src = 'x = 1  # p + 2 in a comment is fine\nself.victim = addr + 2\nlabel = "p + 3"\nreturn base + 2 * j\n'
    assert [line for line, _ in magic_cell_arithmetic(src)] == [2, 4]


def test_pool_offsets_name_their_cells() -> None:
    w = new_world("pool", Params(gomaxprocs=2))
    assert w.rt is not None
    p = w.cfg.pool(w.root, w.rt, 0)
    names = {a: location_name(w.mem0, a) for a in (p.local, p.local_size, p.victim, p.victim_size)}
    assert list(names.values()) == ["p.local", "p.localSize", "p.victim", "p.victimSize"]
    rt = w.rt
    assert [location_name(w.mem0, a) for a in (rt.all_pools_mu, rt.all_pools, rt.old_pools, rt.gomaxprocs,
                                                rt.numgc, rt.pinned, rt.pinned + 1, rt.new_seq)] == [
        "runtime.allPoolsMu", "runtime.allPools", "runtime.oldPools", "runtime.gomaxprocs", "runtime.numgc",
        "runtime.pinned[0]", "runtime.pinned[1]", "runtime.newSeq[0]"]


def test_chain_and_dequeue_offsets_name_their_cells() -> None:
    s = Sequential("chain", Params(init_size=1), threads=1)
    for v in (1, 2):      # the second push grows the chain: two elements, linked by next/prev
        s.call(0, "push", v)
    mem = s.mem
    c = mpq.PoolChain(s.world.root, s.world.cfg)
    assert location_name(mem, c.head).endswith(".head") and location_name(mem, c.tail).endswith(".tail")
    d1 = s.world.cfg.dequeue(mem[c.tail])
    d2 = s.world.cfg.dequeue(mem[c.head])
    assert [location_name(mem, a).split(".", 1)[1] for a in (d1.head_tail, d1.vals_addr, d1.next, d2.prev)] == [
        "headTail", "vals", "next", "prev"]
    assert mem[d1.next] == d2.addr and mem[d2.prev] == d1.addr
    base, n = mem[d2.vals_addr]
    slot = d2._slot(mpq.SliceHeader(base, n), mem[d2.head_tail] & ((1 << d2.bits) - 1))
    assert location_name(mem, slot + mpq.SLOT_TYP).endswith(".typ")
    assert location_name(mem, slot + mpq.SLOT_VAL).endswith(".val")
    # poolLocal: private, then the shared chain's head and tail
    assert mpool.LOCAL_FIELDS[mpool.LOCAL_PRIVATE] == "private"
    assert mpool.LOCAL_FIELDS[mpool.LOCAL_SHARED + mpq.C_HEAD] == "shared.head"
    assert mpool.LOCAL_FIELDS[mpool.LOCAL_SHARED + mpq.C_TAIL] == "shared.tail"


def _offset_declarations(src: str) -> list[tuple[int, str]]:
    """(line, name) of each module-level or class-level ``NAME = ...`` that defines an offset."""
    out = []
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if re.fullmatch(r"(D|C|SLOT|POOL|LOCAL)_[A-Z_]+|ALL_POOLS(_MU)?|OLD_POOLS|GOMAXPROCS|NUMGC|PINNED",
                            name) and name not in ("POOL_FIELDS", "POOL_ZERO", "LOCAL_FIELDS", "LOCAL_CELLS"):
                out.append((node.lineno, name))
    return out


def undocumented_offsets(src: str) -> list[str]:
    """Offsets with no comment in the lines just above them (a run of offset declarations shares one)."""
    lines = src.splitlines()
    bad = []
    for line, name in _offset_declarations(src):
        i = line - 2
        while i >= 0 and re.match(r"\s*[A-Z_]+(: .*)? = ", lines[i]):
            i -= 1      # a group: POOL_LOCAL and POOL_LOCAL_SIZE under one comment
        if i < 0 or not lines[i].strip().startswith("#"):
            bad.append(name)
    return bad


def test_every_offset_carries_its_invariant() -> None:
    decls = {f.name: _offset_declarations(f.read_text()) for f in (MODEL / "poolqueue.py", MODEL / "pool.py")}
    assert len(decls["poolqueue.py"]) >= 8 and len(decls["pool.py"]) >= 12
    for f in (MODEL / "poolqueue.py", MODEL / "pool.py"):
        assert undocumented_offsets(f.read_text()) == [], f.name


def test_an_undocumented_offset_is_found() -> None:
    src = "# local: the array\nPOOL_LOCAL = 0\nPOOL_LOCAL_SIZE = 1\n\nPOOL_VICTIM = 2\n"
    assert undocumented_offsets(src) == ["POOL_VICTIM"]


def silent_without_deviation(module: types.ModuleType) -> list[str]:
    """Functions of module (and its classes) with a silent access and no DEVIATION: comment or docstring."""
    bad = []
    members = [m for _, m in inspect.getmembers(module) if getattr(m, "__module__", None) == module.__name__]
    fns = [m for m in members if inspect.isfunction(m)]
    for cls in (m for m in members if inspect.isclass(m)):
        fns += [f for f in vars(cls).values() if inspect.isfunction(f)]
    for fn in fns:
        src = inspect.getsource(fn)
        if "silent=True" in src and "DEVIATION:" not in src:
            bad.append(fn.__qualname__)
    return bad


def test_every_silent_access_says_why() -> None:
    assert silent_without_deviation(mpq) == []
    assert silent_without_deviation(mpool) == []


def test_a_silent_access_without_a_reason_is_found() -> None:
    mod = types.ModuleType("synthetic_model")
    src = ("def reads(addr):\n"
           "    yield plain_read(addr, 'x', silent=True)\n"
           "def says(addr):\n"
           "    # DEVIATION: silent because nobody else can see addr yet.\n"
           "    yield plain_read(addr, 'x', silent=True)\n")
    fname = "<synthetic model source>"
    linecache.cache[fname] = (len(src), None, src.splitlines(True), fname)   # so inspect.getsource finds it
    try:
        exec(compile(src, fname, "exec"), mod.__dict__)
        for f in (mod.reads, mod.says):
            f.__module__ = mod.__name__
        assert silent_without_deviation(mod) == ["reads"]
    finally:
        linecache.cache.pop(fname, None)
