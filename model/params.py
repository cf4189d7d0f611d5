"""Model parameters, in one frozen dataclass, with Go's values as defaults.

Smaller values make exhaustive exploration feasible; ``start_index`` moves the
initial head = tail close to the top of the index space so that wrap-around is
exercised, the way Go's own TestPoolDequeue starts near 2^32.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from model.bits import is_pow2

__all__ = ["Params", "ParamError"]


class ParamError(ValueError):
    """Impossible parameters. The message says how to fix them."""


@dataclass(frozen=True)
class Params:
    """Configuration of one model instance.

    dequeue_bits   width of each packed index (Go: dequeueBits = 32).
    size           ring size of a standalone poolDequeue (power of two).
    init_size      size of a poolChain's first dequeue (Go: const initSize = 8).
    dequeue_limit  cap on a chain dequeue's size; None means Go's
                   (1 << dequeue_bits) / 4.
    start_index    initial head = tail of every new dequeue.
    gomaxprocs     number of Ps at start (Pool layer).
    with_new       whether Pool.New is set (Get then never returns nil).
    pools          number of sync.Pool instances (Pool layer).
    """

    dequeue_bits: int = 32
    size: int = 8
    init_size: int = 8
    dequeue_limit: int | None = None
    start_index: int = 0
    gomaxprocs: int = 1
    with_new: bool = False
    pools: int = 1

    @property
    def limit(self) -> int:
        """The effective dequeueLimit."""
        if self.dequeue_limit is not None:
            return self.dequeue_limit
        return (1 << self.dequeue_bits) // 4 if self.dequeue_bits >= 2 else 1

    def validate(self, target: str | None = None) -> Params:
        """Return self, or raise ParamError naming the offending value and the fix.

        Only the parameters ``target`` uses are checked: ``size`` for a
        standalone dequeue, ``init_size`` and ``dequeue_limit`` for a chain or a
        pool; ``target=None`` checks them all.
        """
        b = self.dequeue_bits
        if not 2 <= b <= 32:
            raise ParamError(f"--bits {b} is outside 2..32 (Go uses 32; use a small width such as 3 to force wrap-around)")
        half = 1 << (b - 1)
        if target in (None, "dequeue") and not is_pow2(self.size):
            raise ParamError(f"--size {self.size} is not a power of two (the ring index is masked with size-1)")
        if target in (None, "dequeue") and self.size > half:
            raise ParamError(
                f"--size {self.size} exceeds (1<<bits)/2 = {half}: full and empty would be indistinguishable; "
                f"use a smaller size or more --bits"
            )
        if target != "dequeue":
            self._validate_chain(half)
        if not 0 <= self.start_index < (1 << b):
            raise ParamError(f"--start-index {self.start_index} is outside 0..2^{b}-1")
        if not 1 <= self.gomaxprocs <= 64:
            raise ParamError(f"--procs {self.gomaxprocs} is outside 1..64")
        if not 1 <= self.pools <= 100_000:
            raise ParamError(f"pools={self.pools} is outside 1..100000")
        return self

    def _validate_chain(self, half: int) -> None:
        if not is_pow2(self.init_size):
            raise ParamError(f"--init-size {self.init_size} is not a power of two")
        lim = self.limit
        if not is_pow2(lim):
            raise ParamError(f"--limit {lim} is not a power of two")
        if lim > half:
            raise ParamError(f"--limit {lim} exceeds (1<<bits)/2 = {half} (poolqueue.go: dequeueLimit must be at most (1<<dequeueBits)/2)")
        if self.init_size > lim:
            raise ParamError(f"--init-size {self.init_size} exceeds --limit {lim} (use a smaller --init-size)")

    def with_(self, **changes: Any) -> Params:
        """A copy with some fields changed (not validated)."""
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(d: dict[str, Any]) -> Params:
        known = {k: d[k] for k in Params.__dataclass_fields__ if k in d}
        return Params(**known)
