"""Saved counterexamples (tests/regressions/*.json): each still reproduces on its variant and holds on the reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.tracefile import load
from model.variants import Model
from poolcheck.replay import replay

REGRESSIONS = sorted((Path(__file__).parent / "regressions").glob("*.json"))


def test_there_are_regressions() -> None:
    assert len(REGRESSIONS) >= 2


@pytest.mark.parametrize("path", REGRESSIONS, ids=lambda p: p.stem)
def test_reproduces_on_its_variant(path: Path) -> None:
    cx = load(path)
    res = replay(cx)
    assert res.reproduced, f"{path.name}: {cx.prop} no longer shows on {cx.variant}: {res.violations}"
    assert not res.mismatches, res.mismatches


@pytest.mark.parametrize("path", REGRESSIONS, ids=lambda p: p.stem)
def test_holds_on_the_reference(path: Path) -> None:
    cx = load(path)
    res = replay(cx, Model)
    assert not res.violations, f"{path.name}: the reference violates {res.violations}"
