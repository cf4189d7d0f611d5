"""The ``poolcheck`` command line.

Each command is a module in poolcheck/commands/ with ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``; this file finds them and
gives every command the same ending: bad input is one line on stderr and exit
status 2 (never a traceback), ``--out`` is checked before any work, ``--json``
output cannot be corrupted by a print() in a user's variant (stdout goes to
stderr while the command runs), and Ctrl-C is exit status 130 with
``poolcheck: interrupted`` within two seconds, whatever the engine is doing
(``entry``: a signal thread, see ``_Interrupts``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import pkgutil
import signal
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import NoReturn

__all__ = ["main", "entry", "build_parser"]

# This module imports only the standard library at load time: ``entry`` blocks SIGINT before anything else is
# imported, so no thread a library starts at import (a BLAS pool, say) can take a Ctrl-C meant for poolcheck.
GRACE_SECONDS = 1.0     # after Ctrl-C, how long the command may take to unwind before the process ends anyway
USAGE, INTERRUPTED = 2, 130   # as poolcheck.common (checked by tests/test_cli_behaviour.py)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"poolcheck: error: {message} (see poolcheck {self.prog.split()[-1]} --help)\n"
                         if " " in self.prog else f"poolcheck: error: {message} (see poolcheck --help)\n")
        raise SystemExit(USAGE)


def _command_modules() -> list[ModuleType]:
    from poolcheck import commands as _commands

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


class _Interrupts:
    """Ctrl-C that no engine can swallow.

    SIGINT is blocked in every thread and taken by a thread of its own
    (``sigwait``), so neither Z3's own SIGINT handler (it turns Ctrl-C into an
    ``unknown`` result) nor an ``except Exception`` in an engine can lose it.
    The thread raises KeyboardInterrupt in the main thread (a clean unwind:
    reports are written atomically, so none is left half-written) and, if the
    command has not ended GRACE_SECONDS later, ends the process with 130.

    Libraries unblock signals they blocked for a moment (multiprocessing's
    resource tracker unblocks SIGINT in the main thread after starting its
    process): ``signal.pthread_sigmask`` is wrapped so that SIGINT stays
    blocked, and a SIGINT that reaches the main thread all the same starts the
    same watchdog from Python's handler.
    """

    def __init__(self) -> None:
        self.hit = threading.Event()
        self.done = threading.Event()
        self._fired = threading.Lock()

    def start(self) -> None:
        real = signal.pthread_sigmask

        def keep_sigint_blocked(how: int, mask: Iterable[int]) -> set[int | signal.Signals]:
            m = set(mask)
            if how == signal.SIG_UNBLOCK:
                m.discard(signal.SIGINT)
            elif how == signal.SIG_SETMASK:
                m.add(signal.SIGINT)
            return real(how, m)
        real(signal.SIG_BLOCK, {signal.SIGINT})
        signal.pthread_sigmask = keep_sigint_blocked
        signal.signal(signal.SIGINT, self._handler)
        threading.Thread(target=self._wait, name="poolcheck-sigint", daemon=True).start()

    def _handler(self, signum: int, frame: object) -> None:
        self._fire(interrupt_main=False)
        raise KeyboardInterrupt

    def _wait(self) -> None:
        signal.sigwait({signal.SIGINT})
        self._fire(interrupt_main=True)

    def _fire(self, interrupt_main: bool) -> None:
        """The first Ctrl-C: KeyboardInterrupt in the main thread, and the process ends GRACE_SECONDS later."""
        if not self._fired.acquire(blocking=False):
            return
        self.hit.set()
        if interrupt_main:
            import _thread
            _thread.interrupt_main(signal.SIGINT)
        threading.Thread(target=self._watchdog, name="poolcheck-sigint-grace", daemon=True).start()

    def _watchdog(self) -> None:
        time.sleep(GRACE_SECONDS)
        if not self.done.is_set():
            sys.stderr.write("poolcheck: interrupted\n")
            sys.stderr.flush()
            reap_children()
            os._exit(INTERRUPTED)


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc; elsewhere none), children before grandchildren."""
    parent: dict[int, int] = {}
    for d in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    parent[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    out, todo = [], [pid]
    while todo:
        kids = [c for c, pp in parent.items() if pp == todo[0]]
        todo = todo[1:] + kids
        out += kids
    return out


def reap_children() -> None:
    """Worker processes inherit the blocked SIGINT and would run on after poolcheck ends (holding its output
    open): end every process below this one with SIGTERM, which they do not block."""
    for pid in _descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass


_INTERRUPTS: _Interrupts | None = None


def main(argv: Sequence[str] | None = None) -> int:
    from poolcheck.common import BAD_INPUT, check_out, set_stdout

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return USAGE
    real_stdout = sys.stdout
    try:
        check_out(getattr(args, "out", None))
        if getattr(args, "json", False):
            set_stdout(real_stdout)
            with contextlib.redirect_stdout(sys.stderr):
                code = int(args._run(args))
        else:
            code = int(args._run(args))
    except BAD_INPUT as e:
        sys.stderr.write(f"poolcheck: error: {e}\n")
        return USAGE
    except KeyboardInterrupt:
        sys.stderr.write("poolcheck: interrupted\n")
        return INTERRUPTED
    finally:
        set_stdout(None)
    if _INTERRUPTS is not None and _INTERRUPTS.hit.is_set():
        # An engine swallowed the KeyboardInterrupt: an interrupted run never reports its verdict.
        sys.stderr.write("poolcheck: interrupted\n")
        return INTERRUPTED
    return code


def entry() -> NoReturn:
    global _INTERRUPTS
    _INTERRUPTS = _Interrupts()
    _INTERRUPTS.start()
    try:
        code = main()
    except KeyboardInterrupt:
        sys.stderr.write("poolcheck: interrupted\n")
        code = INTERRUPTED
    _INTERRUPTS.done.set()
    if _INTERRUPTS.hit.is_set():
        reap_children()
    sys.stdout.flush()
    raise SystemExit(code)


if __name__ == "__main__":
    entry()
