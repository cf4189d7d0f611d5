"""CrossHair-checked contracts on the pure helpers (DESIGN.md section 5).

Each function wraps a helper of model/bits.py (or, for the chain's growth,
restates the two lines of poolChain.pushHead that compute it) and carries
PEP 316 pre/postconditions in its docstring. ``crosshair check
proofs/smt/contracts.py --analysis_kind=PEP316 --per_condition_timeout=N``
explores each function symbolically (integers are Z3 terms) looking for an
input that meets the preconditions and breaks a postcondition; the gate runs
it with a short timeout per condition (tests/test_contracts.py) and
``poolcheck prove`` as the ``crosshair-contracts`` row. CrossHair's search is
bounded: a clean run means no counterexample was found in the time given,
which the Z3 lemmas (proofs/smt/lemmas.py) then prove outright for the same
statements.

The wrappers take the width-32 path that Go uses (dequeueBits = 32).
"""

from __future__ import annotations

from model import bits

__all__ = ["pack", "unpack", "head_increment", "is_full", "is_empty", "slot_index", "chain_growth", "pad_for"]

U32 = 2**32
U64 = 2**64


def pack(head: int, tail: int) -> int:
    """poolDequeue.pack at 32 bits.

    pre: 0 <= head < 2**32
    pre: 0 <= tail < 2**32
    post: 0 <= __return__ < 2**64
    post: __return__ >> 32 == head
    post: __return__ & (2**32 - 1) == tail
    """
    return bits.pack(head, tail, 32)


def unpack(ptrs: int) -> tuple[int, int]:
    """poolDequeue.unpack at 32 bits: the inverse of pack.

    pre: 0 <= ptrs < 2**64
    post: 0 <= __return__[0] < 2**32 and 0 <= __return__[1] < 2**32
    post: bits.pack(__return__[0], __return__[1], 32) == ptrs
    """
    return bits.unpack(ptrs, 32)


def head_increment(ptrs: int) -> int:
    """d.headTail.Add(1 << dequeueBits): head + 1 mod 2^32, tail unchanged, the carry dropped.

    pre: 0 <= ptrs < 2**64
    post: 0 <= __return__ < 2**64
    post: bits.unpack(__return__, 32) == ((bits.unpack(ptrs, 32)[0] + 1) % 2**32, bits.unpack(ptrs, 32)[1])
    """
    return bits.u64(ptrs + (1 << 32))


def is_full(head: int, tail: int, n: int) -> bool:
    """pushHead's full test; for a power-of-two ring of at most 2^31 slots, true exactly when it holds n items.

    pre: 0 <= head < 2**32 and 0 <= tail < 2**32
    pre: 1 <= n <= 2**31 and n & (n - 1) == 0
    pre: (head - tail) % 2**32 <= n
    post: __return__ == ((head - tail) % 2**32 == n)
    """
    return bits.is_full(head, tail, n, 32)


def is_empty(head: int, tail: int, n: int) -> bool:
    """popHead's and popTail's empty test: true exactly when the ring holds nothing.

    pre: 0 <= head < 2**32 and 0 <= tail < 2**32
    pre: 1 <= n <= 2**31
    pre: (head - tail) % 2**32 <= n
    post: __return__ == ((head - tail) % 2**32 == 0)
    """
    return bits.is_empty(head, tail)


def slot_index(i: int, n: int) -> int:
    """``i & uint32(len(d.vals)-1)``: for a power-of-two n, the index modulo n, a valid slot.

    pre: 0 <= i < 2**32
    pre: 1 <= n <= 2**31 and n & (n - 1) == 0
    post: 0 <= __return__ < n
    post: __return__ == i % n
    """
    return bits.slot_index(i, n, 32)


def chain_growth(n: int, limit: int) -> int:
    """poolChain.pushHead's next size: ``newSize := len(d.vals) * 2; if newSize >= dequeueLimit { newSize = dequeueLimit }``.

    pre: 1 <= n <= limit <= 2**30
    pre: n & (n - 1) == 0 and limit & (limit - 1) == 0
    post: __return__ & (__return__ - 1) == 0
    post: n <= __return__ <= limit
    post: __return__ == min(2 * n, limit)
    """
    new_size = n * 2
    if new_size >= limit:
        new_size = limit
    return new_size


def pad_for(size: int) -> int:
    """poolLocal.pad's length: the padded struct is a multiple of 128 and the pad is 1..128 bytes.

    pre: 0 <= size < 2**16
    post: 1 <= __return__ <= 128
    post: (size + __return__) % 128 == 0
    post: (size % 128 != 0) or __return__ == 128
    """
    return bits.pad_for(size, 128)
