"""The ``poolcheck`` command line.

Each command is a module in poolcheck/commands/ with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; this file only finds them
and turns bad input into one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from poolcheck import commands as _commands
from poolcheck.common import BAD_INPUT, USAGE

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"poolcheck: error: {message} (see poolcheck {self.prog.split()[-1]} --help)\n"
                         if " " in self.prog else f"poolcheck: error: {message} (see poolcheck --help)\n")
        raise SystemExit(USAGE)


def _command_modules() -> list[ModuleType]:
    mods = []
    for info in sorted(pkgutil.iter_modules(_commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            mods.append(importlib.import_module(f"poolcheck.commands.{info.name}"))
    return mods


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="poolcheck", description="Verification suite for Go's sync.Pool internals.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in _command_modules():
        sp = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(sp)
        sp.set_defaults(_run=mod.run)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return USAGE
    try:
        return int(args._run(args))
    except BAD_INPUT as e:
        sys.stderr.write(f"poolcheck: error: {e}\n")
        return USAGE
    except KeyboardInterrupt:
        sys.stderr.write("poolcheck: interrupted\n")
        return 130


def entry() -> NoReturn:
    raise SystemExit(main())


if __name__ == "__main__":
    entry()
