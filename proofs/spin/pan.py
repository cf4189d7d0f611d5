"""Run SPIN on a Promela model: ``spin -a``, ``gcc -O2 -DSAFETY``, ``./pan``, and read pan's report.

Each of the three is a child process; its CPU seconds are read from
``resource.getrusage(RUSAGE_CHILDREN)`` before and after, so the figures are
CPU time like poolcheck's (the machine is shared). ``total_cpu`` is all
three (start-up included, as a user pays it), ``search_cpu`` is pan alone.
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PanResult", "run_pan", "spin_missing", "SpinError", "PAN_FLAGS", "hash_bits"]

PAN_FLAGS = ("-DSAFETY", "-DMEMLIM=8192")
"""gcc flags besides the optimisation level: safety properties only, pan's memory cap raised to 8 GB."""

DEPTH = 100_000
"""pan -m: the search depth limit (a run that reaches it is an error here, never a complete search)."""


class SpinError(Exception):
    """spin, gcc or pan failed; the message says which and why."""


@dataclass
class PanResult:
    states: int          # states stored
    matched: int
    transitions: int
    depth: int
    errors: int
    state_vector: int    # bytes
    memory_mb: float     # pan's "total actual memory usage"
    total_cpu: float     # spin -a + gcc + pan, CPU seconds
    search_cpu: float    # pan alone
    output: str


def spin_missing() -> str:
    """Why SPIN cannot run here ("" when spin and gcc are installed)."""
    missing = [p for p in ("spin", "gcc") if shutil.which(p) is None]
    if missing:
        return (f"{' and '.join(missing)} not installed (Debian: apt-get install -y {' '.join(missing)})")
    return ""


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run(argv: list[str], cwd: Path, what: str, timeout: float) -> str:
    try:
        out = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SpinError(f"{what} took longer than {timeout:.0f} s") from None
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
        raise SpinError(f"{what} failed (exit {out.returncode}): {' / '.join(tail)}")
    return out.stdout


def _number(pattern: str, text: str, cast: type = int) -> float:
    m = re.search(pattern, text)
    if m is None:
        raise SpinError(f"pan's output has no {pattern!r}; output: {text[-400:]!r}")
    return cast(m.group(1))  # type: ignore[no-any-return]


def hash_bits(expected_states: int) -> int:
    """pan -w for about ``expected_states`` stored states: a table of 2 slots per state, 2^18 to 2^28."""
    return max(18, min(28, (2 * max(expected_states, 1)).bit_length()))


def run_pan(text: str, *, expected_states: int = 1 << 20, optimize: str = "-O2", workdir: Path | None = None,
            timeout: float = 3600.0) -> PanResult:
    """Generate, compile and run the verifier of Promela program ``text`` (see the module docstring).

    ``expected_states`` sizes pan's hash table (-w), as a SPIN user would;
    ``optimize`` is gcc's level (the measurements use the issue's -O2; tests
    that only need pan's verdict compile faster with -O0).
    """
    missing = spin_missing()
    if missing:
        raise SpinError(missing)
    with tempfile.TemporaryDirectory(prefix="poolcheck-spin-") as tmp:
        d = workdir or Path(tmp)
        (d / "model.pml").write_text(text)
        cpu0 = _child_cpu()
        _run(["spin", "-a", "model.pml"], d, "spin -a", timeout)
        _run(["gcc", optimize, *PAN_FLAGS, "-o", "pan", "pan.c"], d, "gcc", timeout)
        cpu1 = _child_cpu()
        out = _run(["./pan", f"-m{DEPTH}", f"-w{hash_bits(expected_states)}"], d, "pan", timeout)
        cpu2 = _child_cpu()
    if "max search depth too small" in out:
        raise SpinError(f"pan reached its depth limit {DEPTH:,}: the search is not complete")
    return PanResult(
        states=int(_number(r"(\d+) states, stored", out)), matched=int(_number(r"(\d+) states, matched", out)),
        transitions=int(_number(r"(\d+) transitions \(= stored\+matched\)", out)),
        depth=int(_number(r"depth reached (\d+)", out)), errors=int(_number(r"errors: (\d+)", out)),
        state_vector=int(_number(r"State-vector (\d+) byte", out)),
        memory_mb=float(_number(r"([\d.]+)\s+total actual memory usage", out, float)),
        total_cpu=cpu2 - cpu0, search_cpu=cpu2 - cpu1, output=out)
