"""PNG plots of the studies (matplotlib, Agg: no display needed).

Every function writes one PNG under ``outdir`` atomically (a temporary name
in the same folder, then os.replace) and returns its path.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from poolcheck.studies.cleanup import CleanupStudy
    from poolcheck.studies.victim import VictimStudy

__all__ = ["victim_miss_rate", "victim_held", "cleanup_cost", "cleanup_retention", "save_atomic"]

_TIER_STYLE = {0: ("tab:red", "o", "--"), 1: ("tab:blue", "s", "-"), 2: ("tab:green", "^", ":")}
_VARIANT_STYLE = {"reference": ("tab:blue", "s", "-"), "cleanup-no-victim-drop": ("tab:red", "o", "--"),
                  "victim-tiers-2": ("tab:green", "^", ":")}
_VARIANT_LABEL = {"reference": "Go's poolCleanup (reference)",
                  "cleanup-no-victim-drop": "poolCleanup as printed in the text (cleanup-no-victim-drop)",
                  "victim-tiers-2": "two victim tiers (victim-tiers-2)"}


def _figure(w: float, h: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_atomic(fig: Figure, path: Path) -> Path:
    """Write ``fig`` to ``path`` as PNG through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".png", dir=str(path.parent))
    os.close(fd)
    try:
        fig.savefig(tmp, format="png")
        os.chmod(tmp, 0o644)   # mkstemp creates 0600; a report is meant to be read
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def victim_miss_rate(study: VictimStudy, outdir: Path) -> Path:
    from poolcheck.studies.victim import WORKLOADS, tier_label

    c = study.config
    fig = _figure(11, 7.5)
    axes = fig.subplots(2, 2, sharex=True)
    for ax, w in zip(axes.flat, WORKLOADS):
        for n in c.tiers:
            color, marker, ls = _TIER_STYLE.get(n, ("black", "x", "-"))
            ys = [100 * study.get(w.name, n, iv).miss_rate for iv in c.intervals]
            # Later tiers are drawn on top with hollow, larger markers, so a
            # line that coincides with N=1's stays visible.
            ax.plot(list(c.intervals), ys, color=color, marker=marker, linestyle=ls, linewidth=2,
                    markersize=6 + 2 * n, markerfacecolor=color if n < 2 else "none", markeredgewidth=1.8,
                    label=tier_label(n))
        ax.set_xscale("log", base=2)
        ax.set_xticks(list(c.intervals), [str(i) for i in c.intervals])
        ax.set_title(f"{w.name}: {w.description}", fontsize=9, wrap=True)
        ax.set_ylabel("miss rate (% of Gets that call New)")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("GC interval (ticks between GCs, log scale)")
    axes[0][0].legend(title="victim tiers", fontsize=9)
    fig.suptitle(f"Miss rate vs GC interval, by number of victim tiers (model, GOMAXPROCS={c.gomaxprocs}, "
                 f"{c.ticks} ticks per run)\nwhere N=2 equals N=1, its hollow triangles sit on N=1's line")
    return save_atomic(fig, outdir / "victim_miss_rate.png")


def victim_held(study: VictimStudy, outdir: Path) -> Path:
    from poolcheck.studies.victim import WORKLOADS, tier_label

    c = study.config
    names = [w for w in WORKLOADS if w.name in c.series_workloads]
    fig = _figure(11, 3.6 * len(names))
    axes = fig.subplots(len(names), 1, squeeze=False)
    for ax, w in zip(axes[:, 0], names):
        top = 0
        for n in c.tiers:
            r = study.get(w.name, n, c.series_interval)
            xs = [x for x, _ in r.series]
            ys = [y for _, y in r.series]
            top = max(top, max(ys, default=0))
            color, _, ls = _TIER_STYLE.get(n, ("black", "x", "-"))
            ax.step(xs, ys, where="post", color=color, linestyle=ls, linewidth=2.5 if n >= 2 else 2,
                    label=tier_label(n))
        for g in range(c.series_interval, c.ticks + 1, c.series_interval):
            ax.axvline(g, color="grey", linewidth=0.8, alpha=0.5, linestyle="-")
        ax.set_title(f"{w.name}: {w.description}; GC every {c.series_interval} ticks (grey lines)", fontsize=9)
        ax.set_xlabel("time (ticks)")
        ax.set_ylabel("objects held by the pool")
        ax.set_xlim(0, c.ticks)
        ax.set_ylim(0, top * 1.15 + 1)
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(title="victim tiers", fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle("Objects the pool holds over time (local + every victim tier, sampled after each tick and each GC)")
    return save_atomic(fig, outdir / "victim_held.png")


def cleanup_cost(study: CleanupStudy, outdir: Path) -> Path:
    from poolcheck.studies.cleanup import SEED_VARIANT

    fig = _figure(11, 4.4)
    left, right = fig.subplots(1, 2)
    series = [("reference", 0, "Go's poolCleanup, empty pools"), ("reference", 1, "Go's poolCleanup, 1 item per pool"),
              (SEED_VARIANT, 0, "text's poolCleanup, empty pools")]
    for variant, per_pool, label in series:
        pts = sorted((p.pools, p.gc_effects) for p in study.pools_sweep
                     if p.variant == variant and (p.items > 0) == bool(per_pool))
        if not pts:
            continue
        color, marker, ls = _VARIANT_STYLE.get(variant, ("black", "x", "-"))
        if per_pool:
            marker, ls, color = "x", "none", "black"
        left.plot([x for x, _ in pts], [y for _, y in pts], color=color, marker=marker, linestyle=ls,
                  markersize=8, linewidth=2, label=label)
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("pools in allPools and oldPools (log scale)")
    left.set_ylabel("effects in one GC (log scale)")
    left.set_title("Cost vs pools: linear (slope 1 on log-log)", fontsize=10)
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    pts = sorted((p.items, p.gc_effects) for p in study.items_sweep)
    if pts:
        right.plot([x for x, _ in pts], [y for _, y in pts], color="tab:blue", marker="s", linewidth=2,
                   label=f"Go's poolCleanup, {study.config.items_pools} pools")
        right.set_xscale("symlog", linthresh=10)
        top = max(y for _, y in pts)
        right.set_ylim(0, top * 1.5)
        right.legend(fontsize=8, loc="lower right")
    right.set_xlabel("items in the pools (private slots + shared chains; symlog scale)")
    right.set_ylabel("effects in one GC")
    right.set_title("Cost vs items: flat", fontsize=10)
    right.grid(True, which="both", alpha=0.3)
    fig.suptitle("poolCleanup's cost in model effects (shared-memory accesses, one per Go statement executed)")
    return save_atomic(fig, outdir / "cleanup_cost.png")


def cleanup_retention(study: CleanupStudy, outdir: Path) -> Path:
    c = study.config
    fig = _figure(9, 4.4)
    ax = fig.subplots()
    for name, pts in study.retention.items():
        color, marker, ls = _VARIANT_STYLE.get(name, ("black", "x", "-"))
        # The count changes only at a GC: a step from each GC to the next.
        ax.step([p.gcs for p in pts], [p.held for p in pts], where="post", color=color, linestyle=ls, linewidth=2,
                marker=marker, markersize=7, label=_VARIANT_LABEL.get(name, name))
    ax.set_xlabel("GCs since the pools went idle")
    ax.set_ylabel("objects still held (all pools)")
    ax.set_xticks(list(range(c.idle_gcs + 1)))
    ax.set_ylim(bottom=-0.03 * c.idle_pools * c.idle_items, top=1.25 * c.idle_pools * c.idle_items)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title(f"Memory retained after {c.idle_pools} pools with {c.idle_items} objects each go idle (P11)\n"
                 f"(values after each GC; no Put or Get after GC 0)", fontsize=11)
    return save_atomic(fig, outdir / "cleanup_retention.png")
