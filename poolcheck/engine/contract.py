"""The one engine contract (DESIGN.md section 8): verdict, violation, result, budget, protocol.

Every engine (sample, explore, fuzz, prove, go-tests, study) is reached through
``Engine.run(variant_spec, config, budget, progress) -> EngineResult``. Jobs are
plain data: the variant travels as its spec string (``resolve`` turns it back
into a class in whatever process runs the job), the configuration is a
JSON-like dict, the budget a small frozen dataclass; the result round-trips
through ``to_json``/``from_json`` so a worker process or a Dask worker can hand
it back. Engines never write report folders: the driver does
(poolcheck.artifacts), so the same finding from two workers is one folder.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from model.tracefile import Counterexample, jsonable
from poolcheck.progress import ProgressSink

__all__ = ["Verdict", "Violation", "ConfigRun", "EngineResult", "Budget", "Engine", "BUDGET_NAMES"]

BUDGET_NAMES = ("ci", "thorough")


class Verdict(enum.StrEnum):
    """Porcupine's Ok / Illegal / Unknown plus an engine that broke: a timeout is never a pass."""

    PASS = "pass"
    FAIL = "fail"
    INCOMPLETE = "incomplete"    # a budget ran out before the stated coverage
    ERROR = "error"              # the engine itself raised (not the variant: that is bad input)

    @staticmethod
    def worst(verdicts: Iterable[Verdict]) -> Verdict:
        """fail > error > incomplete > pass (an empty list is a pass)."""
        rank = [Verdict.PASS, Verdict.INCOMPLETE, Verdict.ERROR, Verdict.FAIL]
        return max(verdicts, key=rank.index, default=Verdict.PASS)



@dataclass
class Violation:
    """A property violated, the one type every engine reports.

    ``steps`` is the counterexample's length in scheduling points up to and
    including the violating one (the explorer's shortest-counterexample
    length); when an engine gives none, ``len(counterexample.schedule)``. ``seconds`` is the time to find it from the start
    of the engine's run; ``where`` names the configuration or search.
    """

    prop: str
    message: str
    steps: int | None = None
    counterexample: Counterexample | None = None
    where: str = ""
    seconds: float | None = None
    replayable: bool = True
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.steps is None and self.counterexample is not None and self.counterexample.schedule:
            self.steps = len(self.counterexample.schedule)

    def to_json(self) -> dict[str, Any]:
        return {"property": self.prop, "message": self.message, "steps": self.steps, "where": self.where,
                "seconds": None if self.seconds is None else round(self.seconds, 4), "replayable": self.replayable,
                "detail": jsonable(self.detail),
                "counterexample": self.counterexample.to_json() if self.counterexample else None}

    @staticmethod
    def from_json(d: dict[str, Any]) -> Violation:
        cx = d.get("counterexample")
        return Violation(d["property"], d["message"], d.get("steps"),
                         Counterexample.from_json(cx) if cx else None, d.get("where", ""), d.get("seconds"),
                         bool(d.get("replayable", True)), dict(d.get("detail") or {}))


@dataclass
class ConfigRun:
    """One configuration of a run: a scenario, a proof, a fuzzed target."""

    name: str
    verdict: str                         # pass | fail | incomplete | error | n/a
    seconds: float
    coverage: dict[str, Any] = field(default_factory=dict)
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "verdict": self.verdict, "seconds": round(self.seconds, 3),
                "coverage": jsonable(self.coverage), "detail": self.detail}

    @staticmethod
    def from_json(d: dict[str, Any]) -> ConfigRun:
        return ConfigRun(d["name"], d["verdict"], float(d["seconds"]), dict(d.get("coverage") or {}),
                         d.get("detail", ""))


@dataclass
class EngineResult:
    """What every engine returns.

    ``checked`` lists the property ids the run covered (the campaign's matrix
    cells), ``incomplete`` those it could not decide within the budget;
    ``coverage`` holds figures (states, transitions, examples, executions);
    ``goals`` the reachability goals and whether each was reached; ``configs``
    one row per configuration; ``data`` engine-specific plain data (fuzz's
    per-target table, prove's rows, the study's files).
    """

    engine: str
    variant: str
    verdict: Verdict
    violations: list[Violation] = field(default_factory=list)
    coverage: dict[str, Any] = field(default_factory=dict)
    goals: dict[str, bool] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    configs: list[ConfigRun] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def props(self) -> list[str]:
        """The violated property ids, each once, in the order found."""
        return list(dict.fromkeys(v.prop for v in self.violations))

    def first_of(self, props: Iterable[str] = ()) -> Violation | None:
        """The shortest violation of one of ``props`` (any property when none is wanted or found)."""
        want = set(props)
        pool = [v for v in self.violations if v.prop in want] or self.violations
        return min(pool, key=lambda v: (v.steps is None, v.steps or 0), default=None)

    def to_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "variant": self.variant, "verdict": self.verdict.value,
                "violations": [v.to_json() for v in self.violations], "coverage": jsonable(self.coverage),
                "goals": dict(self.goals), "seconds": round(self.seconds, 3), "notes": list(self.notes),
                "checked": list(self.checked), "incomplete": list(self.incomplete),
                "configs": [c.to_json() for c in self.configs], "data": jsonable(self.data)}

    @staticmethod
    def from_json(d: dict[str, Any]) -> EngineResult:
        return EngineResult(d["engine"], d["variant"], Verdict(d["verdict"]),
                            [Violation.from_json(v) for v in d.get("violations", [])], dict(d.get("coverage") or {}),
                            dict(d.get("goals") or {}), float(d.get("seconds", 0.0)), list(d.get("notes") or []),
                            list(d.get("checked") or []), list(d.get("incomplete") or []),
                            [ConfigRun.from_json(c) for c in d.get("configs", [])], dict(d.get("data") or {}))


@dataclass(frozen=True)
class Budget:
    """What a run may spend: work counts and CPU seconds, never wall seconds.

    ``name`` is the named budget (ci or thorough) the engines take their
    defaults from; the other fields override one figure (None: the default).
    ``max_states`` 0 means unbounded.
    """

    name: str = "ci"
    max_states: int | None = None      # explore: states per configuration
    examples: int | None = None        # fuzz: examples per search
    runs: int | None = None            # sample: executions per configuration
    cpu_seconds: float | None = None   # sample: CPU seconds per configuration

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "max_states": self.max_states, "examples": self.examples, "runs": self.runs,
                "cpu_seconds": self.cpu_seconds}

    @staticmethod
    def from_json(d: dict[str, Any] | str) -> Budget:
        if isinstance(d, str):
            return Budget(d)
        return Budget(**{k: d[k] for k in ("name", "max_states", "examples", "runs", "cpu_seconds") if k in d})


class Engine(Protocol):
    """``run`` checks ``variant`` (a spec string) on ``config`` within ``budget``, reporting to ``progress``.

    Bad input (a scenario, parameters, a variant) raises the model's own
    errors (ScenarioError, ParamError, VariantError), which the caller turns
    into exit status 2; anything else an engine raises is its own bug.
    """

    name: str
    module: str          # the module the engine needs (availability check)

    def run(self, variant: str, config: dict[str, Any], budget: Budget, progress: ProgressSink) -> EngineResult:
        ...
