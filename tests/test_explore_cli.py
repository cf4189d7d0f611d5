"""poolcheck explore: exit statuses, JSON, written traces that replay, one-line errors on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from poolcheck.cli import main

pytestmark = pytest.mark.explore


def test_pass_exits_0_with_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["explore", "dequeue", "push push pop | tail tail", "--size", "2", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0
    assert out.splitlines()[-1].startswith("PASS dequeue \"push push pop | tail tail\" on reference")
    assert not list(tmp_path.iterdir())


def test_json_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["explore", "pool", "put get | put get | gc", "--procs", "2", "--json", "--out", str(tmp_path)])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0
    for key in ("target", "scenario", "variant", "params", "verdict", "violations", "states", "transitions",
                "max_depth", "seconds", "complete", "goals"):
        assert key in d
    assert d["verdict"] == "pass" and d["complete"] is True and d["params"]["gomaxprocs"] == 2
    assert d["goals"] == {"pinslow-allocates": True, "pinslow-contends": True, "stale-localsize": True,
                          "victim-hit": True}


def test_violation_exits_1_and_writes_replayable_traces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["explore", "dequeue", "push push push | tail tail", "--size", "2", "--variant", "push-no-typ-check",
               "--json", "--out", str(tmp_path)])
    d = json.loads(capsys.readouterr().out)
    assert rc == 1 and d["verdict"] == "fail"
    props = {v["property"]: v for v in d["violations"]}
    assert {"D3", "D7"} <= set(props)
    for v in d["violations"]:
        trace = Path(v["trace"])
        assert trace.name == "trace.json" and trace.parent.parent == tmp_path
        assert trace.parent.name.startswith(f"{v['property']}-push-no-typ-check-")
        assert main(["replay", str(trace)]) == 1
    capsys.readouterr()


def test_budget_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["explore", "dequeue", "push push push pop | tail tail | tail tail", "--size", "2", "--max-states",
               "20", "--out", str(tmp_path)])
    assert rc == 3
    assert capsys.readouterr().out.splitlines()[-1].startswith("INCOMPLETE ")


def test_no_reduction_gives_the_same_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["explore", "chain", "push push push | tail tail", "--init-size", "1", "--variant", "chain-next-after-pop",
            "--json", "--out", str(tmp_path)]
    assert main(args) == 1
    on = json.loads(capsys.readouterr().out)
    assert main(args + ["--no-reduction"]) == 1
    off = json.loads(capsys.readouterr().out)
    assert on["reduction"] is True and off["reduction"] is False
    assert {v["property"]: v["length"] for v in on["violations"]} == \
        {v["property"]: v["length"] for v in off["violations"]}


@pytest.mark.parametrize("argv", [
    ["explore", "queue", "push"],                                        # unknown target
    ["explore", "dequeue", ""],                                          # empty scenario
    ["explore", "dequeue", "push | push"],                               # a thief that pushes
    ["explore", "dequeue", "push shove | tail"],                         # unknown operation
    ["explore", "dequeue", "push || tail"],                              # an empty thread
    ["explore", "pool", "push | get"],                                   # a dequeue word on the pool
    ["explore", "dequeue", "push | tail", "--size", "3"],                # not a power of two
    ["explore", "dequeue", "push | tail", "--bits", "40"],               # too wide
    ["explore", "dequeue", "push | tail", "--start-index", "-1"],        # negative index
    ["explore", "chain", "push | tail", "--init-size", "3"],             # not a power of two
    ["explore", "chain", "push | tail", "--init-size", "8", "--limit", "4"],  # init above the limit
    ["explore", "pool", "put | get", "--procs", "0"],                    # no Ps
    ["explore", "dequeue", "push | tail", "--max-states", "-1"],         # a negative budget (0 is no limit)
    ["explore", "dequeue", "push | tail", "--variant", "no-such-variant"],
    ["explore", "dequeue", "push | tail", "--variant", "/nonexistent.py:X"],
    ["explore", "dequeue", "push | tail", "--size", "two"],              # not a number (argparse)
    ["explore", "dequeue"],                                              # missing scenario (argparse)
])
def test_bad_input_is_one_line_and_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with_exit: int
    try:
        with_exit = main(argv)
    except SystemExit as e:  # argparse errors
        with_exit = int(e.code or 0)
    err = capsys.readouterr().err
    assert with_exit == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("poolcheck: error:") and "Traceback" not in err
