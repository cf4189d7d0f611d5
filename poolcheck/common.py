"""What every command shares: exit statuses, usage errors, common options, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from model.params import ParamError, Params
from model.scenario import ScenarioError
from model.tracefile import TraceFileError, jsonable
from model.variants import Model, VariantError, resolve

__all__ = ["OK", "VIOLATION", "USAGE", "INCOMPLETE", "UsageError", "BAD_INPUT", "add_common", "add_params",
           "params_from", "variant_from", "emit_json", "exit_status"]

OK, VIOLATION, USAGE, INCOMPLETE = 0, 1, 2, 3


class UsageError(Exception):
    """Bad usage or bad input: printed as one line on stderr, exit status 2."""


# Exceptions that mean "the input is wrong", whatever engine raised them.
BAD_INPUT: tuple[type[BaseException], ...] = (UsageError, ParamError, ScenarioError, VariantError, TraceFileError)


def add_common(p: argparse.ArgumentParser, variant: bool = True) -> None:
    """--variant, --json and --out, which every command takes."""
    if variant:
        p.add_argument("--variant", default="reference",
                       help="variant to check: a registered name, path/to/file.py:Class or package.module:Class "
                            "(default: reference)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout instead of text")
    p.add_argument("--out", default="reports", type=Path, help="directory for reports (default: reports/)")


def add_params(p: argparse.ArgumentParser) -> None:
    """Model parameters (model/params.py), with Go's values as defaults."""
    d = Params()
    p.add_argument("--bits", type=int, default=None, help=f"dequeueBits (default {d.dequeue_bits}; the explorer "
                                                          "uses 32 unless --start-index asks otherwise)")
    p.add_argument("--size", type=int, default=None, help="ring size of a standalone dequeue (power of two)")
    p.add_argument("--start-index", type=int, default=None, help="initial head = tail (default 0)")
    p.add_argument("--init-size", type=int, default=None, help=f"poolChain's first dequeue size (default {d.init_size})")
    p.add_argument("--limit", type=int, default=None, help="dequeueLimit (default (1<<bits)/4)")
    p.add_argument("--procs", type=int, default=None, help="GOMAXPROCS at start (pool target; default 1)")
    p.add_argument("--new", action="store_true", help="give the Pool a New function (pool target)")


def params_from(args: argparse.Namespace, base: Params | None = None, target: str | None = None) -> Params:
    """Params from the parsed options, validated (ParamError on impossible values)."""
    p = base or Params()
    changes: dict[str, Any] = {}
    for opt, fld in (("bits", "dequeue_bits"), ("size", "size"), ("start_index", "start_index"),
                     ("init_size", "init_size"), ("limit", "dequeue_limit"), ("procs", "gomaxprocs")):
        v = getattr(args, opt, None)
        if v is not None:
            changes[fld] = v
    if getattr(args, "new", False):
        changes["with_new"] = True
    return p.with_(**changes).validate(target)


def variant_from(args: argparse.Namespace) -> type[Model]:
    return resolve(getattr(args, "variant", "reference") or "reference")


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(jsonable(obj), indent=2) + "\n")


def exit_status(violations: int, complete: bool) -> int:
    if violations:
        return VIOLATION
    return OK if complete else INCOMPLETE


def die(msg: str) -> NoReturn:
    raise UsageError(msg)
