"""Every command ends through the one output path: ``--json`` prints the envelope.

The envelope (poolcheck.common.finish) is ``tool``, ``command``, ``verdict``
(pass, fail or incomplete) and ``exit_status``, the exit status the process
ends with. Each command runs here once on its cheapest real input, in a
subprocess (so the exit status and stdout are the process's own).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
D7 = "tests/regressions/D7-push-no-typ-check.json"
C2 = "tests/regressions/C2-chain-next-after-pop.json"


def _json(argv: list[str], timeout: float = 300) -> tuple[int, dict[str, Any]]:
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


def _readme_keys() -> dict[str, set[str]]:
    """The README's Commands table: per command, the JSON keys it names (outside parentheses, which describe
    nested keys)."""
    text = (ROOT / "README.md").read_text()
    keys: dict[str, set[str]] = {}
    for row in re.findall(r"^\| `poolcheck .*$", text, re.M):
        cells = re.split(r"(?<!\\)\|", row)
        col = cells[3]
        while re.search(r"\([^()]*\)", col):
            col = re.sub(r"\([^()]*\)", "", col)
        keys[cells[1].split()[1].strip("`")] = set(re.findall(r"`(\w+)`", col))
    return keys


# The first case of each command is its plain form, the one the README's table describes.
PLAIN = {id(argv) for argv in {a[0]: a for a, _ in reversed(CASES)}.values()}


SLOW = {"verify", "study"}  # 15-20 s each under load: their cases run in the slow tier (-m slow)


@pytest.mark.parametrize(("argv", "verdict"), [
    pytest.param(a, v, id=" ".join(a[:3]), marks=[pytest.mark.slow] if a[0] in SLOW else []) for a, v in CASES])
def test_every_command_prints_the_envelope(argv: list[str], verdict: str, tmp_path: Path) -> None:
    rc, d = _json([str(tmp_path / "out") if a == "OUT" else a for a in argv])
    assert d["tool"] == "poolcheck" and d["command"] == argv[0]
    assert d["verdict"] == verdict and d["exit_status"] == rc == {"pass": 0, "fail": 1}[verdict]
    if id(argv) in PLAIN:  # and the keys the README promises for this command
        assert _readme_keys()[argv[0]] <= set(d), (_readme_keys()[argv[0]] - set(d))


def test_the_cases_cover_every_command() -> None:
    from poolcheck.cli import build_parser
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert isinstance(sub.choices, dict)
    assert {argv[0] for argv, _ in CASES} == set(sub.choices)


def test_conform_schedules_and_replay_on_go_keep_their_keys_inside_the_envelope() -> None:
    rc, d = _json(["replay", C2, "--on", "go"])
    assert rc == 1 and d["reproduced"] is True and d["not_returned"] == [1] and d["trace"] == C2
    rc, d = _json(["conform", "--schedules", "--exhaustive", "E1", "--samples", "2", "--examples", "1"])
    assert rc == 0 and d["command"] == "conform" and d["verdict"] == "pass"
    assert d["per_source"]["E1 (every transition)"]["schedules"] == 359 and d["mismatches"] == []


# -- one step count, one location: console, trace.json and report.md name the same race ---------------------------
def _text(argv: list[str]) -> str:
    p = subprocess.run([sys.executable, "-m", "poolcheck", *argv], capture_output=True, text=True, cwd=ROOT,
                       timeout=300)
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    return p.stdout


def _race_in_folder(folder: Path) -> tuple[str, int]:
    """(location, violating step) as trace.json and report.md state them; asserts the two agree."""
    trace = json.loads((folder / "trace.json").read_text())
    md = (folder / "report.md").read_text()
    loc = re.match(r"data race on (\S+):", trace["message"])
    headline = re.search(r"^> \*\*Data race on (\S+):", md, re.M)
    assert loc and headline, (trace["message"], md[:400])
    step = trace["violating_step"]
    assert headline.group(1) == loc.group(1) and f"| **{step}** ✗ |" in md
    return loc.group(1), step


def test_explore_console_trace_and_report_name_the_same_race(tmp_path: Path) -> None:
    """The D7 regression's scenario explored again: the whole eface slot, d1.vals[0], everywhere (not .typ)."""
    reg = json.loads((ROOT / D7).read_text())
    out = _text(["explore", reg["target"], reg["scenario"], "--size", str(reg["params"]["size"]),
                 "--variant", reg["variant"], "--out", str(tmp_path)])
    head = re.search(r"^D7: data race on (\S+):.*\n\s+shortest counterexample: .*the violation at step (\d+) .*"
                     r"poolcheck replay (\S+)", out, re.M)
    assert head, out
    assert head.group(1) == "d1.vals[0]" == re.match(r"data race on (\S+):", reg["message"]).group(1)  # type: ignore[union-attr]
    assert _race_in_folder(Path(head.group(3)).parent) == (head.group(1), int(head.group(2)))


def test_replay_console_trace_and_report_name_the_same_race(tmp_path: Path) -> None:
    reg = json.loads((ROOT / D7).read_text())
    out = _text(["replay", D7, "--out", str(tmp_path)])
    m = re.search(r"^REPRODUCED D7 .* the violation at step (\d+) \(as in the report\): data race on (\S+):", out, re.M)
    report = re.search(r"^report: (\S+)", out, re.M)
    assert m and report, out
    assert (m.group(2), int(m.group(1))) == ("d1.vals[0]", reg["violating_step"])
    assert _race_in_folder(Path(report.group(1)).parent) == (m.group(2), int(m.group(1)))


def test_what_the_readme_says_writes_nothing_writes_nothing(tmp_path: Path) -> None:
    """README: `replay` writes only when given --out, `variants` accepts --out and writes nothing, `bench` writes
    no files. Run in an empty folder: nothing appears in it (nor in the --out given to variants)."""
    (tmp_path / "t.json").write_text((ROOT / D7).read_text())
    for argv, rc in ((["variants", "--out", "v"], 0), (["replay", "t.json"], 1), (["bench", "--only", "E1"], 0)):
        p = subprocess.run([sys.executable, "-m", "poolcheck", *argv], capture_output=True, text=True, cwd=tmp_path,
                           timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert p.returncode == rc, p.stderr
        assert sorted(f.name for f in tmp_path.iterdir()) == ["t.json"], argv
