"""Reachability goals (issue 12 items 5 and 6): witnessed declarations, lost behaviour, unreachable goals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from model.params import Params
from model.scenario import parse
from model.variants import resolve
from poolcheck.cli import main
from proofs.explore import explore
from proofs.explore.goals import GOALS, witnesses

pytestmark = pytest.mark.explore


def _json(args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    rc = main(["explore", *args, "--json", "--out", str(tmp_path)])
    return rc, json.loads(capsys.readouterr().out)


# -- item 6: a goal the scenario cannot reach is the scenario's problem ----------------------------------
def test_second_gc_drops_the_victim_so_put_gc_gc_get_passes(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    rc, d = _json(["pool", "put gc gc get"], tmp_path, capsys)
    assert rc == 0 and d["verdict"] == "pass"
    assert "victim-hit" not in d["goals"] and "victim-hit" in d["not_exercised"]
    assert d["goals"] == {"pinslow-allocates": True}


def test_one_gc_between_put_and_get_still_declares_victim_hit() -> None:
    assert "victim-hit" in witnesses("pool", parse("pool", "put gc get"), Params())
    assert "victim-hit" in witnesses("pool", parse("pool", "put gc get | gc"), Params())  # one gc either side


def test_a_required_goal_the_scenario_cannot_reach_is_incomplete_exit_3(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    rc, d = _json(["pool", "put gc gc get", "--goal", "victim-hit"], tmp_path, capsys)
    assert rc == 3 and d["verdict"] == "incomplete" and d["complete"] is True
    assert d["unreachable_goals"] == ["victim-hit"] and not d["violations"]
    res = explore("pool", "put gc gc get", Params(), require_goals=["victim-hit"])
    assert res.verdict == "incomplete" and "not reachable in this scenario" in res.summary()


def test_an_unknown_required_goal_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", "pool", "put get", "--goal", "push-full"]) == 2
    err = capsys.readouterr().err
    assert "not a pool goal" in err and "victim-hit" in err and "Traceback" not in err


def test_a_declared_goal_the_reference_search_misses_is_incomplete_not_a_violation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import proofs.explore as ex
    from proofs.explore.goals import Goal, Witness

    never = Goal("never", "dequeue", "a statement no model performs", "nowhere.go:", lambda e, r, m, p, c: True)

    def declared(*args: object) -> tuple[list[Goal], dict[str, Witness]]:
        return [never], {"never": Witness("never", (0,), "made up")}

    monkeypatch.setattr(ex, "declared_goals", declared)
    res = explore("dequeue", "push pop", Params(size=2))
    assert res.verdict == "incomplete" and res.unreached_goals == ["never"] and not res.lost_goals
    assert "bug of the explorer" in res.summary()


# -- lost behaviour: a goal the reference reaches here and the variant does not ------------------------
def test_grow_no_prev_loses_chain_backs_up_with_no_other_violation(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The owner's tail empties d1, so the reference's popHead backs up to d1 and finds it empty: the same
    results as a chain without prev links, which only the goal tells apart."""
    rc, d = _json(["chain", "push push tail pop pop", "--init-size", "1", "--variant", "grow-no-prev"], tmp_path,
                  capsys)
    assert rc == 1 and d["verdict"] == "fail" and not d["violations"]
    assert d["lost_goals"] == ["chain-backs-up"]
    assert any("chain-backs-up" in n and "the reference reaches it" in n for n in d["notes"])
    ref = explore("chain", "push push tail pop pop", Params(init_size=1))
    assert ref.verdict == "pass" and ref.goals["chain-backs-up"]


def test_grow_uncapped_is_caught_by_c5_and_loses_chain_limit() -> None:
    res = explore("chain", "push push push push", Params(init_size=1, dequeue_limit=2), resolve("grow-uncapped"))
    assert res.verdict == "fail" and [v.prop for v in res.violations] == ["C5"]
    assert res.lost_goals == ["chain-limit"] and "lost behaviour: chain-limit" in res.summary()


def test_equivalent_publish_early_keeps_chain_limit() -> None:
    """chain-limit reads the new size from the d2.vals write, not from memory at d.next.Store(d2): a variant that
    publishes d2 before its ring (equivalent under Go's memory model) reaches it too."""
    res = explore("chain", "push push push push", Params(init_size=1, dequeue_limit=2),
                  resolve("chain-publish-early"))
    assert res.verdict == "pass" and res.goals == {"chain-grows": True, "chain-limit": True}


@pytest.mark.parametrize("variant, scenario, params, goal", [
    ("pin-local-first", "put put | get", Params(gomaxprocs=2), "stale-localsize"),
    ("put-overwrites-private", "put put | get", Params(gomaxprocs=2), "steal"),
    ("victim-tiers-0", "put put gc get get get", Params(), "victim-tail-hit"),
])
def test_pool_variants_that_lose_a_pool_goal(variant: str, scenario: str, params: Params, goal: str) -> None:
    res = explore("pool", scenario, params, resolve(variant))
    assert res.complete and goal in res.lost_goals, (res.summary(), res.goals)
    assert explore("pool", scenario, params).goals[goal]


# -- the declarations -----------------------------------------------------------------------------------
def test_every_goal_has_a_unique_name_and_a_known_target() -> None:
    names = [g.name for g in GOALS]
    assert len(names) == len(set(names))
    assert {g.target for g in GOALS} == {"dequeue", "chain", "pool"}


def test_each_witness_replays_on_the_reference_kernel_and_reaches_its_goal() -> None:
    from model.harness import build
    from model.variants import Model
    from proofs.explore.goals import _Watch

    for target, sc, params in [("pool", "put put gc get get | procs=2 get", Params(gomaxprocs=1)),
                               ("chain", "push push push push pop pop | tail tail", Params(init_size=1,
                                                                                           dequeue_limit=2))]:
        found = witnesses(target, parse(target, sc), params)
        world = build(target, sc, params, Model)
        for name, w in found.items():
            k = _Watch(world, {g.name: g for g in GOALS if g.name == name})
            for tid in w.schedule:
                k.step(tid)
            assert name in k.hits, f"{name}: {w.describe()}"


def test_procs_scenarios_declare_goals() -> None:
    found = witnesses("pool", parse("pool", "put procs=2 | put"), Params())
    assert {"pinslow-allocates", "gomaxprocs-change"} <= set(found)


@pytest.mark.slow
def test_random_scenarios_reach_every_declared_goal_with_and_without_reduction() -> None:
    """Witnessed declarations are sound, and the op-context goals survive the live-variable reduction."""
    import random

    from test_explore_sweep import _scenario  # tests/ is on sys.path (pytest's rootdir-less test modules)

    rng = random.Random(1)
    checked = declared = 0
    while checked < 40:
        target = rng.choice(["dequeue", "chain", "pool"])
        scenario, params = _scenario(rng, target)
        on = explore(target, scenario, params, max_states=50_000)
        if not on.complete:
            continue
        off = explore(target, scenario, params, reduction=False, max_states=300_000)
        if not off.complete:
            continue
        checked += 1
        declared += len(on.goals)
        assert on.verdict == "pass" and not on.unreached_goals, on.summary()
        assert on.goals == off.goals, (target, scenario, params)
    assert declared > 40
