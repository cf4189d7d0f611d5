"""Parallel fuzz workers share failures through Hypothesis' example database (issue 15 item 4)."""

from __future__ import annotations

import pytest

from model.variants import resolve
from poolcheck.jobs import Job, Processes
from properties.fuzz import database_key, fuzz

MUTANT = resolve("push-no-typ-check")


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, set[tuple[str, str]]]:
    """A database in which one seeded run saved its failures, and what that run found (search, property)."""
    db = str(tmp_path_factory.mktemp("fuzzdb") / "db")
    first = fuzz(("dequeue",), 200, MUTANT, seed=0, database=db)
    assert first.violations, "the mutant must be found by a 200-example search"
    return db, {(v.search, v.prop) for v in first.violations}


def test_a_failure_saved_by_one_run_is_replayed_by_the_next(shared: tuple[str, set[tuple[str, str]]]) -> None:
    db, found = shared
    # One example, another seed: generation alone does not find it...
    alone = fuzz(("dequeue",), 1, MUTANT, seed=987654, database=None)
    assert not alone.violations
    # ...but the shared database hands the saved failure to the new run before it generates anything.
    replayed = fuzz(("dequeue",), 1, MUTANT, seed=987654, database=db)
    assert {(v.search, v.prop) for v in replayed.violations} == found


def test_keys_separate_variants_targets_and_searches() -> None:
    keys = {database_key(m, t, s) for m in (MUTANT, resolve("reference")) for t in ("dequeue", "chain")
            for s in ("machine", "choices", "pct")}
    assert len(keys) == 12


def test_workers_in_other_processes_replay_the_saved_failure(shared: tuple[str, set[tuple[str, str]]]) -> None:
    db, found = shared
    jobs = [Job(f"seed {s}", "poolcheck.engine:run_job",
                {"engine": "fuzz", "variant": "push-no-typ-check",
                 "config": {"targets": ["dequeue"], "seed": s, "database": db}, "budget": {"name": "ci", "examples": 1}})
            for s in (11, 12)]
    pool = Processes(2)
    try:
        results = pool.run(jobs)
    finally:
        pool.close()
    for r in results:
        assert r["verdict"] == "fail"
        assert {(v["detail"]["search"], v["property"]) for v in r["violations"]} == found
