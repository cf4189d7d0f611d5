"""proofs/explore/liveness.py: live variables and hidden stack values of suspended generators."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from proofs.explore.liveness import CodeFacts, frame_key

pytestmark = pytest.mark.explore


def _straight(a: int) -> Generator[int, Any, int]:
    b = yield a          # live after: b's value comes from the send; a is dead
    c = yield b + 1      # live after: b
    return b + c


def _loop(n: int) -> Generator[int, Any, None]:
    for i in range(n):   # the range iterator sits on the stack: hidden
        yield i * 2


def _sub() -> Generator[int, Any, int]:
    x = yield 1
    return x


def _outer(k: int) -> Generator[int, Any, int]:
    y = yield from _sub()
    return y + k


def _started(g: Generator[int, Any, Any], *sends: Any) -> Generator[int, Any, Any]:
    next(g)
    for s in sends:
        g.send(s)
    return g


def test_live_locals_after_each_yield() -> None:
    facts = CodeFacts(_straight.__code__)
    assert facts.ok
    lives = [facts.live[o] for o in sorted(facts.live)]
    assert lives == [(), ("b",)]
    assert not any(facts.hidden.values())


def test_a_for_loop_iterator_is_hidden_state() -> None:
    facts = CodeFacts(_loop.__code__)
    assert facts.ok and all(facts.hidden.values())
    assert frame_key(_started(_loop(3))) is None


def test_dead_values_do_not_split_keys() -> None:
    # Different arguments, dead after the first yield: same key at the second yield with the same b.
    g1, g2 = _started(_straight(1), 5), _started(_straight(2), 5)
    k1, k2 = frame_key(g1), frame_key(g2)
    assert k1 is not None and k1 == k2
    # A different live value: different keys.
    assert frame_key(_started(_straight(1), 6)) != k1


def test_yield_from_chains_are_keyed_frame_by_frame() -> None:
    k1, k2 = frame_key(_started(_outer(1))), frame_key(_started(_outer(2)))
    assert k1 is not None and k2 is not None and k1 != k2  # k is live in the outer frame
    assert len(k1) == 2


def test_unkeyable_locals_fall_back() -> None:
    def gen(f: Any) -> Generator[int, Any, Any]:
        yield 1
        return f()

    assert frame_key(_started(gen(lambda: 3))) is None


def test_model_handles_are_keyed_by_value() -> None:
    from model.harness import build
    from model.params import Params

    w = build("dequeue", "push | tail", Params(size=2))
    op = w.programs[1][0]
    k1, k2 = frame_key(_started(op.start())), frame_key(_started(op.start()))  # type: ignore[arg-type]
    assert k1 is not None and k1 == k2
