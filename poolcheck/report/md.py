"""report.md: a counterexample report readable on a code host (GitHub renders the tables).

Order: what went wrong (one sentence), the property and its statement, the
scenario on one line, the steps as a table with one column per thread, the
shared state after the last step, and how to replay it.
"""

from __future__ import annotations

from poolcheck.report import BlockView, Report, Row

__all__ = ["render"]

VIOLATION_MARK = "✗"
INVOLVED_MARK = "◆"


def _cell(s: str) -> str:
    """Text safe inside a Markdown table cell."""
    return s.replace("|", "\\|").replace("\n", " ")


def _code(s: str) -> str:
    s = _cell(s)
    return f"`` {s} ``" if "`" in s else f"`{s}`"


def _row(rep: Report, r: Row) -> str:
    cells = [""] * len(rep.threads)
    parts = []
    for ln in r.lines:
        text = ""
        if ln.op_start:
            text += f"**{_cell(ln.op)}** "
        text += _code(ln.go)
        if ln.goline:
            text += f" <sub>{_cell(ln.goline)}</sub>"
        what = f"{ln.effect} {ln.location}".strip() if ln.location else ln.effect
        text += f" <sub>{_cell(what)}</sub>"
        if ln.value:
            text += f" {_cell(ln.value)}"
        if ln.ret is not None:
            text += f" ⇒ **{_cell(ln.ret)}**"
        if ln.silent:
            text = f"<sub>{ln.step}</sub> {text}"
        parts.append(text)
    if r.tid < len(cells):
        cells[r.tid] = "<br>".join(parts)
    mark = f" {VIOLATION_MARK}" if r.mark == "violation" else f" {INVOLVED_MARK}" if r.mark else ""
    num = f"**{r.first}**{mark}" if r.mark else f"{r.first}"
    return f"| {num} | " + " | ".join(cells) + " |"


def _state(blocks: list[BlockView]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if b.kind == "dequeue":
            gone = "" if b.reachable else " — **no longer reachable from the chain**"
            extra = "".join(f", {f} {t}" for f, t, _ in b.fields)
            out.append(f"- **{b.name}**: headTail = head {b.head}, tail {b.tail} ({b.count} in [tail, head)){extra}{gone}")
            if b.slots:
                out.append("")
                out.append("  | slot | " + " | ".join(f"[{s.index}]" for s in b.slots) + " |")
                out.append("  |---|" + "---|" * len(b.slots))
                vals = []
                for s in b.slots:
                    t = s.text or "·"
                    vals.append(f"**{_cell(t)}**" if s.live else _cell(t))
                out.append("  | value | " + " | ".join(vals) + " |")
                out.append("")
        else:
            flds = ", ".join(f"{f} = {_cell(t)}" for f, t, _ in b.fields)
            out.append(f"- **{b.name}**: {flds}")
    return out


def render(rep: Report) -> str:
    cx = rep.cx
    lines = [f"# {rep.prop} {rep.prop_name} violated on `{cx.variant}`", ""]
    lines.append(f"> **{rep.headline}**")
    lines.append("")
    lines.append(f"**{rep.prop} {rep.prop_name}**: {rep.statement}" + (f" _({rep.source})_" if rep.source else ""))
    lines.append("")
    variant = f"`{cx.variant}`" + (f" ({rep.variant_description})" if rep.variant_description and
                                   cx.variant != "reference" else "")
    lines.append(f"**Scenario**: `{rep.scenario_line}` with {rep.params_text}; variant {variant}; "
                 f"found by {cx.engine}; {rep.steps} steps.")
    lines.append("")
    if rep.message != rep.headline:
        lines.append(f"Checker: {rep.message}")
        lines.append("")
    for n in rep.notes:
        lines.append(f"_Note: {n}_")
        lines.append("")
    lines.append("## Steps")
    lines.append("")
    lines.append(f"{VIOLATION_MARK} the violating step, {INVOLVED_MARK} a step touching the value or location "
                 f"involved; **bold** names the operation a thread starts. Each step: the Go statement, the "
                 f"effect and the memory cell (small print), the value read or written. Small numbers before a "
                 f"statement are steps that run on without a scheduling point.")
    lines.append("")
    lines.append("| step | " + " | ".join(f"{t.name} ({t.short}: {t.ops})" for t in rep.threads) + " |")
    lines.append("|---:|" + "---|" * len(rep.threads))
    lines.extend(_row(rep, r) for r in rep.rows)
    lines.append("")
    if rep.final_state:
        lines.append("## Shared state after the last step")
        lines.append("")
        lines.append("Ring slots in **bold** are in [tail, head); `·` is an empty slot.")
        lines.append("")
        lines.extend(_state(rep.final_state))
        lines.append("")
    if rep.go_lines:
        lines.append("## On the real Go code")
        lines.append("")
        lines.extend(f"- {_cell(t)}" for t in rep.go_lines)
        lines.append("")
    lines.append("## Replay")
    lines.append("")
    lines.append("```sh")
    on_go = rep.on_go
    w = max(len(rep.replay_command), len(rep.fix_command), len(rep.go_command) if on_go else 0) + 2
    lines.append(f"{rep.replay_command:<{w}}# exit 1 while {rep.prop} is violated")
    lines.append(f"{rep.fix_command:<{w}}# exit 0 once a fix holds")
    if on_go:
        lines.append(f"{rep.go_command:<{w}}# the same schedule on the real Go code")
    lines.append("```")
    lines.append("")
    return "\n".join(lines)
