"""The stateful machines (properties/machines.py): the reference passes every layer's machine, every
machine reaches its layer's goals (no vacuous pass), and known bugs make a machine fail.

One generic test body per purpose, parametrised by layer (STYLE.md: testPoolDequeue runs against both
implementations). Budgets come from the Hypothesis profile (properties/profiles.py).
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from model.variants import resolve
from properties.machines import GOALS, MACHINES, REACHED, PropertyViolation, machine_for
from properties.profiles import budget, stable_generation

pytestmark = pytest.mark.hypothesis

TARGETS = tuple(MACHINES)


def _settings() -> settings:
    return settings(settings.default, max_examples=budget("machine"))


@pytest.mark.parametrize("target", TARGETS)
def test_reference_passes_the_machine_and_reaches_its_goals(target: str) -> None:
    """The reference model agrees with the layer's specification and invariants after every step."""
    for goal in GOALS[target]:
        REACHED.pop((target, goal), None)
    with stable_generation():
        run_state_machine_as_test(machine_for(target), settings=_settings())
    missed = [f"{g} ({GOALS[target][g]})" for g in GOALS[target] if not REACHED[(target, g)]]
    assert not missed, f"the {target} machine never reached: {'; '.join(missed)} (widen its strategies)"


# Machines see bugs that show in one operation at a time; the concurrent ones are the scenarios' job.
MACHINE_CATCHES = [
    ("dequeue", "push-no-typ-check", {"D7", "D3"}),
    ("chain", "push-no-typ-check", {"C7", "C2"}),
]


@pytest.mark.quality
@pytest.mark.parametrize("target, variant, props", MACHINE_CATCHES, ids=[f"{t}-{v}" for t, v, _ in MACHINE_CATCHES])
def test_machine_catches_a_known_bug(target: str, variant: str, props: set[str]) -> None:
    with pytest.raises(PropertyViolation) as err, stable_generation():
        run_state_machine_as_test(machine_for(target, resolve(variant)),
                                  settings=settings(_settings(), max_examples=budget("mutant"), database=None,
                                                    phases=[Phase.generate]))  # found, not shrunk: fuzz shrinks
    assert err.value.violation.prop in props
