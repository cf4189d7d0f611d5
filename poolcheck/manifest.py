"""The manifest (poolcheck/manifest.json): every configuration and budget with its expected result.

In the style of tlaplus/Examples' manifest: each explorer configuration the
campaign or the bench runs is listed with the budgets it belongs to, its
expected verdict on the reference and its exact state and transition counts
(with the reduction on, and off where given). A scheduling point added to or
lost from the model changes a count, and the campaign, ``poolcheck bench`` and
tests/test_manifest.py say so instead of passing silently.

    manifest.budget("ci")["sample_runs"]                      # 300
    manifest.expected("dequeue", "push push pop | tail tail", Params(size=2))   # Entry(..., states=169)
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.params import Params

__all__ = ["PATH", "Entry", "load", "budget", "explore_entries", "expected", "count_mismatch"]

PATH = Path(__file__).with_name("manifest.json")


@dataclass(frozen=True)
class Entry:
    """One explorer configuration of the manifest and what the reference must give on it."""

    name: str
    target: str
    scenario: str
    params: Params
    budgets: tuple[str, ...]
    expected: str
    states: int
    transitions: int
    states_without_reduction: int | None = None
    transitions_without_reduction: int | None = None

    def counts(self, reduction: bool = True) -> tuple[int, int] | None:
        if reduction:
            return self.states, self.transitions
        if self.states_without_reduction is None or self.transitions_without_reduction is None:
            return None
        return self.states_without_reduction, self.transitions_without_reduction


@functools.cache
def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PATH.read_text(encoding="utf-8"))
    return data


def budget(name: str) -> dict[str, Any]:
    """The figures of budget ``name`` (ci or thorough)."""
    figures: dict[str, Any] = load()["budgets"][name]
    return figures


def _params(d: dict[str, Any]) -> Params:
    return Params().with_(**d)


@functools.cache
def explore_entries() -> tuple[Entry, ...]:
    out = []
    for e in load()["explore"]:
        off = e.get("without_reduction") or {}
        out.append(Entry(e["name"], e["target"], e["scenario"], _params(e["params"]), tuple(e["budgets"]),
                         e["expected"], int(e["states"]), int(e["transitions"]), off.get("states"),
                         off.get("transitions")))
    return tuple(out)


def expected(target: str, scenario: str, params: Params) -> Entry | None:
    """The manifest's entry for this configuration, if it has one."""
    return next((e for e in explore_entries() if (e.target, e.scenario, e.params) == (target, scenario, params)),
                None)


def count_mismatch(target: str, scenario: str, params: Params, reduction: bool, states: int,
                   transitions: int) -> str:
    """"" when a complete run of the reference matches the manifest (or it has no count), else one sentence."""
    e = expected(target, scenario, params)
    want = e.counts(reduction) if e is not None else None
    if e is None or want is None or want == (states, transitions):
        return ""
    return (f"{e.name}: {states:,} states and {transitions:,} transitions, but the manifest says {want[0]:,} and "
            f"{want[1]:,} (poolcheck/manifest.json): a scheduling point was added or lost")
