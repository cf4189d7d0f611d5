"""Z3 lemmas L1-L7 at Go's widths: each gives its stated result, the expected counterexamples are found."""

from __future__ import annotations

import time

import pytest

from model.params import Params
from model.variants.base import Model
from proofs.smt import lemmas as L
from proofs.smt.bmc import translation_lemma
from proofs.smt.dequeue_smt import Config

pytestmark = pytest.mark.proof


@pytest.fixture(scope="module")
def results() -> dict[str, L.LemmaResult]:
    t0 = time.monotonic()
    out = {r.name: r for r in L.run_lemmas()}
    out["_seconds"] = L.LemmaResult("_", "proved", "proved", time.monotonic() - t0, "", "")
    return out


def test_every_lemma_gives_its_stated_result_in_under_a_minute(results: dict[str, L.LemmaResult]) -> None:
    assert [n for n in results if n != "_seconds"] == L.lemma_names()
    wrong = {n: (r.result, r.detail) for n, r in results.items() if r.result != r.expected}
    assert not wrong
    assert results["_seconds"].seconds < 60


def test_full_width_counterexamples_are_printed_as_values(results: dict[str, L.LemmaResult]) -> None:
    at_2_32 = results["L3-n=2^32"]
    assert at_2_32.result == "counterexample"
    assert "the full test says True with 0 of 4294967296 items" in at_2_32.detail
    six = results["L3-n=6"]
    assert "share slot" in six.detail and "(mask 5)" in six.detail
    assert "newSize = -2147483648" in results["L5-int32-at-limit"].detail


def test_l3_covers_every_k_at_both_widths(results: dict[str, L.LemmaResult]) -> None:
    assert "k in 0..31" in results["L3-full-empty-B32"].detail
    assert "k in 0..2" in results["L3-full-empty-B3"].detail


def test_padding_lemma_names_every_goarch(results: dict[str, L.LemmaResult]) -> None:
    from model.layout import ARCHES
    detail = results["L6-padding"].detail
    assert all(f"{a.goarch} " in detail for a in ARCHES)
    assert "full 128-byte pad" in detail


class _FullWidthLimit(Model):
    name = "test-limit-2-32"
    layer = "chain"
    kind = "mutant"
    description = "dequeueLimit = 1 << 32"
    expected = ("C5",)

    @classmethod
    def dequeue_limit(cls, params: Params) -> int:
        return 1 << params.dequeue_bits


def test_l5_rejects_a_limit_of_2_to_the_32() -> None:
    (growth, _) = L.l5(_FullWidthLimit)
    assert growth.result == "counterexample"
    assert "does not fit in an int32" in growth.detail


def test_l7_translation_holds_and_is_not_vacuous() -> None:
    st, _, detail = translation_lemma(Config(size=2, thieves=1, vbits=8))
    assert st == "proved", detail
    st, _, detail = translation_lemma(Config(size=2, thieves=1, vbits=8, alter="full-at-zero"))
    assert st == "counterexample", detail
