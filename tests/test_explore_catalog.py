"""The explorer's state checks come from the catalog (issue 13): no target -> properties map of its own."""

from __future__ import annotations

import dataclasses

import pytest

from model.harness import build
from model.params import Params
from proofs.explore.checks import StateChecks
from properties import catalog
from properties.state_checks import STATE_CHECKS

WORLDS = {"dequeue": ("push | tail", Params()), "chain": ("push push | tail", Params(init_size=1)),
          "pool": ("put get | get", Params())}


@pytest.mark.parametrize("target,ids", [("dequeue", ["D1", "D2"]), ("chain", ["D1", "D2", "C5", "C6"]),
                                        ("pool", ["P9", "P11"])])
def test_the_explorer_checks_the_catalogs_state_properties(target: str, ids: list[str]) -> None:
    scenario, params = WORLDS[target]
    assert StateChecks(build(target, scenario, params)).checks == [STATE_CHECKS[i] for i in ids]


def test_a_catalog_change_reaches_the_explorer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take C5 off and give D1 no chain: the explorer's chain checks follow, with nothing else edited."""
    changed = tuple(dataclasses.replace(p, also_in=()) if p.id == "D1" else p
                    for p in catalog.CATALOG if p.id != "C5")
    monkeypatch.setattr(catalog, "CATALOG", changed)
    checks = StateChecks(build("chain", *WORLDS["chain"])).checks
    assert checks == [STATE_CHECKS["D2"], STATE_CHECKS["C6"]]
