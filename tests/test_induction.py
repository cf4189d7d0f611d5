"""The inductive invariant of poolDequeue: proved for T = 1, 2, 3; the first attempt's counterexample to induction."""

from __future__ import annotations

import pytest
import z3  # type: ignore[import-untyped]

from proofs.smt import dequeue_smt as E
from proofs.smt.dequeue_smt import Config
from proofs.smt.induction import CLAUSE_TEXT, FIRST_ATTEMPT, prove_inductive

pytestmark = pytest.mark.proof


@pytest.mark.parametrize("thieves", [1, 2, 3])
def test_the_invariant_is_inductive_and_implies_the_properties(thieves: int) -> None:
    r = prove_inductive(Config(size=2, thieves=thieves))
    assert r.status == "proved", f"{r.message}\n{r.cti}"
    assert r.checks["initiation"] == "unsat" and r.checks["safety"] == "unsat"
    steps = [k for k in r.checks if k.startswith("consecution")]
    assert len(steps) == 9 + 6 * thieves        # every pc of every thread
    assert all(r.checks[k] == "unsat" for k in steps)
    # non-vacuity: every transition kind of every thread is taken from some invariant state
    kinds = [k for k in r.checks if k.startswith("non-vacuity")]
    assert len(kinds) == 12 + 7 * thieves
    assert all(r.checks[k] == "sat" for k in kinds) and not r.vacuous
    assert "non-vacuity thread 1: popTail's CAS succeeds" in kinds
    assert "non-vacuity thread 0: pushHead publishes (headTail.Add)" in kinds
    assert "non-vacuity thread 0: popHead takes a value (returns it)" in kinds
    assert "D5-empty, D5-full in every state" in r.message and "D5-value" in r.message


def test_a_larger_ring() -> None:
    r = prove_inductive(Config(size=4, thieves=1))
    assert r.status == "proved", f"{r.message}\n{r.cti}"


def test_the_first_attempt_is_not_inductive_and_the_counterexample_is_printed() -> None:
    r = prove_inductive(Config(size=2, thieves=2), only=FIRST_ATTEMPT)
    assert r.status == "unknown"
    assert r.message.startswith("not inductive: thread 0's step at P_WRITE breaks")
    assert "I3" in r.failed
    assert "headTail=(head" in r.cti and "performs P_WRITE and reaches" in r.cti


@pytest.mark.parametrize("dropped", ["I6", "I9", "I12", "I13"])
def test_each_clause_is_needed(dropped: str) -> None:
    keep = tuple(c for c in CLAUSE_TEXT if c != dropped)
    r = prove_inductive(Config(size=2, thieves=1), only=keep)
    assert r.status == "unknown", f"without {dropped} the invariant still proves"
    assert r.failed


def test_without_the_claim_accounting_empty_and_failed_returns_do_not_follow() -> None:
    # I13 (pushed - claimed = count) is what ties an empty or full test to the abstract deque: D5-empty/D5-full
    keep = tuple(c for c in CLAUSE_TEXT if c != "I13")
    r = prove_inductive(Config(size=2, thieves=1), only=keep, vacuity=False)
    assert r.status == "unknown"
    assert set(r.failed) & {"D5-empty", "D5-full", "I13"}, r.failed


def test_a_disabled_transition_is_reported_vacuous_never_proved() -> None:
    cfg = Config(size=2, thieves=1, alter="tail-cas-never-succeeds")
    # the invariant is still inductive for an encoding in which no thief ever claims a value ...
    assert prove_inductive(cfg, vacuity=False).status == "proved"
    # ... and the non-vacuity check is what refuses to call that a proof
    r = prove_inductive(cfg)
    assert r.status == "vacuous"
    assert r.vacuous == ["thread 1: popTail's CAS succeeds"]
    assert r.message.startswith("vacuous:") and "not a proof" in r.message


def test_a_run_out_budget_is_unknown_and_says_so() -> None:
    r = prove_inductive(Config(size=2, thieves=1), rlimit=100_000)
    assert r.status == "unknown"
    assert "rlimit budget of 100,000 Z3 resource units (induction T=1 ring 2) ran out in" in r.message


@pytest.mark.parametrize("enc", [(v, None) for v in E.ENCODED] + [("reference", a) for a in E.ALTERATIONS])
def test_failing_return_is_the_steps_empty_or_full_return(enc: tuple[str, str | None]) -> None:
    # the D5-empty/D5-full check and the reduction use failing_return; it must be thread_step's own failed return
    cfg = Config(size=2, thieves=2, vbits=8, variant=enc[0], alter=enc[1])
    s = E.fresh_state(cfg, "s", sets="function")
    for j in range(cfg.nthreads):
        _, ev = E.thread_step(cfg, s, j, z3.BitVecVal(E.NXT_NONE, 2), z3.BitVecVal(0, cfg.vbits))
        sol = z3.SolverFor("QF_BV")
        sol.add(E.failing_return(cfg, s, j) != z3.And(E.enabled(cfg, s, j), ev.ended, z3.Not(ev.result_ok)))
        assert sol.check() == z3.unsat, (enc, j)


def test_a_mutant_breaks_the_reference_invariant() -> None:
    r = prove_inductive(Config(size=2, thieves=1, variant="push-no-typ-check"))
    assert r.status == "unknown"
    assert "thread 0" in r.message and r.cti
