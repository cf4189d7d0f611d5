"""Mutant meta-tests (the quality tier): every known bug is found, by the property its manifest names.

A mutant that no longer fails is a failing test; so is a property that fires
on the reference, or an "equivalent" mutant some engine tells apart from it.
The engines run on each mutant's witness (model/variants/*: ``witness``)
with the ``ci`` budget of poolcheck/killmatrix.py.
"""

from __future__ import annotations

import importlib.util

import pytest

from model.params import Params
from model.scenario import ScenarioError
from model.variants import Model, registry, resolve
from poolcheck.killmatrix import BUDGETS, mutants, sample
from properties.catalog import ids

pytestmark = pytest.mark.quality

CI = BUDGETS["ci"]

# The catalog the issue asks for, by name; the registry may hold more.
ISSUE_MUTANTS = (
    "push-no-typ-check", "push-publish-first", "poptail-typ-before-val", "poptail-no-zero", "pophead-plain-store",
    "chain-next-after-pop", "chain-drop-without-cas", "chain-publish-early", "full-check-off-by-one",
    "limit-full-width", "pophead-no-backup", "cleanup-no-victim-drop", "get-keeps-private", "gc-while-pinned",
    "pinslow-size-first", "two-producers",
)

MUTANTS = mutants()
KILLABLE = [m for m in MUTANTS if not m.equivalent]
EQUIVALENT = [m for m in MUTANTS if m.equivalent]
WITNESSES = sorted({(m.witness[0], m.witness[1], m.witness[2]) for m in MUTANTS if m.witness is not None},
                   key=lambda w: (w[0], w[1], repr(w[2])))


def _name(m: type[Model]) -> str:
    return m.name


@pytest.fixture
def variant_under_test(request: pytest.FixtureRequest) -> type[Model]:
    """``--poolcheck-variant`` (the pytest plugin's option) when given, else the reference."""
    try:
        spec = str(request.config.getoption("--poolcheck-variant"))
    except ValueError:  # the plugin is not loaded (package not installed): check the reference
        spec = "reference"
    return resolve(spec)


# -- the manifest ------------------------------------------------------------
def test_catalog_has_every_mutant_the_issue_lists() -> None:
    reg = registry()
    missing = [n for n in ISSUE_MUTANTS if n not in reg]
    assert not missing, f"mutants missing from model/variants: {missing}"
    assert all(reg[n].kind == "mutant" for n in ISSUE_MUTANTS)


@pytest.mark.parametrize("m", MUTANTS, ids=_name)
def test_mutant_manifest_is_complete(m: type[Model]) -> None:
    m.check_metadata()
    assert m.witness is not None, f"{m.name} needs a witness (target, scenario, Params) for the engines"
    target, scenario, params = m.witness
    assert isinstance(params, Params)
    params.validate(target)
    known = set(ids())
    assert set(m.expected) <= known, f"{m.name} expects unknown properties {set(m.expected) - known}"
    if m.equivalent:
        assert not m.expected and "EQUIVALENT" in m.description, \
            f"{m.name} is declared equivalent: its description must carry the argument (EQUIVALENT: ...)"
    else:
        assert m.expected, f"{m.name} must list the properties that catch it"


# -- kills: the sample engine (always available) ---------------------------------
@pytest.mark.parametrize("m", KILLABLE, ids=_name)
def test_mutant_is_killed_by_every_expected_property(m: type[Model]) -> None:
    assert m.witness is not None
    cell = sample(m, m.witness, runs=CI.sample_runs, seconds=CI.sample_seconds, expected=m.expected)
    assert cell.killed, f"{m.name} survived {cell.note} on its witness {m.witness[:2]}"
    missing = set(m.expected) - set(cell.properties)
    assert not missing, (f"{m.name} was killed by {sorted(cell.properties)} but not by its expected "
                         f"{sorted(missing)} within {cell.note}")


@pytest.mark.parametrize("m", EQUIVALENT, ids=_name)
def test_equivalent_mutant_is_not_told_apart(m: type[Model]) -> None:
    assert m.witness is not None
    cell = sample(m, m.witness, runs=1000, seconds=CI.sample_seconds)
    assert not cell.killed, f"{m.name} is declared equivalent but {cell.prop} fired: {cell.properties}"


@pytest.mark.parametrize("w", WITNESSES, ids=lambda w: f"{w[0]}:{w[1]}")
def test_variant_is_clean_on_every_witness(variant_under_test: type[Model], w: tuple[str, str, Params]) -> None:
    """The reference (or ``--poolcheck-variant``) violates nothing where the mutants are caught."""
    try:
        cell = sample(variant_under_test, w, runs=CI.reference_runs, seconds=CI.sample_seconds)
    except ScenarioError:
        pytest.skip("the scenario is outside the variant's contract (a multi-producer witness)")
    if cell.status == "n/a":
        pytest.skip(cell.note)
    assert not cell.killed, f"{variant_under_test.name} violates {cell.prop} on {w[0]} {w[1]!r}: {cell.properties}"


# -- kills: the explorer (when proofs/explore/__init__.py is there) --------------------
_HAVE_EXPLORER = importlib.util.find_spec("proofs.explore") is not None
needs_explorer = pytest.mark.skipif(not _HAVE_EXPLORER, reason="proofs/explore/__init__.py is not there yet")


# Known gaps of the explorer, as strict xfails: when one is closed the test XPASSes, fails, and the entry goes.
EXPLORER_GAPS: dict[str, str] = {}


def _explorer_cases() -> list[object]:
    return [pytest.param(m, id=m.name, marks=pytest.mark.xfail(strict=True, reason=EXPLORER_GAPS[m.name]))
            if m.name in EXPLORER_GAPS else pytest.param(m, id=m.name) for m in KILLABLE]


@needs_explorer
@pytest.mark.parametrize("m", _explorer_cases())
def test_explorer_kills_mutant_with_an_expected_property(m: type[Model]) -> None:
    from proofs.explore import explore
    assert m.witness is not None
    target, scenario, params = m.witness
    res = explore(target, scenario, params, m, reduction=True, max_states=CI.explore_states)
    props = {v.prop for v in res.violations}
    assert res.verdict == "fail", f"{m.name}: explorer verdict {res.verdict} on its witness"
    assert props & set(m.expected), f"{m.name}: the explorer found {sorted(props)}, none of {m.expected}"
    assert all(v.length >= 1 for v in res.violations)


@needs_explorer
@pytest.mark.parametrize("m", EQUIVALENT, ids=_name)
def test_explorer_proves_equivalent_mutant_clean_on_its_witness(m: type[Model]) -> None:
    from proofs.explore import explore
    assert m.witness is not None
    target, scenario, params = m.witness
    res = explore(target, scenario, params, m, reduction=True, max_states=CI.explore_states)
    assert not res.violations, f"{m.name} is declared equivalent but the explorer found {res.violations[0].prop}"
    assert res.complete, f"{m.name}: exploration {res.verdict} ({res.states} states); the equivalence is not shown"
    assert not res.unreached_goals, f"{m.name}: the witness never reaches {res.unreached_goals}: a vacuous pass"


@needs_explorer
@pytest.mark.parametrize("w", WITNESSES, ids=lambda w: f"{w[0]}:{w[1]}")
def test_explorer_finds_reference_clean_on_every_witness(w: tuple[str, str, Params]) -> None:
    from proofs.explore import explore
    target, scenario, params = w
    try:
        res = explore(target, scenario, params, Model, reduction=True, max_states=CI.explore_states)
    except ScenarioError:
        pytest.skip("the scenario is outside the reference's contract (a multi-producer witness)")
    assert not res.violations, f"the reference violates {res.violations[0].prop} on {target} {scenario!r}"
    # Complete, but not necessarily "pass": a witness may declare a goal the reference cannot reach (a victim hit
    # after two GCs exists only in cleanup-no-victim-drop), which the explorer reports as a vacuous run.
    assert res.complete, f"the reference's exploration of {target} {scenario!r} is {res.verdict}"
