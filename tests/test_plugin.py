"""The pytest plugin: options, the assertion helper, and the gate failing on a mutant with a readable message."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from model.tracefile import load
from poolcheck.pytest_plugin import MARKERS, assert_no_violation, gate_properties, violation_message

ROOT = Path(__file__).parent.parent
REGRESSIONS = Path(__file__).parent / "regressions"


def test_options_and_markers_are_registered(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.getoption("--poolcheck-budget") in ("ci", "thorough")
    declared = " ".join(pytestconfig.getini("markers"))
    for m in MARKERS:
        assert f"{m}:" in declared


def test_no_violation_passes() -> None:
    assert_no_violation([])


def test_message_has_property_trace_and_report(tmp_path: Path) -> None:
    cx = load(REGRESSIONS / "C2-chain-next-after-pop.json")
    with pytest.raises(AssertionError) as e:
        assert_no_violation([cx], out=tmp_path)
    msg = str(e.value)
    assert msg.startswith("C2 no-lost violated on chain-next-after-pop (found by sample)")
    assert "property: At quiescence, values pushed equal values popped" in msg
    assert "what went wrong: Value 1 was lost" in msg
    trace = [ln for ln in msg.splitlines() if re.match(r"^\s+(>>|\*|  )\s+\d+ ", ln) or "omitted" in ln]
    assert 0 < len(trace) <= 20
    report = re.search(r"report: (\S+report\.html)", msg)
    assert report and Path(report.group(1)).is_file()
    assert "replay: poolcheck replay " in msg


def test_message_for_a_violation_without_a_trace() -> None:
    class V:
        prop = "P4"
        message = "Get returned 2; P4's order gives 1"
    text = violation_message(V())
    assert text.startswith("P4 lookup-order violated: Get returned 2") and "no replayable trace" in text


def test_gate_properties_cover_every_layer() -> None:
    ps = gate_properties("sample")
    assert {"D3", "D7", "C2", "C6", "P1", "P7"} <= set(ps)


def test_gate_fails_on_a_mutant_with_reports(tmp_path: Path) -> None:
    """``pytest --poolcheck-variant push-no-typ-check tests/test_gate.py`` fails, showing D3 and its report."""
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_gate.py",
                        "-k", "test_sampled and (D3 or D1)", "--poolcheck-variant", "push-no-typ-check",
                        "--poolcheck-out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    out = p.stdout
    assert p.returncode == 1, out[-3000:]
    assert "1 failed, 1 passed" in out
    assert "D3 no-lost violated on push-no-typ-check" in out and "what went wrong: Value 1 was lost" in out
    assert re.search(r"report: \S+/D3-push-no-typ-check-[0-9a-f]{8}/report\.html", out)
    assert "poolcheck counterexample reports" in out  # the terminal summary lists them


def test_a_bad_variant_option_is_a_usage_error(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_gate.py",
                        "--poolcheck-variant", "no-such-variant", "--co"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 4 and "--poolcheck-variant: unknown variant 'no-such-variant'" in p.stderr
    assert "Traceback" not in p.stderr


def test_ci_workflow_is_a_working_gate_example() -> None:
    wf = (ROOT / ".github" / "workflows" / "poolcheck.yml").read_text()
    for needed in ("actions/checkout@v4", 'python-version: "3.11"', "pip install -e '.[test]'", "python -m pytest",
                   "--poolcheck-variant", "if: failure()", "actions/upload-artifact@v4", "path: reports/",
                   "poolcheck verify"):
        assert needed in wf, needed
    assert "\t" not in wf
    ci = (ROOT / ".ci" / "run").read_text().rstrip("\n").splitlines()
    assert ci[-1] == "python -m pytest -q" and any("chromium" in ln for ln in ci)


def test_session_replays_every_saved_report(tmp_path: Path) -> None:
    """A report that does not replay its violation fails the session, naming the test that wrote it."""
    (tmp_path / "test_writes.py").write_text(
        "from model.tracefile import load\nfrom poolcheck import artifacts\n\n"
        "def test_saves_a_wrong_one(tmp_path):\n"
        f"    cx = load({str(REGRESSIONS / 'D3-push-no-typ-check.json')!r})\n"
        "    cx.variant = 'reference'\n"
        "    artifacts.save(cx, tmp_path)\n")
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_writes.py"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert p.returncode == 1, p.stdout[-2000:]
    assert "saved counterexamples that do not replay" in p.stdout
    assert "saved by test_writes.py::test_saves_a_wrong_one" in p.stdout
