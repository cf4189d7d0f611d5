"""Every command ends through the one output path: ``--json`` prints the envelope.

The envelope (poolcheck.common.finish) is ``tool``, ``command``, ``verdict``
(pass, fail or incomplete) and ``exit_status``, the exit status the process
ends with. Each command runs here once on its cheapest real input, in a
subprocess (so the exit status and stdout are the process's own).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
D7 = "tests/regressions/D7-push-no-typ-check.json"
C2 = "tests/regressions/C2-chain-next-after-pop.json"


def _json(argv: list[str], timeout: float = 300) -> tuple[int, dict[str, object]]:
    p = subprocess.run([sys.executable, "-m", "poolcheck", *argv, "--json"], capture_output=True, text=True,
                       cwd=ROOT, timeout=timeout)
    assert "Traceback" not in p.stderr, p.stderr
    return p.returncode, json.loads(p.stdout)


# (command line without --json, the verdict it must give); OUT is replaced by a fresh directory.
CASES: list[tuple[list[str], str]] = [
    (["variants"], "pass"),
    (["verify", "--stage", "sample", "--out", "OUT"], "pass"),
    (["explore", "dequeue", "push | tail", "--out", "OUT"], "pass"),
    (["explore", "dequeue", "push push push | tail", "--size", "2", "--variant", "push-no-typ-check", "--out", "OUT"], "fail"),
    (["fuzz", "--target", "dequeue", "--examples", "2", "--out", "OUT"], "pass"),
    (["prove", "--only", "L1-pack-unpack", "--out", "OUT"], "pass"),
    (["replay", D7], "fail"),
    (["replay", D7, "--variant", "reference"], "pass"),
    (["replay", C2, "--on", "go"], "fail"),
    (["mutants", "--engines", "sample", "--only", "push-no-typ-check", "--no-reference", "--out", "OUT"], "pass"),
    (["conform", "--examples", "2", "--targets", "dequeue", "--out", "OUT"], "pass"),
    (["conform", "--pool-stress", "--stress-ops", "500", "--out", "OUT"], "pass"),
    (["bench", "--only", "E1"], "pass"),
    (["study", "victim", "--quick", "--out", "OUT"], "pass"),
    (["cluster", "local", "--workers", "1", "--seconds", "0.5"], "pass"),
]


@pytest.mark.parametrize(("argv", "verdict"), CASES, ids=[" ".join(a[:3]) for a, _ in CASES])
def test_every_command_prints_the_envelope(argv: list[str], verdict: str, tmp_path: Path) -> None:
    rc, d = _json([str(tmp_path / "out") if a == "OUT" else a for a in argv])
    assert d["tool"] == "poolcheck" and d["command"] == argv[0]
    assert d["verdict"] == verdict and d["exit_status"] == rc == {"pass": 0, "fail": 1}[verdict]


def test_the_cases_cover_every_command() -> None:
    from poolcheck.cli import build_parser
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {argv[0] for argv, _ in CASES} == set(sub.choices)  # type: ignore[attr-defined]


def test_conform_schedules_and_replay_on_go_keep_their_keys_inside_the_envelope() -> None:
    rc, d = _json(["replay", C2, "--on", "go"])
    assert rc == 1 and d["reproduced"] is True and d["not_returned"] == [1] and d["trace"] == C2
    rc, d = _json(["conform", "--schedules", "--exhaustive", "E1", "--samples", "2", "--examples", "1"])
    assert rc == 0 and d["command"] == "conform" and d["verdict"] == "pass"
    assert d["per_source"]["E1 (every transition)"]["schedules"] == 359 and d["mismatches"] == []
