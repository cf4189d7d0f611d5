"""Bit-exact unsigned arithmetic used by the model (STYLE rule 3).

Python integers are unbounded; Go's are not. Every wrap-around the Go code
relies on goes through one of these helpers so that it can be found by grep
and proved about (proofs/lemmas.py, proofs/contracts.py).

Widths: poolDequeue's head and tail are uint32 and headTail a uint64. The
model reduces every index expression to the index width before using it
(``uN(tail + 1, bits)`` where Go writes ``tail+1`` on a uint32) and the
packed word to ``2 * bits``: with Go's ``dequeueBits = 32`` that is ``u32``
and ``u64`` exactly (tests/test_widths.py checks the two agree). A smaller
``bits`` scales both widths (model/poolqueue.py says why).
"""

from __future__ import annotations

__all__ = ["u32", "u64", "uN", "mask", "pack", "unpack", "is_pow2", "slot_index", "is_full", "is_empty", "pad_for"]


def mask(bits: int) -> int:
    """The all-ones value of width ``bits`` (Go: ``1<<dequeueBits - 1``)."""
    return (1 << bits) - 1


def uN(x: int, bits: int) -> int:
    """``x`` reduced modulo ``2**bits``: Go's unsigned overflow."""
    return x & ((1 << bits) - 1)


def u32(x: int) -> int:
    """``uint32(x)``."""
    return x & 0xFFFF_FFFF


def u64(x: int) -> int:
    """``uint64(x)``."""
    return x & 0xFFFF_FFFF_FFFF_FFFF


def pack(head: int, tail: int, bits: int = 32) -> int:
    """poolDequeue.pack: head in the high half, tail in the low half.

    The packed word is ``2 * bits`` wide (64 for Go's dequeueBits = 32), so
    that adding ``1 << bits`` carries out of the word, harmlessly, when head
    wraps.
    """
    m = mask(bits)
    return uN((uN(head, bits) << bits) | (tail & m), 2 * bits)


def unpack(ptrs: int, bits: int = 32) -> tuple[int, int]:
    """poolDequeue.unpack: ``(head, tail)`` from the packed word."""
    m = mask(bits)
    return (ptrs >> bits) & m, ptrs & m


def is_pow2(n: int) -> bool:
    """True when ``n`` is a positive power of two."""
    return n > 0 and n & (n - 1) == 0


def slot_index(i: int, n: int, bits: int = 32) -> int:
    """``i & uint32(len(d.vals)-1)``: the ring slot of index ``i`` (n a power of two)."""
    return uN(i, bits) & uN(n - 1, bits)


def is_full(head: int, tail: int, n: int, bits: int = 32) -> bool:
    """pushHead's full test: ``(tail+uint32(len(d.vals)))&(1<<dequeueBits-1) == head``."""
    return uN(tail + n, bits) & mask(bits) == head


def is_empty(head: int, tail: int) -> bool:
    """popHead's and popTail's empty test: ``tail == head``."""
    return tail == head


def pad_for(size: int, line: int = 128) -> int:
    """poolLocal.pad's length: ``128 - unsafe.Sizeof(poolLocalInternal{})%128``."""
    return line - size % line
