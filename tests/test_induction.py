"""The inductive invariant of poolDequeue: proved for T = 1, 2, 3; the first attempt's counterexample to induction."""

from __future__ import annotations

import pytest

from proofs.dequeue_smt import Config
from proofs.induction import CLAUSE_TEXT, FIRST_ATTEMPT, prove_inductive

pytestmark = pytest.mark.proof


@pytest.mark.parametrize("thieves", [1, 2, 3])
def test_the_invariant_is_inductive_and_implies_the_properties(thieves: int) -> None:
    r = prove_inductive(Config(size=2, thieves=thieves))
    assert r.status == "proved", f"{r.message}\n{r.cti}"
    assert r.checks["initiation"] == "unsat" and r.checks["safety"] == "unsat"
    steps = [k for k in r.checks if k.startswith("consecution")]
    assert len(steps) == 9 + 6 * thieves        # every pc of every thread
    assert all(r.checks[k] == "unsat" for k in steps)


def test_a_larger_ring() -> None:
    r = prove_inductive(Config(size=4, thieves=1))
    assert r.status == "proved", f"{r.message}\n{r.cti}"


def test_the_first_attempt_is_not_inductive_and_the_counterexample_is_printed() -> None:
    r = prove_inductive(Config(size=2, thieves=2), only=FIRST_ATTEMPT)
    assert r.status == "unknown"
    assert r.message.startswith("not inductive: thread 0's step at P_WRITE breaks")
    assert "I3" in r.failed
    assert "headTail=(head" in r.cti and "performs P_WRITE and reaches" in r.cti


@pytest.mark.parametrize("dropped", ["I6", "I9", "I12"])
def test_each_clause_is_needed(dropped: str) -> None:
    keep = tuple(c for c in CLAUSE_TEXT if c != dropped)
    r = prove_inductive(Config(size=2, thieves=1), only=keep)
    assert r.status == "unknown", f"without {dropped} the invariant still proves"
    assert r.failed


def test_a_mutant_breaks_the_reference_invariant() -> None:
    r = prove_inductive(Config(size=2, thieves=1, variant="push-no-typ-check"))
    assert r.status == "unknown"
    assert "thread 0" in r.message and r.cti
