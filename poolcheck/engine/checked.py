"""Which property ids a checked execution covers, per target: read from the catalog (properties/catalog.py).

Each catalog Property knows the targets whose executions check it
(``Property.targets``); there is no second list here to keep in step.
"""

from __future__ import annotations

from properties import catalog

__all__ = ["checked_properties", "order"]


def order(pid: str) -> int:
    """The property's position in the catalog (unknown ids last)."""
    ids = [p.id for p in catalog.CATALOG]
    return ids.index(pid) if pid in ids else len(ids)


# The property ids a checked execution (properties.checked_run.check_all) can report for a target: the catalog's.
checked_properties = catalog.checked_by_execution
