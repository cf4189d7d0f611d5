"""Struct sizes and padding of poolLocal per GOARCH (P10).

Go lays out a struct field by field, each at the next multiple of its
alignment, and rounds the struct up to its largest alignment. Every field of
poolLocalInternal is pointer-sized and pointer-aligned:

    private any        an interface: two words (type, data)
    shared  poolChain  head *poolChainElt (one word) and
                       tail atomic.Pointer[poolChainElt] (a zero-size array,
                       a zero-size noCopy and one unsafe.Pointer: one word)

so sizeof(poolLocalInternal) = 4 words, and pool.go pads poolLocal with
``128 - sizeof(poolLocalInternal) % 128`` bytes. ``CACHE_LINE`` is each
architecture's internal/cpu.CacheLinePadSize (what Go itself pads to), for
the question of whether 128 bytes is enough or more than needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.bits import pad_for

__all__ = ["Arch", "ARCHES", "sizeof_pool_local_internal", "pad", "sizeof_pool_local", "arch"]

# GOARCH -> (pointer size in bytes, internal/cpu.CacheLinePadSize)
_ARCH_TABLE: dict[str, tuple[int, int]] = {
    "amd64": (8, 64), "arm64": (8, 128), "386": (4, 64), "arm": (4, 32),
    "ppc64": (8, 128), "ppc64le": (8, 128), "s390x": (8, 256), "riscv64": (8, 64),
    "loong64": (8, 64), "mips": (4, 32), "mipsle": (4, 32), "mips64": (8, 32), "mips64le": (8, 32),
    "wasm": (8, 64),
}


@dataclass(frozen=True)
class Arch:
    goarch: str
    ptr_size: int
    cache_line: int


ARCHES: tuple[Arch, ...] = tuple(Arch(k, p, c) for k, (p, c) in _ARCH_TABLE.items())


def arch(goarch: str) -> Arch:
    for a in ARCHES:
        if a.goarch == goarch:
            return a
    raise KeyError(f"unknown GOARCH {goarch!r}: known are {', '.join(a.goarch for a in ARCHES)}")


def _align(off: int, a: int) -> int:
    return (off + a - 1) // a * a


def sizeof_pool_local_internal(a: Arch) -> int:
    """unsafe.Sizeof(poolLocalInternal{}) on ``a``, computed field by field."""
    w = a.ptr_size
    fields = [("private.typ", w, w), ("private.data", w, w), ("shared.head", w, w), ("shared.tail.v", w, w)]
    off = 0
    for _, size, align in fields:
        off = _align(off, align) + size
    return _align(off, max(al for _, _, al in fields))


def pad(a: Arch) -> int:
    """len(poolLocal.pad)."""
    return pad_for(sizeof_pool_local_internal(a), 128)


def sizeof_pool_local(a: Arch) -> int:
    return sizeof_pool_local_internal(a) + pad(a)
