"""poolcheck bench --ladder (issue 14 part 4): the larger rungs, --jobs 1 against --jobs N, CPU and peak memory.

The rungs themselves take seconds to minutes (slow tier); the gate runs the
ladder machinery on E1.
"""

from __future__ import annotations

import json
import shlex

import pytest

from poolcheck.cli import build_parser, main
from poolcheck.common import params_from
from proofs.explore import explore
from proofs.explore.bench_configs import LADDER, by_name, ladder

pytestmark = pytest.mark.explore

E3 = "push push push push pop pop | tail tail | tail tail | tail tail"
E5 = "push push push push pop | tail tail | tail tail"


def test_the_rungs_are_the_issues() -> None:
    got = {c.name: (c.target, c.scenario) for c in LADDER}
    assert got == {
        "E3+T": ("dequeue", E3 + " | tail tail"),
        "E3x3": ("dequeue", "push push push push pop pop | tail tail tail | tail tail tail | tail tail tail"),
        "P5": ("dequeue", "push " + E3),
        "E5+T": ("chain", E5 + " | tail tail"),
        "E5+2T": ("chain", E5 + " | tail tail | tail tail"),
        "E6+P": ("pool", "put get | put get | put get | gc"),
    }
    assert by_name("E5+T").target_seconds == 30  # the issue's target for the chain rung


def test_each_rung_command_line_gives_the_configuration() -> None:
    for c in LADDER:
        args = build_parser().parse_args(shlex.split(c.command())[1:])
        assert (args.target, args.scenario) == (c.target, c.scenario)
        assert params_from(args, target=c.target) == c.params, c.name


def test_ladder_machinery_on_a_tiny_rung() -> None:
    """Each run in a fresh process at --jobs 1 and 2: the same counts, CPU and peak memory measured."""
    one, two = ladder([by_name("E1")], (1, 2))
    assert (one.jobs, two.jobs) == (1, 2) and two.core in ("native", "python")
    for r in (one, two):
        assert (r.config, r.states, r.transitions, r.max_depth, r.verdict) == ("E1", 169, 291, 19, "pass")
        assert r.cpu_seconds > 0 and r.peak_mb > 1 and r.states_per_second == r.states / r.cpu_seconds
        assert r.command.endswith(f"--jobs {r.jobs}")
    assert {"jobs", "core", "cpu_seconds", "peak_mb", "states_per_second"} <= set(one.to_json())


def test_bench_ladder_command(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["bench", "--only", "E1", "--ladder", "--jobs", "2"])
    out = capsys.readouterr().out.splitlines()
    assert rc == 0
    assert out[0].split()[:4] == ["config", "jobs", "core", "states"] and "peak" in out[0]
    assert [ln.split()[:2] for ln in out[1:]] == [["E1", "1"], ["E1", "2"]]


def test_bench_ladder_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["bench", "--only", "E6", "--ladder", "--jobs", "2", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert [(r["config"], r["jobs"], r["states"]) for r in d["ladder"]] == [("E6", 1, 2952), ("E6", 2, 2952)]


def test_bench_jobs_0_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--only", "E1", "--jobs", "0"]) == 2
    assert "--jobs 0" in capsys.readouterr().err


# Measured states of the rungs (docs/explorer.md); E5+T and E5+2T take minutes.
RUNG_STATES = {"E6+P": 124_375, "E3x3": 463_338, "P5": 224_766, "E3+T": 1_107_522, "E5+T": 8_730_446}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["E6+P", "P5", "E3x3", "E3+T"])
def test_rung_passes_completely(name: str) -> None:
    c = by_name(name)
    res = explore(c.target, c.scenario, c.params)
    assert res.verdict == "pass" and res.complete and res.states == RUNG_STATES[name], res.summary()
