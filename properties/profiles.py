"""Hypothesis settings profiles: ``ci`` (derandomized, fast, the gate), ``dev``, ``thorough``.

Select one with ``pytest --hypothesis-profile NAME`` or the environment
variable ``POOLCHECK_PROFILE``; the gate defaults to ``ci``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["register", "load_default", "PROFILES"]

PROFILES = ("ci", "dev", "thorough")


def register() -> None:
    common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    settings.register_profile("ci", derandomize=True, max_examples=60, print_blob=True, **common)  # type: ignore[arg-type]
    settings.register_profile("dev", max_examples=200, **common)  # type: ignore[arg-type]
    settings.register_profile("thorough", max_examples=5000, **common)  # type: ignore[arg-type]


def load_default() -> str:
    """Load the profile named by POOLCHECK_PROFILE (default ci); return its name."""
    register()
    name = os.environ.get("POOLCHECK_PROFILE", "ci")
    if name not in PROFILES:
        raise ValueError(f"POOLCHECK_PROFILE={name!r}: use one of {', '.join(PROFILES)}")
    settings.load_profile(name)
    return name
