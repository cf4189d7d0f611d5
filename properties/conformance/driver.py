"""Build the Go conformance driver once per toolchain and talk to it.

``build_driver()`` writes the driver (properties/conformance/gocode.py) and a
copy of the installed ``poolqueue.go`` (package clause rewritten) into a
temporary directory, builds it without -race and caches the binary under a
key made of the Go version, GOROOT, the installed poolqueue.go and the
driver's source, so a session (and later sessions) build it once.

``GoDriver`` runs one driver process; ``exchange(commands)`` pipelines a
batch of commands and returns one response per command.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from properties.conformance.gocode import GO_MOD, MAIN_GO, RACE_OFF_GO, RACE_ON_GO, SERVE_GO, rewrite_package
from properties.conformance.gosource import GoEnv, go_env, go_subprocess_env, sync_source

__all__ = ["DriverError", "cache_dir", "cache_root", "go_build", "exchange_lines", "build_driver", "GoDriver",
           "DRIVER_ENV", "close_process"]

# The environment the driver runs in: one P, GC off (the driver also sets
# both itself, so a stray environment cannot undo it).
DRIVER_ENV = {"GOMAXPROCS": "1", "GOGC": "off", "GOMEMLIMIT": "off", "GODEBUG": ""}

_BATCH = 256  # commands written before reading their answers (stays far below a pipe buffer)
_lock = threading.RLock()  # re-entrant: building a driver may build the rewriter it needs first


def close_process(p: subprocess.Popen[str]) -> None:
    """End a long-lived Go driver: close its stdin (it exits at EOF), kill it if it has not within 10 s, close
    its pipes. Shared by the sequential driver and the schedule replayer (goreplay.GoReplayer)."""
    if p.poll() is None:
        try:
            if p.stdin:
                p.stdin.close()
            p.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            p.kill()
            p.wait()
    for f in (p.stdout, p.stderr):
        if f:
            f.close()


class DriverError(RuntimeError):
    """The driver could not be built, or it died or answered nonsense."""


def cache_dir() -> Path:
    """Where built drivers are kept: $POOLCHECK_CACHE, else $XDG_CACHE_HOME/poolcheck, else ~/.cache/poolcheck."""
    env = os.environ.get("POOLCHECK_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "poolcheck"


def cache_root() -> Path:
    """cache_dir(), created; a directory under the system's temporary directory if it cannot be."""
    root = cache_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        root = Path(tempfile.gettempdir()) / "poolcheck-cache"
        root.mkdir(parents=True, exist_ok=True)
    return root


def go_build(env: GoEnv, name: str, key_parts: Sequence[str], files: Callable[[Path], dict[str, str]], what: str,
             flags: Sequence[str] = (), hint: str = "") -> Path:
    """Build a Go main package into the cache (one binary per toolchain and ``key_parts``) and return its path.

    ``files(dir)`` gives the package's files (relative paths; called only when the binary is not cached yet, with
    the temporary build directory, for files that must name it). ``flags`` go to ``go build`` (``{dir}`` is
    replaced by the build directory). The binary is renamed into place, so concurrent sessions see a whole file
    or none. Every Go program of the suite (the sequential driver, the schedule replay rewriter and driver, the
    Pool stress driver) is built here.
    """
    h = hashlib.sha256()
    for part in (env.version, env.goroot, env.goos, env.goarch, *key_parts):
        h.update(part.encode())
        h.update(b"\0")
    binary = cache_root() / f"{name}-{env.version}-{h.hexdigest()[:16]}"
    with _lock:
        if binary.is_file():
            return binary
        with tempfile.TemporaryDirectory(prefix=f"poolcheck-{name}-") as tmp:
            d = Path(tmp)
            for rel, text in files(d).items():
                (d / rel).parent.mkdir(parents=True, exist_ok=True)
                (d / rel).write_text(text)
            out = d / "bin"
            cmd = [env.go, "build", "-o", str(out), *(f.replace("{dir}", str(d)) for f in flags), "."]
            try:
                p = subprocess.run(cmd, cwd=d, capture_output=True, text=True, timeout=900,
                                   env=go_subprocess_env(env.goroot, CGO_ENABLED="0", GOPROXY="off"))
            except subprocess.TimeoutExpired as e:
                raise DriverError(f"building the {what} took more than 15 minutes") from e
            if p.returncode != 0:
                raise DriverError(f"building the {what} failed with {env.version}:\n{p.stderr[-4000:]}"
                                  + (f"\n{hint}" if hint else ""))
            tmp_bin = binary.with_name(binary.name + f".tmp{os.getpid()}")
            os.replace(out, tmp_bin)
            os.replace(tmp_bin, binary)
    return binary


def exchange_lines(proc: subprocess.Popen[str], payloads: Sequence[Any], batch: int,
                   died: Callable[[str], DriverError]) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Send ``payloads`` as JSON lines, ``batch`` at a time before reading their answers (pipelined; a batch
    stays far below a pipe buffer), and yield (payload, answer) in order. ``died(what)`` makes the error for a
    driver that stops reading or answering."""
    assert proc.stdin is not None and proc.stdout is not None
    for i in range(0, len(payloads), batch):
        chunk = payloads[i:i + batch]
        try:
            proc.stdin.write("".join(json.dumps(c, separators=(",", ":")) + "\n" for c in chunk))
            proc.stdin.flush()
        except OSError as e:
            raise died(f"stopped reading ({e})") from None
        for c in chunk:
            line = proc.stdout.readline()
            if not line:
                raise died(f"died while answering {json.dumps(c)[:200]}")
            yield c, json.loads(line)


def build_driver(env: GoEnv | None = None) -> Path:
    """The path of the driver binary for the installed toolchain, building it if needed."""
    env = env or go_env()
    poolqueue = sync_source("poolqueue.go", env)
    files = {"go.mod": GO_MOD, "main.go": MAIN_GO, "serve.go": SERVE_GO, "race_on.go": RACE_ON_GO,
             "race_off.go": RACE_OFF_GO, "poolqueue.go": rewrite_package(poolqueue)}
    return go_build(env, "conform-driver", list(files.values()), lambda _d: files, "conformance driver",
                    hint="If the installed poolqueue.go changed shape, the driver in properties/conformance/gocode.py "
                         "needs updating.")


class GoDriver:
    """One running driver process. Use as a context manager, or call ``close()``."""

    def __init__(self, binary: Path | None = None, env: GoEnv | None = None) -> None:
        self.env = env or go_env()
        self.binary = binary or build_driver(self.env)
        self.proc = subprocess.Popen([str(self.binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1 << 16,
                                     env=go_subprocess_env(self.env.goroot, **DRIVER_ENV))
        self.commands = 0
        info = self.exchange([{"op": "version"}])[0]["r"]
        self.version: str = info["go"]
        self.race: bool = info["race"]
        if self.race or info["gomaxprocs"] != 1:
            self.close()
            raise DriverError(f"the driver runs with race={self.race}, GOMAXPROCS={info['gomaxprocs']}: "
                              "it must be a non-race build with one P")

    def __enter__(self) -> GoDriver:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        close_process(self.proc)

    def _died(self, what: str) -> DriverError:
        err = ""
        if self.proc.poll() is not None and self.proc.stderr:
            err = self.proc.stderr.read()[-3000:]
        return DriverError(f"the Go driver {what} (exit status {self.proc.poll()}):\n{err}")

    def exchange(self, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send ``commands`` (pipelined in batches) and return their responses in order.

        A response is ``{"r": result, "s": state}``; DriverError if the driver
        reports an error, dies, or stops answering.
        """
        out: list[dict[str, Any]] = []
        for c, resp in exchange_lines(self.proc, commands, _BATCH, self._died):
            if resp.get("error"):
                raise DriverError(f"the Go driver rejected {c}: {resp['error']}")
            out.append(resp)
        self.commands += len(commands)
        return out
