"""The scenario language (DESIGN.md section 6).

Threads are separated by ``|``, operations by spaces; the first thread is the
owner (the producer of a dequeue or chain). ::

    dequeue "push push pop | tail tail | tail"
    chain   "push push push pop | tail tail"
    pool    "put get | put get | gc"

dequeue/chain operations: push, push:nil, pop (popHead), tail (popTail); only
the owner may push or pop. pool operations: put, get, gc, procs=N; thread i is
a goroutine whose home P is i (modulo GOMAXPROCS when it pins).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Scenario", "ScenarioError", "TARGETS", "parse", "OPS"]

TARGETS = ("dequeue", "chain", "pool")
OPS = {
    "dequeue": ("push", "push:nil", "pop", "tail"),
    "chain": ("push", "push:nil", "pop", "tail"),
    "pool": ("put", "get", "gc", "procs=N"),
}
_PROCS = re.compile(r"^procs=([1-9][0-9]?)$")


class ScenarioError(ValueError):
    """A scenario that cannot be run. The message says what to write instead."""


@dataclass(frozen=True)
class Scenario:
    target: str
    threads: tuple[tuple[str, ...], ...]

    def __str__(self) -> str:
        return " | ".join(" ".join(t) for t in self.threads)

    @property
    def nops(self) -> int:
        return sum(len(t) for t in self.threads)

    def max_procs(self, gomaxprocs: int) -> int:
        """The largest GOMAXPROCS the scenario can reach."""
        m = gomaxprocs
        for t in self.threads:
            for op in t:
                mt = _PROCS.match(op)
                if mt:
                    m = max(m, int(mt.group(1)))
        return m


def parse(target: str, text: str, multi_producer: bool = False) -> Scenario:
    """Parse ``text`` for ``target``; raise ScenarioError on anything malformed."""
    if target not in TARGETS:
        raise ScenarioError(f"unknown target {target!r}: use one of {', '.join(TARGETS)}")
    if not isinstance(text, str) or not text.strip():
        raise ScenarioError("empty scenario: write operations separated by spaces, threads by '|', e.g. \"push pop | tail\"")
    threads: list[tuple[str, ...]] = []
    for i, part in enumerate(text.split("|")):
        ops = tuple(part.split())
        if not ops:
            raise ScenarioError(f"thread {i} has no operations (two '|' in a row, or a '|' at an end?)")
        for op in ops:
            if target == "pool":
                if op not in ("put", "get", "gc") and not _PROCS.match(op):
                    raise ScenarioError(f"unknown pool operation {op!r} in thread {i}: use put, get, gc or procs=N (N in 1..99)")
            else:
                if op not in OPS[target]:
                    raise ScenarioError(f"unknown {target} operation {op!r} in thread {i}: use push, push:nil, pop or tail")
                if i > 0 and op != "tail" and not multi_producer:
                    raise ScenarioError(f"thread {i} is a thief: thieves may only 'tail' (only the first thread, the owner, "
                                        f"may {op}); a {target} has a single producer")
        threads.append(ops)
    if len(threads) > 8:
        raise ScenarioError(f"{len(threads)} threads: at most 8 are supported")
    return Scenario(target, tuple(threads))
