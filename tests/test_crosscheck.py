"""The Z3 transition relation admits exactly the Python model's successor, one step at a time.

States are drawn anywhere (any headTail near 0, near 2^32 or anywhere, any ring contents, every thread at
any pc with any locals); the Python side is the kernel stepping the model's generators, the Z3 side is
proofs/smt/dequeue_smt.py. A deliberately altered encoding must be caught.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from model.variants import registry, resolve
from model.variants.base import Model
from proofs.smt import dequeue_smt as E
from proofs.smt.crosscheck import CrossCheckError, Source, check_step, draw_state, run
from proofs.smt.dequeue_smt import Config

pytestmark = pytest.mark.proof


class _DataSource(Source):
    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def integer(self, lo: int, hi: int) -> int:
        return int(self.data.draw(st.integers(lo, hi)))


def _property(model: type[Model], variant: str = "reference", alter: str | None = None,
              examples: int | None = None, shrink: bool = False,
              configs: tuple[tuple[int, int], ...] | None = None) -> Callable[[], None]:
    extra: dict[str, object] = {}
    if examples is not None:
        extra["max_examples"] = examples
    if not shrink:
        extra.update(phases=(Phase.generate,), database=None)

    @settings(deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow], **extra)
    @given(st.data())
    def one_step_agrees(data: st.DataObject) -> None:
        src = _DataSource(data)
        if configs is None:
            cfg = Config(size=src.choice([1, 2, 4]), thieves=src.choice([1, 2]), variant=variant, alter=alter)
        else:
            n, k = src.choice(list(configs))
            cfg = Config(size=n, thieves=k, variant=variant, alter=alter)
        try:
            d0 = draw_state(cfg, src)
        except CrossCheckError:
            assume(False)
            return
        # every thread that can move takes its step from the drawn state
        movers = [j for j, t in enumerate(d0.threads) if t.pc != (E.O_DONE if cfg.is_owner(j) else E.T_DONE)]
        checked = 0
        for j in movers:
            d0.mover = j
            try:
                res = check_step(d0, model)
            except CrossCheckError:
                continue
            checked += 1
            assert res.ok, f"{d0.describe()}: {res.problems}"
        assume(checked > 0)

    return one_step_agrees


def test_the_reference_encoding_agrees_with_the_python_model() -> None:
    _property(Model, examples=100, shrink=True)()


def test_ring_8_with_three_thieves_agrees_seeded_sample() -> None:
    # the gate's sample of the large configuration: every thread that can move, from seeded drawn states
    seen: dict[str, int] = {}
    checked, _, problems = run(lambda src: Config(size=8, thieves=3), Model, n=12, seed=3, seen=seen)
    assert not problems, problems
    assert checked >= 6 and seen == {"ring 8, T=3": checked}


@pytest.mark.slow
def test_ring_8_with_three_thieves_agrees() -> None:
    _property(Model, examples=300, configs=((8, 3), (8, 2), (4, 3)))()


def test_a_wrong_encoding_is_caught_at_ring_8_with_three_thieves() -> None:
    checked, _, problems = run(lambda src: Config(size=8, thieves=3, alter="cas-tail-plus-two"), Model, n=300, seed=0)
    assert problems, f"survived {checked} drawn steps"


@pytest.mark.parametrize("alter", sorted(E.ALTERATIONS))
def test_a_deliberately_wrong_encoding_is_caught(alter: str) -> None:
    with pytest.raises(AssertionError, match="the Z3 relation|result|returned value"):
        _property(Model, alter=alter, examples=400)()


@pytest.mark.parametrize("alter", sorted(E.ALTERATIONS))
def test_a_wrong_encoding_is_caught_by_the_seeded_run_too(alter: str) -> None:
    checked, _, problems = run(lambda src: Config(size=src.choice([1, 2, 4]), thieves=src.choice([1, 2]), alter=alter),
                               Model, n=2000, seed=0)
    assert problems, f"{alter} survived {checked} drawn steps"


_PRESENT = sorted(n for n in E.ENCODED if n != "reference" and n in registry())


@pytest.mark.parametrize("name", _PRESENT)
def test_each_mutant_encoding_agrees_with_its_python_twin(name: str) -> None:
    _property(resolve(name), variant=name, examples=15)()


def test_a_mutant_is_not_the_reference_encoding() -> None:
    # the encoding is variant-specific: the mutant's Python code disagrees with the reference encoding
    with pytest.raises(AssertionError):
        _property(resolve("push-no-typ-check"), examples=300)()
