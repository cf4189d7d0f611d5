"""The campaign and the kill matrix give the same verdicts, findings and report folders inline, on local
processes and on a Dask LocalCluster (issue 15: the job seam)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from model.variants import resolve
from poolcheck import campaign
from poolcheck.jobs import Executor, Inline, Processes, executor
from poolcheck.killmatrix import kill_matrix

VARIANTS = ["reference", "push-no-typ-check", "chain-next-after-pop", "get-keeps-private"]


def _outcome(c: campaign.Campaign, out: Path) -> list[Any]:
    """What must not depend on where the jobs ran: verdicts, cells, findings and their report folders."""
    return [(r.variant, [(s.stage, s.status, s.cells, [c.name for c in s.configs], s.coverage_text,
                          [(f.prop, f.config, f.message, f.length,
                            f.folder.relative_to(out).as_posix() if f.folder else None) for f in s.findings])
                         for s in r.stages]) for r in c.runs]


def _campaign(ex: Executor, out: Path) -> list[Any]:
    c = campaign.run([resolve(v) for v in VARIANTS], "ci", out, only=["explore"], progress=False, jobs=ex)
    assert not c.interrupted
    return _outcome(c, out)


@pytest.fixture(scope="module")
def inline(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    return _campaign(Inline(), tmp_path_factory.mktemp("inline"))


def test_inline_outcome_is_the_expected_one(inline: list[Any]) -> None:
    verdicts = {v: [st[1] for st in stages] for v, stages in inline}
    assert verdicts == {"reference": ["pass"], "push-no-typ-check": ["fail"], "chain-next-after-pop": ["fail"],
                        "get-keeps-private": ["fail"]}
    folders = [f[4] for _, stages in inline for st in stages for f in st[5]]
    assert folders and all(folders)   # every finding has its report folder, named by content


def test_two_processes_agree_with_inline(inline: list[Any], tmp_path: Path) -> None:
    ex = Processes(2)
    try:
        assert _campaign(ex, tmp_path) == inline
    finally:
        ex.close()


def test_dask_local_cluster_agrees_with_inline(inline: list[Any], tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="the cluster extra: pip install -e '.[cluster]'")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        ex = executor(f"dask:{lc.scheduler_address}")
        try:
            assert _campaign(ex, tmp_path) == inline
        finally:
            ex.close()


def test_kill_matrix_cells_agree(tmp_path: Path) -> None:
    only = ["push-no-typ-check", "chain-next-after-pop"]

    def cells(ex: Executor, out: Path) -> list[Any]:
        km = kill_matrix(("sample", "explore"), "ci", out, only=only, executor=ex)
        return [(r.name, {e: (c.status, c.prop, c.length, c.properties and sorted(c.properties),
                              c.counterexample and Path(c.counterexample).relative_to(out).as_posix())
                          for e, c in r.cells.items()}) for r in km.rows + [km.reference]]
    a = cells(Inline(), tmp_path / "a")
    ex = Processes(2)
    try:
        b = cells(ex, tmp_path / "b")
    finally:
        ex.close()
    assert a == b
    assert all(c[0] == "killed" for name, row in a[:2] for c in row.values())
