"""The pytest plugin (entry point ``pytest11``): poolcheck as a CI gate.

Options: ``--poolcheck-variant`` (the variant the gate's property tests check:
a registered name, ``path/to/file.py:Class`` or ``module:Class``; default
reference), ``--poolcheck-budget`` (ci or thorough) and ``--poolcheck-out``
(where counterexample reports go; default reports/).

Fixtures: ``poolcheck_variant`` (the spec), ``poolcheck_model`` (the class),
``poolcheck_budget``, ``poolcheck_out`` and ``poolcheck_stage``: a function
that runs a campaign stage (poolcheck.campaign: ``sample``, ``explore``, ...)
once per session on the selected variant and returns its StageResult.

``assert_no_violation(violations)`` is the assertion every property test
uses: it fails with the property and its statement, the sentence saying what
went wrong, a compact trace (at most 20 lines: thread, Go statement, value)
and the paths of report.html and trace.json. At the end of the session the
reports written are listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from model.tracefile import Counterexample, TraceFileError, load
from model.variants import Model, VariantError, resolve

__all__ = ["pytest_addoption", "pytest_configure", "assert_no_violation", "violation_message", "gate_properties",
           "MARKERS"]

MARKERS = {
    "explore": "exhaustive exploration tests",
    "hypothesis": "Hypothesis machines and scenarios",
    "proof": "Z3 and CrossHair proofs",
    "conformance": "differential tests against the real Go implementation",
    "slow": "long-running tests (deselect with -m 'not slow')",
    "quality": "mutant meta-tests (a known bug must be found)",
}

_REPORTS: list[str] = []    # report.html files named by the failures of this session
_REPORT_LINE = re.compile(r"\breport: (\S+report\.html)$", re.M)


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("poolcheck")
    g.addoption("--poolcheck-variant", default="reference",
                help="variant the property tests check: a name, path/to/file.py:Class or module:Class")
    g.addoption("--poolcheck-budget", default="ci", choices=("ci", "thorough"), help="budget of the property tests")
    g.addoption("--poolcheck-out", default="reports", type=Path, help="directory for counterexample reports")
    g.addoption("--poolcheck-no-replay-check", action="store_true",
                help="do not replay, at the end of the session, every counterexample the session saved")


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    spec = config.getoption("--poolcheck-variant", default="reference")
    if spec and spec != "reference":
        try:
            resolve(str(spec))
        except VariantError as e:
            raise pytest.UsageError(f"--poolcheck-variant: {e}") from None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        _REPORTS.extend(_REPORT_LINE.findall(report.longreprtext))


def _unreplayable() -> list[str]:
    """Saved counterexamples that do not reproduce their property (declared non-replayable ones excepted)."""
    from poolcheck import artifacts
    from poolcheck.replay import replay
    bad = []
    seen: set[Path] = set()
    for folder, writer in artifacts.saved():
        if folder in seen or not (folder / "trace.json").is_file():
            continue
        seen.add(folder)
        prop = "?"
        try:
            cx = load(folder / "trace.json")
            prop = cx.prop
            if cx.extra.get("replayable") is False:
                continue
            ok = replay(cx).reproduced
            why = "does not reproduce its property"
        except Exception as e:  # any failure to replay is what this check is for
            ok, why = False, f"cannot be replayed: {type(e).__name__}: {e}"
        if not ok:
            bad.append(f"{folder / 'trace.json'} ({prop}, saved by {writer or 'a non-test caller'}) {why}")
    return bad


_UNREPLAYABLE: list[str] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Every counterexample report the session wrote must replay its violation (DESIGN.md section 7)."""
    if session.config.getoption("--poolcheck-no-replay-check", default=False):
        return
    _UNREPLAYABLE[:] = _unreplayable()
    if _UNREPLAYABLE and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if _UNREPLAYABLE:
        terminalreporter.write_sep("=", "poolcheck: saved counterexamples that do not replay", red=True)
        for line in _UNREPLAYABLE:
            terminalreporter.write_line(line)
    if _REPORTS:
        terminalreporter.write_sep("-", "poolcheck counterexample reports")
        for p in dict.fromkeys(_REPORTS):
            terminalreporter.write_line(str(p))


@pytest.fixture(scope="session")
def poolcheck_variant(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--poolcheck-variant"))


@pytest.fixture(scope="session")
def poolcheck_model(poolcheck_variant: str) -> type[Model]:
    return resolve(poolcheck_variant)


@pytest.fixture(scope="session")
def poolcheck_budget(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--poolcheck-budget"))


@pytest.fixture(scope="session")
def poolcheck_out(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.getoption("--poolcheck-out"))


@pytest.fixture(scope="session")
def poolcheck_stage(poolcheck_model: type[Model], poolcheck_budget: str,
                    poolcheck_out: Path) -> Callable[[str], Any]:
    """``poolcheck_stage("sample")``: that campaign stage's StageResult on the selected variant (run once)."""
    from poolcheck import campaign
    cache: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in cache:
            st = next((s for s in campaign.STAGES if s.name == name), None)
            if st is None:
                raise ValueError(f"no campaign stage {name!r}: use one of {', '.join(campaign.stage_names())}")
            ctx = campaign.Context(poolcheck_model, poolcheck_budget, poolcheck_out, progress=False)
            cache[name] = campaign.run_stage(st, ctx)
        return cache[name]
    return get


def gate_properties(stage: str) -> list[str]:
    """The property ids a gate stage checks (every target's), for parametrizing tests at collection time."""
    from poolcheck.campaign import checked_by_execution
    ids: list[str] = []
    for t in ("dequeue", "chain", "pool"):
        for p in checked_by_execution(t):
            if p not in ids:
                ids.append(p)
    from properties import catalog
    order = [p.id for p in catalog.CATALOG]
    return sorted(ids, key=lambda p: order.index(p) if p in order else len(order))


# -- the assertion -----------------------------------------------------------------------------------------
def _counterexample(v: Any) -> tuple[Counterexample | None, Path | None]:
    """The counterexample and its saved folder, from a Finding, a Counterexample or an engine's violation."""
    if isinstance(v, Counterexample):
        return v, None
    folder = getattr(v, "folder", None)
    cx = getattr(v, "counterexample", None)
    if folder is None and getattr(v, "trace_path", None):
        folder = Path(v.trace_path).parent
    if cx is None and folder is not None:
        try:
            cx = load(Path(folder) / "trace.json")
        except TraceFileError:
            cx = None
    return (cx if isinstance(cx, Counterexample) else None), (Path(folder) if folder is not None else None)


def violation_message(v: Any, out: Path | None = None, limit: int = 20) -> str:
    """The failure text for one violation: property, statement, what went wrong, compact trace, report path."""
    from poolcheck import artifacts
    from poolcheck.report import build_report, compact_trace
    from properties import catalog
    cx, folder = _counterexample(v)
    prop = getattr(v, "prop", None) or (cx.prop if cx else "?")
    try:
        p = catalog.get(prop)
        title, statement = f"{p.id} {p.name}", p.statement
    except KeyError:
        title, statement = prop, ""
    engine = getattr(v, "engine", None) or (cx.engine if cx else "")
    lines = []
    if cx is None:
        lines.append(f"{title} violated{f' (found by {engine})' if engine else ''}: {getattr(v, 'message', v)}")
        if statement:
            lines.append(f"  {statement}")
        lines.append("  (no replayable trace was recorded for this violation)")
        return "\n".join(lines)
    if folder is None:
        folder = artifacts.save(cx, out or Path("reports"))
    rep = build_report(cx, trace_path=artifacts.display_path(folder / "trace.json"))
    lines.append(f"{title} violated on {cx.variant} (found by {cx.engine})")
    if statement:
        lines.append(f"  property: {statement}")
    lines.append(f"  what went wrong: {rep.headline}")
    lines.append(f"  scenario: {rep.scenario_line} with {rep.params_text}, {rep.steps} steps")
    lines.append("  trace (>> violating step, * steps touching the value or location involved):")
    lines.extend(f"  {ln}" for ln in compact_trace(rep, limit))
    html = folder / "report.html"
    lines.append(f"  report: {artifacts.display_path(html)}")
    lines.append(f"  replay: {rep.replay_command}")
    return "\n".join(lines)


def assert_no_violation(violations: Iterable[Any], out: Path | None = None, limit: int = 20) -> None:
    """Fail the calling test if ``violations`` is not empty, with a readable message per violation.

    ``violations``: Findings (poolcheck.campaign), Counterexamples, or engine
    violations carrying ``.counterexample`` (proofs.explore, properties.fuzz)
    or ``.trace_path``. Counterexamples not saved yet are saved under ``out``
    (default reports/).
    """
    __tracebackhide__ = True
    vs = list(violations)
    if vs:
        raise AssertionError("\n\n".join(violation_message(v, out, limit) for v in vs))
