"""The compiled search core (proofs/native, issue 14 parts 1 and 3).

The core must give the Python search's verdict, state and transition
counts, depth, terminal states, goals and shortest counterexample lengths
on every bench configuration and on every mutant witness; hash compaction
is never reported as a pass; without the extension, ``auto`` falls back to
the Python search with one warning line.
"""

from __future__ import annotations

from pathlib import Path

import explore_equivalence as eq
import pytest

import proofs.native as native
from model.harness import build
from model.params import Params
from model.variants import Model, resolve
from proofs.explore import explore
from proofs.explore.bench_configs import BENCH_CONFIGS, by_name
from proofs.explore.search import Search
from proofs.native.core import omission_bound

pytestmark = [pytest.mark.explore,
              pytest.mark.skipif(not native.available(), reason="the compiled core is not built (pip install -e .)")]


PYTHON: eq.Options = {"core": "python"}
NATIVE: eq.Options = {"core": "native"}


@pytest.mark.parametrize("name", [c.name for c in BENCH_CONFIGS if c.name not in eq.LARGE_BENCH])
def test_the_native_core_matches_the_python_core_on_the_small_bench_configurations(name: str) -> None:
    r = eq.assert_same_on_config(name, reference=PYTHON, candidate=NATIVE)
    assert r.verdict == "pass" and r.complete and r.goals and all(r.goals.values())


@pytest.mark.slow
@pytest.mark.parametrize("name", eq.LARGE_BENCH)
def test_the_native_core_matches_the_python_core_on_the_large_bench_configurations(name: str) -> None:
    assert eq.assert_same_on_config(name, reference=PYTHON, candidate=NATIVE).verdict == "pass"


@pytest.mark.parametrize("name,cls", eq.MUTANT_WITNESSES)
def test_the_native_core_matches_the_python_core_on_every_mutant_witness(name: str, cls: type[Model]) -> None:
    eq.assert_same_on_witness(cls, reference=PYTHON, candidate=NATIVE)


def test_native_counterexamples_replay_and_show_the_property() -> None:
    """Parent links and moves from the core give shortest paths that the kernel re-executes."""
    eq.assert_counterexamples_replay(**NATIVE)


def test_the_core_asks_python_for_a_small_fraction_of_the_transitions() -> None:
    """The lazily filled table: E2 takes 6,651 transitions, Python computes fewer than a third of them."""
    c = by_name("E2")
    w = build(c.target, c.scenario, c.params)
    s = Search(w, [], core="native")
    s.run()
    st = s.native_stats
    assert s.states == 2614 and s.transitions == 6651
    assert 0 < st.fills < s.transitions // 3


def test_a_state_budget_is_incomplete_on_the_native_core() -> None:
    c = by_name("E2")
    r = explore(c.target, c.scenario, c.params, max_states=500, core="native")
    py = explore(c.target, c.scenario, c.params, max_states=500, core="python")
    assert r.verdict == py.verdict == "incomplete" and not r.complete and r.states == py.states >= 500


def test_stored_bytes_per_state_are_within_60() -> None:
    """Part 3: the visited set, the packed states and the parent links cost at most 60 bytes per state (E3)."""
    c = by_name("E3")
    w = build(c.target, c.scenario, c.params)
    s = Search(w, [], core="native")
    s.run()
    assert s.states == 112_440
    assert 32 < s.native_stats.bytes_per_state <= 60


def test_hash_compaction_is_never_a_pass_and_reports_the_omission_bound() -> None:
    c = by_name("E2")
    r = explore(c.target, c.scenario, c.params, compact=True)
    assert r.verdict == "incomplete" and not r.complete and r.states == 2614
    assert "hash compaction" in r.compaction and f"{omission_bound(2614):.1e}" in r.compaction
    assert "hash compaction" in r.summary() and r.summary().startswith("INCOMPLETE")
    assert r.to_json()["compaction"] == r.compaction


def test_hash_compaction_still_finds_violations_with_their_lengths() -> None:
    full = explore("dequeue", "push push push | tail tail", Params(size=2), resolve("push-no-typ-check"))
    comp = explore("dequeue", "push push push | tail tail", Params(size=2), resolve("push-no-typ-check"), compact=True)
    assert comp.verdict == "fail"
    assert sorted((v.prop, v.length) for v in comp.violations) == sorted((v.prop, v.length) for v in full.violations)


def test_hash_compaction_stores_fewer_bytes_per_state() -> None:
    c = by_name("E2")
    stats = []
    for compact in (False, True):
        w = build(c.target, c.scenario, c.params)
        s = Search(w, [], core="native", compact=compact)
        s.run()
        stats.append(s.native_stats)
    assert stats[1].state_bytes < stats[0].state_bytes


def test_omission_bound() -> None:
    assert omission_bound(1) == 0.0
    assert omission_bound(2**32) == pytest.approx(0.5, rel=1e-6)


def test_without_the_extension_auto_falls_back_with_one_warning_line(monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(native, "_module", None)
    monkeypatch.setattr(native, "_error", "simulated: no C compiler")
    monkeypatch.setattr(native, "_warned", False)
    assert native.select("auto") == "python"
    assert native.select("auto") == "python"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "warning" in err and "Python search" in err
    with pytest.raises(native.NativeUnavailable, match="not built"):
        native.select("native")
    with pytest.raises(ValueError, match="compiled core"):
        native.select("python", compact=True)
    r = explore("dequeue", "push push pop | tail tail", Params(size=2))
    assert r.verdict == "pass" and r.states == 169


def test_an_unknown_core_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown search core"):
        native.select("rust")


def test_explore_command_core_native_and_python_give_the_same_json(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    eq.assert_command_json_same(capsys, tmp_path, ["--jobs", "1", "--core", "native"], ["--jobs", "1", "--core", "python"])


@pytest.mark.parametrize("extra,needle", [(["--core", "python", "--compact", "fingerprint"], "compiled core"),
                                          (["--core", "native", "--jobs", "2"], "one process")])
def test_explore_command_core_conflicts_are_exit_2(extra: list[str], needle: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from poolcheck.cli import main
    assert main(["explore", "dequeue", "push pop", "--size", "2"] + extra) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err


def test_explore_command_compact_is_exit_3_with_the_bound(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from poolcheck.cli import main
    rc = main(["explore", "dequeue", "push push pop | tail tail", "--size", "2", "--compact", "fingerprint",
               "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 3 and "P(some state omitted) <=" in out


def test_the_expander_gives_the_search_states_to_a_caller_with_its_own_visited_set() -> None:
    """The API a worker process can use: expansion and checks native, the visited set the caller's."""
    from proofs.native.core import make_expander
    c = by_name("E2")
    w = build(c.target, c.scenario, c.params)
    ref = Search(w, [], core="python")
    ref.run()
    s = Search(build(c.target, c.scenario, c.params), [], core="python")
    ex = make_expander(s)
    m0, g0, f0 = s.initial()
    level = [ex.pack(m0, g0, s.sym.canon(f0))]
    assert ex.unpack(level[0]) == (m0, g0, s.sym.canon(f0))
    seen = set(level)
    size = len(level[0])
    depth = 0
    while level:
        succ, parents, moves = ex.expand(b"".join(level), len(seen) - len(level), depth)
        assert len(parents) == 4 * len(moves) and len(succ) == size * len(moves)
        nxt = []
        for i in range(len(moves)):
            st = succ[i * size:(i + 1) * size]
            if st not in seen:
                seen.add(st)
                nxt.append(st)
        level = nxt
        depth += 1
    assert len(seen) == ref.states == 2614
    assert ex.stats()["transitions"] == ref.transitions and ex.stats()["terminal_states"] == ref.terminal_states
    assert depth - 1 == ref.max_depth


def test_the_built_core_speaks_this_source_interface() -> None:
    """A stale in-place build (another ABI) would not be used: the gate must run against a fresh one."""
    assert native.module().ABI == native.ABI


def test_the_native_core_matches_the_python_core_without_the_reduction() -> None:
    """No symmetry groups, results keys: the same counts (E1 off: 460 states), and a mutant's lengths."""
    off_py, off_nat = {**PYTHON, "reduction": False}, {**NATIVE, "reduction": False}
    nat = eq.assert_same_on_config("E1", reference=off_py, candidate=off_nat)
    assert nat.states == 460
    bad = resolve("push-no-typ-check")
    nat = eq.assert_same("dequeue", "push push push | tail tail", Params(size=2), bad, reference=off_py, candidate=off_nat)
    assert nat.verdict == "fail"
