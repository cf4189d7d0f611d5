"""Harness-level mutants: the reference code, used in a way Go's contract forbids."""

from __future__ import annotations

from model.params import Params
from model.variants.base import Model

__all__ = ["TwoProducers"]


class TwoProducers(Model):
    name = "two-producers"
    layer = "dequeue"
    kind = "mutant"
    description = ("two goroutines call pushHead on the same poolDequeue (the reference code, used as the seed "
                   "text's \"MPSC\" would allow): both claim the head slot, so single-producer is a real "
                   "requirement, not a style")
    expected = ("D3", "D7")
    witness = ("dequeue", "push | push", Params(size=2))
    # MUTATION: scenarios may push (and popHead) from any thread, not only the owner.
    multi_producer = True
