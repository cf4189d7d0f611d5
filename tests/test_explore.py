"""The exhaustive explorer (proofs/explore/__init__.py): verdicts, shortest replayable counterexamples, budgets, goals."""

from __future__ import annotations

from typing import Any

import pytest

from model.effects import Gen, GoPanic
from model.params import Params
from model.poolqueue import PoolDequeue, Value
from model.variants import Model, resolve
from poolcheck.replay import replay
from proofs import explore as explore_mod
from proofs.explore import ExploreResult, explore
from proofs.explore.goals import Goal, Witness, declared_goals
from proofs.explore.search import Search

pytestmark = pytest.mark.explore

E1 = ("dequeue", "push push pop | tail tail", Params(size=2))
E2 = ("dequeue", "push push push pop | tail tail | tail tail", Params(size=2))
E4 = ("dequeue", "push push push pop | tail tail | tail tail", Params(size=2, start_index=(1 << 32) - 1))
E6 = ("pool", "put get | put get | gc", Params(gomaxprocs=2))


def _props(res: ExploreResult) -> dict[str, int]:
    return {v.prop: v.length for v in res.violations}


@pytest.mark.parametrize("cfg", [E1, E2, E4, E6], ids=["E1", "E2", "E4", "E6"])
def test_reference_passes_with_every_goal_reached(cfg: tuple[str, str, Params]) -> None:
    res = explore(*cfg)
    assert res.verdict == "pass", res.summary()
    assert res.complete and not res.violations and not res.notes
    assert res.goals and all(res.goals.values()), res.goals
    assert res.states > 0 and res.transitions >= res.states - 1 and res.max_depth > 0
    assert res.time_to_first_violation is None
    assert res.summary().startswith("PASS ")


def test_e4_reaches_the_full_width_wrap() -> None:
    res = explore(*E4)
    assert res.params.dequeue_bits == 32 and res.goals["index-wraps"]


def test_push_no_typ_check_fails_with_shortest_replayable_traces() -> None:
    m = resolve("push-no-typ-check")
    res = explore("dequeue", "push push push | tail tail", Params(size=2), m)
    props = _props(res)
    assert res.verdict == "fail"
    assert {"D3", "D7"} <= set(props), props
    assert props["D7"] == 11 and props["D3"] == 15
    assert res.time_to_first_violation is not None
    assert [v.length for v in res.violations] == sorted(v.length for v in res.violations)
    for v in res.violations:
        cx = v.counterexample
        assert cx.engine == "explore" and cx.variant == "push-no-typ-check" and cx.prop == v.prop
        assert v.replayable
        rr = replay(cx)
        assert rr.reproduced, f"{v.prop} is not reproduced by replay: {[x.prop for x in rr.violations]}"
        assert not rr.mismatches


def test_chain_next_after_pop_fails_with_shortest_replayable_traces() -> None:
    m = resolve("chain-next-after-pop")
    res = explore("chain", "push push push | tail tail", Params(init_size=1), m)
    props = _props(res)
    assert res.verdict == "fail"
    assert {"C2", "C6"} <= set(props), props
    assert props["C6"] == 14 and props["C2"] == 27
    for v in res.violations:
        assert replay(v.counterexample).reproduced


def test_the_first_counterexample_is_a_shortest_one() -> None:
    """Breadth-first: no schedule shorter than the reported one reaches the violation.

    Checked independently of the search by trying every kernel schedule of
    the shorter lengths for push-publish-first (whose D2 needs 3 steps).
    """
    m = resolve("push-publish-first")
    res = explore("dequeue", "push | tail", Params(size=2), m)
    d2 = next(v for v in res.violations if v.prop == "D2")
    assert d2.length == 3
    from model.harness import build
    from properties import invariants as inv

    w = build("dequeue", "push | tail", Params(size=2), m)

    def bad_after(schedule: list[int]) -> bool:
        k = w.kernel()
        for t in schedule:
            if t not in k.enabled():
                return False
            k.step(t)
        inflight = sum(1 for r in k.history if r.call >= 0 and r.ret is None)
        return bool(inv.d2_slot_ownership(k.mem, w.root, 32, inflight))

    import itertools
    for n in range(d2.length):
        for sched in itertools.product((0, 1), repeat=n):
            assert not bad_after(list(sched)), f"D2 already after {sched}"


def test_a_budget_that_runs_out_is_incomplete_never_pass() -> None:
    res = explore(*E2, max_states=50)
    assert res.verdict == "incomplete" and not res.complete
    assert res.states >= 50 and not res.violations
    assert res.summary().startswith("INCOMPLETE ")
    with pytest.raises(ValueError):
        explore(*E1, max_states=0)


def test_an_unreached_goal_is_lost_behaviour_on_a_variant(monkeypatch: pytest.MonkeyPatch) -> None:
    """A declared goal (witnessed on the reference) that a variant never reaches fails it; on the reference
    itself it is incomplete, never a violation (issue 12 item 6; more in tests/test_goals.py)."""
    never = Goal("never", "dequeue", "a statement no model performs", "nowhere.go:", lambda e, r, m, p, c: True)

    orig = explore_mod.declared_goals

    def declared(*args: Any) -> tuple[list[Goal], dict[str, Witness]]:
        goals, found = orig(*args)
        return goals + [never], {**found, "never": Witness("never", (0,), "made up")}

    monkeypatch.setattr(explore_mod, "declared_goals", declared)
    res = explore(*E1, model=resolve("chain-publish-early"))
    assert res.verdict == "fail" and not res.violations and res.complete
    assert res.lost_goals == ["never"] and res.unreached_goals == ["never"]
    assert "lost behaviour" in res.summary() and "never" in res.summary()
    assert explore(*E1).verdict == "incomplete"


def test_goals_declared_per_configuration() -> None:
    from model.scenario import parse

    def names(target: str, sc: str, p: Params) -> set[str]:
        return {g.name for g in declared_goals(target, parse(target, sc), p)}

    assert names(*E2) == {"push-full", "push-typ-not-nil", "poptail-cas-fails", "pophead-cas-fails"}
    assert "index-wraps" in names(*E4)
    assert names("chain", "push push push push pop | tail tail | tail tail", Params(init_size=1, dequeue_limit=4)) \
        == {"chain-grows", "poptail-drops-drained", "chain-poptail-cas-fails"}
    assert names(*E6) == {"pinslow-allocates", "pinslow-contends", "stale-localsize", "victim-hit"}
    assert "steal" in names("pool", "put put | get", Params(gomaxprocs=2))
    assert names("dequeue", "push pop", Params(size=2)) == set()


def test_chain_poptail_may_report_empty_while_values_arrive() -> None:
    """The reference chain's spurious empty popTail (C4's relaxation) is not a violation."""
    res = explore("chain", "push push | tail | tail", Params(init_size=1))
    assert res.verdict == "pass", res.summary()


def test_stop_the_world_orders_plain_accesses() -> None:
    """gc-while-pinned: P5 at once, but no P8 race (the world stop orders the cleanup's writes, as model/hb.py)."""
    m = resolve("gc-while-pinned")
    res = explore("pool", "put get | gc", Params(), m)
    props = _props(res)
    assert props["P5"] == 3 and "P8" not in props
    assert all(v.replayable for v in res.violations)


class _PanicDequeue(PoolDequeue):
    def pop_tail(self) -> Gen[tuple[Value, bool]]:
        raise GoPanic("index out of range [5] with length 2")
        yield  # pragma: no cover


class PanicTail(Model):
    name = "test-panic-tail"
    layer = "dequeue"
    kind = "mutant"
    description = "popTail panics before its first access"
    expected = ("G1",)
    PoolDequeue = _PanicDequeue


def test_a_panic_is_g1_and_replays() -> None:
    res = explore("dequeue", "push | tail", Params(size=2), PanicTail)
    v = next(v for v in res.violations if v.prop == "G1")
    assert "panic" in v.message and v.replayable


def test_json_object_has_the_documented_keys() -> None:
    res = explore(*E1)
    d = res.to_json({})
    for key in ("target", "scenario", "variant", "params", "verdict", "violations", "states", "transitions",
                "max_depth", "seconds", "complete", "goals", "reduction", "time_to_first_violation"):
        assert key in d, key
    assert d["verdict"] == "pass" and d["params"]["size"] == 2


def test_progress_reports_states_frontier_and_depth() -> None:
    from model.harness import build

    seen: list[dict[str, Any]] = []
    s = Search(build(*E2), [], reduction=True, progress=seen.append, progress_every=0.0)
    s.run()
    assert seen and {"states", "transitions", "frontier", "depth", "states_per_second"} <= set(seen[0])
