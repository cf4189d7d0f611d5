"""The one engine contract (poolcheck.engine): jobs and results are plain data, one verdict, one exit mapping."""

from __future__ import annotations

import json
import pickle

import pytest

from model.params import Params
from poolcheck import engine
from poolcheck.common import EXIT, exit_code
from poolcheck.engine import Budget, EngineResult, Verdict, one_config


def test_verdict_worst_and_the_one_exit_mapping() -> None:
    assert Verdict.worst([]) is Verdict.PASS
    assert Verdict.worst([Verdict.PASS, Verdict.INCOMPLETE]) is Verdict.INCOMPLETE
    assert Verdict.worst([Verdict.INCOMPLETE, Verdict.ERROR, Verdict.FAIL]) is Verdict.FAIL
    assert {v.value: EXIT[v] for v in Verdict} == {"pass": 0, "fail": 1, "incomplete": 3, "error": 3}
    assert exit_code("incomplete") == 3


def test_every_engine_is_registered_behind_the_protocol() -> None:
    assert set(engine.ENGINES) == {"sample", "explore", "fuzz", "prove", "go-tests", "study"}
    assert engine.available("sample") == "" and engine.available("explore") == ""
    assert "unknown engine" in engine.available("magic")
    with pytest.raises(ValueError, match="unknown engine"):
        engine.get("magic")


def test_a_job_is_plain_data_and_its_result_round_trips() -> None:
    """What poolcheck.jobs ships to a worker and gets back: strings, numbers, lists and dicts only."""
    cfg = {"configs": [one_config("dequeue", "push push push | tail tail", Params(size=2), "w")]}
    job = ("explore", "push-no-typ-check", cfg, Budget("ci", max_states=0).to_json())
    assert json.loads(json.dumps(job)) == list(job)
    data = engine.run_job(*job)
    text = json.dumps(data)
    back = EngineResult.from_json(json.loads(text))
    assert back.verdict is Verdict.FAIL and back.variant == "push-no-typ-check"
    assert {"D3", "D7"} <= set(back.props)
    d3 = next(v for v in back.violations if v.prop == "D3")
    assert d3.counterexample is not None and d3.steps == data["violations"][back.props.index("D3")]["steps"]
    assert back.to_json() == data
    assert pickle.loads(pickle.dumps(back)).to_json() == data


def test_the_same_violation_type_from_every_execution_engine() -> None:
    w = engine.load_variant("push-no-typ-check").witness
    assert w is not None
    cfg = {"configs": [one_config(*w)], "stop": "expected", "expected": ["D3"]}
    sampled = engine.run("sample", "push-no-typ-check", cfg, Budget("ci", runs=400))
    explored = engine.run("explore", "push-no-typ-check", {"configs": [one_config(*w)]})
    for res in (sampled, explored):
        v = res.first_of(["D3"])
        assert v is not None and v.prop == "D3" and v.counterexample is not None and v.steps is not None
        assert "D3" in res.checked and not res.incomplete


def test_a_budget_that_runs_out_is_incomplete_never_pass() -> None:
    res = engine.run("explore", "reference",
                     {"configs": [one_config("dequeue", "push push push pop | tail tail | tail tail", Params(size=2))]},
                     Budget("ci", max_states=20))
    assert res.verdict is Verdict.INCOMPLETE and res.incomplete and "state limit" in res.notes[0]
