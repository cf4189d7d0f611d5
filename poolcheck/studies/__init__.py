"""The text's quantitative claims, measured with the model: one module per study.

- ``victim``  victim tiers: miss rate, memory held and objects dropped per workload and GC interval
- ``padding`` P10: sizeof(poolLocal) per GOARCH against the cache-line sizes Go itself pads to
- ``cleanup`` poolCleanup's cost in model effects against pools and items; retention (P11) of the
  poolCleanup printed in the text
- ``plots``   matplotlib PNGs of the above

``poolcheck.study.run_study`` is the facade the command line and the campaign use.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["md_table", "pct"]


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str | None = None) -> str:
    """A Markdown table whose columns are padded, so it reads the same in a terminal.

    ``align``: one letter per column, ``l`` or ``r`` (default: first column left, the rest right).
    """
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    al = align or "l" + "r" * (len(headers) - 1)
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, al)) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2)) for w, a in zip(widths, al)) + "|"
    return "\n".join([line(cells[0]), sep] + [line(r) for r in cells[1:]])


def pct(x: float) -> str:
    """A rate as a percentage with one decimal."""
    return f"{100 * x:.1f}%"
