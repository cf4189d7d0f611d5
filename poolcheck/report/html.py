"""report.html: one self-contained page per counterexample (no network: inline CSS, SVG and a little JS).

Left, the swimlane: one lane per thread, one row per scheduling point, each
step with its Go statement and the value it read or wrote; the violating step
is red, the steps touching the value or location involved are amber. Right,
the shared state after the selected row (hover or click a row, or use the
arrow keys): every dequeue's headTail decoded as head and tail and its ring
drawn slot by slot, then the other blocks' fields. The replay command closes
the page. Without JavaScript the page still shows the state after the
violating step.
"""

from __future__ import annotations

from html import escape

from poolcheck.report import BlockView, Line, Report, Row

__all__ = ["render", "LANE_COLOURS"]

LANE_COLOURS = ("#2563eb", "#059669", "#9333ea", "#d97706", "#db2777", "#0891b2", "#65a30d", "#475569")

_CSS = """
:root{--bg:#f6f7f9;--card:#fff;--ink:#1f2937;--mute:#6b7280;--line:#e5e7eb;--bad:#dc2626;--badbg:#fef2f2;
--warn:#b45309;--warnbg:#fffbeb;--sel:#dbeafe;--live:#dcfce7;--liveink:#166534;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header{padding:10px 22px 8px;background:var(--card);border-bottom:1px solid var(--line)}
.crumb{color:var(--mute);font-size:12px;letter-spacing:.02em}
h1{margin:2px 0 6px;font-size:20px;font-weight:650}
h1 .pid{display:inline-block;background:var(--bad);color:#fff;border-radius:6px;padding:0 8px;margin-right:4px}
h1 code{font-size:18px}
.verdict{margin:4px 0 6px;padding:6px 12px;background:var(--badbg);border-left:4px solid var(--bad);border-radius:4px;
font-size:15px}
.meta{margin:2px 0 0;color:#374151;font-size:13px}
.meta b{font-weight:600}.src{color:var(--mute)}
code,.go{font-family:var(--mono);font-size:12px}
.go{white-space:nowrap}.go.long{white-space:normal}
main{display:grid;grid-template-columns:minmax(0,1fr) 360px;gap:16px;padding:12px 22px;align-items:start}
table.lanes{width:100%;border-collapse:separate;border-spacing:0;background:var(--card);border:1px solid var(--line);
border-radius:8px;table-layout:fixed}
.lanes th{position:sticky;top:0;background:var(--card);text-align:left;font-weight:600;padding:7px 8px;
border-bottom:2px solid var(--line);z-index:1}
.lanes th small{display:block;font-weight:400;color:var(--mute);font-family:var(--mono);font-size:11px}
.lanes th.num,.lanes td.num{width:46px;text-align:right;color:var(--mute);font-variant-numeric:tabular-nums}
.lanes td{padding:1px 5px;vertical-align:top;border-bottom:1px solid #f1f3f5}
.lanes td.lane{border-left:3px solid var(--lc)}
tr.row{cursor:pointer}
tr.row:hover td,tr.row.sel td{background:var(--sel)}
.card{padding:2px 6px;border-radius:5px;line-height:1.35}
tr.involved .card{background:var(--warnbg);box-shadow:inset 0 0 0 1px #fcd34d}
tr.violation .card{background:var(--badbg);box-shadow:inset 0 0 0 2px var(--bad)}
tr.violation td.num{color:var(--bad);font-weight:700}
tr.involved td.num{color:var(--warn);font-weight:700}
.ln{word-break:break-word}
.sil{color:var(--mute);font-size:11px;font-family:var(--mono);line-height:1.3}
.s1+.s1:before{content:" · "}
.sn{color:#9ca3af;font-size:10px;margin-right:3px;font-family:system-ui,sans-serif}
.sil .val{font-size:11px;color:var(--mute);background:none}
.op{display:inline-block;font-weight:650;font-size:12px;color:#fff;background:var(--lc);border-radius:4px;padding:0 5px;
margin-right:4px}
.fn{color:var(--mute);font-size:12px}
.loc{color:var(--mute);font-family:var(--mono);font-size:11px;margin-left:5px}
.val{font-family:var(--mono);font-size:12px;color:#0f5132;background:#ecfdf5;border-radius:3px;padding:0 3px;margin-left:4px;
white-space:nowrap}
.ret{font-family:var(--mono);font-size:12px;font-weight:700;margin-left:4px;color:var(--lc);white-space:nowrap}
aside{position:sticky;top:10px;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px;
max-height:calc(100vh - 20px);overflow:auto}
.ptitle{font-weight:600;margin-bottom:2px}
.pwhat{color:var(--mute);font-size:12px;margin-bottom:8px;font-family:var(--mono);word-break:break-word}
.blk{margin:8px 0;padding:6px 8px;border:1px solid var(--line);border-radius:6px}
.blk.dropped{border-color:var(--bad);background:var(--badbg)}
.bname{font-weight:650}.bname .tag{font-weight:500;font-size:11px;color:#fff;background:var(--bad);border-radius:3px;
padding:0 4px;margin-left:6px}
.ht{font-family:var(--mono);font-size:12px;margin:2px 0 4px}
.ht.chg,.fv.chg{color:#c2410c;font-weight:700}
.fields{border-collapse:collapse;font-size:12px;width:100%}
.fields td{padding:1px 4px;border-top:1px solid #f3f4f6;font-family:var(--mono)}
.fields td:first-child{color:var(--mute);width:45%}
.legend{margin-top:10px;font-size:12px;color:var(--mute)}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;vertical-align:middle;margin:0 3px 0 8px}
footer{padding:4px 22px 18px;color:#374151}
.replay{margin-top:10px;padding-top:8px;border-top:1px solid var(--line);font-size:12px}
.replay code{display:block;margin:2px 0 6px;background:#f3f4f6;border-radius:4px;padding:3px 6px;user-select:all;
word-break:break-all}
.notes{color:var(--warn);font-size:13px;margin:4px 0 0}
svg text{font-family:var(--mono)}
"""

_JS = """
(function(){
  var rows=[].slice.call(document.querySelectorAll('tr.row'));
  var states=[].slice.call(document.querySelectorAll('.state'));
  var table=document.querySelector('table.lanes');
  var pinned=+document.body.getAttribute('data-initial'), shown=-1;
  function stateFor(i){
    for(var j=i;j>=0;j--){var s=document.getElementById('state-'+j); if(s) return s;}
    return null;
  }
  function show(i){
    if(i===shown||i<0||i>=rows.length) return;
    shown=i;
    rows.forEach(function(r,k){ r.classList.toggle('sel', k===i); });
    var st=stateFor(i);
    states.forEach(function(s){ s.hidden=(s!==st); });
  }
  rows.forEach(function(r,k){
    r.addEventListener('mouseenter',function(){ show(k); });
    r.addEventListener('click',function(){ pinned=k; show(k); });
  });
  if(table) table.addEventListener('mouseleave',function(){ show(pinned); });
  document.addEventListener('keydown',function(e){
    var d=(e.key==='ArrowDown'||e.key==='j')?1:(e.key==='ArrowUp'||e.key==='k')?-1:0;
    if(!d) return;
    pinned=Math.max(0,Math.min(rows.length-1,pinned+d)); show(pinned);
    rows[pinned].scrollIntoView({block:'nearest'}); e.preventDefault();
  });
  shown=-1; show(pinned);
  document.body.setAttribute('data-ready','1');
})();
"""


def _e(s: object) -> str:
    return escape(str(s), quote=True)


def _line(ln: Line, show_fn: bool) -> str:
    parts = []
    if ln.op_start:
        parts.append(f'<span class="op">{_e(ln.op)}</span>')
    if ln.func and show_fn:
        parts.append(f'<span class="fn">{_e(ln.func)}:</span> ')
    title = f"step {ln.step}: {ln.file + ':' if ln.file else ''}{ln.func} · {ln.effect} {ln.location}".strip()
    cls = "go long" if len(ln.stmt) > 44 else "go"
    parts.append(f'<code class="{cls}" title="{_e(title)}">{_e(ln.stmt)}</code>')
    if ln.goline:
        parts.append(f'<span class="fn">{_e(ln.goline)}</span>')
    if "[" in ln.location:  # a slot, a poolLocal, a pinned flag: say which one
        parts.append(f'<span class="loc">{_e(ln.location)}</span>')
    if ln.value:
        parts.append(f'<span class="val">{_e(ln.value)}</span>')
    if ln.ret is not None:
        parts.append(f'<span class="ret">⇒ {_e(ln.ret)}</span>')
    return f'<div class="ln">{"".join(parts)}</div>'


def _silent(ln: Line) -> str:
    title = f"step {ln.step}: {ln.file + ':' if ln.file else ''}{ln.func} · {ln.effect} {ln.location}"
    val = f' <span class="val">{_e(ln.value)}</span>' if ln.value else ""
    ret = f' <span class="ret">⇒ {_e(ln.ret)}</span>' if ln.ret is not None else ""
    return f'<span class="s1" title="{_e(title)}"><span class="sn">{ln.step}</span>{_e(ln.stmt)}{val}{ret}</span>'


_OP_FUNC = {"push": "pushHead", "push:nil": "pushHead", "pop": "popHead", "tail": "popTail", "put": "Put", "get": "Get"}


def _row(rep: Report, r: Row, prev_fn: dict[int, str]) -> str:
    """One row; ``prev_fn`` (thread -> Go function of its last row) drops repeated function names."""
    cells = []
    first = r.lines[0]
    if first.op_start:
        word = first.op.split("(")[0]
        show_fn = _OP_FUNC.get(word) != first.func
    else:
        show_fn = prev_fn.get(r.tid) != first.func
    prev_fn[r.tid] = r.lines[-1].func
    for t in rep.threads:
        colour = LANE_COLOURS[t.tid % len(LANE_COLOURS)]
        inner = ""
        if t.tid == r.tid:
            inner = '<div class="card">' + _line(first, show_fn)
            if len(r.lines) > 1:
                inner += '<div class="sil">' + "".join(_silent(ln) for ln in r.lines[1:]) + "</div>"
            inner += "</div>"
        cells.append(f'<td class="lane" style="--lc:{colour}">{inner}</td>')
    cls = f"row {r.mark}".strip()
    return f'<tr class="{cls}" data-row="{r.index}"><td class="num">{r.first}</td>{"".join(cells)}</tr>'


def _ring_svg(b: BlockView) -> str:
    n = len(b.slots)
    if not n:
        return ""
    w = max(26, min(64, 300 // n))
    h = 34
    pad = 30  # room for the head/tail labels under the first and last slots
    width = n * w + 2 * pad
    out = [f'<svg width="{width}" height="{h + 34}" viewBox="0 0 {width} {h + 34}" role="img" '
           f'aria-label="{_e(b.name)} ring">']
    head_i = b.head & (n - 1)
    tail_i = b.tail & (n - 1)
    for s in b.slots:
        x = pad + s.index * w
        fill = "#dcfce7" if s.live else "#ffffff"
        stroke = "#ea580c" if s.changed else "#9ca3af"
        sw = 2.5 if s.changed else 1
        out.append(f'<rect x="{x}" y="14" width="{w - 4}" height="{h - 8}" rx="4" fill="{fill}" stroke="{stroke}" '
                   f'stroke-width="{sw}"/>')
        txt = s.text if s.text else "·"
        colour = "#166534" if s.live else "#374151" if s.text else "#9ca3af"
        size = 13 if len(txt) <= 4 else 10
        out.append(f'<text x="{x + (w - 4) / 2}" y="{14 + (h - 8) / 2 + 4}" text-anchor="middle" font-size="{size}" '
                   f'fill="{colour}" font-weight="600">{_e(txt)}</text>')
        out.append(f'<text x="{x + (w - 4) / 2}" y="10" text-anchor="middle" font-size="9" fill="#6b7280">'
                   f'[{s.index}]</text>')
    if head_i != tail_i:
        marks = [(head_i, "head"), (tail_i, "tail")]
    else:
        marks = [(head_i, "head = tail" if b.head == b.tail else "head, tail")]
    for i, label in marks:
        xm = pad + i * w + (w - 4) / 2
        y0 = h + 8
        colour = "#2563eb" if label.startswith("head") else "#9333ea"
        out.append(f'<path d="M{xm} {y0} l-4 6 h8 z" fill="{colour}"/>')
        out.append(f'<text x="{xm}" y="{y0 + 17}" text-anchor="middle" font-size="10" fill="{colour}">{label}</text>')
    out.append("</svg>")
    return "".join(out)


def _block(b: BlockView) -> str:
    if b.kind == "dequeue":
        tag = "" if b.reachable else '<span class="tag">dropped: unreachable</span>'
        cls = "blk" if b.reachable else "blk dropped"
        ht = (f'<div class="ht{" chg" if b.head_tail_changed else ""}">head {b.head} · tail {b.tail} '
              f'· {b.count} in [tail, head)</div>')
        flds = ""
        if b.fields:
            flds = '<table class="fields">' + "".join(
                f'<tr><td>{_e(f)}</td><td class="fv{" chg" if c else ""}">{_e(t)}</td></tr>' for f, t, c in b.fields
            ) + "</table>"
        return f'<div class="{cls}"><div class="bname">{_e(b.name)}{tag}</div>{ht}{_ring_svg(b)}{flds}</div>'
    rows = "".join(f'<tr><td>{_e(f)}</td><td class="fv{" chg" if c else ""}">{_e(t)}</td></tr>'
                   for f, t, c in b.fields)
    return f'<div class="blk"><div class="bname">{_e(b.name)}</div><table class="fields">{rows}</table></div>'


def _state(rep: Report, r: Row, initial: int) -> str:
    if r.state is None:
        return ""
    who = rep.threads[r.tid].name if r.tid < len(rep.threads) else f"T{r.tid}"
    last = r.lines[-1]
    hidden = "" if r.index == initial else " hidden"
    return (f'<div class="state" id="state-{r.index}"{hidden}><div class="ptitle">Shared state after step '
            f'{last.step} <span class="fn">({_e(who)})</span></div><div class="pwhat">{_e(r.lines[0].go)}</div>'
            + "".join(_block(b) for b in r.state) + "</div>")


def render(rep: Report) -> str:
    cx = rep.cx
    initial = rep.violating_row if rep.violating_row is not None else (rep.rows[-1].index if rep.rows else 0)
    if rep.rows and rep.rows[initial].state is None:  # show the nearest earlier row that has a state
        initial = max((r.index for r in rep.rows if r.state is not None and r.index <= initial), default=initial)
    heads = "".join(
        f'<th style="--lc:{LANE_COLOURS[t.tid % len(LANE_COLOURS)]};border-bottom-color:'
        f'{LANE_COLOURS[t.tid % len(LANE_COLOURS)]}">{_e(t.name)}<small>{_e(t.short)} · {_e(t.ops)}</small></th>'
        for t in rep.threads)
    prev_fn: dict[int, str] = {}
    body = "".join(_row(rep, r, prev_fn) for r in rep.rows)
    states = "".join(_state(rep, r, initial) for r in rep.rows)
    variant_desc = (f' — {_e(rep.variant_description)}' if rep.variant_description and cx.variant != "reference"
                    else "")
    notes = "".join(f'<p class="notes">Note: {_e(n)}</p>' for n in rep.notes)
    go = "".join(f'<p class="meta">{_e(t)}</p>' for t in rep.go_lines)
    on_go = f"<b>On the real Go code</b>:<code>{_e(rep.go_command)}</code>" if rep.on_go else ""
    checker = (f'<p class="meta"><b>The checker says:</b> {_e(rep.message)}</p>' if rep.message != rep.headline else "")
    source = f' <span class="src">({_e(rep.source)})</span>' if rep.source else ""
    legend = ('<div class="legend">Hover or click a step (↑/↓ move). '
              '<span class="sw" style="background:#fef2f2;box-shadow:inset 0 0 0 2px #dc2626"></span>violating step'
              '<span class="sw" style="background:#fffbeb;box-shadow:inset 0 0 0 1px #fcd34d"></span>touches the value '
              'or location involved<span class="sw" style="background:#dcfce7;border:1px solid #9ca3af"></span>slot in '
              '[tail, head)<span class="sw" style="border:2px solid #ea580c"></span>changed by this step</div>')
    title = f"{rep.prop} {rep.prop_name} · {cx.variant} · poolcheck"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}</style></head>
<body data-initial="{initial}" data-ready="0">
<header>
<div class="crumb">poolcheck counterexample · found by {_e(cx.engine)} · {rep.steps} steps · {len(rep.threads)} threads</div>
<h1><span class="pid">{_e(rep.prop)}</span> {_e(rep.prop_name)} violated on <code>{_e(cx.variant)}</code></h1>
<p class="verdict">{_e(rep.headline)}</p>
<p class="meta"><b>{_e(rep.prop)} {_e(rep.prop_name)}:</b> {_e(rep.statement)}{source}</p>
<p class="meta"><b>Scenario:</b> <code>{_e(rep.scenario_line)}</code> with {_e(rep.params_text)} · <b>variant</b>
<code>{_e(cx.variant)}</code>{variant_desc}</p>
{notes}
</header>
<main>
<section><table class="lanes"><thead><tr><th class="num">step</th>{heads}</tr></thead><tbody>{body}</tbody></table></section>
<aside>{states}{legend}
<div class="replay"><b>Replay</b> (exit 1 while {_e(rep.prop)} is violated):<code>{_e(rep.replay_command)}</code>
<b>Check a fix</b> (exit 0 once it holds):<code>{_e(rep.fix_command)}</code>
{on_go}{go}</div></aside>
</main>
<footer>{checker}</footer>
<script>{_JS}</script>
</body></html>
"""
