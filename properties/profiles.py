"""Hypothesis settings profiles: ``ci`` (derandomized, fast, the gate), ``dev``, ``thorough``.

Select one with ``pytest --hypothesis-profile NAME`` or the environment
variable ``POOLCHECK_PROFILE``; the gate defaults to ``ci``. The example
database lives in ``.hypothesis/`` (git-ignored); ``ci`` is derandomized, so
the gate is deterministic whatever the database holds.

Budgets (examples per test) per profile, documented once here and in
docs/hypothesis.md:

=========  =======  ========  =======
profile    machine  scenario  mutant
=========  =======  ========  =======
ci         60       500       1500
dev        200      1000      3000
thorough   2000     10000     20000
=========  =======  ========  =======

``machine`` is ``max_examples`` (each example a program of up to
``stateful_step_count`` = 50 steps); ``scenario`` the examples of each
concurrent-scenario test (one execution each, cheap); ``mutant`` the budget
within which a quality test must find a known bug (the search stops at the
first failure, so it is a bound, not a cost).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, settings

__all__ = ["register", "load_default", "PROFILES", "BUDGETS", "budget", "current", "stable_generation"]

PROFILES = ("ci", "dev", "thorough")

BUDGETS: dict[str, dict[str, int]] = {
    "ci": {"machine": 60, "scenario": 500, "mutant": 1500},
    "dev": {"machine": 200, "scenario": 1000, "mutant": 3000},
    "thorough": {"machine": 2000, "scenario": 10000, "mutant": 20000},
}


def register() -> None:
    common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    settings.register_profile("ci", derandomize=True, max_examples=BUDGETS["ci"]["machine"], print_blob=True,
                              **common)  # type: ignore[arg-type]
    settings.register_profile("dev", max_examples=BUDGETS["dev"]["machine"], **common)  # type: ignore[arg-type]
    settings.register_profile("thorough", max_examples=BUDGETS["thorough"]["machine"],
                              **common)  # type: ignore[arg-type]


def current() -> str:
    """The loaded poolcheck profile (``ci`` when another profile, e.g. Hypothesis's default, is loaded)."""
    name = settings.get_current_profile_name()
    return name if name in PROFILES else "ci"


def budget(kind: str) -> int:
    """Examples for ``kind`` ("machine", "scenario" or "mutant") under the loaded profile."""
    return BUDGETS[current()][kind]


def load_default() -> str:
    """Load the profile named by POOLCHECK_PROFILE (default ci); return its name."""
    register()
    name = os.environ.get("POOLCHECK_PROFILE", "ci")
    if name not in PROFILES:
        raise ValueError(f"POOLCHECK_PROFILE={name!r}: use one of {', '.join(PROFILES)}")
    settings.load_profile(name)
    return name


@contextmanager
def stable_generation() -> Iterator[None]:
    """Within this context, Hypothesis draws the same examples whatever modules are loaded.

    Hypothesis (6.1xx) mixes the literal constants of every *local* module
    loaded in the process into what it generates (``_get_local_constants`` in
    ``hypothesis.internal.conjecture.providers``), re-scanning whenever
    ``sys.modules`` grows. A seeded or derandomized search then depends on
    which of this project's modules happen to be imported (a report module
    loaded by an earlier counterexample changed a later search's examples),
    so a fixed seed would not give a fixed run. Here that pool is empty. If a
    Hypothesis release moves the hook, this does nothing (and says nothing):
    runs stay correct, only less reproducible across processes.
    """
    try:
        from hypothesis.internal.conjecture import providers as _p
    except ImportError:  # pragma: no cover
        yield
        return
    orig: Any = getattr(_p, "_get_local_constants", None)
    constants: Any = getattr(_p, "Constants", None)
    cache: Any = getattr(_p, "CONSTANTS_CACHE", None)
    if orig is None or constants is None:  # pragma: no cover
        yield
        return
    empty = constants()
    _p._get_local_constants = lambda: empty
    if cache is not None:
        cache.cache.clear()
    try:
        yield
    finally:
        _p._get_local_constants = orig
        if cache is not None:
            cache.cache.clear()
