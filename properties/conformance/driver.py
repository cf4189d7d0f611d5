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
from pathlib import Path
from types import TracebackType
from typing import Any

from properties.conformance.gocode import GO_MOD, MAIN_GO, RACE_OFF_GO, RACE_ON_GO, rewrite_package
from properties.conformance.gosource import GoEnv, go_env, go_subprocess_env, sync_source

__all__ = ["DriverError", "cache_dir", "build_driver", "GoDriver", "DRIVER_ENV", "close_process"]

# The environment the driver runs in: one P, GC off (the driver also sets
# both itself, so a stray environment cannot undo it).
DRIVER_ENV = {"GOMAXPROCS": "1", "GOGC": "off", "GOMEMLIMIT": "off", "GODEBUG": ""}

_BATCH = 256  # commands written before reading their answers (stays far below a pipe buffer)
_lock = threading.Lock()



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


def _key(env: GoEnv, poolqueue: str) -> str:
    h = hashlib.sha256()
    for part in (env.version, env.goroot, env.goos, env.goarch, poolqueue, MAIN_GO, GO_MOD, RACE_ON_GO, RACE_OFF_GO):
        h.update(part.encode())
        h.update(b"\0")
    return f"{env.version}-{h.hexdigest()[:16]}"


def build_driver(env: GoEnv | None = None) -> Path:
    """The path of the driver binary for the installed toolchain, building it if needed."""
    env = env or go_env()
    poolqueue = sync_source("poolqueue.go", env)
    key = _key(env, poolqueue)
    root = cache_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        root = Path(tempfile.gettempdir()) / "poolcheck-cache"
        root.mkdir(parents=True, exist_ok=True)
    binary = root / f"conform-driver-{key}"
    with _lock:
        if binary.is_file():
            return binary
        with tempfile.TemporaryDirectory(prefix="poolcheck-driver-") as tmp:
            d = Path(tmp)
            (d / "go.mod").write_text(GO_MOD)
            (d / "main.go").write_text(MAIN_GO)
            (d / "race_on.go").write_text(RACE_ON_GO)
            (d / "race_off.go").write_text(RACE_OFF_GO)
            (d / "poolqueue.go").write_text(rewrite_package(poolqueue))
            out = d / "driver"
            try:
                p = subprocess.run([env.go, "build", "-o", str(out), "."], cwd=d, capture_output=True, text=True,
                                   timeout=900, env=go_subprocess_env(env.goroot, CGO_ENABLED="0"))
            except subprocess.TimeoutExpired as e:
                raise DriverError("building the conformance driver took more than 15 minutes") from e
            if p.returncode != 0:
                raise DriverError(f"building the conformance driver failed with {env.version}:\n{p.stderr[-4000:]}\n"
                                  "If the installed poolqueue.go changed shape, the driver in "
                                  "properties/conformance/gocode.py needs updating.")
            tmp_bin = binary.with_name(binary.name + f".tmp{os.getpid()}")
            os.replace(out, tmp_bin)
            os.replace(tmp_bin, binary)  # atomic: concurrent sessions see a whole file or none
    return binary


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
        assert self.proc.stdin is not None and self.proc.stdout is not None
        out: list[dict[str, Any]] = []
        for i in range(0, len(commands), _BATCH):
            chunk = commands[i:i + _BATCH]
            try:
                self.proc.stdin.write("".join(json.dumps(c, separators=(",", ":")) + "\n" for c in chunk))
                self.proc.stdin.flush()
            except OSError as e:
                raise self._died(f"stopped reading ({e})") from None
            for c in chunk:
                line = self.proc.stdout.readline()
                if not line:
                    raise self._died(f"died while answering {c}")
                resp: dict[str, Any] = json.loads(line)
                if resp.get("error"):
                    raise DriverError(f"the Go driver rejected {c}: {resp['error']}")
                out.append(resp)
            self.commands += len(chunk)
        return out
