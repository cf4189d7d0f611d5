"""Index arithmetic at Go's widths (issue 12, item 8).

Go computes ``tail+1`` and ``head--`` on uint32 values and packs them into a
uint64; the model reduces both to the index width before pack. So a pack
that does not mask ``tail`` (``(uint64(head) << dequeueBits) | uint64(tail)``)
is equivalent, as it is in Go at 32 bits, and the model never hands pack an
out-of-range index.
"""

from __future__ import annotations

import pytest

from model.bits import mask, u32, u64, uN
from model.harness import build, run
from model.params import Params
from model.poolqueue import PoolDequeue
from model.schedulers import RandomScheduler
from model.variants import Model
from properties.checks import check_execution


class _PackNoMaskTailDequeue(PoolDequeue):
    def pack(self, head: int, tail: int) -> int:
        # MUTATION: tail is not masked (Go: uint64(tail&mask)); equivalent when tail is already a uint32.
        return uN((uN(head, self.bits) << self.bits) | tail, 2 * self.bits)


class PackNoMaskTail(Model):
    name = "test-pack-no-mask-tail"
    layer = "dequeue"
    kind = "mutant"
    equivalent = True
    description = ("poolDequeue.pack does not mask tail. EQUIVALENT: every tail it is given is an index "
                   "(uint32 in Go), already below 2^dequeueBits")
    PoolDequeue = _PackNoMaskTailDequeue


class _CheckedPackDequeue(PoolDequeue):
    """The reference, with pack asserting that both indices are in range (what Go's uint32 types ensure)."""

    def pack(self, head: int, tail: int) -> int:
        assert 0 <= head <= mask(self.bits) and 0 <= tail <= mask(self.bits), (head, tail)
        return super().pack(head, tail)


class CheckedPack(Model):
    name = "test-checked-pack"
    kind = "design"
    description = "the reference with a range check in pack"
    PoolDequeue = _CheckedPackDequeue


WRAP = [(32, (1 << 32) - 1), (32, (1 << 32) - 2), (3, 7), (2, 2)]   # (bits, start index): tail wraps soon


def _violations(model: type[Model], scenario: str, bits: int, start: int, seed: int | None) -> list[str]:
    w = build("dequeue", scenario, Params(size=2, dequeue_bits=bits, start_index=start), model)
    if seed is None:
        k = w.kernel()
        k.run_sequential()
    else:
        k = w.kernel()
        k.run(RandomScheduler(seed))
    return sorted({v.prop for v in check_execution(w, k)})


@pytest.mark.parametrize(("bits", "start"), WRAP)
def test_pop_tail_packs_an_index_of_index_width(bits: int, start: int) -> None:
    """Every index reaching pack is below 2^bits, through tail's and head's wrap-around."""
    for sc in ("push push tail tail push tail", "push push pop push | tail tail"):
        for seed in (None, 0, 1, 2, 3):
            assert _violations(CheckedPack, sc, bits, start, seed) == []


@pytest.mark.parametrize(("bits", "start"), WRAP)
def test_pack_without_tail_mask_is_equivalent(bits: int, start: int) -> None:
    """As in Go at 32 bits: the unmasked pack gives the reference's verdict (none) on wrapping runs."""
    for sc in ("push tail", "push push tail tail push tail", "push push pop push | tail tail"):
        for seed in (None, 0, 1, 2, 3, 4, 5):
            assert _violations(PackNoMaskTail, sc, bits, start, seed) == []


def test_the_indices_are_u32_and_the_word_u64_at_go_width() -> None:
    """At dequeueBits = 32 the model's index width is uint32 and its headTail word uint64."""
    w = build("dequeue", "push push tail pop | tail", Params(size=2, start_index=(1 << 32) - 1))
    k = run(w)
    words = [v for s in k.trace if s.location.endswith("headTail") for _, v in s.writes]
    assert words and all(v == u64(v) for v in words)
    d = w.cfg.dequeue(w.root)
    for v in words:
        head, tail = d.unpack(v)
        assert (head, tail) == (u32(v >> 32), u32(v)) and d.pack(head, tail) == v
