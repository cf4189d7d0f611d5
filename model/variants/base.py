"""The variant mechanism (DESIGN.md section 3).

A variant is the reference model with some Go functions replaced: a subclass
of ``Model`` that points ``PoolDequeue``, ``PoolChain``, ``Pool`` or
``pool_cleanup`` at its own versions, plus metadata. ``Model`` itself is the
reference, registered as ``reference``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from model import pool as _pool
from model import poolqueue as _pq
from model.effects import Gen
from model.params import Params

__all__ = ["Model", "Cfg", "LAYERS", "KINDS"]

LAYERS = ("dequeue", "chain", "pool", "all")
KINDS = ("reference", "mutant", "design")


class Model:
    """The reference model: Go's code as it is.

    Metadata every variant sets:
    name         registry name (kebab-case)
    layer        "dequeue", "chain", "pool" or "all"
    kind         "reference", "mutant" (a known bug) or "design" (an alternative)
    description  one line, in Go terms
    expected     property ids that must catch a mutant
    equivalent   True for a mutant no execution can tell from the reference
                 (the description must argue why)
    multi_producer  True lets dequeue/chain scenarios push from thieves
    witness      for a mutant: (target, scenario, Params) on which the engines
                 should find it (the kill matrix and the meta-tests run there)
    """

    name: ClassVar[str] = "reference"
    layer: ClassVar[str] = "all"
    kind: ClassVar[str] = "reference"
    description: ClassVar[str] = "Go's sync.Pool, poolqueue.go and pool.go as they are"
    expected: ClassVar[tuple[str, ...]] = ()
    equivalent: ClassVar[bool] = False
    multi_producer: ClassVar[bool] = False
    witness: ClassVar[tuple[str, str, Params] | None] = None

    PoolDequeue: ClassVar[type[_pq.PoolDequeue]] = _pq.PoolDequeue
    PoolChain: ClassVar[type[_pq.PoolChain]] = _pq.PoolChain
    Pool: ClassVar[type[_pool.Pool]] = _pool.Pool

    @staticmethod
    def pool_cleanup(rt: _pool.Runtime) -> Gen[None]:
        return _pool.pool_cleanup(rt)

    @classmethod
    def pool_fields(cls) -> tuple[tuple[str, Any], ...]:
        """The Pool block's fields and zero values (model/pool.new_pool allocates them).

        The reference is Go's four fields; a variant with more per-pool state
        (victim_tiers.py) appends fields after them, so Go's keep their offsets.
        """
        return _pool.POOL_ZERO

    @classmethod
    def dequeue_limit(cls, params: Params) -> int:
        """The dequeueLimit the chain caps growth at."""
        return params.limit

    @classmethod
    def gc_needs_unpinned(cls) -> bool:
        """Whether stop-the-world waits for every P to unpin (True in Go)."""
        return True

    @classmethod
    def check_metadata(cls) -> None:
        """Raise ValueError if the variant's metadata is incomplete."""
        problems = []
        if not isinstance(cls.name, str) or not cls.name:
            problems.append("a non-empty `name`")
        if cls.layer not in LAYERS:
            problems.append(f"`layer` in {LAYERS}")
        if cls.kind not in KINDS:
            problems.append(f"`kind` in {KINDS}")
        if not isinstance(cls.description, str) or not cls.description or \
                (cls is not Model and cls.description == Model.description):
            problems.append("a one-line `description`")
        if cls.kind == "mutant" and not cls.expected and not cls.equivalent:
            problems.append("`expected` property ids (or equivalent = True with an argument)")
        if problems:
            raise ValueError(f"variant {cls.__qualname__} needs " + ", ".join(problems))

    @classmethod
    def meta(cls) -> dict[str, Any]:
        return {"name": cls.name, "layer": cls.layer, "kind": cls.kind, "description": cls.description,
                "expected": list(cls.expected), "equivalent": cls.equivalent}


@dataclass(frozen=True)
class Cfg:
    """What a model handle needs: the variant's classes and the parameters."""

    model: type[Model]
    params: Params

    @property
    def limit(self) -> int:
        return self.model.dequeue_limit(self.params)

    def dequeue(self, addr: int) -> _pq.PoolDequeue:
        return self.model.PoolDequeue(addr, self)

    def chain(self, addr: int) -> _pq.PoolChain:
        return self.model.PoolChain(addr, self)

    def pool(self, addr: int, rt: _pool.Runtime, home: int) -> _pool.Pool:
        return self.model.Pool(addr, self, rt, home)


Factory = Callable[[], Gen[Any]]
