"""Differential tests: the model against the real Go implementation, step by step.

One Go driver process per test module (built once per toolchain and cached,
see properties/conformance/driver.py); Hypothesis streams sequences through
it. The number of sequences follows the Hypothesis profile (ci: 60 per test,
thorough: 5000 per test, so 15,000 across dequeue, chain and pool).

The variants at the bottom are deliberately altered models: the differential
tests must catch each and print the first mismatching step.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

import properties.conformance as conf
from model import pool as _pool
from model.effects import Gen, atomic_cas, atomic_load, atomic_store, plain_read
from model.params import Params
from model.poolqueue import TYP_NIL, PoolDequeue, Value
from model.variants.base import Model
from properties.conformance.differential import compare, run_go, run_model
from properties.conformance.driver import DriverError, GoDriver, build_driver
from properties.conformance.sequences import (
    Held,
    OpSeq,
    chain_sequences,
    dequeue_sequences,
    pool_sequences,
)

pytestmark = pytest.mark.conformance


@pytest.fixture(autouse=True)
def _slow_only_when_asked(request: pytest.FixtureRequest) -> None:
    """The slow tier (minutes, one Go build per mutant when Go's cache is cold) runs under
    POOLCHECK_PROFILE=thorough or when selected with ``-m slow``; the plain gate (``pytest -q``) skips it."""
    if request.node.get_closest_marker("slow") is None:
        return
    expr = str(request.config.getoption("markexpr") or "")
    if os.environ.get("POOLCHECK_PROFILE") == "thorough" or re.search(r"(?<!not )\bslow\b", expr):
        return
    pytest.skip("slow conformance tier: run with -m slow or POOLCHECK_PROFILE=thorough")

HERE = Path(__file__).resolve()
SEEN: Counter[str] = Counter()   # what the generated sequences exercised, for the non-vacuity checks


@pytest.fixture(scope="module")
def driver() -> Iterator[GoDriver]:
    with GoDriver() as d:
        yield d


def _observe(seq: OpSeq, d: GoDriver) -> None:
    """Assert agreement, and count what the sequence exercised."""
    conf.check_sequence(seq, d)
    run = run_model(seq)
    SEEN["sequences"] += 1
    SEEN["operations"] += len(run.observations)
    for cmd, obs in zip(run.commands[1:], run.observations[1:]):
        r = obs["r"]
        if seq.target == "dequeue":
            if cmd["op"] == "pushHead" and r is False:
                SEEN["dequeue full"] += 1
            head, tail, _ = obs["s"]
            if head < tail:
                SEEN["dequeue wrapped"] += 1
        elif seq.target == "chain":
            SEEN[f"chain of {len(obs['s']['elts'])} dequeues"] += 1
            if cmd["op"] == "popHead" and r[1] and obs["s"]["head"] > 0:
                SEEN["chain popHead backed up"] += 1
        elif cmd["op"] == "get":
            SEEN["pool get: new" if isinstance(r, int) and r < 0 else "pool get: object" if r else "pool get: nil"] += 1


@given(dequeue_sequences())
def test_dequeue_agrees_with_go(driver: GoDriver, seq: OpSeq) -> None:
    _observe(seq, driver)


@given(chain_sequences())
def test_chain_agrees_with_go(driver: GoDriver, seq: OpSeq) -> None:
    _observe(seq, driver)


@given(pool_sequences())
def test_pool_agrees_with_go(driver: GoDriver, seq: OpSeq) -> None:
    _observe(seq, driver)


def test_generated_sequences_were_not_vacuous() -> None:
    """Runs after the three above (file order): the sequences filled and wrapped dequeues, grew chains, hit New."""
    if not SEEN:
        pytest.skip("the differential tests above did not run in this session")
    for what in ("dequeue full", "dequeue wrapped", "chain of 3 dequeues", "pool get: object", "pool get: nil",
                 "pool get: new"):
        assert SEEN[what] > 0, f"no generated sequence reached {what!r}: {dict(SEEN)}"
    print(f"\n{SEEN['sequences']} sequences, {SEEN['operations']} operations agreed with Go: {dict(SEEN)}")


# -- hand-written sequences with known answers (so agreement is not agreement on nothing) --
def _go(seq: OpSeq, d: GoDriver) -> list[dict[str, Any]]:
    m, _ = compare(seq, d)
    assert m is None, str(m)
    return run_go(d, run_model(seq).commands)


def test_dequeue_wraps_around_2_32(driver: GoDriver) -> None:
    seq = OpSeq("dequeue", (("pushHead", 1), ("pushHead", None), ("pushHead", 3), ("pushHead", 4), ("pushHead", 5),
                            ("popTail", None), ("popTail", None), ("pushHead", 6), ("popHead", None)),
                size=4, start=(1 << 32) - 2)
    obs = _go(seq, driver)
    assert [o["r"] for o in obs[1:]] == [True, True, True, True, False, [1, True], [None, True], True, [6, True]]
    assert obs[4]["s"][:2] == [2, (1 << 32) - 2]     # head wrapped past 2^32, tail did not
    assert obs[7]["s"][:2] == [2, 0]                   # now tail too


def test_chain_grows_four_times_and_drains(driver: GoDriver) -> None:
    n = 8 + 16 + 32 + 64 + 1
    ops = tuple(("pushHead", i) for i in range(1, n + 1)) + (("popHead", None),) * 2 + (("popTail", None),) * 130
    obs = _go(OpSeq("chain", ops), driver)
    after_push = obs[n]["s"]
    assert [e[0] for e in after_push["elts"]] == [8, 16, 32, 64, 128] and after_push["head"] == 4
    assert obs[n + 2]["r"] == [n - 1, True]            # the second popHead backed up into the 64-slot dequeue
    tails = [o["r"] for o in obs[n + 3:]]
    assert tails[:3] == [[1, True], [2, True], [3, True]]
    assert tails[-1] == [None, False]
    assert len(obs[-1]["s"]["elts"]) == 1                # drained dequeues were dropped


@pytest.mark.parametrize("with_new", [False, True])
def test_pool_three_gcs(driver: GoDriver, with_new: bool) -> None:
    """put, then GCs one at a time: primary -> victim -> dropped; Gets follow Go's lookup order."""
    ops = (("put", 1), ("put", 2), ("put", 3), ("get", None), ("gc", None), ("get", None), ("put", 4), ("gc", None),
           ("get", None), ("get", None), ("gc", None), ("get", None), ("put", Held(0)), ("gc", None), ("get", None),
           ("gc", None), ("gc", None), ("get", None))
    obs = _go(OpSeq("pool", ops, with_new=with_new), driver)
    gets = [o["r"] for (op, _), o in zip(ops, obs[1:]) if op == "get"]
    new = [-1, -2, -3] if with_new else [None, None, None]
    # Get 1 takes the private 1. GC 1 moves local (shared 2, 3) to the victim: the next Get takes the victim's
    # tail, 2. Put 4 lands in a fresh local. GC 2 drops the old victim (with 3: P3) and makes {private 4} the
    # victim: Get returns 4, then nothing (New). GC 3: nothing left. Put back the first held object (1); after
    # GC 4 it is served from the victim; GCs 5 and 6 age it out.
    assert gets == [1, 2, 4, new[0], new[1], 1, new[2]]


def test_go_nil_round_trips(driver: GoDriver) -> None:
    for target in ("dequeue", "chain"):
        obs = _go(OpSeq(target, (("pushHead", None), ("pushHead", 7), ("popTail", None), ("popHead", None),
                                 ("popHead", None))), driver)
        assert [o["r"] for o in obs[3:]] == [[None, True], [7, True], [None, False]]


# -- the driver itself --------------------------------------------------------
def test_driver_is_built_once_and_reports_its_setting(driver: GoDriver) -> None:
    assert build_driver() == driver.binary        # cached: same path, no rebuild
    assert driver.version.startswith("go") and not driver.race


def test_driver_rejects_bad_commands() -> None:
    with GoDriver() as d:
        with pytest.raises(DriverError, match="send new first"):
            d.exchange([{"op": "popTail"}])
        with pytest.raises(DriverError, match="power of two"):
            d.exchange([{"op": "new", "target": "dequeue", "size": 3, "start": 0}])


# -- deliberately altered models: the differential tests must catch them -------
class _KeepValDequeue(PoolDequeue):
    def pop_tail(self) -> Gen[tuple[Value, bool]]:
        while True:
            ptrs = yield atomic_load(self.head_tail, "poolqueue.go:popTail: ptrs := d.headTail.Load()")
            head, tail = self.unpack(ptrs)
            if tail == head:
                return None, False
            ok = yield atomic_cas(self.head_tail, ptrs, self.pack(head, tail + 1),
                                  "poolqueue.go:popTail: d.headTail.CompareAndSwap(ptrs, ptrs2)")
            if ok:
                slot = self._slot((yield from self._vals("popTail")), tail)
                break
        typ, val = yield plain_read(slot, "poolqueue.go:popTail: val := *(*any)(unsafe.Pointer(slot))", n=2)
        # ALTERED: no `slot.val = nil`; only typ is released. Every result is
        # the reference's; only the slot state (a retained reference) differs.
        yield atomic_store(slot, None, "poolqueue.go:popTail: atomic.StorePointer(&slot.typ, nil)")
        return (None if typ == TYP_NIL else val), True


class AlteredKeepVal(Model):
    name = "test-altered-keep-val"
    layer = "dequeue"
    kind = "design"
    description = "test variant: popTail releases typ but leaves val (same results, different slot state)"
    PoolDequeue = _KeepValDequeue


class AlteredChainLimit16(Model):
    name = "test-altered-chain-limit-16"
    layer = "chain"
    kind = "design"
    description = "test variant: the chain stops doubling at 16 slots instead of (1<<32)/4"

    @classmethod
    def dequeue_limit(cls, params: Params) -> int:
        return 16


def _cleanup_twice(rt: _pool.Runtime) -> Gen[None]:
    yield from _pool.pool_cleanup(rt)
    yield from _pool.pool_cleanup(rt)


class AlteredNoVictim(Model):
    name = "test-altered-no-victim"
    layer = "pool"
    kind = "design"
    description = "test variant: every GC runs poolCleanup twice, so the victim cache is always empty"

    @staticmethod
    def pool_cleanup(rt: _pool.Runtime) -> Gen[None]:
        return _cleanup_twice(rt)


@pytest.mark.parametrize("variant, target", [(AlteredKeepVal, "dequeue"), (AlteredChainLimit16, "chain"),
                                             (AlteredNoVictim, "pool")])
def test_altered_model_is_caught_with_the_first_mismatching_step(variant: type[Model], target: str) -> None:
    res = conf.run(examples=100, seed=1, model=variant, targets=[target])
    assert len(res.mismatches) == 1, f"{variant.name} was not caught in {res.sequences} sequences"
    m = res.mismatches[0]
    text = str(m)
    assert m.target == target and m.step >= 1 and f"step {m.step}: {m.op}" in text
    assert (m.model_result, m.model_state) != (m.go_result, m.go_state)
    assert "model: result" in text and "go:    result" in text and m.go_version in text
    if variant is AlteredKeepVal:
        assert m.model_result == m.go_result and "val-only" in json.dumps(m.model_state)  # caught by state alone


def test_reference_agrees_through_the_python_api() -> None:
    res = conf.run(examples=5, seed=3)
    assert res.ok and res.sequences >= 15 and res.operations > res.sequences and res.go_version.startswith("go")
    assert set(res.per_target) == {"dequeue", "chain", "pool"}


# -- the command line ---------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "poolcheck", "conform", *args], capture_output=True, text=True,
                          timeout=600, cwd=HERE.parent.parent)


def test_cli_json_summary() -> None:
    p = _cli("--json", "--examples", "4")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["verdict"] == "pass" and out["mismatches"] == [] and out["sequences"] >= 12
    assert out["operations"] > 0 and out["go_version"].startswith("go")


def test_cli_exit_1_prints_first_mismatch(tmp_path: Path) -> None:
    p = _cli("--examples", "50", "--targets", "pool", "--variant", f"{HERE}:AlteredNoVictim", "--out", str(tmp_path))
    assert p.returncode == 1, p.stdout + p.stderr
    assert "MISMATCH pool: the model and Go" in p.stdout and "disagree at step" in p.stdout
    assert "FAIL" in p.stdout and "sequences" in p.stdout
    [saved] = list((tmp_path / "conform").glob("pool-test-altered-no-victim-*.json"))
    data = json.loads(saved.read_text())
    assert data["kind"] == "conformance-mismatch" and data["step"] >= 1 and data["go_result"] != data["model_result"]


@pytest.mark.parametrize("args", [("--examples", "0"), ("--targets", "queue"), ("--variant", "no-such-variant")])
def test_cli_bad_input_exit_2(args: tuple[str, ...]) -> None:
    p = _cli(*args)
    assert p.returncode == 2 and p.stderr.startswith("poolcheck: error:") and "Traceback" not in p.stderr


@pytest.mark.slow
@pytest.mark.parametrize("target", ["dequeue", "chain", "pool"])
def test_thousands_of_sequences_agree(target: str) -> None:
    """The done-when figure, runnable on its own: 3,400 sequences per target (10,200 in all)."""
    res = conf.run(examples=3400, seed=2024, targets=[target])
    assert res.ok, "\n".join(str(m) for m in res.mismatches)
    assert res.sequences >= 3400
