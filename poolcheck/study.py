"""The text's claims, measured: the facade of poolcheck/studies/.

``run_study(which, out)`` runs one study (``victim``, ``padding``,
``cleanup``) or ``all``, writes its plots to ``out/study/*.png`` and its
results to ``out/study/<which>.md`` and ``<which>.json``, and returns a
StudyResult whose ``to_markdown()`` the campaign report embeds::

    res = run_study("all", Path("reports"))
    md = res.to_markdown()        # image links relative to reports/
    res.plots                     # ["study/victim_miss_rate.png", ...]
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.tracefile import jsonable, write_text_atomic
from poolcheck.common import UsageError
from poolcheck.progress import Progress
from poolcheck.studies import cleanup as _cleanup
from poolcheck.studies import padding as _padding
from poolcheck.studies import plots as _plots
from poolcheck.studies import victim as _victim

__all__ = ["STUDIES", "SCHEMA_VERSION", "StudyResult", "run_study"]

STUDIES = ("victim", "padding", "cleanup")
SCHEMA_VERSION = 1
SUBDIR = "study"


@dataclass
class StudyResult:
    """What ``run_study`` measured. ``plots`` are PNG paths relative to ``out``."""

    which: str
    out: Path
    victim: _victim.VictimStudy | None = None
    padding: _padding.PaddingStudy | None = None
    cleanup: _cleanup.CleanupStudy | None = None
    plots: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def _img(self, name: str, alt: str, relative_to: str) -> str:
        rel = f"{SUBDIR}/{name}"
        if rel not in self.plots:
            return ""
        link = Path(os.path.relpath(self.out / rel, self.out / relative_to)).as_posix()
        return f"![{alt}]({link})"

    def to_markdown(self, relative_to: str = ".", level: int = 2) -> str:
        """Tables, findings and image links; links are relative to ``out/relative_to`` (default: ``out``)."""
        h = "#" * level
        parts: list[str] = []
        if self.victim is not None:
            parts += [f"{h} Victim tiers: \"two tiers is the sweet spot\"", self.victim.to_markdown(),
                      self._img("victim_miss_rate.png", "miss rate vs GC interval per tier count", relative_to),
                      self._img("victim_held.png", "objects held over time per tier count", relative_to)]
        if self.padding is not None:
            parts += [f"{h} Padding (P10): 128 bytes per poolLocal", self.padding.to_markdown()]
        if self.cleanup is not None:
            parts += [f"{h} poolCleanup: cost in pools and items; retention of the text's version (P11)",
                      self.cleanup.to_markdown(),
                      self._img("cleanup_cost.png", "poolCleanup effects vs pools and items", relative_to),
                      self._img("cleanup_retention.png", "objects retained after pools go idle", relative_to)]
        parts.append(f"_Measured by `poolcheck study {self.which}` in {self.seconds:.1f} s._")
        return "\n\n".join(p for p in parts if p) + "\n"

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "study": self.which,
            "seconds": round(self.seconds, 2),
            "plots": list(self.plots),
            "victim": None if self.victim is None else self.victim.to_json(),
            "padding": None if self.padding is None else self.padding.to_json(),
            "cleanup": None if self.cleanup is None else self.cleanup.to_json(),
        }

    def text(self) -> str:
        """What ``poolcheck study`` prints: the same tables and findings as the Markdown, without the images."""
        lines = [ln for ln in self.to_markdown().splitlines() if not ln.startswith("![")]
        out = "\n".join(lines).replace("\n\n\n\n", "\n\n").replace("\n\n\n", "\n\n")
        return out.replace("_Measured by", "Measured by").rstrip("_\n") + "\n"


def run_study(which: str = "all", out: Path = Path("reports"), progress: Progress | None = None, *,
              quick: bool = False, victim_config: _victim.VictimConfig | None = None,
              cleanup_config: _cleanup.CleanupConfig | None = None) -> StudyResult:
    """Run study ``which`` (one of STUDIES, or ``all``); write plots and ``<which>.md/.json`` under ``out/study/``.

    ``quick`` selects the smaller sweeps (victim.QUICK, cleanup.QUICK), for
    tests and CI; ``progress`` (optional) receives ``update(study=..., step=...)``.
    Raises UsageError for an unknown study.
    """
    if which not in STUDIES + ("all",):
        raise UsageError(f"unknown study {which!r}: use one of {', '.join(STUDIES)} or all")
    todo = STUDIES if which == "all" else (which,)
    t0 = time.monotonic()
    res = StudyResult(which, Path(out))
    outdir = Path(out) / SUBDIR
    own = progress is None
    bar = progress if progress is not None else Progress("study")
    try:
        if "victim" in todo:
            vc = victim_config or (_victim.QUICK if quick else _victim.FULL)
            res.victim = _victim.run(vc, lambda i, n: bar.update(study="victim", run=f"{i}/{n}"))
            for fn in (_plots.victim_miss_rate, _plots.victim_held):
                res.plots.append(_rel(fn(res.victim, outdir), Path(out)))
        if "padding" in todo:
            res.padding = _padding.run()
        if "cleanup" in todo:
            cc = cleanup_config or (_cleanup.QUICK if quick else _cleanup.FULL)
            res.cleanup = _cleanup.run(cc, tick=lambda what: bar.update(study="cleanup", step=what))
            for gn in (_plots.cleanup_cost, _plots.cleanup_retention):
                res.plots.append(_rel(gn(res.cleanup, outdir), Path(out)))
    finally:
        if own:
            bar.close()
    res.seconds = time.monotonic() - t0
    write_text_atomic(outdir / f"{which}.md", res.to_markdown(relative_to=SUBDIR, level=2))
    write_text_atomic(outdir / f"{which}.json", json.dumps(jsonable(res.to_json()), indent=2) + "\n")
    return res


def _rel(path: Path, out: Path) -> str:
    return Path(os.path.relpath(path, out)).as_posix()
