"""A fuzz report line names the same property as the report folder it links to (issue 12, "Also").

A machine failure is replayed as a scenario and re-checked by
properties.checks. When the replay shows another property than the machine
saw, the machine's line has no trace, and each property the replay shows
gets its own line and its own folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from model.params import Params
from model.variants import resolve
from poolcheck import artifacts
from properties.fuzz import FuzzViolation, _from_machine, _MachineFailure, fuzz
from properties.invariants import Violation
from properties.machines import PropertyViolation, machine_for


def _assert_named_alike(vs: list[FuzzViolation]) -> None:
    for v in vs:
        if v.trace_path is not None:
            assert v.trace_path.parent.name.startswith(f"{v.prop}-"), (v.prop, v.trace_path)
            assert v.counterexample is not None and v.counterexample.prop == v.prop


def test_machine_property_the_replay_does_not_show_links_no_other_report(tmp_path: Path) -> None:
    """The machine says P1; replaying 'put gc gc get' on cleanup-no-victim-drop shows P3 (and P11)."""
    model = resolve("cleanup-no-victim-drop")
    m = machine_for("pool", model)()
    m.params = Params()
    m.log = [(0, "put", 1), (0, "gc", None), (0, "gc", None), (0, "get", None)]
    err = PropertyViolation(Violation("P1", "Get on goroutine 0 returned 1, which the pool does not hold"))
    found = _from_machine("pool", _MachineFailure(m, err, "state.put(g=0, v=1)"), model, artifacts.saver(tmp_path), 1)
    _assert_named_alike(found)
    assert found[0].prop == "P1" and found[0].trace_path is None
    assert "shows P3" in found[0].message and "but not P1" in found[0].message
    linked = {v.prop: v.trace_path for v in found if v.trace_path is not None}
    assert "P3" in linked and set(linked) <= {"P3", "P11"}
    assert sorted(p.name.split("-")[0] for p in tmp_path.iterdir()) == sorted(linked)


def test_machine_property_the_replay_shows_links_its_own_report(tmp_path: Path) -> None:
    model = resolve("get-keeps-private")
    m = machine_for("pool", model)()
    m.params = Params()
    m.log = [(0, "put", 1), (0, "get", None), (0, "get", None)]
    err = PropertyViolation(Violation("P1", "Get on goroutine 0 returned 1, which the pool does not hold"))
    found = _from_machine("pool", _MachineFailure(m, err, "state.put(g=0, v=1)"), model, artifacts.saver(tmp_path), 1)
    _assert_named_alike(found)
    assert found[0].prop == "P1" and found[0].trace_path is not None
    assert found[0].message.startswith("Get on goroutine 0 returned 1")


@pytest.mark.slow
def test_every_search_of_a_fuzz_run_links_reports_of_its_own_property(tmp_path: Path) -> None:
    res = fuzz(["pool"], 25, resolve("cleanup-no-victim-drop"), 0, artifacts.saver(tmp_path))
    assert res.verdict == "fail" and res.violations
    _assert_named_alike(res.violations)
