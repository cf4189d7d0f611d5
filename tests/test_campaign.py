"""poolcheck verify: stages, exit statuses, summary.md / index.html / junit.xml / campaign.json.

The sampled stage runs on a small configuration list here (monkeypatched) to
keep the tests fast; the stages' mapping of an engine's result is exercised
with the engines' own result types and the engine call replaced.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from model.params import Params
from model.tracefile import load
from model.variants import Model, resolve
from poolcheck import campaign
from poolcheck.cli import main
from poolcheck.replay import replay

SMALL = [("dequeue", "push push push pop | tail tail | tail", Params(size=2)),
         ("chain", "push push push | tail tail", Params(init_size=1))]


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(campaign, "SAMPLE_CONFIGS", SMALL)
    monkeypatch.setattr(campaign, "SAMPLE_RUNS", {"ci": 60, "thorough": 60})


@pytest.fixture
def stages(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[campaign.Stage]]:
    """A private copy of the stage registry, so tests can register fake stages."""
    reg = list(campaign.STAGES)
    monkeypatch.setattr(campaign, "STAGES", reg)
    yield reg


def _fake(name: str, status: str, cells: dict[str, str] | None = None) -> campaign.Stage:
    def fn(ctx: campaign.Context, bar: Any) -> campaign.StageResult:
        return campaign.StageResult(name, name, status, cells or {"D1": status if status != "error" else "pass"},
                                    coverage_text=f"fake {status}")
    return campaign.Stage(name, name, f"fake {status}", None, fn)


# -- the sampled stage on a mutant: reports, replay, overview files ------------------------------------------------
def test_verify_on_a_mutant(small: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["verify", "--variant", "push-no-typ-check", "--stage", "sample", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 1
    assert "FAIL" in out and "D3 (sample): value" in out
    for name in ("summary.md", "index.html", "junit.xml", "campaign.json"):
        assert (tmp_path / "latest" / name).is_file(), name
    data = json.loads((tmp_path / "latest" / "campaign.json").read_text())
    assert data["verdict"] == "fail" and data["exit_status"] == 1
    props = {v["property"] for v in data["violations"]}
    assert {"D3", "D7"} <= props
    # every report the campaign wrote replays its violation
    for v in data["violations"]:
        cx = load(v["trace"])
        assert replay(cx).reproduced, v
        assert Path(v["report"]).is_file()
    summary = (tmp_path / "latest" / "summary.md").read_text()
    assert "| D3 no-lost | [✗ fail](D3-push-no-typ-check-" in summary
    index = (tmp_path / "latest" / "index.html").read_text()
    assert 'href="D3-push-no-typ-check-' in index and "/report.html" in index
    suites = ET.parse(tmp_path / "latest" / "junit.xml").getroot()
    assert suites.tag == "testsuites" and int(suites.get("failures", "0")) >= 2
    failure = suites.find(".//testcase[@name='D3 no-lost']/failure")
    assert failure is not None and "report:" in (failure.text or "")


def test_each_run_has_its_own_dated_folder_and_latest_points_at_it(small: None, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["verify", "--variant", "push-no-typ-check", "--stage", "sample", "--out", str(tmp_path), "--json"]
    assert main(argv) == 1
    first = json.loads(capsys.readouterr().out)["run_folder"]
    assert main(argv) == 1
    second = json.loads(capsys.readouterr().out)["run_folder"]
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2 and first != second and Path(second).parent == tmp_path / "runs"
    assert (tmp_path / "latest").is_symlink() and (tmp_path / "latest").resolve() == Path(second).resolve()
    summary = (tmp_path / "latest" / "summary.md").read_text()
    folders = [p.name for p in Path(second).iterdir() if (p / "report.md").is_file()]
    assert folders and "## Folders of this run" in summary
    assert all(f"]({f}/report.md)" in summary for f in folders)


def test_sampled_findings_are_shrunk(small: None, tmp_path: Path) -> None:
    ctx = campaign.Context(resolve("push-no-typ-check"), "ci", tmp_path, progress=False)
    res = campaign.sample_stage(ctx, campaign.Progress("t", enabled=False))
    d3 = next(f for f in res.findings if f.prop == "D3")
    assert d3.counterexample is not None and len(d3.counterexample.steps) <= 24
    assert res.cells["D3"] == "fail" and res.cells["D1"] == "pass"


def test_verify_json_is_one_object(small: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["verify", "--stage", "sample", "--out", str(tmp_path), "--json", "--variant", "push-no-typ-check"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 1 and data["exit_status"] == 1
    assert data["files"]["index"].endswith("index.html")
    assert data["variants"][0]["stages"][0]["coverage"]["executions"] == 120


# -- exit statuses and stage registry -------------------------------------------------------------------------
@pytest.mark.parametrize("statuses,code", [(["pass"], 0), (["pass", "fail"], 1), (["pass", "incomplete"], 3),
                                           (["error", "pass"], 3), (["incomplete", "fail"], 1),
                                           (["unavailable", "pass"], 0)])
def test_exit_status(statuses: list[str], code: int, stages: list[campaign.Stage], tmp_path: Path) -> None:
    stages.clear()
    for i, st in enumerate(statuses):
        stages.append(_fake(f"s{i}", st))
    c = campaign.run([Model], out=tmp_path, progress=False)
    assert c.exit_status == code


def test_an_engine_that_raises_is_an_error_not_a_pass(stages: list[campaign.Stage], tmp_path: Path) -> None:
    def boom(ctx: campaign.Context, bar: Any) -> campaign.StageResult:
        raise RuntimeError("engine bug")
    stages[:] = [campaign.Stage("boom", "boom", "raises", None, boom)]
    c = campaign.run([Model], out=tmp_path, progress=False)
    st = c.runs[0].stages[0]
    assert st.status == "error" and "RuntimeError: engine bug" in st.note and c.exit_status == 3


def test_a_missing_engine_is_unavailable(stages: list[campaign.Stage], tmp_path: Path) -> None:
    stages[:] = [campaign.Stage("ghost", "ghost", "not there", "no_such_module_here", _fake("x", "pass").fn)]
    c = campaign.run([Model], out=tmp_path, progress=False)
    assert c.runs[0].stages[0].status == "unavailable" and c.exit_status == 0


def test_reference_only_stages_skip_other_variants(stages: list[campaign.Stage], tmp_path: Path) -> None:
    st = _fake("refonly", "pass")
    stages[:] = [campaign.Stage(st.name, st.engine, st.title, None, st.fn, reference_only=True)]
    c = campaign.run([Model, resolve("push-no-typ-check")], out=tmp_path, progress=False)
    assert [len(r.stages) for r in c.runs] == [1, 0]


def test_register_replaces_by_name(stages: list[campaign.Stage]) -> None:
    n = len(stages)
    campaign.register(_fake("sample", "pass"))
    assert len(stages) == n and next(s for s in stages if s.name == "sample").title == "fake pass"


# -- stages over the engine contract, with the engines' own result types (the engine call faked) --------------------
def test_fuzz_stage(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import properties.fuzz as fz
    cx = load(Path(__file__).parent / "regressions" / "D3-push-no-typ-check.json")
    calls: dict[str, Any] = {}

    def fuzz(targets: Any, examples: int, model: Any, seed: Any, out: Any, progress: Any, **kw: Any) -> fz.FuzzResult:
        calls.update(examples=examples, model=model, out=out)
        calls.setdefault("targets", []).append(tuple(targets))
        progress({"target": "dequeue", "search": "machine", "examples": 3, "violations": 0})
        return fz.FuzzResult("fail", [fz.FuzzViolation("D3", cx.message, "dequeue", "choices", cx, None, 4, 2, "x")],
                             600, 1.0, None, {"dequeue": {"machine": {"examples": 200, "verdict": "pass",
                                                                      "seconds": 0.5},
                                                          "examples": 200, "verdict": "fail", "seconds": 0.5}})
    monkeypatch.setattr(fz, "fuzz", fuzz)
    ctx = campaign.Context(resolve("push-no-typ-check"), "ci", tmp_path, progress=False)
    res = campaign.fuzz_stage(ctx, campaign.Progress("t", enabled=False))
    assert calls["model"] is ctx.model and calls["examples"] == campaign.FUZZ_EXAMPLES["ci"]
    assert calls["out"] is None  # engines return data; only the driver writes reports
    assert res.status == "fail" and res.cells["D3"] == "fail" and res.cells["P4"] == "pass"
    assert res.findings[0].folder is not None and (res.findings[0].folder / "report.html").is_file()
    # One part per target (poolcheck.campaign._fuzz_plan), merged: the counts add up.
    assert calls["targets"] == [("dequeue",), ("chain",), ("pool",)]
    assert res.coverage["examples"] == 3 * 600 and res.configs[0].name == "dequeue"


def test_prove_stage(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import proofs.smt.prove as pv
    cx = load(Path(__file__).parent / "regressions" / "D3-push-no-typ-check.json")
    proofs = [pv.ProofResult("L1 pack", "lemma", "proved", "proved", 0.1, "", None, None, "D1"),
              pv.ProofResult("BMC d3", "bmc", "counterexample", "proved", 0.5, "lost value", 12, cx, "D3"),
              pv.ProofResult("IND d2", "induction", "unknown", "proved", 9.0, "timeout", 20, None, "D2"),
              pv.ProofResult("seed claim", "bmc", "counterexample", "counterexample", 0.2, "as expected", 8, None,
                             "P3"),
              pv.ProofResult("padding", "static", "n/a", "proved", 0.0, "", None, None, "P10")]
    monkeypatch.setattr(pv, "run_all", lambda **kw: proofs)
    ctx = campaign.Context(resolve("push-no-typ-check"), "ci", tmp_path, progress=False)
    res = campaign.prove_stage(ctx, campaign.Progress("t", enabled=False))
    assert res.cells == {"D1": "pass", "D2": "incomplete", "D3": "fail", "P3": "pass"}
    assert res.status == "fail" and res.coverage["proof_depth"] == 20
    assert res.findings[0].prop == "D3" and res.findings[0].folder is not None


def test_explore_stage_handles_vacuous_and_incomplete(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import proofs.explore as ex
    verdicts = iter(["pass", "incomplete", "fail"])

    def explore(target: str, scenario: str, params: Params, model: Any, **kw: Any) -> ex.ExploreResult:
        v = next(verdicts, "pass")
        return ex.ExploreResult(target, scenario, "reference", params, v, [], 10, 20, 5, 0.1, v != "incomplete",
                                {"g": v != "fail"}, None)
    monkeypatch.setattr(ex, "explore", explore)
    monkeypatch.setattr(campaign, "EXPLORE_CONFIGS", {"ci": [("A", "dequeue", "push | tail", Params(size=2)),
                                                             ("B", "chain", "push | tail", Params()),
                                                             ("C", "pool", "put | get", Params())]})
    monkeypatch.setattr(campaign, "explore_configs", lambda budget: campaign.EXPLORE_CONFIGS["ci"])
    ctx = campaign.Context(Model, "ci", tmp_path, progress=False)
    res = campaign.explore_stage(ctx, campaign.Progress("t", enabled=False))
    assert res.status == "fail" and "C" in res.note and "(g)" in res.note
    assert res.cells["C2"] == "incomplete" and res.cells["D3"] == "pass"
