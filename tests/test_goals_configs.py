"""The campaign's explore configurations (proofs/explore/bench_configs.py) reach every goal on the reference."""

from __future__ import annotations

import pytest

from model.scenario import parse
from model.variants import resolve
from poolcheck.campaign import explore_configs
from proofs.explore import explore
from proofs.explore.bench_configs import BENCH_CONFIGS, BenchConfig, by_name
from proofs.explore.goals import GOALS, witnesses

pytestmark = pytest.mark.explore


def test_the_campaign_reads_the_goal_configurations_and_they_cover_every_goal() -> None:
    names = {key for key, *_ in explore_configs("ci")}
    assert {"E4", "G1", "G2"} <= names
    covered = {g for c in BENCH_CONFIGS if c.name in names for g in c.goals}
    assert covered == {g.name for g in GOALS}


@pytest.mark.parametrize("c", BENCH_CONFIGS, ids=lambda c: c.name)
def test_each_configuration_declares_the_goals_its_manifest_states(c: BenchConfig) -> None:
    found = witnesses(c.target, parse(c.target, c.scenario), c.params)
    assert tuple(g.name for g in GOALS if g.name in found) == c.goals


@pytest.mark.parametrize("name", ["E4", "G1", "G2"])
def test_the_reference_reaches_every_goal_of_the_goal_configurations(name: str) -> None:
    c = by_name(name)
    res = explore(c.target, c.scenario, c.params)
    assert res.verdict == "pass" and res.complete, res.summary()
    assert res.goals == {g: True for g in c.goals}


@pytest.mark.parametrize("key, target, scenario, params", explore_configs("ci"), ids=lambda x: str(x)[:20])
def test_the_reference_reaches_every_declared_goal_of_every_campaign_configuration(key: str, target: str,
                                                                                   scenario: str,
                                                                                   params: object) -> None:
    res = explore(target, scenario, params)  # type: ignore[arg-type]
    assert res.verdict == "pass" and all(res.goals.values()), res.summary()


@pytest.mark.parametrize("variant, goal", [("grow-no-prev", "chain-backs-up"), ("grow-uncapped", "chain-limit")])
def test_the_new_chain_mutants_are_caught_on_the_campaign_configuration(variant: str, goal: str) -> None:
    c = by_name("G1")
    res = explore(c.target, c.scenario, c.params, resolve(variant))
    assert res.verdict == "fail" and goal in res.lost_goals, res.summary()
