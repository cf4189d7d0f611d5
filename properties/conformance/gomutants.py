"""Go's own tests against the mutants: each catalog mutant, realised in Go.

A Go realisation is a small, exact transformation of the *installed*
``src/sync/poolqueue.go`` or ``pool.go``: a list of edits, each scoped to one
Go function, each anchored on the exact text of a statement that must occur
exactly once in that function (``GoDrift`` otherwise, so a Go release that
changes the code fails loudly instead of testing something else). The
mutated file is written to a temporary directory and applied with
``go test -overlay``; nothing from Go is copied into this repository.

``run_go_tests(name)`` runs Go's own pool tests (``go test -run Pool sync``,
which also runs ExamplePool) against the mutant, in ``-short`` mode by
default, or with ``-race``. Killed means the test binary failed: a test
failure, a crash (the race detector's report included), or a test that hung
until ``-timeout`` (status ``timeout``: the test still running is reported).

``pool_test.go`` is ``//go:build !race``: under ``-race`` the literal
``-run Pool`` runs ExamplePool alone and measures nothing. By default the
race mode therefore lifts that line (in a temporary copy, by overlay) and
runs the pool tests that hold under -race on the reference (RACE_PATTERN);
docs/conformance.md reports both.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from properties.conformance.gosource import GoEnv, functions, go_env, go_subprocess_env

__all__ = ["GoEdit", "GoMutant", "GoDrift", "GoTestError", "GoTestResult", "GO_MUTANTS", "NO_GO_COUNTERPART",
           "run_go_tests", "mutated_source", "parse_go_test_output", "TEST_PATTERN", "RACE_PATTERN"]

TEST_PATTERN = "Pool"
# Under -race, pool_test.go is excluded by its `//go:build !race` line, so
# `-race -run Pool` runs ExamplePool alone. With the line lifted (a copy in a
# temporary directory, by overlay), these are the tests that still hold on the
# reference under -race: the others assume Put keeps every object, which a
# race-enabled Put does not (it drops a quarter at random).
RACE_PATTERN = "^(TestPoolStress|TestPoolDequeue|TestPoolChain|ExamplePool)$"


class GoDrift(ValueError):
    """An anchor did not match exactly once: the installed Go source is not the one the mutant was written for."""


class GoTestError(RuntimeError):
    """``go test`` could not build or run the mutant at all (not a kill: a bug in the transformation)."""


@dataclass(frozen=True)
class GoEdit:
    """Replace ``anchor`` (exact text, exactly once inside function ``func``) by ``replacement``.

    ``func`` is ``Recv.Name`` (``poolDequeue.pushHead``), ``Name`` for a plain
    function, or None for the whole file (declarations). With ``swap`` set,
    ``anchor`` and ``swap`` (each exactly once) trade places and
    ``replacement`` is unused.
    """

    func: str | None
    anchor: str
    replacement: str = ""
    swap: str | None = None


@dataclass(frozen=True)
class GoMutant:
    """A catalog mutant as a transformation of one installed Go file (``file`` relative to $GOROOT/src)."""

    name: str
    file: str
    edits: tuple[GoEdit, ...]
    note: str = ""

    def apply(self, src: str, where: str = "") -> str:
        """``src`` with every edit applied in order; GoDrift if an anchor does not match exactly once."""
        for e in self.edits:
            src = _apply_edit(src, e, f"{self.name}: {where or self.file}")
        return src


def _scope(src: str, func: str | None, what: str) -> tuple[int, int]:
    if func is None:
        return 0, len(src)
    recv, _, name = func.rpartition(".")
    hits = [f for f in functions(src) if f.name == name and f.recv == recv]
    if len(hits) != 1:
        raise GoDrift(f"{what}: function {func} found {len(hits)} times (want 1); the installed Go source changed, "
                      "update properties/conformance/gomutants.py")
    return hits[0].body_start, hits[0].body_end


def _find_once(body: str, anchor: str, func: str | None, what: str) -> int:
    n = body.count(anchor)
    if n != 1:
        raise GoDrift(f"{what}: anchor {anchor!r} matched {n} times in {func or 'the file'} (want exactly 1); the "
                      "installed Go source changed, update properties/conformance/gomutants.py")
    return body.index(anchor)


def _apply_edit(src: str, e: GoEdit, what: str) -> str:
    lo, hi = _scope(src, e.func, what)
    body = src[lo:hi]
    i = _find_once(body, e.anchor, e.func, what)
    if e.swap is None:
        body = body[:i] + e.replacement + body[i + len(e.anchor):]
    else:
        j = _find_once(body, e.swap, e.func, what)
        (a, la, ra), (b, lb, rb) = sorted([(i, len(e.anchor), e.swap), (j, len(e.swap), e.anchor)])
        if a + la > b:
            raise GoDrift(f"{what}: the two statements to swap overlap")
        body = body[:a] + ra + body[a + la:b] + rb + body[b + lb:]
    return src[:lo] + body + src[hi:]


PQ, POOL = "sync/poolqueue.go", "sync/pool.go"
LIFT_RACE_TAG = GoEdit(None, "//go:build !race\n", "")
_M = "// MUTATION: "

GO_MUTANTS: dict[str, GoMutant] = {m.name: m for m in [
    GoMutant("push-no-typ-check", PQ, (
        GoEdit("poolDequeue.pushHead", "if typ != nil {", "if _ = typ; false { " + _M + "no typ check"),)),
    GoMutant("push-plain-typ-load", PQ, (
        GoEdit("poolDequeue.pushHead", "typ := atomic.LoadPointer(&slot.typ)",
               "typ := slot.typ " + _M + "plain load"),)),
    GoMutant("push-publish-first", PQ, (
        GoEdit("poolDequeue.pushHead", "*(*any)(unsafe.Pointer(slot)) = val", swap="d.headTail.Add(1 << dequeueBits)"),
    )),
    GoMutant("poptail-typ-before-val", PQ, (
        GoEdit("poolDequeue.popTail", "slot.val = nil", swap="atomic.StorePointer(&slot.typ, nil)"),)),
    GoMutant("poptail-no-zero", PQ, (
        GoEdit("poolDequeue.popTail", "slot.val = nil\n\tatomic.StorePointer(&slot.typ, nil)",
               _M + "the slot is left as it is"),)),
    GoMutant("pophead-plain-store", PQ, (
        GoEdit("poolDequeue.popHead", "if d.headTail.CompareAndSwap(ptrs, ptrs2) {",
               "if d.headTail.Store(ptrs2); true { " + _M + "plain store, no CAS"),)),
    GoMutant("chain-next-after-pop", PQ, (
        GoEdit("poolChain.popTail", "d2 := d.next.Load()\n", "\n"),
        GoEdit("poolChain.popTail", "if d2 == nil {", "d2 := d.next.Load() " + _M + "loaded after the pop\n\t\tif d2 == nil {"),
    )),
    GoMutant("chain-drop-without-cas", PQ, (
        GoEdit("poolChain.popTail", "if c.tail.CompareAndSwap(d, d2) {",
               "if c.tail.Store(d2); true { " + _M + "store, no CAS"),)),
    GoMutant("chain-publish-early", PQ, (
        GoEdit("poolChain.pushHead", "d.next.Store(d2)\n", "\n"),
        GoEdit("poolChain.pushHead", "d2.vals = make([]eface, newSize)",
               "d.next.Store(d2) " + _M + "linked before the ring exists\n\td2.vals = make([]eface, newSize)"),
    ), note="equivalent in the catalog: no execution can tell it from the reference"),
    GoMutant("full-check-off-by-one", PQ, (
        GoEdit("poolDequeue.pushHead", "if (tail+uint32(len(d.vals)))&(1<<dequeueBits-1) == head {",
               "if (tail+uint32(len(d.vals))+1)&(1<<dequeueBits-1) == head { " + _M + "one too many"),),
        note="equivalent in the catalog: the typ check is a second full test"),
    GoMutant("limit-full-width", PQ, (
        GoEdit(None, "const dequeueLimit = (1 << dequeueBits) / 4", "const dequeueLimit = (1 << dequeueBits) " + _M
               + "full width"),),
        note="needs a dequeue of 2^31 slots before it differs: out of reach of any test at Go's width"),
    GoMutant("pophead-no-backup", PQ, (
        GoEdit("poolChain.popHead", "d = d.prev.Load()", "d = nil " + _M + "no backing up"),)),
    GoMutant("grow-no-prev", PQ, (
        GoEdit("poolChain.pushHead", "d2.prev.Store(d)\n", _M + "no link back to d\n"),)),
    GoMutant("grow-uncapped", PQ, (
        GoEdit("poolChain.pushHead", "if newSize >= dequeueLimit {", "if false { " + _M + "never capped"),)),
    GoMutant("pin-no-size-check", POOL, (
        GoEdit("Pool.pin", "if uintptr(pid) < s {", "if _ = s; l != nil { " + _M + "the size is not checked"),)),
    GoMutant("cleanup-no-victim-drop", POOL, (
        GoEdit("poolCleanup", "for _, p := range oldPools {\n\t\tp.victim = nil\n\t\tp.victimSize = 0\n\t}",
               _M + "oldPools' victim caches are not dropped"),)),
    GoMutant("get-keeps-private", POOL, (
        GoEdit("Pool.Get", "x := l.private\n\tl.private = nil", "x := l.private " + _M + "l.private is not cleared"),)),
    GoMutant("pinslow-size-first", POOL, (
        GoEdit("Pool.pinSlow", "atomic.StorePointer(&p.local, unsafe.Pointer(&local[0]))",
               swap="rtatomic.StoreReluintptr(&p.localSize, uintptr(size))"),)),
    GoMutant("pin-local-first", POOL, (
        GoEdit("Pool.pin", "s := rtatomic.LoadAcquintptr(&p.localSize)", swap="l := p.local"),)),
    GoMutant("getslow-mark-early", POOL, (
        GoEdit("Pool.getSlow", "atomic.StoreUintptr(&p.victimSize, 0)\n", "\n"),
        GoEdit("Pool.getSlow", "for i := 0; i < int(size); i++ {\n\t\tl := indexLocal(locals, (pid+i)%int(size))",
               "atomic.StoreUintptr(&p.victimSize, 0) " + _M + "marked empty before the scan\n"
               "\tfor i := 0; i < int(size); i++ {\n\t\tl := indexLocal(locals, (pid+i)%int(size))"),
    )),
    GoMutant("put-overwrites-private", POOL, (
        GoEdit("Pool.Put", "if l.private == nil {\n\t\tl.private = x\n\t} else {\n\t\tl.shared.pushHead(x)\n\t}",
               "l.private = x " + _M + "no l.private == nil test"),)),
]}

# Catalog mutants with no source transformation of poolqueue.go or pool.go, and why.
NO_GO_COUNTERPART: dict[str, str] = {
    "gc-while-pinned": (
        "the guarantee lives in the runtime, not in sync: runtime_procPin increments m.locks, which makes the "
        "goroutine non-preemptible so stopTheWorld (and with it poolCleanup) waits for it "
        "(runtime/proc.go: procPin/procUnpin). No edit of pool.go or poolqueue.go removes it."),
    "two-producers": (
        "a test-harness property, not a code change: the reference code used by two pushing goroutines, which "
        "sync never does (only the owning P pushes). Go's tests keep to one producer."),
}


def mutated_source(name: str, env: GoEnv | None = None) -> tuple[Path, str]:
    """The installed file mutant ``name`` changes, and its mutated text (GoDrift if an anchor fails)."""
    env = env or go_env()
    m = GO_MUTANTS[name]
    path = Path(env.goroot) / "src" / m.file
    return path, m.apply(path.read_text(), f"{m.file} ({env.version})")


@dataclass(frozen=True)
class GoTestResult:
    """One ``go test`` run of Go's pool tests against a mutant (or the unmodified ``reference``)."""

    name: str
    killed: bool
    test: str | None          # the first failing Go test (the one running, for a crash or a timeout)
    seconds: float            # wall time of ``go test``, build included
    output_tail: str
    status: str = ""          # killed | timeout | survived | no-tests
    tests_run: int = 0        # top-level tests and examples that started
    race: bool = False
    short: bool = True
    go_version: str = ""
    command: str = ""

    def cell(self) -> str:
        """A kill-matrix cell: ``killed (TestPool, 3.2s)``, ``timeout (TestPoolDequeue, 61s)``, ``survived (2.1s)``."""
        if self.status == "no-tests":
            return f"no tests ({self.seconds:.1f}s)"
        if self.killed:
            return f"{'killed' if self.status != 'timeout' else 'timeout'} ({self.test}, {self.seconds:.1f}s)"
        return f"survived ({self.seconds:.1f}s)"


_RUN = re.compile(r"^=== RUN\s+(\S+)", re.MULTILINE)
_FAIL = re.compile(r"^\s*--- FAIL: (\S+)", re.MULTILINE)
_TIMEOUT = re.compile(r"panic: test timed out after [^\n]*\n(?:\s*running tests:\s*\n)?\s*(\w+)")


def parse_go_test_output(out: str, returncode: int) -> tuple[str, str | None, int]:
    """(status, first failing test, tests run) from ``go test -v`` output."""
    runs = [t for t in _RUN.findall(out) if "/" not in t]
    n = len(dict.fromkeys(runs))
    if "[build failed]" in out or "[setup failed]" in out:
        raise GoTestError("go test could not build the mutant:\n" + out[-3000:])
    t = _TIMEOUT.search(out)
    if t:
        return "timeout", t.group(1), n
    if returncode == 0:
        if "no tests to run" in out or n == 0:
            return "no-tests", None, n
        return "survived", None, n
    f = _FAIL.search(out)
    if f:
        return "killed", f.group(1), n
    # A crash (fatal error, panic) before any --- FAIL line: the test that was running.
    return "killed", runs[-1] if runs else None, n


_RESULTS: dict[tuple[str, bool, bool, bool], GoTestResult] = {}


def run_go_tests(name: str, race: bool = False, short: bool = True, timeout: float | None = None,
                 cache: bool = True, lift_race_tag: bool = True) -> GoTestResult | None:
    """Run Go's pool tests (``go test -run Pool sync``) against Go mutant ``name``; None if it has no Go counterpart.

    ``name`` may also be ``reference`` (the installed source, unmodified: Go's
    tests must pass on it). ``timeout`` bounds the test binary (``go test
    -timeout``; default 30 s in -short mode, where the reference needs well
    under a second, and 120 s otherwise); a hang counts as killed, status
    ``timeout``. With ``race``, ``lift_race_tag`` (the default) overlays
    pool_test.go without its ``//go:build !race`` line and runs RACE_PATTERN;
    ``lift_race_tag=False`` is the literal ``-race -run Pool`` (ExamplePool
    only). Results are memoised per process.
    """
    if name != "reference" and name not in GO_MUTANTS:
        return None
    key = (name, race and lift_race_tag, race, short)
    if cache and key in _RESULTS:
        return _RESULTS[key]
    env = go_env()
    limit = timeout if timeout is not None else (30.0 if short else 120.0)
    lift = race and lift_race_tag
    with tempfile.TemporaryDirectory(prefix=f"poolcheck-gomutant-{name}-") as tmp:
        cmd = [env.go, "test", "-count=1", "-v", "-run", RACE_PATTERN if lift else TEST_PATTERN,
               "-timeout", f"{int(limit)}s"]
        replace: dict[str, str] = {}
        if name != "reference":
            path, text = mutated_source(name, env)
            (Path(tmp) / path.name).write_text(text)
            replace[str(path)] = str(Path(tmp) / path.name)
        if lift:
            test_path = Path(env.goroot) / "src" / "sync" / "pool_test.go"
            (Path(tmp) / test_path.name).write_text(
                _apply_edit(test_path.read_text(), LIFT_RACE_TAG, f"pool_test.go ({env.version})"))
            replace[str(test_path)] = str(Path(tmp) / test_path.name)
        if replace:
            overlay = Path(tmp) / "overlay.json"
            overlay.write_text(json.dumps({"Replace": replace}))
            cmd += ["-overlay", str(overlay)]
        if short:
            cmd.append("-short")
        if race:
            cmd.append("-race")
        cmd.append("sync")
        t0 = time.monotonic()
        try:
            p = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, env=go_subprocess_env(env.goroot),
                               timeout=limit + 900)
            out, rc = p.stdout + p.stderr, p.returncode
        except subprocess.TimeoutExpired as e:
            raw = e.stdout or b""
            out = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
            out += f"\n(poolcheck: go test killed after {limit + 900:.0f}s)"
            rc = -1
        secs = time.monotonic() - t0
    status, test, n = parse_go_test_output(out, rc)
    if rc == -1 and status != "timeout":
        status = "timeout"
        test = test or (_RUN.findall(out) or [None])[-1]
    tail = "\n".join(out.rstrip().splitlines()[-25:])
    shown = " ".join("<overlay.json>" if c.endswith("overlay.json") else c for c in cmd[1:])
    res = GoTestResult(name, status in ("killed", "timeout"), test, round(secs, 2), tail, status, n, race, short,
                       env.version, "go " + shown)
    _RESULTS[key] = res
    return res
