"""poolcheck cluster local: a Dask LocalCluster on this machine, to try ``--jobs dask:ADDRESS``.

It prints the address to pass to ``--jobs`` and serves until Ctrl-C (or for
``--seconds``). A real cluster is started with Dask's own commands
(docs/cluster.md): ``dask scheduler`` on one machine, ``dask worker
tcp://HOST:8786`` on each of the others, poolcheck installed on all.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from poolcheck.common import UsageError, finish
from poolcheck.engine import Verdict
from poolcheck.jobs import default_workers

NAME = "cluster"
HELP = "start a Dask LocalCluster for --jobs dask:ADDRESS (needs pip install -e '.[cluster]')"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("mode", choices=["local"], help="'local': a scheduler and workers on this machine")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: every core)")
    p.add_argument("--port", type=int, default=0, help="scheduler port (default: any free port)")
    p.add_argument("--seconds", type=float, default=None, help="serve this long, then stop (default: until Ctrl-C)")
    p.add_argument("--json", action="store_true", help="print the address as one JSON object")


def run(args: argparse.Namespace) -> int:
    workers = default_workers() if args.workers is None else args.workers
    if workers < 1:
        raise UsageError(f"--workers {workers}: give at least 1")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: give 0 (any free port) or a port number up to 65535")
    if args.seconds is not None and args.seconds <= 0:
        raise UsageError(f"--seconds {args.seconds}: give a positive number")
    try:
        distributed = importlib.import_module("distributed")
    except ImportError:
        raise UsageError("Dask is not installed: pip install -e '.[cluster]'") from None
    # One thread per worker: the engines are CPU-bound Python, so threads would only share one interpreter lock.
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       scheduler_port=args.port, dashboard_address=None)
    try:
        address = cluster.scheduler_address
        # The envelope (or the text) comes first, while the cluster serves: the address is what the user needs.
        code = finish(args, NAME, Verdict.PASS, {"address": address, "jobs": f"dask:{address}", "workers": workers},
                      [f"Dask LocalCluster with {workers} workers at {address}",
                       f"use: poolcheck verify --jobs dask:{address}", "Ctrl-C stops it."])
        sys.stdout.flush()
        deadline = None if args.seconds is None else time.monotonic() + args.seconds
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        cluster.close()
    return code
