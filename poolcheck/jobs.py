"""One seam for independent jobs: inline, local processes, or a Dask cluster.

The campaign (variant x stage), the kill matrix (mutant x engine), ``fuzz``
(target x seed range) and the bench (configuration) each hand a list of
``Job``s to an ``Executor`` and get the results back *in submission order*,
whatever order the workers finished in: a run with ``--jobs 2`` or
``--jobs dask:ADDR`` gives the same output, byte for byte, as ``--jobs
inline``. The rules that make this hold:

- A job is plain data: the function to call is named by ``"module:function"``
  and its arguments are JSON-like values (variants travel as spec strings, so
  a worker resolves ``file.py:Class`` itself: on a cluster the file must be on
  a shared path). Nothing is pickled but strings, numbers, lists and dicts,
  so a worker on another machine needs only the same poolcheck installed.
- A job returns plain data. Workers never write reports: the driver does,
  into folders named by content hash, so the same finding from two workers
  collapses into one folder.
- A job's function must be deterministic given its arguments (seeds are
  arguments), so where it runs cannot change what it returns.

``executor(spec)`` parses the ``--jobs`` value: ``inline`` (in this process,
for debugging: tracebacks and pdb work), ``N`` (N local worker processes;
``auto``, the default, is every core) or ``dask:ADDRESS`` (a running
``distributed`` scheduler, e.g. the one ``poolcheck cluster local`` starts).
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from poolcheck.common import BAD_INPUT, UsageError

__all__ = ["Job", "JobError", "JobInputError", "JobSpecError", "Executor", "Inline", "Processes", "DaskExecutor", "executor",
           "parse_jobs", "run_job", "default_workers", "iter_chunks", "add_jobs_argument"]


class JobSpecError(UsageError, ValueError):
    """A ``--jobs`` value that names no executor: one line, exit status 2 (a UsageError)."""


class JobError(RuntimeError):
    """A job raised in a worker: carries the job's key and the worker's one-line reason."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"job {key} failed: {reason}")
        self.key, self.reason = key, reason


@dataclass(frozen=True)
class Job:
    """``fn`` ("package.module:function") called with ``kwargs``; ``key`` names the job in progress and errors."""

    key: str
    fn: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    cost: float = 1.0           # a relative size, so the longest jobs are submitted first

    def __hash__(self) -> int:  # kwargs is a dict: hash by the key, which is unique within a run
        return hash((self.key, self.fn))


def _resolve(fn: str) -> Callable[..., Any]:
    mod, _, name = fn.partition(":")
    if not mod or not name:
        raise JobSpecError(f"job function {fn!r} is not 'module:function'")
    obj = getattr(importlib.import_module(mod), name, None)
    if not callable(obj):
        raise JobSpecError(f"job function {fn!r}: {mod} has no function {name}")
    return obj  # type: ignore[no-any-return]


def run_job(fn: str, kwargs: dict[str, Any]) -> Any:
    """What a worker runs: resolve ``fn`` by name and call it (the only code shipped to a worker)."""
    return _resolve(fn)(**kwargs)


def _run_keyed(fn: str, kwargs: dict[str, Any]) -> tuple[bool, Any]:
    """``run_job`` with the worker's exception turned into data (a traceback object does not travel):
    ``(False, (True, line))`` for bad input (the driver exits 2 with the line), ``(False, (False, line))``
    for anything else."""
    try:
        return True, run_job(fn, kwargs)
    except KeyboardInterrupt:
        raise
    except BAD_INPUT as e:
        return False, (True, str(e))
    except BaseException as e:  # noqa: BLE001 - a worker reports every failure as data, including SystemExit
        return False, (False, f"{type(e).__name__}: {e}")


class JobInputError(UsageError):
    """A job found its input bad (a user's variant that breaks, a bad scenario): one line, exit status 2."""


def _raise(job: Job, why: Any) -> None:
    bad_input, line = why
    if bad_input:
        raise JobInputError(line)
    raise JobError(job.key, line)


Done = Callable[[Job, int, int], None]      # (job, finished so far, total)


class Executor(Protocol):
    name: str
    workers: int

    def run(self, jobs: Sequence[Job], on_done: Done | None = None) -> list[Any]:
        """Every job's result, in the order of ``jobs``; ``on_done`` after each job finishes (any order)."""
        ...

    def close(self) -> None: ...


def _order(jobs: Sequence[Job]) -> list[int]:
    """Submission order: the costliest first (better packing), ties in the caller's order."""
    return sorted(range(len(jobs)), key=lambda i: (-jobs[i].cost, i))


def _collect(jobs: Sequence[Job], finished: Iterator[tuple[int, tuple[bool, Any]]], on_done: Done | None) -> list[Any]:
    """Results in submission order from (index, outcome) pairs in completion order; the first failure raises."""
    results: list[Any] = [None] * len(jobs)
    for n, (i, (ok, res)) in enumerate(finished, 1):
        if not ok:
            _raise(jobs[i], res)
        results[i] = res
        if on_done is not None:
            on_done(jobs[i], n, len(jobs))
    return results


class Inline:
    """In this process, one job after the other: today's behaviour, and the one to debug with."""

    name, workers = "inline", 1

    def run(self, jobs: Sequence[Job], on_done: Done | None = None) -> list[Any]:
        out = []
        for n, job in enumerate(jobs, 1):
            ok, res = _run_keyed(job.fn, job.kwargs)
            if not ok:
                _raise(job, res)
            out.append(res)
            if on_done is not None:
                on_done(job, n, len(jobs))
        return out

    def close(self) -> None:
        pass


def _worker_init() -> None:
    # Ctrl-C goes to the whole process group; the driver decides what happens (cancel, exit 130): a worker
    # that died of SIGINT first would turn an interrupt into a 'broken pool' error.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Processes:
    """N local worker processes (fork where the platform has it: the model's modules are already loaded)."""

    def __init__(self, workers: int) -> None:
        self.name, self.workers = f"{workers} processes", workers
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)

    def run(self, jobs: Sequence[Job], on_done: Done | None = None) -> list[Any]:
        futures: dict[cf.Future[tuple[bool, Any]], int] = {}
        try:
            for i in _order(jobs):
                futures[self._pool.submit(_run_keyed, jobs[i].fn, jobs[i].kwargs)] = i
            return _collect(jobs, ((futures[f], f.result()) for f in cf.as_completed(futures)), on_done)
        except BaseException:
            self.close(kill=True)
            raise

    def close(self, kill: bool = False) -> None:
        if kill:  # an interrupt or a failed job: do not wait for the others
            for p in list(getattr(self._pool, "_processes", {}).values()):
                if p.is_alive():
                    p.kill()
        self._pool.shutdown(wait=not kill, cancel_futures=True)


class DaskExecutor:
    """A ``distributed`` scheduler at ``address`` (``pip install -e '.[cluster]'``)."""

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        try:
            distributed = importlib.import_module("distributed")
        except ImportError as e:
            raise JobSpecError("--jobs dask:... needs Dask: pip install -e '.[cluster]'") from e
        try:
            self._client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise JobSpecError(f"no Dask scheduler answers at {address} ({type(e).__name__}); start one with "
                               "'poolcheck cluster local' or 'dask scheduler'") from e
        self._as_completed = distributed.as_completed
        n = len(self._client.scheduler_info().get("workers", {}))
        self.name, self.workers = f"dask {address}", max(1, n)

    def run(self, jobs: Sequence[Job], on_done: Done | None = None) -> list[Any]:
        order = _order(jobs)
        futs = [self._client.submit(_run_keyed, jobs[i].fn, jobs[i].kwargs, key=f"poolcheck-{time.time_ns()}-{i}",
                                    pure=False) for i in order]
        where = {f.key: i for f, i in zip(futs, order)}
        try:
            with self._client.as_current():  # as_completed looks its client up; ours is not the default one
                done = self._as_completed(futs)
            return _collect(jobs, ((where[f.key], f.result()) for f in done), on_done)
        except BaseException:
            self._client.cancel(futs)
            raise

    def close(self) -> None:
        self._client.close()


def default_workers() -> int:
    """Every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def parse_jobs(spec: str | int | None) -> tuple[str, Any]:
    """('inline', None) | ('processes', N) | ('dask', address); JobSpecError with the accepted forms."""
    s = "auto" if spec is None else str(spec).strip()
    if s == "inline":
        return "inline", None
    if s == "auto":
        return "processes", default_workers()
    if s.startswith("dask:"):
        addr = s[5:]
        if not addr:
            raise JobSpecError("--jobs dask: needs the scheduler's address, e.g. dask:tcp://127.0.0.1:8786")
        return "dask", addr if "://" in addr else f"tcp://{addr}"
    if s.isdigit() and int(s) >= 1:
        return "processes", int(s)
    raise JobSpecError(f"--jobs {s!r}: use inline, auto, a number of processes >= 1, or dask:ADDRESS")


def executor(spec: str | int | None) -> Executor:
    """The executor a ``--jobs`` value names; ``1`` runs inline (a pool of one process only adds start-up)."""
    kind, arg = parse_jobs(spec)
    if kind == "dask":
        return DaskExecutor(arg)
    if kind == "inline" or arg == 1:
        return Inline()
    return Processes(arg)


def iter_chunks(n: int, parts: int) -> Iterator[range]:
    """``range(n)`` cut into ``parts`` contiguous pieces of near-equal size (seed ranges for fuzz workers)."""
    parts = max(1, min(parts, n)) if n else 1
    step, extra = divmod(n, parts)
    lo = 0
    for k in range(parts):
        hi = lo + step + (1 if k < extra else 0)
        yield range(lo, hi)
        lo = hi


def add_jobs_argument(p: Any) -> None:
    """``--jobs`` for a command that hands work to an executor (default ``auto``: every core)."""
    p.add_argument("--jobs", default="auto", metavar="J",
                   help="where the jobs run: inline, N local processes, auto (every core; the default) or "
                        "dask:ADDRESS (a Dask scheduler; see docs/cluster.md)")
