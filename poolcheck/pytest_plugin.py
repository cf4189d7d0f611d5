"""The pytest plugin (entry point ``pytest11``): options shared by the gate's tests.

``--poolcheck-variant`` selects the variant the gate's property tests check
(default: reference), ``--poolcheck-budget`` the budget (ci or thorough),
``--poolcheck-out`` where counterexample reports go.
"""

from __future__ import annotations

from pathlib import Path

import pytest

__all__ = ["pytest_addoption"]


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("poolcheck")
    g.addoption("--poolcheck-variant", default="reference",
                help="variant the property tests check: a name, path/to/file.py:Class or module:Class")
    g.addoption("--poolcheck-budget", default="ci", choices=("ci", "thorough"), help="budget of the property tests")
    g.addoption("--poolcheck-out", default="reports", type=Path, help="directory for counterexample reports")


@pytest.fixture
def poolcheck_variant(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--poolcheck-variant"))


@pytest.fixture
def poolcheck_budget(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--poolcheck-budget"))


@pytest.fixture
def poolcheck_out(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.getoption("--poolcheck-out"))
