"""What "the same result as the serial search" means, for the tests of other ways to run the explorer.

tests/test_native_core.py (the compiled search core) and
tests/test_parallel_explore.py (worker processes) both hold a way of running
the explorer to one standard: the verdict, completeness, state and transition
counts, depth, terminal states, goals and the (property, length, replayable)
of every counterexample equal those of a reference run. The comparison, the
mutant witnesses it runs on, the replay of a known counterexample and the
``poolcheck explore --json`` comparison live here once; each test module says
only which two runs it compares.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from model.params import Params
from model.variants import Model, registry, resolve
from poolcheck.replay import replay
from proofs.explore import ExploreResult, explore
from proofs.explore.bench_configs import by_name

Options = dict[str, Any]
"""Keyword arguments of proofs.explore.explore that select how to run it (core, jobs, reduction, ...)."""


def facts(r: ExploreResult) -> tuple[Any, ...]:
    """Everything two equivalent runs must agree on."""
    return (r.verdict, r.complete, r.states, r.transitions, r.max_depth, r.terminal_states, dict(r.goals),
            sorted((v.prop, v.length, v.replayable) for v in r.violations))


def assert_same(target: str, scenario: str, params: Params, model: type[Model] = Model, *,
                reference: Options, candidate: Options) -> ExploreResult:
    """Explore twice, with the ``reference`` and the ``candidate`` options; the facts must be equal."""
    ref = explore(target, scenario, params, model, **reference)
    got = explore(target, scenario, params, model, **candidate)
    assert facts(got) == facts(ref), (ref.summary(), got.summary())
    return got


LARGE_BENCH = ("E3", "E5")
"""The bench configurations of over 100,000 states: slow tier."""


def assert_same_on_config(name: str, *, reference: Options, candidate: Options) -> ExploreResult:
    """``assert_same`` on the bench configuration ``name`` (proofs/explore/bench_configs.py)."""
    c = by_name(name)
    return assert_same(c.target, c.scenario, c.params, reference=reference, candidate=candidate)


BIG_WITNESSES = {"chain-drop-without-cas", "chain-publish-early"}  # over 20,000 states: slow tier
MUTANT_WITNESSES = [pytest.param(n, cls, id=n, marks=[pytest.mark.slow] if n in BIG_WITNESSES else [])
                    for n, cls in sorted(registry().items()) if getattr(cls, "witness", None) is not None]
"""(name, variant) of every registered variant with a witness scenario, for ``pytest.mark.parametrize``."""


def assert_same_on_witness(cls: type[Model], *, reference: Options, candidate: Options) -> None:
    """``assert_same`` on the variant's witness; a mutant must also fail with one of its expected properties."""
    target, scenario, params = cls.witness  # type: ignore[misc]
    r = assert_same(target, scenario, params, cls, reference=reference, candidate=candidate)
    if cls.expected:
        assert r.verdict == "fail" and {v.prop for v in r.violations} & set(cls.expected)


def assert_counterexamples_replay(**options: Any) -> None:
    """push-no-typ-check's four shortest counterexamples (lengths known) replay in the kernel and show the property."""
    r = explore("dequeue", "push push push | tail tail", Params(size=2), resolve("push-no-typ-check"), **options)
    assert {(v.prop, v.length) for v in r.violations} == {("D7", 11), ("D5", 13), ("D2", 14), ("D3", 15)}
    for v in r.violations:
        assert v.replayable
        rep = replay(v.counterexample)
        assert rep.reproduced and v.prop in {x.prop for x in rep.violations}, v.prop


EXPLORE_ARGV = ["explore", "chain", "push push pop | tail tail | tail", "--init-size", "1", "--limit", "4", "--json"]
"""A chain exploration of 18,553 states, for comparing ways of running ``poolcheck explore``."""


def assert_command_json_same(capsys: pytest.CaptureFixture[str], out: Path, *extras: list[str]) -> None:
    """``poolcheck explore EXPLORE_ARGV`` with each of ``extras`` exits 0 with the same counts, goals and verdict."""
    from poolcheck.cli import main
    keys = ("verdict", "states", "transitions", "max_depth", "terminal_states", "goals")
    got = []
    for extra in extras:
        rc = main(EXPLORE_ARGV + ["--out", str(out)] + extra)
        d = json.loads(capsys.readouterr().out)
        assert rc == 0
        got.append({k: d[k] for k in keys})
    assert len(got) >= 2 and all(g == got[0] for g in got) and got[0]["states"] == 18553
