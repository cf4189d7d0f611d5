"""Promela models of dequeue and chain scenarios at the explorer's granularity (issue 14, part 5).

``promela(target, scenario, params)`` writes one Promela program: one
proctype per scenario thread, its operations unrolled in order, each
operation transcribed from model/poolqueue.py (itself a transcription of
poolqueue.go). Granularity is the explorer's: every scheduling point of the
kernel (one per non-silent shared access, and the first access of each
operation) is the start of one ``atomic`` block, which performs that access,
the silent accesses that follow it in the same step (reading ``d.vals``,
the producer's private ``c.head`` and allocations) and the local
computation up to the next access, then ``goto``-s the next block (leaving
an atomic block is SPIN's interleaving point). A slot write is the two
plain writes of the eface's words (typ, val) in one step, as in the model.

Indices. ``headTail`` is kept as two byte-sized offsets from the
configuration's ``start_index`` (the head and the tail, loaded, compared and
swapped together in one step): Go's arithmetic is modulo 2^dequeueBits, and
``x -> x - start`` is a bijection that preserves it, so the state space is
the same as with the full-width word; the slot index adds ``start mod n``
back. Values are the harness's tokens (1, 2, ... in scenario order; 0 is
Go's nil), slot.typ is 0 (nil), 1 (a value) or 2 (dequeueNil).

Checks, so that a wrong model cannot pass silently: D4 (no value is taken
twice: an assertion at every successful pop) and D3 (at the end, every
successfully pushed value was taken or is still stored: a final process
waits for every thread, then asserts). tests/test_spin.py shows both fail on
a model with pushHead's ``typ != nil`` check removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from model.params import Params
from model.scenario import parse

__all__ = ["promela", "PromelaModel"]


@dataclass
class PromelaModel:
    """The program text and what it was made from."""

    text: str
    target: str
    scenario: str
    threads: int
    values: int
    elements: int


_RESET = "h = 0; t = 0; slot = 0; v = 0; d = 0; d2 = 0; n2 = 0;"


@dataclass
class _Gen:
    """Emits one proctype's code: labelled atomic blocks, one per scheduling point."""

    target: str
    start: int
    size: int           # standalone dequeue: ring size
    init_size: int      # chain: first dequeue's ring size
    limit: int          # chain: dequeueLimit
    no_typ_check: bool  # a seeded bug (tests/test_spin.py): pushHead ignores a slot still owned by popTail
    lines: list[str] = field(default_factory=list)
    count: int = 0

    def label(self, what: str) -> str:
        self.count += 1
        return f"L{self.count}_{what}"

    def block(self, lab: str, body: str) -> None:
        self.lines.append(f"{lab}: atomic {{ {body} }}")

    def slot(self, idx: str, d: str) -> str:
        """The slot of index offset ``idx`` in dequeue ``d``: (start + idx) & (n - 1)."""
        return f"(({idx}) + {self.start}) % {self.n_of(d)}"

    def n_of(self, d: str) -> str:
        """len(d.vals): the standalone dequeue's size is a constant; a chain dequeue's is in its element."""
        return str(self.size) if self.target == "dequeue" else f"E[{d}].n"

    # -- poolDequeue ----------------------------------------------------------------------
    def push_head(self, entry: str, d: str, v: int, typ: int, ok: str, fail: str, fail_code: str = "") -> None:
        """poolDequeue.pushHead into dequeue ``d`` from label ``entry``; goto ``ok`` (pushed) or ``fail`` (refused)."""
        l2, l3, l4 = (self.label(w) for w in ("ph_typ", "ph_write", "ph_add"))
        # ptrs := d.headTail.Load() (and the silent read of d.vals); the full check is local.
        self.block(entry, f"h = E[{d}].head; t = E[{d}].tail; "
                          f"if :: (t + {self.n_of(d)} == h) -> {fail_code} goto {fail} :: else -> "
                          f"slot = {self.slot('h', d)}; goto {l2} fi")
        # typ := atomic.LoadPointer(&slot.typ); if typ != nil: return false
        refuse = "" if self.no_typ_check else f":: (E[{d}].typ[slot] != 0) -> {fail_code} goto {fail} "
        self.block(l2, f"if {refuse}:: else -> goto {l3} fi")
        # *(*any)(unsafe.Pointer(slot)) = val: the eface's two words, one plain write each, in one step.
        self.block(l3, f"E[{d}].typ[slot] = {typ}; E[{d}].val[slot] = {v}; goto {l4}")
        # d.headTail.Add(1 << dequeueBits)
        self.block(l4, f"E[{d}].head = E[{d}].head + 1; pushed[{v}] = pushed[{v}] + 1; goto {ok}")

    @staticmethod
    def _taken() -> str:
        """D4: a value is taken at most as often as it was pushed (Go's nil, token 0, only counted)."""
        return "taken[v] = taken[v] + 1; assert(v == 0 || taken[v] <= pushed[v]);"

    def pop_head(self, entry: str, d: str, ok: str, empty: str) -> None:
        """poolDequeue.popHead on ``d`` from ``entry``; goto ``ok`` (a value) or ``empty``."""
        l2, l3, l4 = (self.label(w) for w in ("pop_cas", "pop_read", "pop_clear"))
        # ptrs := d.headTail.Load(); if tail == head: return nil, false
        self.block(entry, f"h = E[{d}].head; t = E[{d}].tail; if :: (t == h) -> goto {empty} :: else -> goto {l2} fi")
        # d.headTail.CompareAndSwap(ptrs, pack(head-1, tail)); the slot of head-1 (silent read of d.vals)
        self.block(l2, f"if :: (E[{d}].head == h && E[{d}].tail == t) -> E[{d}].head = h - 1; "
                       f"slot = {self.slot('h - 1', d)}; goto {l3} :: else -> goto {entry} fi")
        # val := *(*any)(unsafe.Pointer(slot))
        self.block(l3, f"v = E[{d}].val[slot]; goto {l4}")
        # *slot = eface{}
        self.block(l4, f"E[{d}].typ[slot] = 0; E[{d}].val[slot] = 0; {self._taken()} goto {ok}")

    def pop_tail(self, entry: str, d: str, ok: str, empty: str, empty_code: str = "") -> None:
        """poolDequeue.popTail on ``d`` from ``entry``; goto ``ok`` (a value) or ``empty`` (after ``empty_code``)."""
        l2, l3, l4, l5 = (self.label(w) for w in ("pt_cas", "pt_read", "pt_val", "pt_typ"))
        self.block(entry, f"h = E[{d}].head; t = E[{d}].tail; "
                          f"if :: (t == h) -> {empty_code} goto {empty} :: else -> goto {l2} fi")
        # d.headTail.CompareAndSwap(ptrs, pack(head, tail+1)); the slot of tail (silent read of d.vals)
        self.block(l2, f"if :: (E[{d}].head == h && E[{d}].tail == t) -> E[{d}].tail = t + 1; "
                       f"slot = {self.slot('t', d)}; goto {l3} :: else -> goto {entry} fi")
        self.block(l3, f"v = E[{d}].val[slot]; goto {l4}")
        # slot.val = nil
        self.block(l4, f"E[{d}].val[slot] = 0; goto {l5}")
        # atomic.StorePointer(&slot.typ, nil)
        self.block(l5, f"E[{d}].typ[slot] = 0; {self._taken()} goto {ok}")

    # -- poolChain ----------------------------------------------------------------------------
    def chain_push(self, entry: str, v: int, typ: int, done: str) -> None:
        """poolChain.pushHead(val) from ``entry``; goto ``done``."""
        l2, l3, l4, push_d, push_d2 = (self.label(w) for w in ("c_tail", "c_prev", "c_next", "c_push", "c_push2"))
        # d := c.head (the producer's own field: silent); if nil: a new dequeue, c.head = d (silent).
        self.block(entry, f"d = chead; if :: (d == 0) -> nelts = nelts + 1; d = nelts; E[d].n = {self.init_size}; "
                          f"chead = d; goto {l2} :: else -> goto {push_d} fi")
        # c.tail.Store(d)
        self.block(l2, f"ctail = d; goto {push_d}")
        # d.pushHead(val) refused: newSize := len(d.vals) * 2, capped at dequeueLimit; d2 := &poolChainElt{} (silent)
        grow = (f"n2 = E[d].n * 2; if :: (n2 >= {self.limit}) -> n2 = {self.limit} :: else -> skip fi; "
                f"nelts = nelts + 1; d2 = nelts;")
        self.push_head(push_d, "d", v, typ, done, l3, grow)
        # d2.prev.Store(d); then, silent: d2.vals = make([]eface, newSize), c.head = d2
        self.block(l3, f"E[d2].prev = d; E[d2].n = n2; chead = d2; goto {l4}")
        # d.next.Store(d2); then d2.pushHead(val)
        self.block(l4, f"E[d].next = d2; d = d2; goto {push_d2}")
        self.push_head(push_d2, "d", v, typ, done, done)

    def chain_pop_head(self, entry: str, done: str) -> None:
        """poolChain.popHead from ``entry``; goto ``done``."""
        l2, pop = self.label("ch_prev"), self.label("ch_pop")
        # d := c.head (silent, the operation's first access)
        self.block(entry, f"d = chead; if :: (d == 0) -> goto {done} :: else -> goto {pop} fi")
        self.pop_head(pop, "d", done, l2)
        # d = d.prev.Load()
        self.block(l2, f"d = E[d].prev; if :: (d == 0) -> goto {done} :: else -> goto {pop} fi")

    def chain_pop_tail(self, entry: str, done: str) -> None:
        """poolChain.popTail from ``entry``; goto ``done``."""
        l2, l3, l4, pop = (self.label(w) for w in ("ct_next", "ct_cas", "ct_prev", "ct_pop"))
        # d := c.tail.Load()
        self.block(entry, f"d = ctail; if :: (d == 0) -> goto {done} :: else -> goto {l2} fi")
        # d2 := d.next.Load()
        self.block(l2, f"d2 = E[d].next; goto {pop}")
        # d.popTail() failed: if d2 == nil return nil, false
        self.pop_tail(pop, "d", done, l3, f"if :: (d2 == 0) -> goto {done} :: else -> skip fi;")
        # c.tail.CompareAndSwap(d, d2)
        self.block(l3, f"if :: (ctail == d) -> ctail = d2; goto {l4} :: else -> d = d2; goto {l2} fi")
        # d2.prev.Store(nil)
        self.block(l4, f"E[d2].prev = 0; d = d2; goto {l2}")

    # -- a thread ---------------------------------------------------------------------------------
    def thread(self, ops: list[tuple[str, int]]) -> None:
        """The unrolled operations ``(word, token)`` of one thread, then ``finished++``."""
        entries = [self.label(w.replace(":", "_")) for w, _ in ops] + [self.label("end")]
        for (word, tok), entry, nxt in zip(ops, entries, entries[1:]):
            first = len(self.lines)
            typ = 2 if word == "push:nil" else 1
            v = 0 if word == "push:nil" else tok
            if self.target == "dequeue":
                if word.startswith("push"):
                    self.push_head(entry, "1", v, typ, nxt, nxt)
                elif word == "pop":
                    self.pop_head(entry, "1", nxt, nxt)
                else:
                    self.pop_tail(entry, "1", nxt, nxt)
            elif word.startswith("push"):
                self.chain_push(entry, v, typ, nxt)
            elif word == "pop":
                self.chain_pop_head(entry, nxt)
            else:
                self.chain_pop_tail(entry, nxt)
            # The operation's locals are dead once it returns: reset them, as SPIN's dead variable
            # elimination and the explorer's live-variable keys do, so that states differing only in
            # a finished operation's locals are one state.
            for i in range(first, len(self.lines)):
                self.lines[i] = self.lines[i].replace(f"goto {nxt} ", f"{_RESET} goto {nxt} ")
        self.lines.append(f"{entries[-1]}: finished = finished + 1")


def promela(target: str, scenario: str, params: Params, *, no_typ_check: bool = False) -> PromelaModel:
    """The Promela program of a dequeue or chain scenario (see the module docstring).

    ``no_typ_check`` seeds a bug (pushHead overwrites a slot whose typ is
    still set), for the test that the model's assertions can fail.
    """
    if target not in ("dequeue", "chain"):
        raise ValueError(f"no Promela model for the {target} target: dequeue and chain only")
    sc = parse(target, scenario)
    ring = params.size if target == "dequeue" else max(params.init_size, params.limit)
    pushes = sum(1 for t in sc.threads for w in t if w.startswith("push"))
    if pushes > 250 or ring > 64:
        raise ValueError("the Promela model keeps indices and values in bytes: at most 250 pushes, rings of 64")
    elts = 1 if target == "dequeue" else pushes + 1
    start = params.start_index % 256
    out = [f"/* poolcheck: {target} \"{sc}\" ({params.to_json()}); generated by proofs/spin/promela.py */",
           f"#define R {ring}", f"#define NE {elts}", f"#define NT {len(sc.threads)}", f"#define NV {pushes}",
           "typedef Elt { byte head; byte tail; byte n; byte next; byte prev; byte typ[R]; byte val[R] }",
           "Elt E[NE + 1];  /* E[0] is nil */", "byte chead, ctail, nelts;",
           "byte pushed[NV + 1], taken[NV + 1];  /* per token; token 0 is Go's nil */", "byte finished;"]
    tok = 0
    for i, words in enumerate(sc.threads):
        ops: list[tuple[str, int]] = []
        for w in words:
            if w.startswith("push"):
                tok += 1
            ops.append((w, tok if w == "push" else 0))
        g = _Gen(target, start, params.size, params.init_size, params.limit if target == "chain" else 0,
                 no_typ_check)
        g.thread(ops)
        out.append(f"active proctype T{i}() {{\n  byte h, t, slot, v, d, d2, n2;\n  " + ";\n  ".join(g.lines) + "\n}")
    stored = " + ".join(f"(E[{e}].head - E[{e}].tail)" for e in range(1, elts + 1))
    total_p = " + ".join(f"pushed[{v}]" for v in range(pushes + 1))
    total_t = " + ".join(f"taken[{v}]" for v in range(pushes + 1))
    out.append("/* D3: at the end every pushed value was taken or is still stored */\n"
               f"active proctype check() {{ atomic {{ finished == NT -> assert({total_p} == {total_t} + {stored}) }} }}")
    text = "\n".join(out) + "\n"
    return PromelaModel(text, target, str(sc), len(sc.threads), pushes, elts)
