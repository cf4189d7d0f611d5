"""A campaign's overview files: summary.md, index.html and junit.xml under ``--out``.

All three show the same thing: per variant, the stages (verdict, coverage,
time), the properties x engines matrix (pass, fail with a link to its report,
incomplete, or not applicable), the violations with their replay commands,
the properties no engine covered, and the kill matrix when the mutants stage
ran. Every file is written atomically.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path

from model.tracefile import write_json_atomic, write_text_atomic
from poolcheck.artifacts import display_path
from poolcheck.campaign import FAIL, INCOMPLETE_S, NA, PASS, Campaign, Finding, StageResult, VariantRun
from poolcheck.runs import report_folders
from properties import catalog

__all__ = ["write_all", "summary_md", "index_html", "junit_xml"]

_SYMBOL = {PASS: "✓ pass", FAIL: "✗ fail", INCOMPLETE_S: "… incomplete", NA: "—"}
_STAGE_WORD = {"pass": "PASS", "fail": "FAIL", "incomplete": "INCOMPLETE", "error": "ERROR", "unavailable": "not installed"}


def _rel(p: Path, base: Path) -> str:
    try:
        return os.path.relpath(p.resolve(), base.resolve())
    except ValueError:
        return str(p.resolve())


def _finding_for(run: VariantRun, engine: str, prop: str) -> Finding | None:
    return next((f for s in run.stages if s.engine == engine for f in s.findings if f.prop == prop), None)


def _cell(run: VariantRun, engine: str, prop: str) -> str:
    st = next((s for s in run.stages if s.engine == engine), None)
    if st is None or st.status in ("unavailable", "error"):
        return NA
    return st.cells.get(prop, NA)


def _uncovered(c: Campaign, run: VariantRun) -> list[str]:
    return [p.id for p in catalog.CATALOG
            if all(_cell(run, e, p.id) == NA for e in c.engines())]


def coverage_line(c: Campaign) -> str:
    """The coverage figures of the whole campaign, one line: executions, states, examples, proof depth."""
    tot: dict[str, int] = {}
    depth = 0
    for r in c.runs:
        for s in r.stages:
            for k in ("executions", "states", "examples", "proofs"):
                v = s.coverage.get(k)
                if isinstance(v, int) and not isinstance(v, bool):
                    tot[k] = tot.get(k, 0) + v
            for k in ("max_depth",):
                v = s.coverage.get(k)
                if isinstance(v, int):
                    depth = max(depth, v)
            pd = s.coverage.get("proof_depth")
            if isinstance(pd, int):
                tot["proof_depth"] = max(tot.get("proof_depth", 0), pd)
    parts = []
    if "executions" in tot:
        parts.append(f"{tot['executions']:,} sampled executions")
    if "states" in tot:
        parts.append(f"{tot['states']:,} states explored (depth up to {depth})")
    if "examples" in tot:
        parts.append(f"{tot['examples']:,} Hypothesis examples run")
    if "proofs" in tot:
        parts.append(f"{tot['proofs']} proofs" + (f", bounded depth up to {tot['proof_depth']}"
                                                  if tot.get("proof_depth") else ""))
    return "; ".join(parts) if parts else "no coverage recorded"


def _verdict_line(c: Campaign) -> str:
    names = ", ".join(f"`{r.variant}`" for r in c.runs)
    return (f"**{c.verdict.upper()}** on {names}: budget `{c.budget}`, {c.seconds:.1f} s, exit status "
            f"{c.exit_status}, started {c.started}")


# -- summary.md -----------------------------------------------------------------------------------------
def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def summary_md(c: Campaign) -> str:
    out = c.out
    lines = ["# poolcheck verify", "", _verdict_line(c), "", f"Coverage: {coverage_line(c)}.", ""]
    engines = c.engines()
    for run in c.runs:
        lines += [f"## `{run.variant}`", ""]
        if run.variant != "reference":
            lines += [f"{run.description}", ""]
        lines += ["| stage | verdict | coverage | time | note |", "|---|---|---|---:|---|"]
        for s in run.stages:
            note = s.note
            if s.links:
                note = (note + " " if note else "") + ", ".join(f"[{k}]({v})" for k, v in s.links.items()
                                                                if not v.endswith(".png"))
            lines.append(f"| {s.stage} | {_STAGE_WORD.get(s.status, s.status)} | {_md(s.coverage_text)} | "
                         f"{s.seconds:.1f} s | {_md(note)} |")
        for s in run.stages:
            lines += [f"![{k}]({v})" for k, v in s.links.items() if v.endswith(".png")]
        lines += ["", "### Properties x engines", ""]
        lines += ["| property | " + " | ".join(engines) + " |", "|---|" + "---|" * len(engines)]
        for p in catalog.CATALOG:
            cells = []
            for e in engines:
                st = _cell(run, e, p.id)
                f = _finding_for(run, e, p.id)
                if st == FAIL and f is not None and f.folder is not None:
                    cells.append(f"[✗ fail]({_rel(f.folder / 'report.md', out)})")
                else:
                    cells.append(_SYMBOL.get(st, st))
            lines.append(f"| {p.id} {p.name} | " + " | ".join(cells) + " |")
        lines.append("")
        if run.findings:
            lines += ["### Violations", ""]
            for f in run.findings:
                lines.append(f"- **{f.prop}** ({f.engine}, {_md(f.config)}): {_md(f.message)}")
                if f.folder is not None:
                    lines.append(f"  [report]({_rel(f.folder / 'report.md', out)}), "
                                 f"[html]({_rel(f.folder / 'report.html', out)}); replay: "
                                 f"`poolcheck replay {display_path(f.folder / 'trace.json')}`")
            lines.append("")
        unc = _uncovered(c, run)
        if unc:
            lines += ["### Not covered by this campaign", "",
                      "No engine that ran checks these properties: " + ", ".join(
                          f"{p} {catalog.get(p).name}" for p in unc) + ".", ""]
        for s in run.stages:
            if s.stage == "mutants" and s.configs:
                lines += ["### Kill matrix", "", "| mutant | verdict | " + " | ".join(
                    sorted({e for cf in s.configs for e in cf.coverage.get("cells", {})})) + " |"]
                es = sorted({e for cf in s.configs for e in cf.coverage.get("cells", {})})
                lines.append("|---|---|" + "---|" * len(es))
                for cf in s.configs:
                    lines.append(f"| `{cf.name}` | {cf.verdict} | " + " | ".join(
                        str(cf.coverage.get("cells", {}).get(e, "n/a")) for e in es) + " |")
                lines.append("")
    folders = report_folders(out)
    if folders:
        lines += ["## Folders of this run", "", f"Every report folder this run wrote ({len(folders)}):", ""]
        lines += [f"- [{_rel(f, out)}]({_rel(f / 'report.md', out)})" for f in folders]
        lines.append("")
    lines += ["## Timings", "", "| variant | stage | seconds |", "|---|---|---:|"]
    for run in c.runs:
        for s in run.stages:
            lines.append(f"| {run.variant} | {s.stage} | {s.seconds:.1f} |")
    lines += [f"| | **total** | **{c.seconds:.1f}** |", ""]
    return "\n".join(lines)


# -- index.html ------------------------------------------------------------------------------------------
_CSS = """
body{margin:0;background:#f6f7f9;color:#1f2937;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{padding:14px 24px;background:#fff;border-bottom:1px solid #e5e7eb}
h1{margin:0 0 4px;font-size:20px}h2{font-size:17px;margin:22px 0 8px}h3{font-size:15px;margin:16px 0 6px}
main{padding:4px 24px 24px;max-width:1400px}
.v{display:inline-block;padding:1px 8px;border-radius:5px;color:#fff;font-weight:700}
.v.pass{background:#16a34a}.v.fail{background:#dc2626}.v.incomplete{background:#d97706}
table{border-collapse:collapse;background:#fff;border:1px solid #e5e7eb;margin:4px 0}
th,td{padding:3px 10px;border-bottom:1px solid #f1f3f5;text-align:left;vertical-align:top}
th{background:#f9fafb;font-weight:600}
td.pass{color:#15803d}td.fail{background:#fef2f2;font-weight:700}td.fail a{color:#b91c1c}
td.incomplete{color:#b45309;background:#fffbeb}td.na{color:#9ca3af;text-align:center}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.st-pass{color:#15803d;font-weight:600}.st-fail,.st-error{color:#b91c1c;font-weight:700}
.st-incomplete{color:#b45309;font-weight:600}.st-unavailable{color:#9ca3af}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;background:#f3f4f6;padding:1px 4px;border-radius:3px}
.muted{color:#6b7280}li{margin:3px 0}
"""


def _e(s: object) -> str:
    return escape(str(s), quote=True)


def _stage_rows(run: VariantRun) -> str:
    rows = []
    for s in run.stages:
        links = " ".join(f'<a href="{_e(v)}">{_e(k)}</a>' for k, v in s.links.items() if not v.endswith(".png"))
        links += "".join(f'<br><img src="{_e(v)}" alt="{_e(k)}" style="max-width:560px">'
                         for k, v in s.links.items() if v.endswith(".png"))
        rows.append(f'<tr><td>{_e(s.stage)}</td><td class="st-{_e(s.status)}">{_e(_STAGE_WORD.get(s.status, s.status))}'
                    f'</td><td>{_e(s.coverage_text)}</td><td class="num">{s.seconds:.1f} s</td>'
                    f'<td>{_e(s.note)} {links}</td></tr>')
    return ("<table><tr><th>stage</th><th>verdict</th><th>coverage</th><th>time</th><th>note</th></tr>"
            + "".join(rows) + "</table>")


def _matrix(c: Campaign) -> str:
    engines = c.engines()
    head1 = "<tr><th rowspan=2>property</th>" + "".join(
        f'<th colspan="{len(engines)}">{_e(r.variant)}</th>' for r in c.runs) + "</tr>"
    head2 = "<tr>" + "".join(f"<th>{_e(e)}</th>" for _ in c.runs for e in engines) + "</tr>"
    rows = []
    for p in catalog.CATALOG:
        cells = []
        for run in c.runs:
            for e in engines:
                st = _cell(run, e, p.id)
                f = _finding_for(run, e, p.id)
                cls = "na" if st == NA else st
                if st == FAIL and f is not None and f.folder is not None:
                    inner = f'<a href="{_e(_rel(f.folder / "report.html", c.out))}" title="{_e(f.message)}">✗ fail</a>'
                else:
                    inner = _e(_SYMBOL.get(st, st))
                cells.append(f'<td class="{cls}">{inner}</td>')
        rows.append(f'<tr><td title="{_e(p.statement)}"><b>{_e(p.id)}</b> {_e(p.name)}</td>{"".join(cells)}</tr>')
    return "<table>" + head1 + head2 + "".join(rows) + "</table>"


def _kill_matrix(s: StageResult) -> str:
    engines = sorted({e for cf in s.configs for e in cf.coverage.get("cells", {})})
    rows = []
    for cf in s.configs:
        cells = cf.coverage.get("cells", {})
        good = "survived" if cf.name == "reference" else "killed"
        tds = "".join(f'<td class="{"pass" if cells.get(e) == good else "na"}">{_e(cells.get(e, "n/a"))}</td>'
                      for e in engines)
        exp = ", ".join(cf.coverage.get("expected") or []) or "—"
        cls = "fail" if cf.verdict in ("survived", "equivalent-refuted", "flagged") else ""
        rows.append(f'<tr><td><code>{_e(cf.name)}</code></td><td>{_e(exp)}</td>{tds}'
                    f'<td class="{cls}">{_e(cf.verdict)}</td></tr>')
    links = " ".join(f'<a href="{_e(v)}">{_e(k)}</a>' for k, v in s.links.items())
    return (f"<h3>Kill matrix</h3><p class=\"muted\">{_e(s.coverage_text)}: each mutant (a known bug, "
            f"model/variants) through the engines; {links}</p><table><tr><th>mutant</th><th>expected</th>"
            + "".join(f"<th>{_e(e)}</th>" for e in engines) + f"<th>verdict</th></tr>{''.join(rows)}</table>")


def _configs(s: StageResult) -> str:
    if not s.configs:
        return ""
    if s.stage == "mutants":
        return _kill_matrix(s)
    rows = []
    for cf in s.configs:
        cov = ", ".join(f"{k} {v:,}" if isinstance(v, int) and not isinstance(v, bool) else f"{k} {v}"
                        for k, v in cf.coverage.items() if v not in (None, [], {}, ""))
        rows.append(f'<tr><td>{_e(cf.name)}</td><td class="st-{_e(cf.verdict)}">{_e(cf.verdict)}</td>'
                    f'<td>{_e(cov)}</td><td class="num">{cf.seconds:.2f} s</td><td>{_e(cf.detail)}</td></tr>')
    return (f"<details><summary>{_e(s.stage)}: {len(s.configs)} configurations</summary><table><tr><th>configuration"
            f"</th><th>verdict</th><th>coverage</th><th>time</th><th>detail</th></tr>{''.join(rows)}</table></details>")


def index_html(c: Campaign) -> str:
    parts = []
    for run in c.runs:
        parts.append(f"<h2>Variant <code>{_e(run.variant)}</code></h2>")
        if run.variant != "reference":
            parts.append(f'<p class="muted">{_e(run.description)}</p>')
        parts.append(_stage_rows(run))
        parts.extend(_configs(s) for s in run.stages)
        if run.findings:
            items = []
            for f in run.findings:
                links = ""
                if f.folder is not None:
                    links = (f' — <a href="{_e(_rel(f.folder / "report.html", c.out))}">report</a>, '
                             f'<a href="{_e(_rel(f.folder / "report.md", c.out))}">md</a>, replay '
                             f'<code>poolcheck replay {_e(display_path(f.folder / "trace.json"))}</code>')
                items.append(f"<li><b>{_e(f.prop)}</b> ({_e(f.engine)}, <code>{_e(f.config)}</code>): "
                             f"{_e(f.message)}{links}</li>")
            parts.append(f"<h3>Violations</h3><ul>{''.join(items)}</ul>")
        unc = _uncovered(c, run)
        if unc:
            parts.append('<p class="muted">Not covered by any engine that ran: ' + _e(", ".join(
                f"{p} {catalog.get(p).name}" for p in unc)) + "</p>")
    verdict = c.verdict
    timings = "".join(f'<tr><td>{_e(r.variant)}</td><td>{_e(s.stage)}</td><td class="num">{s.seconds:.1f} s</td></tr>'
                      for r in c.runs for s in r.stages)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>poolcheck verify: {_e(verdict)}</title><style>{_CSS}</style></head><body>
<header><h1>poolcheck verify <span class="v {_e(verdict)}">{_e(verdict.upper())}</span></h1>
<div class="muted">budget <code>{_e(c.budget)}</code> · {c.seconds:.1f} s · exit status {c.exit_status} ·
started {_e(c.started)} · variants: {_e(", ".join(r.variant for r in c.runs))}</div>
<div>Coverage: {_e(coverage_line(c))}</div></header>
<main>
<h2>Properties x engines x variants</h2>
<p class="muted">✓ every check of the property passed · ✗ violated (the link opens the counterexample report) ·
… the budget ran out first (never a pass) · — the engine does not check this property or did not run.</p>
{_matrix(c)}
{''.join(parts)}
<h2>Timings</h2><table><tr><th>variant</th><th>stage</th><th>time</th></tr>{timings}
<tr><td></td><td><b>total</b></td><td class="num"><b>{c.seconds:.1f} s</b></td></tr></table>
</main></body></html>
"""


# -- junit.xml -------------------------------------------------------------------------------------------
def junit_xml(c: Campaign) -> str:
    suites = ET.Element("testsuites", name="poolcheck verify")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for run in c.runs:
        for s in run.stages:
            suite = ET.SubElement(suites, "testsuite", name=f"{run.variant}.{s.stage}")
            n = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
            if s.status in ("error", "unavailable"):
                tc = ET.SubElement(suite, "testcase", classname=f"poolcheck.{run.variant}.{s.stage}", name=s.stage,
                                   time=f"{s.seconds:.3f}")
                n["tests"] += 1
                if s.status == "error":
                    ET.SubElement(tc, "error", message=s.note).text = s.note
                    n["errors"] += 1
                else:
                    ET.SubElement(tc, "skipped", message=s.note)
                    n["skipped"] += 1
            elif s.stage == "mutants":
                for cf in s.configs:
                    tc = ET.SubElement(suite, "testcase", classname=f"poolcheck.{run.variant}.mutants", name=cf.name,
                                       time=f"{cf.seconds:.3f}")
                    n["tests"] += 1
                    if cf.verdict in ("survived", "equivalent-refuted", "flagged"):
                        ET.SubElement(tc, "failure", message=f"{cf.name}: {cf.verdict}").text = s.note
                        n["failures"] += 1
            for pid, st in s.cells.items():
                try:
                    pname = catalog.get(pid).name
                except KeyError:
                    pname = ""
                tc = ET.SubElement(suite, "testcase", classname=f"poolcheck.{run.variant}.{s.stage}",
                                   name=f"{pid} {pname}".strip())
                n["tests"] += 1
                if st == FAIL:
                    f = _finding_for(run, s.engine, pid)
                    msg = f.message if f else s.note
                    text = msg
                    if f is not None and f.folder is not None:
                        text += (f"\nreport: {display_path(f.folder / 'report.html')}\nreplay: poolcheck replay "
                                 f"{display_path(f.folder / 'trace.json')}")
                    ET.SubElement(tc, "failure", message=msg).text = text
                    n["failures"] += 1
                elif st == INCOMPLETE_S:
                    ET.SubElement(tc, "skipped", message=f"incomplete: {s.note or 'the budget ran out'}")
                    n["skipped"] += 1
            for k, v in n.items():
                suite.set(k, str(v))
                totals[k] += v
            suite.set("time", f"{s.seconds:.3f}")
    for k, v in totals.items():
        suites.set(k, str(v))
    suites.set("time", f"{c.seconds:.3f}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def write_all(c: Campaign) -> dict[str, Path]:
    """Write summary.md, index.html, junit.xml and campaign.json under the campaign's out directory."""
    out = c.out
    paths = {"summary": out / "summary.md", "index": out / "index.html", "junit": out / "junit.xml",
             "json": out / "campaign.json"}
    write_text_atomic(paths["summary"], summary_md(c))
    write_text_atomic(paths["index"], index_html(c))
    write_text_atomic(paths["junit"], junit_xml(c))
    write_json_atomic(paths["json"], c.to_json())
    return paths
