"""CrossHair on the pure helpers' contracts, and a property test on the hypothesis-crosshair backend."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import bits
from proofs.smt import contracts as C

pytestmark = pytest.mark.proof

ROOT = Path(__file__).resolve().parents[1]


def _crosshair(target: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("crosshair") or str(Path(sys.executable).with_name("crosshair"))
    return subprocess.run([exe, "check", str(target), "--analysis_kind=PEP316", f"--per_condition_timeout={timeout}"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_crosshair_finds_no_counterexample_to_the_helpers_contracts() -> None:
    p = _crosshair(ROOT / "proofs" / "smt" / "contracts.py", 1.0)
    assert p.returncode == 0, p.stdout + p.stderr
    assert ": error:" not in p.stdout


def test_crosshair_finds_a_broken_contract(tmp_path: Path) -> None:
    # slot_index without the power-of-two precondition: the mask is not a modulo
    f = tmp_path / "broken_contract.py"
    f.write_text('from model import bits\n\n\ndef slot_index(i: int, n: int) -> int:\n'
                 '    """\n    pre: 0 <= i < 2**32\n    pre: 1 <= n <= 2**31\n    post: __return__ == i % n\n    """\n'
                 '    return bits.slot_index(i, n, 32)\n')
    p = _crosshair(f, 2.0)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "error: false when calling slot_index(" in p.stdout


U32 = st.integers(0, 2**32 - 1)


@settings(backend="crosshair", max_examples=20, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(U32, U32)
def test_pack_unpack_roundtrip_on_the_crosshair_backend(head: int, tail: int) -> None:
    assert bits.unpack(bits.pack(head, tail)) == (head, tail)
    assert bits.unpack(bits.u64(bits.pack(head, tail) + (1 << 32))) == ((head + 1) % 2**32, tail)


@settings(backend="crosshair", max_examples=20, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(U32, st.integers(0, 31))
def test_slot_index_is_the_index_mod_n_on_the_crosshair_backend(i: int, k: int) -> None:
    n = 1 << k
    assert bits.slot_index(i, n) == i % n


@given(U32, U32, st.integers(0, 31))
def test_the_wrappers_meet_their_postconditions(head: int, tail: int, k: int) -> None:
    n = 1 << k
    ptrs = C.pack(head, tail)
    assert C.unpack(ptrs) == (head, tail)
    assert C.unpack(C.head_increment(ptrs)) == ((head + 1) % 2**32, tail)
    cnt = (head - tail) % 2**32
    if cnt <= n:
        assert C.is_full(head, tail, n) == (cnt == n)
        assert C.is_empty(head, tail, n) == (cnt == 0)
    assert C.slot_index(head, n) == head % n
    if n <= 2**30:
        assert C.chain_growth(n, 2**30) == min(2 * n, 2**30)
    assert (tail % 2**16 + C.pad_for(tail % 2**16)) % 128 == 0


def test_the_crosshair_backend_solves_for_a_needle() -> None:
    # a random sampler would not hit the one index in 2^32 whose slot is 0x5EADBEEF in 10 tries; the
    # symbolic backend solves the branch (so the tests above really run on symbolic integers)
    @settings(backend="crosshair", max_examples=10, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(U32)
    def wrong(head: int) -> None:
        assert bits.slot_index(bits.u32(head + 7), 1 << 31) != 0x5EADBEEF

    with pytest.raises(AssertionError):
        wrong()
