"""Running the Hypothesis engines outside pytest: the machines and the scenario searches.

``fuzz(targets, examples, model, seed, save, progress)`` runs, for each
target, three searches of ``examples`` examples each:

- ``machine``: the layer's RuleBasedStateMachine (properties/machines.py),
  sequential operations against the specification;
- ``choices``: concurrent scenarios under burst schedules
  (properties/scenarios.py);
- ``pct``: concurrent scenarios under PCT schedules (properties/pct.py).

Each search stops at its first failing example and lets Hypothesis shrink it
(``hypothesis.find`` for scenarios; the state-machine test for machines, whose
last replay is the shrunk program). The shrunk counterexample is written
through the ``save`` sink (poolcheck.artifacts.saver(out): ``<out>/<prop>-<variant>-<hash>/trace.json``),
so ``poolcheck replay`` re-executes it. A machine's program is turned into a
scenario (its operations, thread by thread) and a schedule (each operation run
to its end, in the machine's order); that replay re-checks the execution with
properties.checks, so a violation only the machine's specification sees (P4's
exact lookup order) has no trace file; its Hypothesis program is reported
instead.

Seeds make runs reproducible: the same (seed, targets, examples, variant)
gives the same examples and the same counterexamples, whatever else the
process has imported (properties.profiles.stable_generation). ``seed=None`` draws
fresh randomness. By default no example database is used, so a run does
not depend on earlier runs; ``database=DIR`` shares failures between runs and
parallel workers (``database_key``, ``_share``): its saved failures are
replayed first, so a run with a database depends on what it holds.
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, find, given, settings
from hypothesis import seed as hseed
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import NoSuchExample
from hypothesis.reporting import with_reporter
from hypothesis.stateful import get_state_machine_test

from model.harness import build
from model.kernel import ScheduleError
from model.scenario import ScenarioError, parse
from model.tracefile import Counterexample, from_kernel
from model.variants import Model, spec_of
from properties.checks import check_execution
from properties.invariants import Violation
from properties.linearizability import Undecided
from properties.machines import LayerMachine, PropertyViolation, machine_for
from properties.profiles import stable_generation
from properties.scenarios import Case, Outcome, counterexample, minimize, run_case
from properties.scenarios import cases as case_strategy
from properties.sinks import Saver

__all__ = ["FuzzViolation", "FuzzResult", "fuzz", "search_cases", "search_machine", "SEARCHES", "TARGETS",
           "fuzz_settings", "database_key", "machine_counterexample", "machine_counterexamples"]

TARGETS = ("dequeue", "chain", "pool")
SEARCHES = ("machine", "choices", "pct")

Progress = Callable[[dict[str, Any]], None]


@dataclass
class FuzzViolation:
    """One shrunk counterexample.

    ``length`` is the number of operations in it, ``threads`` the number of
    threads; ``example`` is the shrunk case (scenarios) or the Hypothesis
    program (machines); ``trace_path`` is None when nothing was written
    (no ``save`` given, or a machine violation replay cannot re-check).
    """

    prop: str
    message: str
    target: str
    search: str
    counterexample: Counterexample | None
    trace_path: Path | None
    length: int
    threads: int
    example: str
    examples_to_find: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"property": self.prop, "message": self.message, "target": self.target, "search": self.search,
                "operations": self.length, "threads": self.threads, "example": self.example,
                "examples_to_find": self.examples_to_find,
                "trace": str(self.trace_path) if self.trace_path else None}


@dataclass
class FuzzResult:
    """The outcome of ``fuzz``: ``verdict`` is "pass" or "fail" ("incomplete" if a check was undecided)."""

    verdict: str
    violations: list[FuzzViolation] = field(default_factory=list)
    examples_run: int = 0
    seconds: float = 0.0
    time_to_first_violation: float | None = None
    per_target: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "examples_run": self.examples_run, "seconds": round(self.seconds, 3),
                "time_to_first_violation": None if self.time_to_first_violation is None
                else round(self.time_to_first_violation, 3),
                "per_target": self.per_target, "violations": [v.to_json() for v in self.violations]}


def fuzz_settings(examples: int, derandomize: bool = False, database: str | None = None) -> settings:
    """Settings for a search outside pytest: no deadline, every health check off, and no example database
    unless ``database`` names a directory (shared by parallel workers: see ``database_key``)."""
    db = DirectoryBasedExampleDatabase(database) if database is not None else None
    return settings(max_examples=examples, deadline=None, database=db, derandomize=derandomize,
                    suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False)


def database_key(model: type[Model], target: str, search: str) -> bytes:
    """The example-database key of one search on one variant.

    Parallel workers (``poolcheck fuzz --jobs N --database DIR``) run the same
    search under different seeds; with one key per (variant, target, search)
    a failure one worker saved is replayed first by every search that starts
    after it, in any worker (Hypothesis replays the database before it
    generates), so it is found once and then everywhere.
    """
    return f"poolcheck-fuzz:{spec_of(model)}:{target}:{search}".encode()


class _Found(Exception):
    """Raised inside a shared search's test when the condition holds (as hypothesis.find does)."""


def _share(test: Any, seed: int | None, key: bytes) -> None:
    """Seed ``test`` and give it a database key, keeping its database.

    ``hypothesis.seed`` (and ``find(random=...)``, which uses it) also sets the
    database to None, so a seeded search can neither replay nor save shared
    failures. This sets the same private attributes ``hypothesis.seed`` and
    ``find`` set, minus the database override: the search generates exactly
    what the seed says, after first replaying the database's entries for
    ``key`` (Hypothesis' reuse phase), and saves what it finds under ``key``.
    If a Hypothesis release renames these attributes the search stays seeded
    only through Hypothesis' defaults and sharing still works; tests/
    test_fuzz_sharing.py notices.
    """
    if seed is not None:
        test._hypothesis_internal_use_seed = seed
    test._hypothesis_internal_database_key = key


def _find_shared(strategy: Any, condition: Callable[[Any], bool], sts: settings, rng: random.Random | None,
                 key: bytes) -> Any:
    """``hypothesis.find`` with a seed *and* an example database (see ``_share``)."""
    last: list[Any] = []

    @sts
    @given(strategy)
    def test(v: Any) -> None:
        if condition(v):
            last[:] = [v]
            raise _Found

    _share(test, rng.getrandbits(64) if rng is not None else None, key)
    try:
        test()
    except _Found:
        return last[0]
    raise NoSuchExample(repr(condition))


def _sub_seed(seed: int, *parts: str) -> int:
    return zlib.crc32(":".join((str(seed),) + parts).encode())


class _Clock:
    """Shared counters of one fuzz run, for progress and time-to-first-violation."""

    def __init__(self, progress: Progress | None, t0: float) -> None:
        self.progress = progress
        self.t0 = t0
        self.examples = 0
        self.violations = 0
        self.first: float | None = None
        self.undecided = 0

    def tick(self, target: str, search: str, n: int, failed: bool) -> None:
        self.examples += 1
        if failed and self.first is None:
            self.first = time.monotonic() - self.t0
        if self.progress is not None:
            self.progress({"target": target, "search": search, "examples": self.examples, "search_examples": n,
                           "violations": self.violations + (1 if failed else 0),
                           "elapsed": time.monotonic() - self.t0})


# -- scenario searches ------------------------------------------------------
def search_cases(target: str, kind: str, model: type[Model] = Model, examples: int = 200, seed: int | None = 0,
                 clock: _Clock | None = None, minimal: bool = True,
                 database: str | None = None) -> tuple[int, Outcome | None, int]:
    """Search concurrent cases of ``kind``; return (examples run, the shrunk failing outcome or None, examples to
    the first failure).

    The failing case is shrunk by Hypothesis, then (``minimal``) by
    properties.scenarios.minimize, a deletion pass over its explicit
    schedule; ``outcome.case`` is the result and ``shrunk_by_hypothesis`` in
    the counterexample's extra data records Hypothesis's own result.
    """
    clock = clock or _Clock(None, time.monotonic())
    n = 0
    first = 0

    def fails(case: Case) -> bool:
        nonlocal n, first
        n += 1
        o = run_case(case, model)
        failed = o.failed   # an undecided history still fails on the execution's other violations
        clock.undecided += o.undecided
        if failed and not first:
            first = n
        clock.tick(target, kind, n, failed)
        return failed

    rng = random.Random(_sub_seed(seed, target, kind)) if seed is not None else None
    try:
        with stable_generation():
            if database is None:
                case = find(case_strategy(target, kind, model), fails, settings=fuzz_settings(examples), random=rng)
            else:
                case = _find_shared(case_strategy(target, kind, model), fails, fuzz_settings(examples, database=database),
                                    rng, database_key(model, target, kind))
    except NoSuchExample:
        return n, None, 0
    o = run_case(case, model)
    return n, (minimize(o, model) if minimal else o), first


# -- machine searches -------------------------------------------------------
@dataclass
class _MachineFailure:
    machine: LayerMachine
    error: BaseException
    program: str


def search_machine(target: str, model: type[Model] = Model, examples: int = 200, seed: int | None = 0,
                   clock: _Clock | None = None, database: str | None = None) -> tuple[int, _MachineFailure | None, int]:
    """Run ``target``'s state machine for ``examples`` examples; return (examples run, the shrunk failure or
    None, examples to the first failure)."""
    clock = clock or _Clock(None, time.monotonic())
    cls = machine_for(target, model)
    n = 0
    first = 0
    current: list[LayerMachine] = []

    raised = [PropertyViolation.raised]

    def factory() -> LayerMachine:
        nonlocal n, first
        if current:
            failed = PropertyViolation.raised != raised[0]
            raised[0] = PropertyViolation.raised
            if failed and not first:
                first = n
            clock.tick(target, "machine", n, failed)
        n += 1
        m = cls()
        current[:] = [m]
        return m

    # get_state_machine_test accepts any factory (its docs: "anything which returns an instance").
    test = get_state_machine_test(factory, settings=fuzz_settings(examples, database=database))  # type: ignore[arg-type]
    if database is not None:
        _share(test, _sub_seed(seed, target, "machine") if seed is not None else None,
               database_key(model, target, "machine"))
    elif seed is not None:
        test = hseed(_sub_seed(seed, target, "machine"))(test)
    lines: list[str] = []
    try:
        with with_reporter(lambda s: lines.append(str(s))), stable_generation():
            test()
    except Exception as e:  # the shrunk failure, replayed last by Hypothesis
        first = first or n
        clock.tick(target, "machine", n, True)
        notes = [str(x) for x in getattr(e, "__notes__", [])]  # Hypothesis attaches the program as notes
        program = "\n".join(x for x in notes + lines if x.strip())
        return n, _MachineFailure(current[0], e, program), first
    if current:
        clock.tick(target, "machine", n, False)
    return n, None, 0


def _machine_violation(f: _MachineFailure) -> tuple[str, str]:
    if isinstance(f.error, PropertyViolation):
        return f.error.violation.prop, f.error.violation.message
    return "G1", f"the {f.machine.target} machine raised {type(f.error).__name__}: {f.error}"


def machine_counterexamples(f: _MachineFailure, model: type[Model]) -> tuple[list[Counterexample], str]:
    """The machine's program replayed as a scenario: one Counterexample per property the replay violates
    (the first violation of each; the machine's own property first when the replay shows it), or ([], why
    there is none).

    Each Counterexample names the property its own replay shows (``cx.prop``), never the machine's when the
    replay does not show that one: a report folder and its trace must agree with the line that links them.
    """
    m = f.machine
    prop, message = _machine_violation(f)
    nthreads = max((t for t, _, _ in m.log), default=-1) + 1
    words: list[list[str]] = [[] for _ in range(nthreads)]
    for t, w, _ in m.log:
        words[t].append(w)
    if not m.log or any(not ws for ws in words):
        return [], "the machine's program leaves a thread without operations, which a scenario cannot express"
    text = " | ".join(" ".join(ws) for ws in words)
    try:
        sc = parse(m.target, text, model.multi_producer)
        world = build(m.target, sc, m.params, model)
        k = world.kernel()
        for t, _, _ in m.log:
            k.run_op(t)
        vs = check_execution(world, k)
    except (ScenarioError, ScheduleError, Undecided) as e:
        return [], f"the program cannot be replayed as a scenario: {e}"
    if not vs:
        return [], (f"{prop} is seen by the machine's specification only; replaying the execution re-checks "
                    f"properties.checks, which does not evaluate it")
    firsts: dict[str, Violation] = {}
    for v in vs:
        firsts.setdefault(v.prop, v)
    order = sorted(firsts, key=lambda q: q != prop)   # the machine's property first, then the replay's order
    info = {"search": "machine", "machine_property": prop, "machine_message": message, "machine_program": f.program,
            "threads": nthreads, "operations": len(m.log), "all_violations": sorted(firsts)}
    out = [from_kernel(k, target=m.target, scenario=text, params=m.params, variant=spec_of(model), prop=q,
                       message=message if q == prop else firsts[q].message, engine="hypothesis",
                       violating_step=firsts[q].step, extra=info)
           for q in order]
    return out, ""


def machine_counterexample(f: _MachineFailure, model: type[Model]) -> tuple[Counterexample | None, str]:
    """The first of ``machine_counterexamples``: the machine's own property when the replay shows it."""
    cxs, why = machine_counterexamples(f, model)
    return (cxs[0] if cxs else None), why


# -- the whole run ----------------------------------------------------------
def fuzz(targets: Sequence[str] = TARGETS, examples: int = 200, model: type[Model] = Model,
         seed: int | None = 0, save: Saver | None = None,
         progress: Callable[[dict[str, Any]], None] | None = None, database: str | None = None) -> FuzzResult:
    """Run every machine and scenario search on ``targets`` for ``model``; save counterexamples through ``save``.

    ``examples`` is the budget of each search (three per target). ``progress``
    is called after every example with a dict: target, search, examples (so far,
    all searches), search_examples, violations, elapsed. ``database``: a
    directory of Hypothesis examples shared with other runs (``database_key``);
    its saved failures are replayed before anything is generated.
    """
    bad = [t for t in targets if t not in TARGETS]
    if bad:
        raise ValueError(f"unknown target {bad[0]!r}: use one of {', '.join(TARGETS)}")
    if examples < 1:
        raise ValueError(f"examples={examples}: give at least 1")
    t0 = time.monotonic()
    clock = _Clock(progress, t0)
    res = FuzzResult("pass")
    for target in targets:
        row: dict[str, Any] = {}
        for search in SEARCHES:
            ts = time.monotonic()
            found: list[FuzzViolation] = []
            if search == "machine":
                n, mf, first = search_machine(target, model, examples, seed, clock, database)
                if mf is not None:
                    found = _from_machine(target, mf, model, save, first)
            else:
                n, outcome, first = search_cases(target, search, model, examples, seed, clock, database=database)
                if outcome is not None:
                    found = _from_outcome(target, search, outcome, model, save, first)
            if found:
                res.violations.extend(found)
                clock.violations += 1
            row[search] = {"examples": n, "verdict": "fail" if found else "pass",
                           "seconds": round(time.monotonic() - ts, 3),
                           "property": found[0].prop if found else None,
                           "properties": sorted({v.prop for v in found})}
        row["seconds"] = round(sum(r["seconds"] for r in row.values()), 3)
        row["examples"] = sum(r["examples"] for r in row.values() if isinstance(r, dict))
        row["verdict"] = "fail" if any(r["verdict"] == "fail" for r in row.values() if isinstance(r, dict)) \
            else "pass"
        res.per_target[target] = row
    res.examples_run = clock.examples
    res.seconds = time.monotonic() - t0
    res.time_to_first_violation = clock.first
    if res.violations:
        res.verdict = "fail"
    elif clock.undecided:
        res.verdict = "incomplete"
    return res


def _from_outcome(target: str, search: str, o: Outcome, model: type[Model], save: Saver | None,
                  first: int) -> list[FuzzViolation]:
    """One FuzzViolation per property the shrunk execution violates (first violation of each), as the
    explorer reports one counterexample per property; they share the execution."""
    info: dict[str, Any] = {"search": search, "examples_to_find": first}
    if o.shrunk_from is not None:
        info["shrunk_by_hypothesis"] = str(o.shrunk_from)
    found: list[FuzzViolation] = []
    seen: set[str] = set()
    for v in o.violations:
        if v.prop in seen:
            continue
        seen.add(v.prop)
        cx = counterexample(o, model, "hypothesis", violation=v, extra=info)
        path = save(cx) / "trace.json" if save is not None else None
        found.append(FuzzViolation(v.prop, v.message, target, search, cx, path, o.case.nops, o.case.nthreads,
                                   str(o.case), first))
    return found


def _from_machine(target: str, f: _MachineFailure, model: type[Model], save: Saver | None,
                  first: int) -> list[FuzzViolation]:
    """The machine's violation, then one per other property its replay shows.

    A FuzzViolation links a report folder only when the folder is about the same property
    (``trace_path`` is None otherwise): the machine's property when the replay re-checks it, else no trace
    for it, and each property the replay shows gets its own violation and folder.
    """
    prop, message = _machine_violation(f)
    cxs, why = machine_counterexamples(f, model)
    m = f.machine
    threads = len({t for t, _, _ in m.log})
    own = [cx for cx in cxs if cx.prop == prop]
    if not own:
        shown = ", ".join(cx.prop for cx in cxs)
        why = why or (f"replaying the execution as a scenario shows {shown} but not {prop} ({prop} is seen by "
                      f"the machine's specification only); see the {shown} report(s)")
    found: list[FuzzViolation] = []
    for cx in own + [cx for cx in cxs if cx.prop != prop]:
        path = save(cx) / "trace.json" if save is not None else None
        example = f"{cx.scenario!r} (sequential schedule)\n{f.program}"
        found.append(FuzzViolation(cx.prop, cx.message, target, "machine", cx, path, len(m.log), threads, example,
                                   first))
    if not own:
        found.insert(0, FuzzViolation(prop, f"{message} [no trace: {why}]", target, "machine", None, None,
                                      len(m.log), threads, f.program, first))
    for v in found:   # the line and the folder it links name the same property
        assert v.counterexample is None or v.counterexample.prop == v.prop
    return found
