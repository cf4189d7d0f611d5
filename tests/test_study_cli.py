"""run_study (the facade the campaign embeds) and ``poolcheck study`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from poolcheck.cli import main
from poolcheck.common import UsageError
from poolcheck.studies import cleanup, victim
from poolcheck.study import STUDIES, run_study

PNG = b"\x89PNG\r\n\x1a\n"
TINY_VICTIM = victim.VictimConfig(ticks=32, intervals=(4, 16), table_interval=16, series_interval=16)
TINY_CLEANUP = cleanup.CleanupConfig(pools=(1, 10), items=(0, 100), items_pools=2, gomaxprocs=2, idle_pools=2,
                                     idle_items=5, idle_gcs=3)


def test_unknown_study_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UsageError, match="unknown study 'victims': use one of victim, padding, cleanup or all"):
        run_study("victims", tmp_path)
    assert main(["study", "victims", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown study 'victims'" in err
    assert not (tmp_path / "study").exists()


def test_all_writes_plots_markdown_and_json(tmp_path: Path) -> None:
    res = run_study("all", tmp_path, victim_config=TINY_VICTIM, cleanup_config=TINY_CLEANUP)
    assert res.plots == ["study/victim_miss_rate.png", "study/victim_held.png", "study/cleanup_cost.png",
                         "study/cleanup_retention.png"]
    for p in res.plots:
        data = (tmp_path / p).read_bytes()
        assert data.startswith(PNG) and len(data) > 10_000
    assert not [f for f in (tmp_path / "study").iterdir() if f.name.startswith(".")]   # no temporary left over
    md = res.to_markdown()
    for p in res.plots:
        assert f"]({p})" in md            # links relative to out (reports/summary.md's folder)
    assert "](victim_miss_rate.png)" in (tmp_path / "study" / "all.md").read_text()   # relative to study/
    assert "Victim tiers" in md and "Padding (P10)" in md and "poolCleanup" in md
    j = json.loads((tmp_path / "study" / "all.json").read_text())
    assert j == json.loads(json.dumps(res.to_json()))
    assert j["schema_version"] == 1 and j["plots"] == res.plots
    assert set(j) >= {"victim", "padding", "cleanup"} and all(j[s] is not None for s in STUDIES)


def test_padding_alone_writes_no_plots(tmp_path: Path) -> None:
    res = run_study("padding", tmp_path)
    assert res.plots == [] and res.victim is None and res.cleanup is None
    assert "![" not in res.to_markdown()
    assert (tmp_path / "study" / "padding.md").is_file()


def test_cli_json_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["study", "padding", "--json", "--out", str(tmp_path)]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["study"] == "padding" and len(j["padding"]["rows"]) >= 14
    assert main(["study", "padding", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| amd64" in out and "sizeof(poolLocal)" in out and "wrote " in out
