"""poolcheck replay: exit 1 while violated, 0 once a fix holds; --json; --out re-renders the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.tracefile import load
from poolcheck.cli import main
from poolcheck.replay import replay

REGRESSIONS = Path(__file__).parent / "regressions"
D3 = REGRESSIONS / "D3-push-no-typ-check.json"
C2 = REGRESSIONS / "C2-chain-next-after-pop.json"


def test_replay_reproduces(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(D3)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("REPRODUCED D3 on push-no-typ-check, 18 steps in all: ")


def test_replay_on_a_fix_holds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(D3), "--variant", "reference"]) == 0
    assert capsys.readouterr().out.startswith("HOLDS D3 on reference")


def test_replay_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(C2), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["reproduced"] is True and data["property"] == "C2" and data["variant"] == "chain-next-after-pop"
    assert data["steps"] == len(load(C2).steps)


def test_replay_out_writes_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(D3), "--out", str(tmp_path)]) == 1
    folders = list(tmp_path.iterdir())
    assert len(folders) == 1 and (folders[0] / "report.html").is_file()
    assert replay(load(folders[0] / "trace.json")).reproduced


def test_state_invariants_are_checked_mid_run() -> None:
    """A D2 state a later step repairs still replays (the explorer reports such states)."""
    cx = load(REGRESSIONS / "D2-push-no-typ-check.json")
    assert cx.engine == "explore"
    res = replay(cx)
    assert res.reproduced
    assert any(v.prop == "D2" and "after step" in v.message for v in res.violations)


def test_user_variant_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A user's variant file replays through --variant path:Class (here: the reference under another name)."""
    f = tmp_path / "mine.py"
    f.write_text("from model.variants import Model\n\n"
                 "class Mine(Model):\n    name = 'mine'\n    kind = 'design'\n"
                 "    description = 'the reference, renamed'\n")
    assert main(["replay", str(D3), "--variant", f"{f}:Mine"]) == 0
    assert "HOLDS D3 on " in capsys.readouterr().out
