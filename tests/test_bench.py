"""poolcheck bench and proofs.explore.bench_configs: the issue's configurations E1..E6."""

from __future__ import annotations

import json

import pytest

from model.params import Params
from poolcheck.cli import main
from proofs.explore import explore
from proofs.explore.bench_configs import BENCH_CONFIGS, bench, by_name

pytestmark = pytest.mark.explore


def test_the_six_configurations_are_the_issues() -> None:
    got = {c.name: (c.target, c.scenario, c.params) for c in BENCH_CONFIGS if c.name.startswith("E")}
    assert [c.name for c in BENCH_CONFIGS if not c.name.startswith("E")] == ["G1", "G2"]  # goals (test_goals_configs)
    assert got == {
        "E1": ("dequeue", "push push pop | tail tail", Params(size=2)),
        "E2": ("dequeue", "push push push pop | tail tail | tail tail", Params(size=2)),
        "E3": ("dequeue", "push push push push pop pop | tail tail | tail tail | tail tail", Params(size=4)),
        "E4": ("dequeue", "push push push pop | tail tail | tail tail",
               Params(size=2, dequeue_bits=32, start_index=4294967295)),
        "E5": ("chain", "push push push push pop | tail tail | tail tail", Params(init_size=1, dequeue_limit=4)),
        "E6": ("pool", "put get | put get | gc", Params(gomaxprocs=2)),
    }
    assert by_name("E4").command() == \
        'poolcheck explore dequeue "push push push pop | tail tail | tail tail" --size 2 --bits 32 ' \
        '--start-index 4294967295'


def test_each_command_line_gives_the_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    import shlex

    from poolcheck.cli import build_parser
    from poolcheck.common import params_from
    for c in BENCH_CONFIGS:
        argv = shlex.split(c.command())[1:]
        args = build_parser().parse_args(argv)
        assert (args.target, args.scenario) == (c.target, c.scenario)
        assert params_from(args, target=c.target) == c.params, c.name


def test_bench_rows_with_and_without_reduction() -> None:
    rows = bench([by_name("E1")], without_reduction=["E1"])
    assert [(r.config, r.reduction) for r in rows] == [("E1", True), ("E1", False)]
    on, off = rows
    assert on.verdict == off.verdict == "pass" and on.complete
    assert on.states < off.states and on.within_target is True and off.within_target is None
    assert {"config", "states", "transitions", "seconds", "states_per_second", "verdict"} <= set(on.to_json())


def test_bench_command_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["bench", "--only", "E1,E6", "--without-reduction", "none", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert [r["config"] for r in d["rows"]] == ["E1", "E6"]
    assert all(r["verdict"] == "pass" for r in d["rows"])


def test_bench_command_table(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["bench", "--only", "E1"])
    out = capsys.readouterr().out.splitlines()
    assert rc == 0
    assert out[0].split()[:4] == ["config", "reduction", "states", "transitions"]
    assert out[1].startswith("E1") and "pass" in out[1] and out[2].startswith("E1")


def test_bench_unknown_configuration_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--only", "E9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "E9" in err


@pytest.mark.slow
@pytest.mark.parametrize("name", [c.name for c in BENCH_CONFIGS])
def test_every_configuration_passes_completely(name: str) -> None:
    """E1..E6 on the reference: complete (no --max-states), every declared goal reached, no violation."""
    c = by_name(name)
    res = explore(c.target, c.scenario, c.params)
    assert res.verdict == "pass" and res.complete, res.summary()
    print(f"\n{name}: {res.summary()}")
