"""properties.fuzz.fuzz (the Python API the campaign and the kill matrix call) and ``poolcheck fuzz``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.tracefile import load
from model.variants import Model, resolve
from poolcheck import artifacts
from poolcheck.cli import main
from poolcheck.replay import replay
from properties.fuzz import SEARCHES, TARGETS, FuzzResult, fuzz, machine_counterexample, search_machine

pytestmark = pytest.mark.hypothesis


def test_fuzz_reference_passes_every_target_and_search(tmp_path: Path) -> None:
    seen: list[dict[str, object]] = []
    res = fuzz(TARGETS, 12, Model, 0, artifacts.saver(tmp_path), seen.append)
    assert isinstance(res, FuzzResult)
    assert res.verdict == "pass" and res.violations == [] and res.time_to_first_violation is None
    assert set(res.per_target) == set(TARGETS)
    for t in TARGETS:
        assert {s: res.per_target[t][s]["verdict"] for s in SEARCHES} == dict.fromkeys(SEARCHES, "pass")
    assert res.examples_run == len(seen) >= 3 * 3 * 12
    assert seen[-1]["examples"] == res.examples_run and res.seconds > 0
    assert not list(tmp_path.iterdir())


def test_fuzz_is_reproducible_with_a_seed_whatever_else_is_imported(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis feeds literal constants of loaded local modules into generation; fuzz shuts that off."""
    model = resolve("two-producers")   # the machines cannot see it (one producer): the scenarios find it fast

    def run() -> list[tuple[str, str, str]]:
        res = fuzz(("dequeue",), 40, model, 3)
        return [(v.search, v.prop, v.example) for v in res.violations]

    a = run()
    (tmp_path / "poolcheck_constants_probe.py").write_text(
        "TABLE = [" + ", ".join(str(i * 7 + 3) for i in range(300)) + "]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("poolcheck_constants_probe")
    assert run() == a and a
    with pytest.raises(ValueError, match="unknown target"):
        fuzz(("deque",), 10)


@pytest.mark.quality
def test_fuzz_catches_a_mutant_and_writes_a_replayable_shrunk_counterexample(tmp_path: Path) -> None:
    model = resolve("chain-next-after-pop")
    res = fuzz(("chain",), 300, model, 0, artifacts.saver(tmp_path))
    assert res.verdict == "fail" and res.time_to_first_violation is not None
    v = next(v for v in res.violations if v.search in ("choices", "pct"))   # a concurrent scenario
    assert v.prop in model.expected and v.threads <= 2 and v.length <= 6
    assert v.trace_path is not None and v.trace_path.is_file() and v.counterexample is not None
    assert v.counterexample.extra["shrunk_by_hypothesis"]
    r = replay(load(v.trace_path))
    assert r.reproduced
    assert replay(load(v.trace_path), Model).reproduced is False   # the reference holds on the same schedule


@pytest.mark.quality
def test_a_machine_failure_becomes_a_replayable_scenario() -> None:
    model = resolve("push-no-typ-check")
    n, f, first = search_machine("dequeue", model, 200, 0)
    assert f is not None and 0 < first <= n
    cx, why = machine_counterexample(f, model)
    assert cx is not None, why
    assert cx.prop in ("D7", "D3") and "state.setup" in cx.extra["machine_program"]
    # The machine's sequential program replays as a scenario with each operation run to its end.
    assert replay(cx).reproduced


def test_cli_json_on_the_reference(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc = main(["fuzz", "--target", "dequeue", "--examples", "8", "--json", "--out", str(tmp_path)])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["verdict"] == "pass" and out["targets"] == ["dequeue"] and out["variant"] == "reference"
    assert set(out) >= {"examples_run", "seconds", "time_to_first_violation", "per_target", "violations", "seed"}


PLANTED = """
from model.poolqueue import PoolDequeue
from model.variants import Model


class _Dequeue(PoolDequeue):
    def pop_tail(self):
        val, ok = yield from super().pop_tail()
        return (val + 1 if isinstance(val, int) else val), ok


class OffByOne(Model):
    name = "test-off-by-one"
    layer = "dequeue"
    kind = "mutant"
    description = "popTail returns the value plus one (a user's variant file, planted for the CLI test)"
    expected = ("D5",)
    PoolDequeue = _Dequeue
"""


def test_cli_reports_a_violation_with_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A user's variant file: every search catches it; the reports are written and replay."""
    f = tmp_path / "planted.py"
    f.write_text(PLANTED)
    out = tmp_path / "reports"
    rc = main(["fuzz", "--target", "dequeue", "--examples", "40", "--variant", f"{f}:OffByOne", "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 1
    rows = [line for line in text.splitlines() if line.startswith("dequeue ")]
    assert len(rows) == 3 and all(" FAIL D" in r for r in rows), text   # machine, bursts and PCT all catch it
    assert "poolcheck replay" in text
    traces = sorted(out.glob("*/trace.json"))
    assert traces and all(replay(load(t)).reproduced for t in traces)


@pytest.mark.parametrize("argv, needle", [
    (["--examples", "0"], "--examples 0"),
    (["--seed", "x"], "--seed 'x'"),
    (["--variant", "no-such-variant"], "unknown variant"),
    (["--target", "nope"], "invalid choice"),
])
def test_cli_bad_input_exits_2_with_one_line(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        rc = main(["fuzz", *argv])
    except SystemExit as e:   # argparse errors
        rc = int(e.code or 0)
    err = capsys.readouterr().err
    assert rc == 2 and needle in err and len(err.strip().splitlines()) == 1
