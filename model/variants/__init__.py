"""Variants of the model: the registry and the loader.

``resolve(spec)`` accepts a registered name (``reference``,
``push-no-typ-check``, ...), ``path/to/file.py:ClassName`` or
``package.module:ClassName``. Anything else raises VariantError, whose
message says how to fix the spec.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from pathlib import Path

from model.variants.base import Cfg, Model

__all__ = ["Model", "Cfg", "VariantError", "registry", "resolve", "spec_of"]


class VariantError(ValueError):
    """A variant spec that cannot be loaded."""


def _builtin_modules() -> list[str]:
    here = Path(__file__).parent
    return sorted(f"model.variants.{p.stem}" for p in here.glob("*.py") if p.stem not in ("__init__", "base"))


def registry() -> dict[str, type[Model]]:
    """Every built-in variant by name, the reference first."""
    out: dict[str, type[Model]] = {"reference": Model}
    for modname in _builtin_modules():
        mod = importlib.import_module(modname)
        for _, obj in inspect.getmembers(mod, inspect.isclass):
            if issubclass(obj, Model) and obj is not Model and obj.__module__ == modname and \
                    not obj.__name__.startswith("_"):
                if obj.name in out and out[obj.name] is not obj:
                    raise VariantError(f"two variants are named {obj.name!r}: {out[obj.name].__qualname__} and "
                                       f"{obj.__qualname__}")
                out[obj.name] = obj
    return out


def _load_file(path: Path) -> object:
    modname = f"poolcheck_user_variant_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(modname, path)
    if spec is None or spec.loader is None:
        raise VariantError(f"cannot load {path} as a Python module")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    try:
        spec.loader.exec_module(mod)
    except Exception as e:  # the user's file: report any failure as bad input
        raise VariantError(f"importing {path} failed: {type(e).__name__}: {e}") from None
    return mod


def resolve(spec: str) -> type[Model]:
    """The variant class named by ``spec``."""
    spec = spec.strip()
    reg = registry()
    if spec in reg:
        return reg[spec]
    if ":" not in spec:
        names = ", ".join(sorted(reg))
        raise VariantError(f"unknown variant {spec!r}: use one of {names}, or path/to/file.py:Class, "
                           f"or package.module:Class")
    where, _, attr = spec.rpartition(":")
    mod: object
    if where.endswith(".py") or "/" in where:
        path = Path(where)
        if not path.is_file():
            raise VariantError(f"variant file {where} does not exist")
        mod = _load_file(path)
    else:
        try:
            mod = importlib.import_module(where)
        except Exception as e:
            raise VariantError(f"cannot import module {where!r}: {type(e).__name__}: {e}") from None
    cls = getattr(mod, attr, None)
    if cls is None:
        raise VariantError(f"{where} has no attribute {attr!r}")
    if not (inspect.isclass(cls) and issubclass(cls, Model)):
        raise VariantError(f"{spec} is not a subclass of model.variants.Model")
    try:
        cls.check_metadata()
    except ValueError as e:
        raise VariantError(str(e)) from None
    return cls


def spec_of(cls: type[Model]) -> str:
    """The spec that resolves back to ``cls``: its name if registered, else module:Class."""
    reg = registry()
    if reg.get(cls.name) is cls:
        return cls.name
    mod = sys.modules.get(cls.__module__)
    f = getattr(mod, "__file__", None)
    if cls.__module__.startswith("poolcheck_user_variant_") and f:
        return f"{f}:{cls.__qualname__}"
    return f"{cls.__module__}:{cls.__qualname__}"
