"""Index wrap-around: at full 32-bit width from start_index = 2**32 - 3, and at small widths."""

from __future__ import annotations

import pytest

from model.bits import pack, unpack
from model.harness import Sequential
from model.params import Params
from properties import invariants as inv


@pytest.mark.parametrize("bits,start", [(32, 2**32 - 3), (3, 5), (4, 14), (2, 3)])
def test_dequeue_wraps_around(bits: int, start: int) -> None:
    size = min(4, 1 << (bits - 1))
    s = Sequential("dequeue", Params(dequeue_bits=bits, size=size, start_index=start))
    d = s.world.root
    seen = []
    v = 1
    rounds = 3 * (1 << bits) if bits < 32 else 12
    for _ in range(rounds):
        assert s.call(0, "push", v) is True
        assert s.call(0, "push", v + 1) is True
        seen.append(s.call(1, "tail"))
        seen.append(s.call(0, "pop"))
        assert inv.d1_packed_index(s.mem, d, bits) == []
        v += 2
    assert seen == [x for i in range(1, v, 2) for x in ((i, True), (i + 1, True))]
    # each round: head += 2, tail += 1 (popTail), head -= 1 (popHead)
    assert unpack(s.mem[d], bits) == ((start + rounds) % (1 << bits),) * 2


def test_full_width_head_overflow_is_harmless() -> None:
    # head = 2**32 - 1: adding 1 << 32 carries out of the 64-bit word, so tail is untouched.
    s = Sequential("dequeue", Params(size=2, start_index=2**32 - 1))
    d = s.world.root
    assert s.call(0, "push", 1) is True
    assert unpack(s.mem[d]) == (0, 2**32 - 1)
    assert s.mem[d] == pack(0, 2**32 - 1)
    assert s.call(0, "push", 2) is True
    assert s.call(0, "push", 3) is False        # full across the wrap
    assert s.call(1, "tail") == (1, True)
    assert unpack(s.mem[d]) == (1, 0)
    assert s.call(0, "pop") == (2, True)
    assert s.call(0, "pop") == (None, False)


def test_chain_wraps_from_start_index() -> None:
    s = Sequential("chain", Params(init_size=2, dequeue_limit=4, start_index=2**32 - 2))
    for v in range(1, 10):
        s.call(0, "push", v)
    out = [s.call(1, "tail")[0] for _ in range(9)]
    assert out == list(range(1, 10))
