"""Drift: the model still cites the installed Go source, statement by statement.

Every Go statement label in model/*.py and model/variants/*.py (a string
starting with ``poolqueue.go:`` or ``pool.go:``, of the form
``FILE:FUNC: STATEMENT`` or ``FILE:FUNC``) must name a function of that file
in ``$(go env GOROOT)/src/sync``, and STATEMENT must occur in that
function's body (whitespace removed, comments ignored). Labels starting with
``runtime:``, ``setup:`` or ``user:`` are not Go statements of these files
and are exempt. A new Go release that changes the algorithm fails here.

In model/variants/, a mutant's *mutated* statement is not Go's by design;
such a label is accepted only when a ``# MUTATION:`` comment precedes it
within a few lines, and the test lists every one it accepted that way.

The second test checks that every function the installed files declare is
either transcribed (a Python twin of the same name in snake_case) or listed
here as out of scope with a reason, so a new Go function is noticed too.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from properties.conformance.gosource import functions, go_env, squash, strip_comments, sync_source

pytestmark = pytest.mark.conformance

ROOT = Path(__file__).resolve().parent.parent
GO_FILES = ("poolqueue.go", "pool.go")
EXEMPT = ("runtime:", "setup:", "user:")
MUTATION_WINDOW = 8  # lines: a mutated statement's label follows its `# MUTATION:` comment


@dataclass(frozen=True)
class Label:
    text: str
    path: str
    line: int


def _comprehension_bindings(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> dict[str, list[str]]:
    """Names bound by enclosing comprehensions ``for NAME in ("a", "b")`` to their literal values."""
    out: dict[str, list[str]] = {}
    p: ast.AST | None = parents.get(node)
    while p is not None:
        if isinstance(p, ast.DictComp | ast.ListComp | ast.SetComp | ast.GeneratorExp):
            for gen in p.generators:
                if isinstance(gen.target, ast.Name) and isinstance(gen.iter, ast.Tuple | ast.List) and \
                        all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in gen.iter.elts):
                    out[gen.target.id] = [e.value for e in gen.iter.elts if isinstance(e, ast.Constant)]
        p = parents.get(p)
    return out


def _expand(node: ast.JoinedStr, env: dict[str, list[str]]) -> list[str] | None:
    """Every value of an f-string whose placeholders are comprehension variables over literals; None otherwise."""
    parts: list[list[str]] = []
    for v in node.values:
        if isinstance(v, ast.Constant) and isinstance(v.value, str):
            parts.append([v.value])
        elif isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Name) and v.value.id in env \
                and v.format_spec is None:
            parts.append(env[v.value.id])
        else:
            return None
    return ["".join(p) for p in itertools.product(*parts)]


def _call_bindings(node: ast.JoinedStr, parents: dict[ast.AST, ast.AST], tree: ast.AST) -> list[dict[str, list[str]]]:
    """For an f-string inside ``def helper(..., fn, stmt)`` whose placeholders are parameters: the literal
    arguments of every call ``helper(..., "getSlow", "l.private = nil")`` in the module (one binding per call).
    A call with a non-literal argument for a placeholder parameter yields no binding (the label is then
    reported as unexpandable)."""
    fdef: ast.AST | None = parents.get(node)
    while fdef is not None and not isinstance(fdef, ast.FunctionDef):
        fdef = parents.get(fdef)
    if not isinstance(fdef, ast.FunctionDef):
        return []
    params = [a.arg for a in fdef.args.args]
    used = {v.value.id for v in node.values if isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Name)}
    if not used or not used <= set(params):
        return []
    out: list[dict[str, list[str]]] = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        f = call.func
        if not ((isinstance(f, ast.Name) and f.id == fdef.name) or (isinstance(f, ast.Attribute) and f.attr == fdef.name)):
            continue
        args: dict[str, ast.expr] = dict(zip(params, call.args))
        args.update({k.arg: k.value for k in call.keywords if k.arg})
        b = {n: [a.value] for n in used if isinstance(a := args.get(n), ast.Constant) and isinstance(a.value, str)}
        if len(b) != len(used):
            return []
        out.append(b)
    return out


def model_labels() -> Iterator[Label]:
    files = sorted((ROOT / "model").glob("*.py")) + sorted((ROOT / "model" / "variants").glob("*.py"))
    prefixes = tuple(f"{g}:" for g in GO_FILES)
    for f in files:
        tree = ast.parse(f.read_text(), str(f))
        parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
        rel = str(f.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    not isinstance(parents.get(node), ast.JoinedStr):
                if node.value.startswith(prefixes):
                    yield Label(node.value, rel, node.lineno)
            elif isinstance(node, ast.JoinedStr):
                head = node.values[0] if node.values else None
                if not (isinstance(head, ast.Constant) and isinstance(head.value, str) and
                        head.value.startswith(prefixes)):
                    continue
                values = _expand(node, _comprehension_bindings(node, parents))
                if values is None:
                    bindings = _call_bindings(node, parents, tree)
                    expanded = [_expand(node, b) for b in bindings]
                    if not bindings or any(v is None for v in expanded):
                        yield Label(f"<unexpandable f-string {ast.unparse(node)}>", rel, node.lineno)
                        continue
                    values = [x for v in expanded if v is not None for x in v]
                for v in values:
                    yield Label(v, rel, node.lineno)


def _go_bodies() -> dict[tuple[str, str], list[str]]:
    """(file, function name) -> squashed, comment-free bodies (two for pushHead: poolDequeue's and poolChain's)."""
    out: dict[tuple[str, str], list[str]] = {}
    for g in GO_FILES:
        for fn in functions(sync_source(g)):
            out.setdefault((g, fn.name), []).append(squash(strip_comments(fn.body)))
    return out


_LABEL = re.compile(r"^(?P<file>[\w.]+\.go):(?P<func>\w+)(?::\s*(?P<stmt>.*))?$", re.DOTALL)


def _after_mutation_comment(path: str, line: int) -> bool:
    lines = (ROOT / path).read_text().splitlines()
    return any("# MUTATION:" in ln for ln in lines[max(0, line - 1 - MUTATION_WINDOW):line])


def label_problems(labels: list[Label], bodies: dict[tuple[str, str], list[str]]) -> tuple[list[str], list[str], int]:
    """(problems, mutated statements accepted, labels checked)."""
    problems: list[str] = []
    mutated: list[str] = []
    checked = 0
    for lb in labels:
        if lb.text.startswith(EXEMPT):
            continue
        m = _LABEL.match(lb.text)
        if m is None:
            problems.append(f"{lb.path}:{lb.line}: {lb.text!r} is not of the form FILE:FUNC or FILE:FUNC: STATEMENT")
            continue
        file, func, stmt = m.group("file"), m.group("func"), m.group("stmt")
        cands = bodies.get((file, func))
        if not cands:
            problems.append(f"{lb.path}:{lb.line}: {lb.text!r}: {file} ({go_env().version}) has no function {func}")
            continue
        checked += 1
        if stmt and not any(squash(stmt) in b for b in cands):
            if lb.path.startswith("model/variants/") and _after_mutation_comment(lb.path, lb.line):
                mutated.append(f"{lb.path}:{lb.line}: {lb.text}")
                continue
            problems.append(f"{lb.path}:{lb.line}: {lb.text!r}: statement not found in {file}:{func} "
                            f"({go_env().version})")
    return problems, mutated, checked


def test_every_go_label_is_in_the_installed_source() -> None:
    labels = list(model_labels())
    assert len(labels) > 50, f"only {len(labels)} Go labels found in model/: is the label format still FILE:FUNC: ...?"
    problems, mutated, checked = label_problems(labels, _go_bodies())
    assert not problems, (
        "model labels that no longer match the installed Go source (a Go release changed the algorithm, or a label "
        "is mistyped; fix the model or the label):\n  " + "\n  ".join(problems))
    assert checked > 50
    print(f"{checked} labels checked against {go_env().version}; mutated statements accepted:\n  " + "\n  ".join(mutated))


def test_drift_is_detected() -> None:
    """A Go release that changed a statement, renamed a function or dropped one fails the check."""
    bodies = _go_bodies()
    labels = [Label("poolqueue.go:popTail: slot.val = nil", "model/poolqueue.py", 1),
              Label("poolqueue.go:popTail: d.headTail.Store(ptrs2)", "model/poolqueue.py", 2),   # not Go's
              Label("pool.go:pinFast: pid := runtime_procPin()", "model/pool.py", 3),           # no such function
              Label("pool.go:Put: // l.private = x", "model/pool.py", 4),                        # comment only
              Label("runtime: anything", "model/pool.py", 5)]
    problems, _, checked = label_problems(labels, bodies)
    assert checked == 3 and len(problems) == 3
    assert "Store(ptrs2)" in problems[0] and "no function pinFast" in problems[1] and "// l.private" in problems[2]
    # The same statement in a changed Go body: remove it and the good label fails too.
    edited = {k: [b.replace(squash("slot.val = nil"), "") for b in v] for k, v in bodies.items()}
    assert label_problems(labels[:1], edited)[0]


# Go's functions in poolqueue.go and pool.go -> the model's Python twin
# (module attribute path), or None with the reason it is out of scope.
TWINS: dict[tuple[str, str], str | None] = {
    ("poolDequeue", "unpack"): "model.poolqueue:PoolDequeue.unpack",
    ("poolDequeue", "pack"): "model.poolqueue:PoolDequeue.pack",
    ("poolDequeue", "pushHead"): "model.poolqueue:PoolDequeue.push_head",
    ("poolDequeue", "popHead"): "model.poolqueue:PoolDequeue.pop_head",
    ("poolDequeue", "popTail"): "model.poolqueue:PoolDequeue.pop_tail",
    ("poolChain", "pushHead"): "model.poolqueue:PoolChain.push_head",
    ("poolChain", "popHead"): "model.poolqueue:PoolChain.pop_head",
    ("poolChain", "popTail"): "model.poolqueue:PoolChain.pop_tail",
    ("Pool", "Put"): "model.pool:Pool.put",
    ("Pool", "Get"): "model.pool:Pool.get",
    ("Pool", "getSlow"): "model.pool:Pool.get_slow",
    ("Pool", "pin"): "model.pool:Pool.pin",
    ("Pool", "pinSlow"): "model.pool:Pool.pin_slow",
    ("", "poolCleanup"): "model.pool:pool_cleanup",
    ("", "indexLocal"): "model.pool:index_local",
    ("", "runtime_procPin"): "model.pool:Pool.runtime_proc_pin",
    ("", "runtime_procUnpin"): "model.pool:Pool.runtime_proc_unpin",
}
OUT_OF_SCOPE: dict[tuple[str, str], str] = {
    ("", "poolRaceAddr"): "race-detector bookkeeping only (race.Enabled builds)",
    ("", "runtime_randn"): "race-detector only: race-enabled Put drops a quarter of its objects",
    ("", "init"): "registers poolCleanup with the runtime; the model's gc() calls it directly",
    ("", "runtime_registerPoolCleanup"): "the registration hook, see init",
}

_DECL = re.compile(r"^func\s*(?:\(\s*\w*\s*\*?\s*(?P<recv>\w+)[^)]*\)\s*)?(?P<name>\w+)\s*[\[(]", re.MULTILINE)


def _resolve(spec: str) -> object:
    import importlib
    mod, _, attr = spec.partition(":")
    obj: object = importlib.import_module(mod)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def test_every_go_function_has_a_python_twin() -> None:
    declared = []
    for g in GO_FILES:
        declared += [(m.group("recv") or "", m.group("name")) for m in _DECL.finditer(sync_source(g))]
    assert len(declared) >= 15
    unknown = [d for d in declared if d not in TWINS and d not in OUT_OF_SCOPE]
    assert not unknown, (f"Go functions in {', '.join(GO_FILES)} ({go_env().version}) that the model neither "
                         f"transcribes nor lists as out of scope: {unknown}; transcribe them (DESIGN.md section 2) and "
                         "add them to TWINS in tests/test_drift.py")
    missing = [f"{d} -> {spec}" for d, spec in TWINS.items() if d in declared and spec and not callable(_resolve(spec))]
    assert not missing, f"Python twins missing: {missing}"
    gone = [d for d in TWINS if d not in declared]
    assert not gone, f"Go functions the model transcribes but {go_env().version} no longer declares: {gone}"


def test_label_parser_sees_the_fstring_labels() -> None:
    texts = {lb.text for lb in model_labels()}
    assert not [t for t in texts if t.startswith("<unexpandable")], [t for t in texts if t.startswith("<unexpandable")]
    assert "poolqueue.go:popTail: d.vals" in texts      # from the dict comprehension in model/poolqueue.py
    assert "pool.go:pinSlow: runtime_procUnpin()" in texts
