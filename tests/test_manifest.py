"""The manifest (poolcheck/manifest.json): every configuration has its expected result and exact state count."""

from __future__ import annotations

import pytest

from poolcheck import campaign, engine, manifest
from poolcheck.engine.explore import one_config
from proofs.explore.bench_configs import BENCH_CONFIGS

ENTRIES = manifest.explore_entries()


def test_every_configuration_the_campaign_and_the_bench_run_is_in_the_manifest() -> None:
    keys = {(e.target, e.scenario, e.params) for e in ENTRIES}
    run = [(t, sc, p) for _, t, sc, p in campaign.explore_configs("thorough")]
    run += [(b.target, b.scenario, b.params) for b in BENCH_CONFIGS]
    missing = [r for r in run if r not in keys]
    assert not missing, f"configurations without an expected result in poolcheck/manifest.json: {missing}"
    ci = {(t, sc, p) for _, t, sc, p in campaign.explore_configs("ci")}
    assert ci == {(e.target, e.scenario, e.params) for e in ENTRIES if "ci" in e.budgets}


def test_the_campaign_takes_its_budgets_from_the_manifest() -> None:
    for b in campaign.BUDGETS:
        fig = manifest.budget(b)
        assert campaign.SAMPLE_RUNS[b] == fig["sample_runs"] and campaign.FUZZ_EXAMPLES[b] == fig["fuzz_examples"]
        assert campaign.EXPLORE_MAX_STATES[b] == fig["explore_max_states"]


def _counts(e: manifest.Entry, reduction: bool, variant: str = "reference") -> tuple[str, int, int]:
    res = engine.run("explore", variant, {"configs": [one_config(e.target, e.scenario, e.params,
                                                                 reduction=reduction)]},
                     engine.Budget("thorough", max_states=0))
    cov = res.configs[0].coverage
    return res.verdict.value, cov["states"], cov["transitions"]


@pytest.mark.parametrize("e", ENTRIES, ids=lambda e: e.name)
def test_exact_state_counts(e: manifest.Entry) -> None:
    assert _counts(e, True) == (e.expected, e.states, e.transitions)
    off = e.counts(reduction=False)
    if off is not None:
        assert _counts(e, False) == (e.expected, *off)


def test_a_mutant_changes_the_counts_and_the_check_says_so() -> None:
    """The count check can fail: a mutant that drops a scheduling point does not match the manifest."""
    e = next(x for x in ENTRIES if x.name == "X1")
    verdict, states, transitions = _counts(e, True, "push-no-typ-check")
    msg = manifest.count_mismatch(e.target, e.scenario, e.params, True, states, transitions)
    assert (states, transitions) != (e.states, e.transitions) and "scheduling point was added or lost" in msg
    assert manifest.count_mismatch(e.target, e.scenario, e.params, True, e.states, e.transitions) == ""


def test_the_catalog_says_which_targets_check_each_property() -> None:
    """One source: the campaign's matrix cells come from the catalog's Property.targets."""
    from properties.catalog import CATALOG, get
    assert campaign.checked_by_execution("dequeue") == [p.id for p in CATALOG if "dequeue" in p.targets]
    assert "chain" in get("D2").targets and "chain" not in get("D3").targets
    assert get("P4").targets == () and get("P10").targets == () and len(get("G1").targets) == 3


def test_every_state_property_of_the_catalog_has_its_check() -> None:
    """Replay's and the sample engine's per-step invariants are the catalog's state properties, each checked."""
    from properties.catalog import CATALOG
    from properties.state_checks import STATE_CHECKS
    assert set(STATE_CHECKS) == {p.id for p in CATALOG if p.when == "state"}


def test_the_catalog_driven_state_check_catches_a_mutant() -> None:
    from model.harness import build
    from model.variants import resolve
    from properties.checked_run import StateWatch
    m = resolve("grow-uncapped")
    assert m.witness is not None
    w = build(*m.witness, m)
    k = w.kernel()
    watch = StateWatch(w)
    while en := k.enabled():
        k.step(en[0])
        watch.observe(k)
    assert "C5" in {v.prop for v in watch.violations}
