"""Bad input to replay and verify: exit status 2 and one line on stderr, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from poolcheck.cli import main

D3 = Path(__file__).parent / "regressions" / "D3-push-no-typ-check.json"


def _trace(tmp: Path, change: Callable[[dict[str, object]], None]) -> str:
    d = json.loads(D3.read_text())
    change(d)
    p = tmp / "trace.json"
    p.write_text(json.dumps(d))
    return str(p)


def _set(k: str, v: object) -> Callable[[dict[str, object]], None]:
    return lambda d: d.__setitem__(k, v)


def _bad_replays(tmp: Path) -> dict[str, list[str]]:
    (tmp / "empty.json").write_text("")
    (tmp / "cut.json").write_text(D3.read_text()[:200])
    (tmp / "list.json").write_text("[1, 2]")
    d = json.loads(D3.read_text())
    longer = d["schedule"] + [0, 0, 0]
    return {
        "missing file": ["replay", str(tmp / "nope.json")],
        "a directory": ["replay", str(tmp)],
        "empty file": ["replay", str(tmp / "empty.json")],
        "truncated": ["replay", str(tmp / "cut.json")],
        "not an object": ["replay", str(tmp / "list.json")],
        "schema version": ["replay", _trace(tmp, _set("schema_version", 99))],
        "schedule type": ["replay", _trace(tmp, _set("schedule", [0, "1"]))],
        "params type": ["replay", _trace(tmp, lambda d: d["params"].__setitem__("size", "2"))],  # type: ignore[attr-defined]
        "params value": ["replay", _trace(tmp, lambda d: d["params"].__setitem__("size", 3))],  # type: ignore[attr-defined]
        "unknown target": ["replay", _trace(tmp, _set("target", "stack"))],
        "bad scenario": ["replay", _trace(tmp, _set("scenario", "push | push"))],
        "schedule too long": ["replay", _trace(tmp, _set("schedule", longer))],
        "thread out of range": ["replay", _trace(tmp, _set("schedule", [7]))],
        "unknown variant": ["replay", _trace(tmp, _set("variant", "no-such-variant"))],
        "missing variant file": ["replay", _trace(tmp, _set("variant", "missing/file.py:X"))],
        "--variant unknown": ["replay", str(D3), "--variant", "nope"],
    }


def test_replay_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for what, argv in _bad_replays(tmp_path).items():
        rc = main(argv)
        out, err = capsys.readouterr()
        assert rc == 2, f"{what}: exit {rc}"
        assert err.startswith("poolcheck: error: ") and err.count("\n") == 1, f"{what}: {err!r}"
        assert "Traceback" not in err and not out, what


@pytest.mark.parametrize("argv", [
    ["verify", "--variant", "no-such-variant"],
    ["verify", "--budget", "huge"],
    ["verify", "--stage", "nope"],
    ["verify", "--seed", "x"],
    ["verify", "--variant", "missing/file.py:Mine"],
    ["replay"],
    ["replay", "a.json", "--bogus"],
], ids=lambda a: " ".join(a[1:]))
def test_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        rc = main(argv)
        raise SystemExit(rc)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_verify_out_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["verify", "--out", str(f), "--stage", "sample"]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a directory" in err and err.count("\n") == 1


def test_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    bad = _trace(tmp_path, _set("schema_version", 0))
    p = subprocess.run([sys.executable, "-m", "poolcheck", "replay", bad], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "schema_version 0 is not supported" in p.stderr
