"""The real sync.Pool under stress, P1/P2 checked from the outside (properties/conformance/gopool_stress.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from properties.conformance.gopool_stress import stress

pytestmark = pytest.mark.conformance
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("procs", [2, 4, 8])
def test_real_pool_keeps_p1_p2_under_stress(procs: int) -> None:
    r = stress(procs, 20_000)
    d = r.data
    assert r.ok, d
    assert d["procs"] == procs and d["goroutines"] == 2 * procs and d["ops"] == 20_000
    assert d["reused"] > 1000 and d["news"] >= 1 and d["gcs"] >= 1  # objects really travel through the pool


def test_stress_check_catches_get_keeps_private() -> None:
    r = stress(2, 5_000, mutant="get-keeps-private")
    assert not r.ok and r.data["p1_duplicates"] > 0


def test_pool_stress_command(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "poolcheck", "conform", "--pool-stress", "--stress-ops", "4000"],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("P1 duplicates 0") == 3 and "PASS real sync.Pool under stress" in p.stdout
