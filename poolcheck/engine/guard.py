"""A user's variant that misbehaves is bad input, not a crash of the tool.

``load_variant(spec)`` imports a variant with a time limit (a module that
loops at import), turning ``sys.exit`` and any exception at import into a
VariantError; it also checks that every Go function the variant overrides is
still a generator function (the model's threads are generators that yield
effects). ``blame(spec, exc)`` looks at an exception that escaped an engine
and, when the variant's own code is to blame (it raised, called sys.exit,
yielded something that is not an effect), returns one line naming the
variant, the function and the error; the caller raises it as bad input.
"""

from __future__ import annotations

import inspect
import signal
import threading
import types
from pathlib import Path
from typing import Any

from model.variants import Model, VariantError, registry, resolve

__all__ = ["load_variant", "blame", "IMPORT_SECONDS", "is_builtin"]

IMPORT_SECONDS = 10.0
_ROOT = Path(__file__).resolve().parents[2]
_OURS = tuple(str(_ROOT / d) for d in ("model", "properties", "proofs", "poolcheck"))


class _ImportTimeout(BaseException):
    pass


def is_builtin(model: type[Model]) -> bool:
    return registry().get(model.name) is model


def _is_ours(filename: str) -> bool:
    try:
        f = str(Path(filename).resolve())
    except OSError:
        return False
    return f.startswith(_OURS) or "/lib/python" in f or f.startswith("<")


def _alarm(signum: int, frame: Any) -> None:
    raise _ImportTimeout()


def _resolve_limited(spec: str, seconds: float) -> type[Model]:
    if threading.current_thread() is not threading.main_thread() or ":" not in spec:
        return resolve(spec)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return resolve(spec)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _overrides(model: type[Model]) -> list[tuple[str, str, Any]]:
    """(class name, function name, function) for every Go function of the model the variant replaces."""
    out = []
    for attr in ("PoolDequeue", "PoolChain", "Pool"):
        cls, base = getattr(model, attr, None), getattr(Model, attr, None)
        if not (inspect.isclass(cls) and inspect.isclass(base)) or cls is base:
            continue
        for name, fn in vars(base).items():
            mine = getattr(cls, name, None)
            if inspect.isgeneratorfunction(fn) and mine is not None and mine is not fn:
                out.append((cls.__name__, name, mine))
    return out


def _check_generators(spec: str, model: type[Model]) -> None:
    """Every overridden Go function of a user's variant is a generator function, as the reference's is."""
    for clsname, name, mine in _overrides(model):
        if inspect.isfunction(mine) and not inspect.isgeneratorfunction(mine):
            raise VariantError(f"variant {spec}: {clsname}.{name} is not a generator function: a Go function of "
                               f"the model must yield its effects (the reference's {name} does)")


def load_variant(spec: str, seconds: float = IMPORT_SECONDS) -> type[Model]:
    """``resolve(spec)`` with a time limit on import; every failure of the variant's module is a VariantError."""
    try:
        model = _resolve_limited(spec, seconds)
    except VariantError as e:
        if ":" in spec and spec not in str(e):
            raise VariantError(f"variant {spec}: {e}") from None
        raise
    except _ImportTimeout:
        raise VariantError(f"variant {spec}: importing it did not finish within {seconds:g} s (a loop at import?)"
                           ) from None
    except SystemExit as e:
        raise VariantError(f"variant {spec}: importing it called sys.exit({e.code!r})") from None
    except Exception as e:
        raise VariantError(f"variant {spec}: importing it raised {type(e).__name__}: {e}") from None
    if not is_builtin(model):
        _check_generators(spec, model)
    return model


def _user_generator(tb: types.TracebackType | None) -> str | None:
    """The qualified name of a suspended generator of the user's code held by a frame of the traceback."""
    while tb is not None:
        for v in list(tb.tb_frame.f_locals.values()):
            if isinstance(v, types.GeneratorType) and not _is_ours(v.gi_code.co_filename):
                return v.gi_code.co_qualname
        tb = tb.tb_next
    return None


def blame(spec: str, model: type[Model], exc: BaseException) -> str | None:
    """One line if the user's variant ``model`` caused ``exc``; None if the tool is to blame."""
    if is_builtin(model) or isinstance(exc, KeyboardInterrupt):
        return None
    frames = list(_walk(exc.__traceback__))
    mine = [f for f in frames if not _is_ours(f.tb_frame.f_code.co_filename)]
    what = f"{type(exc).__name__}: {exc}" if not isinstance(exc, SystemExit) else f"sys.exit({exc.code!r})"
    if mine:
        f = mine[-1]
        code = f.tb_frame.f_code
        return f"variant {spec}: {code.co_qualname} raised {what} ({Path(code.co_filename).name}:{f.tb_lineno})"
    gen = _user_generator(exc.__traceback__)
    if gen is not None:
        why = "yielded something that is not an effect" if isinstance(exc, (AttributeError, TypeError)) else "failed"
        return f"variant {spec}: {gen} {why} ({what}); a Go function yields model.effects.Effect values"
    if isinstance(exc, SystemExit):
        return f"variant {spec}: its code called {what}"
    if isinstance(exc, (AttributeError, TypeError)):
        names = ", ".join(f"{c}.{n}" for c, n, _ in _overrides(model)) or "one of its functions"
        return (f"variant {spec}: {names} yielded something that is not an effect ({what}); a Go function "
                f"yields model.effects.Effect values")
    return None


def _walk(tb: types.TracebackType | None) -> Any:
    while tb is not None:
        yield tb
        tb = tb.tb_next

