"""Counterexample folders: trace.json against its JSON Schema, report.md (golden), report.html, compact traces."""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import fields
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import poolcheck
from model.params import Params
from model.tracefile import SCHEMA_VERSION, Counterexample, TraceFileError, load
from poolcheck import artifacts
from poolcheck.replay import replay
from poolcheck.report import build_report, compact_trace
from poolcheck.report.html import render as render_html
from poolcheck.report.md import render as render_md

REGRESSIONS = Path(__file__).parent / "regressions"
GOLDEN = Path(__file__).parent / "golden"
SCHEMA = json.loads((Path(poolcheck.__file__).parent / "trace_schema.json").read_text())
D3 = REGRESSIONS / "D3-push-no-typ-check.json"


@pytest.fixture(scope="module")
def d3() -> Counterexample:
    return load(D3)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory, d3: Counterexample) -> Path:
    return artifacts.save(d3, tmp_path_factory.mktemp("reports"))


# -- trace.json ----------------------------------------------------------------------------------------------
def test_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_every_params_field_is_in_the_schema() -> None:
    assert set(SCHEMA["properties"]["params"]["properties"]) == {f.name for f in fields(Params)}, \
        "model/params.py and poolcheck/trace_schema.json disagree: add the new parameter to the schema"


def test_saved_trace_validates_and_round_trips(saved: Path, d3: Counterexample) -> None:
    data = json.loads((saved / "trace.json").read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["replay"] == f"poolcheck replay {artifacts.display_path(saved / 'trace.json')}"
    back = Counterexample.from_json(data)
    assert (back.target, back.scenario, back.params, back.variant, back.schedule, back.prop) == \
        (d3.target, d3.scenario, d3.params, d3.variant, d3.schedule, d3.prop)
    step = data["steps"][0]
    for k in ("index", "thread", "operation", "go", "effect", "location", "value", "result", "returned"):
        assert k in step


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*.json")), ids=lambda p: p.stem)
def test_regression_files_validate(path: Path) -> None:
    jsonschema.validate(json.loads(path.read_text()), SCHEMA)


def _mutations() -> list[tuple[str, Any]]:
    return [
        ("schema_version", 2), ("schedule", "0 1"), ("schedule", [0, -1]), ("schedule", [0, True]),
        ("target", "queue"), ("params", []), ("params", {"size": "2"}), ("params", {"sizes": 2}),
        ("property", 3), ("violating_step", -1), ("steps", {}), ("steps", [{"index": 0}]), ("history", [1]),
        ("extra", []), ("message", None),
    ]


@pytest.mark.parametrize("field,value", _mutations(), ids=lambda x: str(x)[:20])
def test_reader_rejects_what_the_schema_rejects(field: str, value: Any) -> None:
    data = json.loads(D3.read_text())
    data[field] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)
    with pytest.raises(TraceFileError) as e:
        Counterexample.from_json(data)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("missing", ["target", "scenario", "params", "variant", "property", "schedule"])
def test_reader_names_a_missing_field(missing: str) -> None:
    data = json.loads(D3.read_text())
    del data[missing]
    with pytest.raises(TraceFileError, match=repr(missing)):
        Counterexample.from_json(data)


def test_writes_are_atomic_and_readable(saved: Path) -> None:
    names = sorted(p.name for p in saved.iterdir())
    assert names == ["report.html", "report.md", "trace.json"], "no temporary file may be left behind"
    for p in saved.iterdir():
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o644


def test_saving_twice_rewrites_the_same_folder(tmp_path: Path, d3: Counterexample) -> None:
    assert artifacts.save(d3, tmp_path) == artifacts.save(d3, tmp_path)
    assert len(list(tmp_path.iterdir())) == 1


# -- report.md -------------------------------------------------------------------------------------------------
def test_report_md_matches_golden(d3: Counterexample) -> None:
    """The rendered format is locked; POOLCHECK_UPDATE_GOLDEN=1 rewrites the file after a deliberate change."""
    text = render_md(build_report(d3, trace_path="trace.json"))
    golden = GOLDEN / "report-D3-push-no-typ-check.md"
    if os.environ.get("POOLCHECK_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text(), "report.md changed; if on purpose, re-run with POOLCHECK_UPDATE_GOLDEN=1"


def test_report_md_says_what_went_wrong(d3: Counterexample) -> None:
    md = render_md(build_report(d3))
    assert "At quiescence, the values pushed successfully equal" in md            # the catalog's statement
    assert '`dequeue "push push push | tail"`' in md                               # the scenario on one line
    assert "| step | owner (T0: push push push) | thief 1 (T1: tail) |" in md     # one column per thread
    assert re.search(r"Value 1 was lost: .* overwrote d1\.vals\[0\] \(holding 1\) with 3", md)
    assert "claimed that slot" in md
    assert "## Shared state after the last step" in md and "headTail = head 3, tail 1" in md
    assert "poolcheck replay trace.json" in md


def test_report_explains_a_duplicate_and_a_race() -> None:
    dup = build_report(load(REGRESSIONS / "D4-push-no-typ-check.json"))
    assert re.match(r"Value \d+ was returned twice: by .* at step \d+ and by .* at step \d+", dup.headline)
    race = build_report(load(REGRESSIONS / "D7-push-no-typ-check.json"))
    assert race.headline.startswith("Data race on d1.vals[0]:") and "happens-before" in race.headline
    assert sum(1 for r in race.rows if r.mark) >= 2


def test_report_explains_a_dropped_dequeue() -> None:
    rep = build_report(load(REGRESSIONS / "C2-chain-next-after-pop.json"))
    assert "is no longer reachable" in rep.headline and "c.tail.CompareAndSwap" in rep.headline
    assert rep.final_state is not None
    dropped = [b for b in rep.final_state if b.kind == "dequeue" and not b.reachable]
    assert dropped and any(s.text == "1" for s in dropped[0].slots)


# -- report.html -----------------------------------------------------------------------------------------------
def test_report_html_is_self_contained(saved: Path) -> None:
    html = (saved / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "no network access"
    assert "<link" not in html and "@import" not in html
    assert "<svg" in html and "<style>" in html and "<script>" in html
    assert "*(*any)(unsafe.Pointer(slot)) = val" in html                      # Go statements
    assert "poolcheck replay" in html                                           # the replay command
    assert html.count('class="row') == len(build_report(load(saved / "trace.json")).rows)
    assert 'class="row violation"' in html and 'class="row involved"' in html
    assert html.count('class="state"') >= 1 and "head 3 · tail 1" in html


def test_a_shrunk_report_fits_one_screen(d3: Counterexample) -> None:
    rep = build_report(d3)
    assert len(rep.rows) <= 16, "a shrunk D3 counterexample should need at most 16 rows"
    assert len(render_html(rep)) < 60_000


# -- compact traces ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*.json")), ids=lambda p: p.stem)
def test_compact_trace_is_short_and_keeps_the_violation(path: Path) -> None:
    rep = build_report(load(path))
    for limit in (20, 8):
        lines = compact_trace(rep, limit)
        assert len(lines) <= limit
        if rep.violating_row is not None:
            assert any(ln.startswith(">>") for ln in lines)


# -- every report written here replays ---------------------------------------------------------------------------
def test_saved_reports_replay(saved: Path) -> None:
    assert replay(load(saved / "trace.json")).reproduced


@pytest.mark.parametrize("path", sorted(REGRESSIONS.glob("*.json")), ids=lambda p: p.stem)
def test_every_layer_renders(path: Path) -> None:
    """Dequeue, chain and pool counterexamples all render, with a state panel for the violating row."""
    rep = build_report(load(path))
    md, html = render_md(rep), render_html(rep)
    assert rep.headline and rep.final_state and not rep.notes
    assert md.count("\n| ") >= len(rep.rows) and html.count('class="row') == len(rep.rows)
    if rep.violating_row is not None:
        assert f'id="state-{rep.violating_row}"' in html
