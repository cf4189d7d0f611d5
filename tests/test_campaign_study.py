"""The campaign's study stage: skipped on ci, plots embedded as images in summary.md and index.html."""

from __future__ import annotations

from pathlib import Path

from model.variants import Model
from poolcheck import campaign, summary
from poolcheck.progress import Progress


def test_study_stage_is_skipped_on_the_ci_budget(tmp_path: Path) -> None:
    ctx = campaign.Context(Model, budget="ci", out=tmp_path, progress=False)
    with Progress("study", enabled=False) as bar:
        res = campaign.study_stage(ctx, bar)
    assert res.status == "pass" and "skipped on the ci budget" in res.coverage_text
    assert not (tmp_path / "study").exists()


def test_plots_are_embedded_as_images() -> None:
    st = campaign.StageResult("study", "study", "pass", links={"study.md": "study/all.md",
                                                             "victim_miss_rate": "study/victim_miss_rate.png"})
    run = campaign.VariantRun("reference", "Go's sync.Pool", [st])
    html = summary._stage_rows(run)
    assert '<img src="study/victim_miss_rate.png"' in html and '<a href="study/all.md">study.md</a>' in html
    assert '<a href="study/victim_miss_rate.png"' not in html
