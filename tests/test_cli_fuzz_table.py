"""A CLI fuzz table (issue 13): at least 160 bad inputs across every command, each exit 2 with one line on stderr.

Every row fails before any engine starts, so the table runs in seconds. A row
is (command line, a fragment its one error line must contain, or "" for any).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from poolcheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
D3 = str(ROOT / "tests" / "regressions" / "D3-push-no-typ-check.json")
NOFILE = "/nonexistent/poolcheck/nothing.json"

DQ = ["explore", "dequeue", "push | tail", "--size", "2"]
EXPLORE: list[list[str]] = [
    ["explore"], ["explore", "dequeue"], ["explore", "queue", "push"], ["explore", "stack", "push | tail"],
    ["explore", "dequeue", ""], ["explore", "dequeue", "   "], ["explore", "dequeue", "|"],
    ["explore", "dequeue", "push | push"], ["explore", "dequeue", "push shove | tail"],
    ["explore", "dequeue", "push || tail"], ["explore", "dequeue", "push | | tail"],
    ["explore", "dequeue", "put | tail"], ["explore", "dequeue", "push | get"], ["explore", "dequeue", "gc"],
    ["explore", "dequeue", "push:7 | tail"], ["explore", "dequeue", "push:nil:nil"],
    ["explore", "dequeue", "tail:1"], ["explore", "dequeue", "procs=2"],
    ["explore", "chain", "push | push"], ["explore", "chain", "put | tail"], ["explore", "chain", "pop:x"],
    ["explore", "pool", "push | get"], ["explore", "pool", "put | tail"], ["explore", "pool", "procs=0 | get"],
    ["explore", "pool", "procs=x"], ["explore", "pool", "procs=-1"], ["explore", "pool", "get:3"],
    [*DQ[:3], "--size", "3"], [*DQ[:3], "--size", "0"], [*DQ[:3], "--size", "-2"], [*DQ[:3], "--size", "two"],
    [*DQ[:3], "--size", "1.5"], [*DQ[:3], "--size", "2", "--bits", "40"], [*DQ[:3], "--size", "2", "--bits", "1"],
    [*DQ[:3], "--size", "2", "--bits", "x"], [*DQ[:3], "--size", "8", "--bits", "3"],
    [*DQ, "--start-index", "-1"], [*DQ, "--start-index", str(2 ** 32)], [*DQ, "--start-index", "0x10"],
    [*DQ, "--bits", "3", "--start-index", "8"],
    ["explore", "chain", "push | tail", "--init-size", "3"], ["explore", "chain", "push | tail", "--init-size", "0"],
    ["explore", "chain", "push | tail", "--init-size", "8", "--limit", "4"],
    ["explore", "chain", "push | tail", "--limit", "3"], ["explore", "chain", "push | tail", "--limit", "-4"],
    ["explore", "pool", "put | get", "--procs", "0"], ["explore", "pool", "put | get", "--procs", "65"],
    ["explore", "pool", "put | get", "--procs", "two"],
    [*DQ, "--limit", "4"], [*DQ, "--init-size", "2"], [*DQ, "--procs", "2"], [*DQ, "--new"],
    ["explore", "chain", "push | tail", "--size", "2"], ["explore", "chain", "push | tail", "--new"],
    ["explore", "pool", "put | get", "--size", "2"],
    [*DQ, "--max-states", "-1"], [*DQ, "--max-states", "many"], [*DQ, "--max-memory", "-5"],
    [*DQ, "--max-memory", "1GB"], [*DQ, "--variant", "no-such-variant"], [*DQ, "--variant", "/nonexistent.py:X"],
    [*DQ, "--variant", "model.variants:NoSuchClass"], [*DQ, "--variant", "no_such_module_xyz:X"],
    [*DQ, "--variant", "model.params:Params"], [*DQ, "--variant", ":"], [*DQ, "--variant", "x.py:"],
    [*DQ, "--bogus"], [*DQ, "--no-reduction=yes"], [*DQ, "extra-positional"],
]
FUZZ = [
    ["fuzz", "--examples", "0"], ["fuzz", "--examples", "-3"], ["fuzz", "--examples", "ten"],
    ["fuzz", "--target", "queue"], ["fuzz", "--target"], ["fuzz", "--seed", "x"], ["fuzz", "--seed", "1.5"],
    ["fuzz", "--variant", "nope"], ["fuzz", "--variant", "/no/file.py:X"], ["fuzz", "positional"],
    ["fuzz", "--bogus"], ["fuzz", "--out", NOFILE.replace(".json", "") + "/../../../proc/x"],
]
PROVE = [
    ["prove", "--budget", "huge"], ["prove", "--only", "no-such-proof-row"], ["prove", "--variant", "nope"],
    ["prove", "--variant", "/no/file.py:X"], ["prove", "--bogus"], ["prove", "positional"], ["prove", "--only"],
]
MUTANTS = [
    ["mutants", "--engines", "magic"], ["mutants", "--engines", ""], ["mutants", "--engines", ",,"],
    ["mutants", "--engines", "sample,magic"], ["mutants", "--budget", "huge"], ["mutants", "--only", "nope"],
    ["mutants", "--only", ""], ["mutants", "--only", "reference"], ["mutants", "--only", "/no/file.py:X"],
    ["mutants", "--only", "push-no-typ-check,nope"], ["mutants", "--variant", "/no/file.py:X"],
    ["mutants", "--variant", "nope"], ["mutants", "--bogus"], ["mutants", "positional"],
]
VERIFY = [
    ["verify", "--variant", "no-such-variant"], ["verify", "--variant", "missing/file.py:Mine"],
    ["verify", "--variant", "reference", "--variant", "nope"], ["verify", "--budget", "huge"],
    ["verify", "--stage", "nope"], ["verify", "--stage"], ["verify", "--seed", "x"], ["verify", "--seed", "1.5"],
    ["verify", "--bogus"], ["verify", "positional"], ["verify", "--variant", "model.params:Params"],
]


def _replay_files(tmp: Path) -> list[list[str]]:
    d = json.loads(Path(D3).read_text())

    def write(name: str, data: object) -> str:
        p = tmp / name
        p.write_text(data if isinstance(data, str) else json.dumps(data))
        return str(p)

    def changed(name: str, **kw: object) -> str:
        return write(name, {**d, **kw})
    (tmp / "bin.json").write_bytes(bytes(range(256)))
    rows = [
        ["replay"], ["replay", NOFILE], ["replay", str(tmp)], ["replay", write("empty.json", "")],
        ["replay", write("cut.json", json.dumps(d)[:100])], ["replay", write("list.json", [1, 2])],
        ["replay", write("null.json", "null")], ["replay", write("num.json", "42")],
        ["replay", str(tmp / "bin.json")], ["replay", write("deep.json", "[" * 100_000 + "]" * 100_000)],
        ["replay", write("deepobj.json", '{"a":' * 50_000 + "1" + "}" * 50_000)],
        ["replay", changed("v99.json", schema_version=99)], ["replay", changed("vstr.json", schema_version="1")],
        ["replay", changed("sched.json", schedule=[0, "1"])], ["replay", changed("sched0.json", schedule=[])],
        ["replay", changed("schedneg.json", schedule=[-1])], ["replay", changed("sched7.json", schedule=[7])],
        ["replay", changed("schednull.json", schedule=None)], ["replay", changed("prop.json", property="Z9")],
        ["replay", changed("propnum.json", property=3)], ["replay", changed("target.json", target="stack")],
        ["replay", changed("scen.json", scenario="push | push")], ["replay", changed("scen2.json", scenario=5)],
        ["replay", changed("params.json", params={"size": "2"})], ["replay", changed("params3.json", params={"size": 3})],
        ["replay", changed("var.json", variant="no-such-variant")],
        ["replay", changed("varfile.json", variant="missing/file.py:X")],
        ["replay", changed("varmod.json", variant="some_module:X")],
        ["replay", changed("long.json", schedule=d["schedule"] + [0, 0, 0, 0, 0, 0, 0, 0])],
        ["replay", D3, "--variant", "nope"], ["replay", D3, "--variant", "/no/file.py:X"], ["replay", D3, "--on", "c"],
        ["replay", D3, "--bogus"], ["replay", D3, D3],
    ]
    return rows


OTHERS = [
    ["study", "nope"], ["study", "victim", "padding"], ["study", "--bogus"], ["study", "--variant", "reference"],
    ["variants", "--bogus"], ["variants", "extra"], ["variants", "--variant", "reference"],
    ["bench", "--only", "E99"], ["bench", "--only", "E1,nope"], ["bench", "--without-reduction", "E42"],
    ["bench", "--variant", "nope"], ["bench", "--bogus"], ["bench", "positional"],
    ["conform", "--examples", "0"], ["conform", "--examples", "x"], ["conform", "--targets", "stack"],
    ["conform", "--targets", ""], ["conform", "--variant", "nope"], ["conform", "--seed", "x"], ["conform", "--bogus"],
    ["nosuchcommand"], ["--bogus"], ["explore", "--help-me"],
]
OUT = [
    [*DQ, "--out", "/dev/null"], ["fuzz", "--out", "/dev/null"], ["prove", "--out", "/dev/null"],
    ["mutants", "--out", "/dev/null"], ["verify", "--out", "/dev/null"], ["study", "--out", "/dev/null"],
    ["variants", "--out", "/dev/null"], ["replay", D3, "--out", "/dev/null"], ["conform", "--out", "/dev/null"],
    [*DQ, "--out", "/proc/poolcheck"], ["verify", "--out", "/proc/poolcheck"], ["mutants", "--out", "/proc/x/y"],
]


def table(tmp: Path) -> list[list[str]]:
    return EXPLORE + FUZZ + PROVE + MUTANTS + VERIFY + _replay_files(tmp) + OTHERS + OUT


def test_the_table_has_at_least_160_rows(tmp_path: Path) -> None:
    rows = table(tmp_path)
    assert len(rows) >= 160
    assert {r[0] for r in rows if not r[0].startswith("-")} >= {"explore", "fuzz", "prove", "mutants", "verify",
                                                               "replay", "study", "variants", "bench", "conform"}


def test_every_bad_input_is_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POOLCHECK_PROGRESS", "off")
    monkeypatch.chdir(tmp_path)
    bad: list[str] = []
    for argv in table(tmp_path / "files" if (tmp_path / "files").mkdir() is None else tmp_path):
        try:
            rc = main(argv)
        except SystemExit as e:  # argparse
            rc = int(e.code or 0)
        cap = capsys.readouterr()
        lines = [ln for ln in cap.err.splitlines() if ln.strip()]
        ok = (rc == 2 and len(lines) == 1 and lines[0].startswith("poolcheck: error:")
              and "Traceback" not in cap.err and not cap.out.strip())
        if not ok:
            bad.append(f"{argv}: exit {rc}, stderr {cap.err!r}, stdout {cap.out[:80]!r}")
    assert not bad, "\n".join(bad)
