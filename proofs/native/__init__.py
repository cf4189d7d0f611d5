"""The explorer's compiled search core (docs/explorer.md, "The compiled core").

``_searchcore`` (C, built by setup.py as an optional extension) runs the
breadth-first search over packed states; ``oracle.Oracle`` answers every
question about the model from the Python definitions, once per key; and
``core.run_native(search)`` runs a ``proofs.explore.search.Search`` on it.

``available()`` says whether the extension was built; ``select(core)``
resolves ``"auto" | "native" | "python"`` (auto: native when built, else
python with one warning line on stderr, once per process).
"""

from __future__ import annotations

import sys
from types import ModuleType

__all__ = ["CORES", "available", "select", "module", "NativeUnavailable"]

CORES = ("auto", "native", "python")

ABI = 3
"""The interface version of _searchcore.c this Python side speaks; a stale build (another ABI) is not used."""

_module: ModuleType | None = None
_error: str | None = None
_warned = False


class NativeUnavailable(ValueError):
    """``core="native"`` was asked for but the extension is not built."""


def _load() -> None:
    global _module, _error
    if _module is not None or _error is not None:
        return
    try:
        from proofs.native import _searchcore
    except ImportError as e:
        _error = str(e) or type(e).__name__
    else:
        abi = getattr(_searchcore, "ABI", None)
        if abi == ABI:
            _module = _searchcore
        else:
            _error = f"stale build: interface {abi}, this source needs {ABI}; rebuild with pip install -e ."


def available() -> bool:
    """Whether the compiled core was built and imports."""
    _load()
    return _module is not None


def module() -> ModuleType:
    """The extension module; NativeUnavailable if it was not built."""
    _load()
    if _module is None:
        raise NativeUnavailable(f"the compiled search core is not built ({_error}): reinstall with a C compiler "
                                f"(pip install -e .) or use --core python")
    return _module


def select(core: str, compact: bool = False) -> str:
    """``"native"`` or ``"python"`` for a requested core.

    ValueError for an unknown name, or for hash compaction (``compact``) on
    the Python core, which has none; NativeUnavailable for "native" when the
    extension is not built.
    """
    global _warned
    if core not in CORES:
        raise ValueError(f"unknown search core {core!r}: use one of {', '.join(CORES)}")
    if compact:
        if core == "python":
            raise ValueError("hash compaction needs the compiled core (--core native)")
        core = "native"
    if core == "python":
        return "python"
    if core == "native":
        module()
        return "native"
    if available():
        return "native"
    if not _warned:
        _warned = True
        print(f"poolcheck: warning: the compiled search core is not built ({_error}); using the Python search "
              f"(slower)", file=sys.stderr)
    return "python"
