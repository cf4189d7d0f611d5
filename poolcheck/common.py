"""What every command shares: exit statuses, usage errors, common options, the one output path.

Every command ends through ``finish(args, command, verdict, payload, text)``:
with ``--json`` one JSON object on stdout (the envelope ``tool``, ``command``,
``verdict``, ``exit_status`` plus the command's own keys), else the text; the
exit status comes from ``EXIT`` (0 pass, 1 fail, 3 incomplete or an engine
error); 2 is bad input (cli.py, one line on stderr) and 130 an interrupt.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn, TextIO

from model.params import ParamError, Params
from model.scenario import ScenarioError
from model.tracefile import TraceFileError, jsonable
from model.variants import Model, VariantError
from poolcheck.engine import Verdict, load_variant

__all__ = ["OK", "VIOLATION", "USAGE", "INCOMPLETE", "INTERRUPTED", "EXIT", "UsageError", "BAD_INPUT", "add_common",
           "add_params", "params_from", "variant_from", "emit_json", "exit_status", "exit_code", "finish",
           "check_out", "set_stdout", "load_variant"]

OK, VIOLATION, USAGE, INCOMPLETE, INTERRUPTED = 0, 1, 2, 3, 130

# The one mapping from a verdict to an exit status.
EXIT: dict[Verdict, int] = {Verdict.PASS: OK, Verdict.FAIL: VIOLATION, Verdict.INCOMPLETE: INCOMPLETE,
                            Verdict.ERROR: INCOMPLETE}

# Where --json goes: the real stdout, captured by cli.main before a command runs with stdout sent to stderr
# (so a print() in a user's variant cannot corrupt the JSON object).
_STDOUT: list[TextIO] = []


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


# The model options each target reads; any other one given on the command line is an error, not a no-op.
_USED_BY: dict[str, tuple[str, ...]] = {
    "dequeue": ("bits", "size", "start_index"),
    "chain": ("bits", "start_index", "init_size", "limit"),
    "pool": ("bits", "start_index", "init_size", "limit", "procs", "new"),
}


def params_from(args: argparse.Namespace, base: Params | None = None, target: str | None = None) -> Params:
    """Params from the parsed options, validated (ParamError on impossible values).

    With a ``target``, an option that target does not read (``--limit`` on a
    dequeue, ``--size`` on a chain) is a UsageError: it would change nothing.
    """
    if target in _USED_BY:
        for opt in ("bits", "size", "start_index", "init_size", "limit", "procs", "new"):
            given = getattr(args, opt, None)
            if given not in (None, False) and opt not in _USED_BY[target]:
                users = [t for t, used in _USED_BY.items() if opt in used]
                raise UsageError(f"--{opt.replace('_', '-')} is not used by the {target} target; drop it "
                                 f"(it applies to {' and '.join(users)})")
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
    """The variant named by --variant (VariantError, i.e. exit 2, if it cannot be loaded)."""
    return load_variant(getattr(args, "variant", "reference") or "reference")


def set_stdout(stream: TextIO | None) -> None:
    """Send emit_json to ``stream`` (None: back to sys.stdout)."""
    _STDOUT.clear()
    if stream is not None:
        _STDOUT.append(stream)


def emit_json(obj: Any) -> None:
    out = _STDOUT[0] if _STDOUT else sys.stdout
    out.write(json.dumps(jsonable(obj), indent=2) + "\n")
    out.flush()


def exit_code(verdict: Verdict | str) -> int:
    return EXIT[Verdict(verdict)]


def exit_status(violations: int, complete: bool) -> int:
    return exit_code(Verdict.FAIL if violations else Verdict.PASS if complete else Verdict.INCOMPLETE)


def finish(args: argparse.Namespace, command: str, verdict: Verdict | str, payload: dict[str, Any],
           text: Iterable[str] = ()) -> int:
    """The one ending of every command: the JSON envelope or the text, and the exit status."""
    v = Verdict(verdict)
    code = EXIT[v]
    if getattr(args, "json", False):
        emit_json({"tool": "poolcheck", "command": command, **payload, "verdict": v.value, "exit_status": code})
    else:
        for line in text:
            print(line)
    return code


def check_out(out: Path | None) -> None:
    """--out must be a directory we can create and write to; checked before any work."""
    if out is None:
        return
    p = Path(out)
    if str(p) in ("", "-"):
        raise UsageError(f"--out {str(p)!r}: give a directory for the reports")
    if p.exists() and not p.is_dir():
        what = "is a file, not a directory" if p.is_file() else "is not a directory"
        raise UsageError(f"--out {p} {what}: give a directory for the reports")
    full = Path(os.path.abspath(p))  # lexically normalised: mkdir -p would walk through "a/.." the same way
    where = p if p.exists() else next((q for q in full.parents if q.exists()), None)
    if where is None or not where.is_dir():
        raise UsageError(f"cannot create --out {p}: {where} is not a directory")
    try:  # os.access says yes to root even on a read-only file system: try it
        with tempfile.TemporaryFile(dir=where):
            pass
    except OSError as e:
        what = f"--out {p} is not writable" if where == p else f"cannot create --out {p} in {where}"
        raise UsageError(f"{what}: {e.strerror or e}; give a directory you can write to") from None


def die(msg: str) -> NoReturn:
    raise UsageError(msg)
