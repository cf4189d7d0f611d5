"""Impossible parameters and malformed scenarios give one clear error; the CLI turns them into exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from model.harness import build
from model.params import ParamError, Params
from model.scenario import ScenarioError, parse


@pytest.mark.parametrize("params,target,fragment", [
    (Params(size=3), "dequeue", "not a power of two"),
    (Params(size=0), "dequeue", "not a power of two"),
    (Params(dequeue_bits=3, size=8), "dequeue", "exceeds (1<<bits)/2"),
    (Params(dequeue_bits=1), "dequeue", "outside 2..32"),
    (Params(dequeue_bits=33), "chain", "outside 2..32"),
    (Params(init_size=6), "chain", "--init-size 6 is not a power of two"),
    (Params(dequeue_bits=4, dequeue_limit=16), "chain", "exceeds (1<<bits)/2"),
    (Params(init_size=8, dequeue_limit=4), "chain", "exceeds --limit 4"),
    (Params(start_index=2**32), "dequeue", "outside 0..2^32-1"),
    (Params(gomaxprocs=0), "pool", "outside 1..64"),
])
def test_impossible_parameters(params: Params, target: str, fragment: str) -> None:
    with pytest.raises(ParamError, match=None) as e:
        params.validate(target)
    assert fragment in str(e.value)
    assert "\n" not in str(e.value)


def test_dequeue_does_not_check_chain_parameters() -> None:
    Params(dequeue_bits=3, size=2).validate("dequeue")
    with pytest.raises(ParamError):
        Params(dequeue_bits=3, size=2).validate("chain")


@pytest.mark.parametrize("target,text,fragment", [
    ("dequeue", "", "empty scenario"),
    ("dequeue", "push | push", "thieves may only 'tail'"),
    ("dequeue", "push || tail", "thread 1 has no operations"),
    ("dequeue", "push frob", "unknown dequeue operation 'frob'"),
    ("pool", "put take", "unknown pool operation 'take'"),
    ("pool", "procs=0", "unknown pool operation"),
    ("stack", "push", "unknown target"),
])
def test_malformed_scenarios(target: str, text: str, fragment: str) -> None:
    with pytest.raises(ScenarioError) as e:
        parse(target, text)
    assert fragment in str(e.value)


def test_scenario_round_trips() -> None:
    sc = parse("dequeue", "  push push:nil   pop |tail tail| tail ")
    assert str(sc) == "push push:nil pop | tail tail | tail"
    w = build("dequeue", sc, Params(size=2))
    assert w.tokens == {(0, 0): 1, (0, 1): None}


@pytest.mark.parametrize("args,fragment", [
    (["verify", "--variant", "no-such-variant"], "unknown variant 'no-such-variant'"),
    (["replay", "/nonexistent/trace.json"], "cannot read"),
    (["verify", "--budget", "huge"], "invalid choice"),
    (["frobnicate"], "invalid choice"),
])
def test_cli_bad_input_is_one_line_exit_2(args: list[str], fragment: str) -> None:
    r = subprocess.run([sys.executable, "-m", "poolcheck", *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("poolcheck: error:") and fragment in lines[0]
    assert "Traceback" not in r.stderr
