"""Shared test set-up: Hypothesis profiles (properties/profiles.py) and the slow tier."""

from __future__ import annotations

import os

import pytest

from properties.profiles import load_default

# ``pytest --hypothesis-profile NAME`` (Hypothesis's own option) overrides this.
load_default()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The gate (a plain ``pytest -q``) leaves the slow tier out; ``-m slow`` or POOLCHECK_PROFILE=thorough runs it."""
    if os.environ.get("POOLCHECK_PROFILE") == "thorough" or "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow tier: run with -m slow or POOLCHECK_PROFILE=thorough")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
