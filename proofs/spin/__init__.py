"""poolcheck's explorer and SPIN side by side on the same configurations (issue 14, part 5).

``against_spin(configs)`` runs, per dequeue or chain configuration, both
tools in fresh processes and in the same run:

- poolcheck: ``poolcheck explore ... --jobs 1 --json`` (the default search
  core, the compiled one when built), CPU seconds of the whole process
  (interpreter start-up included) and of the search alone (its JSON);
- SPIN: the generated Promela model (proofs/spin/promela.py, the same
  granularity), ``spin -a``, ``gcc -O2 -DSAFETY``, ``./pan``
  (proofs/spin/pan.py), CPU seconds of all three and of pan alone.

The ratio printed is poolcheck's CPU over SPIN's: below 1 poolcheck is
faster. ``poolcheck bench --against-spin`` prints the table.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from model.variants import Model, spec_of
from proofs.explore.bench_configs import BenchConfig
from proofs.spin.pan import PanResult, SpinError, run_pan, spin_missing
from proofs.spin.promela import promela

__all__ = ["against_spin", "SpinRow", "HEAD", "spin_missing", "SpinError", "promela", "run_pan"]

HEAD = (f"{'config':<7}{'poolcheck states':>17}{'SPIN states':>13}{'pc cpu s':>10}{'SPIN cpu s':>11}{'ratio':>7}"
        f"{'pc search':>11}{'pan':>8}{'ratio':>7}  verdicts")


@dataclass
class SpinRow:
    config: str
    states: int               # poolcheck's states (reduced: symmetry, live variables)
    cpu_seconds: float        # poolcheck's process, start-up included
    search_cpu: float         # poolcheck's search alone
    verdict: str
    spin: PanResult

    @property
    def ratio(self) -> float:
        """poolcheck's total CPU over SPIN's (spin -a + gcc + pan); below 1 poolcheck is faster."""
        return self.cpu_seconds / self.spin.total_cpu if self.spin.total_cpu > 0 else float("inf")

    @property
    def search_ratio(self) -> float:
        """poolcheck's search CPU over pan's."""
        return self.search_cpu / self.spin.search_cpu if self.spin.search_cpu > 0 else float("inf")

    @property
    def ok(self) -> bool:
        return self.verdict == "pass" and self.spin.errors == 0

    def line(self) -> str:
        verdicts = f"{self.verdict} / {'no errors' if self.spin.errors == 0 else f'{self.spin.errors} errors'}"
        return (f"{self.config:<7}{self.states:>17,}{self.spin.states:>13,}{self.cpu_seconds:>10.2f}"
                f"{self.spin.total_cpu:>11.2f}{self.ratio:>7.2f}{self.search_cpu:>11.2f}{self.spin.search_cpu:>8.2f}"
                f"{self.search_ratio:>7.2f}  {verdicts}")

    def to_json(self) -> dict[str, Any]:
        return {"config": self.config, "states": self.states, "cpu_seconds": round(self.cpu_seconds, 3),
                "search_cpu_seconds": round(self.search_cpu, 3), "verdict": self.verdict,
                "spin_states": self.spin.states, "spin_transitions": self.spin.transitions,
                "spin_state_vector": self.spin.state_vector, "spin_memory_mb": self.spin.memory_mb,
                "spin_cpu_seconds": round(self.spin.total_cpu, 3), "pan_cpu_seconds": round(self.spin.search_cpu, 3),
                "spin_errors": self.spin.errors, "ratio": round(self.ratio, 3),
                "search_ratio": round(self.search_ratio, 3)}


def _poolcheck(c: BenchConfig, model: type[Model]) -> tuple[int, float, float, str]:
    """(states, CPU of the whole process, CPU of the search, verdict) of a fresh ``poolcheck explore``."""
    with tempfile.TemporaryDirectory(prefix="poolcheck-bench-") as out:
        argv = [sys.executable, "-m", "poolcheck", "explore", c.target, c.scenario, *c.options.split(), "--jobs", "1",
                "--max-states", "0", "--json", "--out", out, "--variant", spec_of(model)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=7200)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SpinError(f"poolcheck explore on {c.name} exited {done.returncode}: {done.stderr.strip()[-300:]}")
    d = json.loads(done.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return int(d["states"]), cpu, float(d["cpu_seconds"]), str(d["verdict"])


def against_spin(configs: Sequence[BenchConfig], *, model: type[Model] = Model,
                 on_line: Callable[[str], None] | None = None,
                 failures: list[str] | None = None) -> list[SpinRow]:
    """Each dequeue or chain configuration by poolcheck and by SPIN, in this run (see the module docstring).

    A configuration that either tool cannot finish (pan out of memory, killed, a timeout) is reported
    through ``on_line`` and appended to ``failures``, and the others still run.
    """
    rows: list[SpinRow] = []
    for c in configs:
        if c.target not in ("dequeue", "chain"):
            continue
        try:
            states, cpu, search, verdict = _poolcheck(c, model)
            # SPIN stores more states than the reduced search: size its hash table for 30 times as many.
            pan = run_pan(promela(c.target, c.scenario, c.params).text, expected_states=30 * states)
        except SpinError as e:
            msg = f"{c.name}: not measured: {e}"
            if failures is not None:
                failures.append(msg)
            if on_line is not None:
                on_line(msg[:300])
            continue
        row = SpinRow(c.name, states, cpu, search, verdict, pan)
        rows.append(row)
        if on_line is not None:
            on_line(row.line())
    return rows
