"""One dated folder per run under ``--out``, and ``latest`` pointing at the newest.

``poolcheck verify --out reports`` writes everything of one run (summary.md,
index.html, junit.xml, campaign.json, the counterexample folders, mutants.md,
study/) into ``reports/runs/<UTC date and time>/`` and then points
``reports/latest`` at it (a relative symbolic link, swapped atomically), so a
second run never mixes its reports with the first one's and a reader always
finds the newest at ``reports/latest/summary.md``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["new_run_dir", "point_latest", "report_folders", "RUNS", "LATEST"]

RUNS, LATEST = "runs", "latest"


def new_run_dir(out: Path, now: datetime | None = None) -> Path:
    """``out/runs/<YYYYmmddTHHMMSSZ>`` (with -2, -3, ... if that second is taken), created."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    base = Path(out) / RUNS
    base.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        d = base / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            d.mkdir()
            return d
        except FileExistsError:
            n += 1


def point_latest(out: Path, run_dir: Path) -> Path:
    """Make ``out/latest`` a relative link to ``run_dir`` (replaced atomically); return the link."""
    link = Path(out) / LATEST
    tmp = Path(out) / f".{LATEST}.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(os.path.relpath(run_dir, out))
    os.replace(tmp, link)
    return link


def report_folders(run_dir: Path) -> list[Path]:
    """Every report folder written in the run (a folder holding a report.md), sorted."""
    return sorted(p.parent for p in Path(run_dir).rglob("report.md"))
