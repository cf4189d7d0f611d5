"""One engine run split into parts and put back together (the campaign's jobs, issue 15).

A stage can hand its engine one configuration (one scenario, one fuzz
target, one proof row) per job; ``merge`` turns the parts' results, given in
the order the parts were planned, into the result one run over all of them
would report. Because the driver always merges parts in plan order, the
result does not depend on where or in which order the parts ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from poolcheck.engine.checked import order
from poolcheck.engine.contract import EngineResult, Verdict

__all__ = ["merge", "MAX_KEYS", "MIN_KEYS"]

# Coverage figures that are a bound or a depth (the largest part's), not a count (summed).
MAX_KEYS = frozenset({"max_depth", "proof_depth", "max_states", "examples_per_search"})
# Times to an event: the earliest part's.
MIN_KEYS = frozenset({"time_to_first_violation"})


def _combine(key: str, a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    if key in MAX_KEYS:
        return max(a, b)
    if key in MIN_KEYS:
        return min(a, b)
    if key == "verdict" and isinstance(a, str) and isinstance(b, str) and {a, b} <= set(Verdict):
        return Verdict.worst((Verdict(a), Verdict(b))).value
    if isinstance(a, bool) or isinstance(b, bool):
        return a and b if key == "complete" else a or b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a + b
    if isinstance(a, list) and isinstance(b, list):
        return a + [x for x in b if x not in a]
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _combine(k, out.get(k), v)
        return out
    return a   # a label (the seed, a variant name): the first part's


def merge(parts: Sequence[EngineResult]) -> EngineResult:
    """The parts' results as one: the worst verdict, every violation (parts in plan order), summed counts."""
    if not parts:
        raise ValueError("merge needs at least one part")
    if len({p.engine for p in parts}) != 1 or len({p.variant for p in parts}) != 1:
        raise ValueError("merge takes parts of one engine's run on one variant")
    first = parts[0]
    if len(parts) == 1:
        return first
    coverage: dict[str, Any] = {}
    data: dict[str, Any] = {}
    goals: dict[str, bool] = {}
    for p in parts:
        coverage = _combine("", coverage, p.coverage)
        data = _combine("", data, p.data)
        for g, ok in p.goals.items():
            goals[g] = goals.get(g, False) or ok
    checked = sorted({x for p in parts for x in p.checked}, key=order)
    violated = {v.prop for p in parts for v in p.violations}
    incomplete = sorted({x for p in parts for x in p.incomplete} - violated, key=order)
    return EngineResult(first.engine, first.variant, Verdict.worst(p.verdict for p in parts),
                        [v for p in parts for v in p.violations], coverage, goals, sum(p.seconds for p in parts),
                        [n for p in parts for n in p.notes], checked, incomplete,
                        [c for p in parts for c in p.configs], data)
