"""The CLI keeps its promises (issue 13): Ctrl-C, --out, a user's broken variant, --json, replay's trust rule,
the explorer's limits, incomplete cells and campaigns, and the messages people read."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from model.params import Params
from model.variants import Model
from poolcheck import campaign, killmatrix
from poolcheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
D3 = ROOT / "tests" / "regressions" / "D3-push-no-typ-check.json"


@pytest.fixture(autouse=True)
def _no_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress lines go to stderr too; these tests count the error lines."""
    monkeypatch.setenv("POOLCHECK_PROGRESS", "off")


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        rc = main(argv)
    except SystemExit as e:  # argparse
        rc = int(e.code or 0)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("poolcheck: error:") and "Traceback" not in err
    return lines[0]


# -- Ctrl-C ------------------------------------------------------------------------------------------------------
def _interrupt(argv: list[str], tmp_path: Path, after: float = 3.0) -> tuple[int, float, str]:
    env = dict(os.environ, POOLCHECK_PROGRESS="off")
    p = subprocess.Popen([sys.executable, "-m", "poolcheck", *argv, "--out", str(tmp_path)], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    assert p.poll() is None, f"{argv} ended before the interrupt: {p.communicate()}"
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=30)
    finally:
        left = _leftovers(tmp_path)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        p.kill()
    assert not left, f"{argv}: processes left running after the interrupt: {left}"
    return p.returncode, time.monotonic() - t0, err


def _leftovers(tmp_path: Path) -> list[int]:
    """Processes still running this test's command (workers the interrupted poolcheck forked)."""
    out = []
    for d in (d for d in os.listdir("/proc") if d.isdigit()):
        try:
            cmd = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, ValueError, IndexError):
            continue
        if str(tmp_path) in cmd and state != "Z":
            out.append(int(d))
    return out


def test_ctrl_c_stops_the_explorer_within_2s_with_130(tmp_path: Path) -> None:
    rc, secs, err = _interrupt(["explore", "chain", "push push push push pop pop | tail tail tail | tail tail",
                                "--init-size", "1", "--max-states", "0", "--jobs", "1", "--core", "python"], tmp_path)
    assert rc == 130 and secs < 2.0 and err.strip().splitlines()[-1] == "poolcheck: interrupted", err


def test_ctrl_c_stops_z3_within_2s_with_130(tmp_path: Path) -> None:
    """Z3 installs its own SIGINT handler (a Ctrl-C becomes an 'unknown' result): it must not swallow it."""
    rc, secs, err = _interrupt(["prove", "--only", "L7,induction"], tmp_path, after=4.0)
    assert rc == 130 and secs < 2.0 and "poolcheck: interrupted" in err, err


def test_an_interrupted_campaign_is_never_a_pass(tmp_path: Path) -> None:
    rc, secs, err = _interrupt(["verify", "--stage", "mutants", "--json"], tmp_path)
    assert rc == 130 and secs < 2.0 and "poolcheck: interrupted" in err, err
    data = json.loads((tmp_path / "campaign.json").read_text()) if (tmp_path / "campaign.json").exists() else None
    if data is not None:  # written when the stage unwound within the grace period
        assert data["verdict"] == "incomplete" and data["interrupted"] is True


def test_sigint_is_blocked_before_any_library_loads() -> None:
    """poolcheck.cli imports only the standard library, so entry() blocks SIGINT before a library's thread starts."""
    from poolcheck import cli, common
    assert (cli.USAGE, cli.INTERRUPTED) == (common.USAGE, common.INTERRUPTED)
    code = "import sys, poolcheck.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in " \
           "('poolcheck', 'model', 'properties', 'proofs', 'numpy', 'z3', 'hypothesis')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['poolcheck', 'poolcheck.cli']"


def test_campaign_marks_the_interrupted_stage_incomplete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(ctx: campaign.Context, bar: object) -> campaign.StageResult:
        raise KeyboardInterrupt
    never = campaign.Stage("later", "later", "never runs", None, interrupted)
    monkeypatch.setattr(campaign, "STAGES", [campaign.Stage("cut", "cut", "cut short", None, interrupted), never])
    c = campaign.run([Model], out=tmp_path, progress=False)
    assert c.interrupted and c.verdict == "incomplete" and c.exit_status == 3
    assert [s.stage for s in c.runs[0].stages] == ["cut"] and c.runs[0].stages[0].status == "incomplete"


# -- --out, before any work, on every command -----------------------------------------------------------------
COMMANDS_WITH_OUT = [
    ["explore", "dequeue", "push | tail", "--size", "2"],
    ["fuzz", "--examples", "1"],
    ["prove", "--only", "L1"],
    ["mutants", "--only", "push-no-typ-check"],
    ["verify", "--stage", "sample"],
    ["study", "padding"],
    ["variants"],
    ["conform", "--examples", "1"],
    ["replay", str(D3)],
]


@pytest.mark.parametrize("argv", COMMANDS_WITH_OUT, ids=lambda a: a[0])
@pytest.mark.parametrize("where", ["file", "devnull", "unwritable", "under-a-file"])
def test_out_is_checked_before_any_work(argv: list[str], where: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "a-file"
    f.write_text("x")
    out = {"file": str(f), "devnull": os.devnull, "unwritable": "/proc/poolcheck-reports",
           "under-a-file": str(f / "sub")}[where]
    t0 = time.monotonic()
    rc, _, err = _run([*argv, "--out", out], capsys)
    assert rc == 2 and "--out" in _one_line(err)
    assert time.monotonic() - t0 < 5.0


# -- a user's variant that breaks ---------------------------------------------------------------------------
BAD_VARIANTS = textwrap.dedent('''
    import sys
    from model.params import Params
    from model.variants import Model
    from model.poolqueue import PoolDequeue

    class RaiseDeq(PoolDequeue):
        def push_head(self, val):
            raise RuntimeError("boom")
            yield

    class NotGenDeq(PoolDequeue):
        def push_head(self, val):
            return True

    class NonEffectDeq(PoolDequeue):
        def push_head(self, val):
            yield 42
            return True

    class ExitDeq(PoolDequeue):
        def push_head(self, val):
            sys.exit(3)
            yield

    class PrintDeq(PoolDequeue):
        def push_head(self, val):
            print("hello from the variant")
            return (yield from PoolDequeue.push_head(self, val))

    def _m(name, deq):
        return type(name, (Model,), {"name": name.lower(), "layer": "dequeue", "description": name,
                                     "kind": "mutant", "expected": ("D3",), "PoolDequeue": deq,
                                     "witness": ("dequeue", "push pop | tail", Params(size=2))})

    Raise = _m("Raise", RaiseDeq)
    NotGen = _m("NotGen", NotGenDeq)
    NonEffect = _m("NonEffect", NonEffectDeq)
    Exit = _m("Exit", ExitDeq)
    Print = _m("Print", PrintDeq)
''')


@pytest.fixture
def bad_variants(tmp_path: Path) -> Path:
    f = tmp_path / "bad_variants.py"
    f.write_text(BAD_VARIANTS)
    (tmp_path / "exits_at_import.py").write_text("import sys\nsys.exit(0)\n")
    (tmp_path / "loops_at_import.py").write_text("while True:\n    pass\n")
    (tmp_path / "raises_at_import.py").write_text("raise ImportError('no such thing')\n")
    return f


@pytest.mark.parametrize("cls,fragment", [
    ("Raise", "RaiseDeq.push_head raised RuntimeError: boom"),
    ("NotGen", "NotGenDeq.push_head is not a generator function"),
    ("NonEffect", "NonEffectDeq.push_head yielded something that is not an effect"),
    ("Exit", "ExitDeq.push_head raised sys.exit(3)"),
])
@pytest.mark.parametrize("command", [["explore", "dequeue", "push pop | tail", "--size", "2"],
                                     ["mutants", "--engines", "sample", "--no-reference", "--only"]],
                         ids=["explore", "mutants"])
def test_a_broken_variant_is_exit_2_naming_variant_and_function(bad_variants: Path, cls: str, fragment: str,
                                                               command: list[str], tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    spec = f"{bad_variants}:{cls}"
    argv = [*command, spec] if command[0] == "mutants" else [*command, "--variant", spec]
    rc, out, err = _run([*argv, "--out", str(tmp_path / "out")], capsys)
    line = _one_line(err)
    assert rc == 2 and spec in line and fragment in line, line


@pytest.mark.parametrize("module,fragment", [("exits_at_import", "called sys.exit(0)"),
                                             ("loops_at_import", "did not finish within"),
                                             ("raises_at_import", "ImportError: no such thing")])
def test_a_variant_module_that_breaks_at_import_is_exit_2(bad_variants: Path, module: str, fragment: str,
                                                          tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from poolcheck.engine import guard
    monkeypatch.setattr(guard, "IMPORT_SECONDS", 1.0)
    monkeypatch.setattr(guard.load_variant, "__defaults__", (1.0,))
    spec = f"{bad_variants.parent / module}.py:X"
    rc, _, err = _run(["explore", "dequeue", "push | tail", "--size", "2", "--variant", spec, "--out",
                       str(tmp_path / "out")], capsys)
    line = _one_line(err)
    assert rc == 2 and spec in line and fragment in line, line


def test_print_in_a_variant_does_not_corrupt_json(bad_variants: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(["explore", "dequeue", "push pop | tail", "--size", "2", "--variant",
                         f"{bad_variants}:Print", "--json", "--out", str(tmp_path / "out")], capsys)
    d = json.loads(out)
    assert rc == 0 and d["verdict"] == "pass" and d["command"] == "explore" and d["exit_status"] == 0
    assert "hello from the variant" in err and "hello" not in out


# -- replay imports nothing the user did not name --------------------------------------------------------------
def _trace(tmp: Path, **changes: object) -> str:
    d = json.loads(D3.read_text())
    d.update(changes)
    p = tmp / f"t{len(list(tmp.iterdir()))}.json"
    p.write_text(json.dumps(d))
    return str(p)


def test_replay_does_not_import_a_file_named_in_the_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    planted = tmp_path / "planted.py"
    marker = tmp_path / "imported"
    planted.write_text(f"open({str(marker)!r}, 'w').write('x')\nfrom model.variants import resolve\n"
                       f"X = resolve('push-no-typ-check')\n")
    t = _trace(tmp_path, variant=f"{planted}:X")
    rc, _, err = _run(["replay", t], capsys)
    assert rc == 2 and "--variant" in _one_line(err) and not marker.exists()
    rc, _, _ = _run(["replay", t, "--trust"], capsys)
    assert marker.exists() and rc == 1


@pytest.mark.parametrize("what", ["unknown property", "empty schedule", "binary", "deep"])
def test_replay_refuses_files_that_are_not_traces(what: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    if what == "unknown property":
        t = _trace(tmp_path, property="Z9")
    elif what == "empty schedule":
        t = _trace(tmp_path, schedule=[])
    elif what == "binary":
        t = str(tmp_path / "b.json")
        Path(t).write_bytes(bytes(range(256)) * 4)
    else:
        t = str(tmp_path / "deep.json")
        Path(t).write_text("[" * 100_000 + "]" * 100_000)
    rc, _, err = _run(["replay", t], capsys)
    assert rc == 2 and _one_line(err)


# -- the explorer's limits ------------------------------------------------------------------------------------
def test_explore_has_default_limits_and_zero_means_unbounded(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    rc, out, _ = _run(["explore", "dequeue", "push push pop | tail tail", "--size", "2", "--json", "--out",
                       str(tmp_path)], capsys)
    d = json.loads(out)
    assert rc == 0 and d["max_states"] == 5_000_000 and d["max_memory_mb"] == 4096
    rc, out, _ = _run(["explore", "dequeue", "push push pop | tail tail", "--size", "2", "--max-states", "0",
                       "--json", "--out", str(tmp_path)], capsys)
    assert rc == 0 and json.loads(out)["complete"] is True


def test_explore_memory_limit_is_incomplete_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc, out, _ = _run(["explore", "chain", "push push push push pop | tail tail | tail tail", "--init-size", "1",
                       "--max-memory", "1", "--json", "--out", str(tmp_path)], capsys)
    d = json.loads(out)
    assert rc == 3 and d["verdict"] == "incomplete" and any("memory limit 1 MB" in n for n in d["notes"])


def test_an_unfinished_kill_matrix_cell_is_incomplete_not_survived(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(killmatrix.BUDGETS, "ci", killmatrix.Budget(sample_runs=1, sample_seconds=1.0,
                                                                     reference_runs=1, explore_states=5,
                                                                     fuzz_examples=1))
    km = killmatrix.kill_matrix(engines=("explore",), only=["chain-next-after-pop"], out=None, reference=False)
    cell = km.rows[0].cells["explore"]
    assert cell.status == "incomplete" and km.rows[0].verdict == "incomplete" and km.ok


# -- messages -------------------------------------------------------------------------------------------------
def test_verify_headline_names_only_the_failed_variants(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(campaign, "SAMPLE_CONFIGS", [("dequeue", "push push push | tail tail", Params(size=2))])
    monkeypatch.setattr(campaign, "SAMPLE_RUNS", {"ci": 40, "thorough": 40})
    rc, out, _ = _run(["verify", "--stage", "sample", "--variant", "reference", "--variant", "push-no-typ-check",
                       "--out", str(tmp_path)], capsys)
    head = out.strip().splitlines()[-1]
    assert rc == 1 and head.startswith("FAIL push-no-typ-check:") and "reference" not in head.split(":")[0]


def test_c5_says_which_size_exceeds_which_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(["explore", "chain", "push push push push", "--init-size", "1", "--limit", "2", "--variant",
                       "grow-uncapped", "--json", "--out", str(tmp_path)], capsys)
    c5 = next(v for v in json.loads(out)["violations"] if v["property"] == "C5")
    assert rc == 1 and "size 4 exceeds the limit 2" in c5["message"] and "power of two" not in c5["message"]


def test_headlines_keep_the_case_of_go_names() -> None:
    from poolcheck.report import _sentence
    assert _sentence("d1.vals[0] is not zeroed") == "d1.vals[0] is not zeroed."
    assert _sentence("headTail is odd") == "headTail is odd."
    assert _sentence("value 3 was lost") == "Value 3 was lost."


@pytest.mark.parametrize("target,option", [("dequeue", ["--limit", "4"]), ("dequeue", ["--init-size", "2"]),
                                           ("dequeue", ["--procs", "2"]), ("dequeue", ["--new"]),
                                           ("chain", ["--size", "2"]), ("chain", ["--procs", "2"]),
                                           ("pool", ["--size", "2"])])
def test_an_option_the_target_ignores_is_an_error(target: str, option: list[str], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    scenario = {"dequeue": "push | tail", "chain": "push | tail", "pool": "put | get"}[target]
    rc, _, err = _run(["explore", target, scenario, *option, "--out", str(tmp_path)], capsys)
    line = _one_line(err)
    assert rc == 2 and f"{option[0]} is not used by the {target} target" in line


# -- progress without a terminal --------------------------------------------------------------------------------
def test_progress_without_a_terminal_is_one_line_per_stage_and_per_10s(monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from poolcheck import progress as pr
    monkeypatch.setenv("POOLCHECK_PROGRESS", "lines")
    now = [1000.0]
    monkeypatch.setattr(pr.time, "monotonic", lambda: now[0])
    bar = pr.Progress("explore")
    bar.stage("X1", 3)
    for _ in range(50):          # 50 updates within 9 s: no line
        now[0] += 0.18
        bar.update(1, states=10)
    now[0] += 1.5                # past 10 s since the stage line: one line
    bar.update(2, states=20)
    bar.update(2, states=21)
    bar.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "explore: X1 (3 units)" and len(lines) == 2
    assert lines[1].startswith("explore X1  2/3  states 20") and "\r" not in lines[1]


# -- the README's promises about options ----------------------------------------------------------------------
def test_every_command_takes_variant_json_out_as_the_readme_says() -> None:
    opts = {name: {o for a in p._actions for o in a.option_strings} for name, p in _parsers().items()}
    no_variant, no_out = {"variants", "study", "cluster"}, {"bench", "cluster"}
    for name, o in opts.items():
        assert "--json" in o, name
        assert ("--variant" in o) == (name not in no_variant), name
        assert ("--out" in o) == (name not in no_out), name
    readme = (ROOT / "README.md").read_text()
    assert "`variants`, `study` and `cluster` take none" in readme and "`bench` and `cluster` write no files" in readme



def _readme_commands() -> str:
    text = (ROOT / "README.md").read_text()
    return text[text.index("## Commands"):text.index("\n## ", text.index("## Commands") + 1)]


def _parsers() -> dict[str, argparse.ArgumentParser]:
    from poolcheck.cli import build_parser
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert isinstance(sub.choices, dict)
    return sub.choices


def _option(p: argparse.ArgumentParser, opt: str) -> argparse.Action | None:
    return next((a for a in p._actions if opt in a.option_strings), None)


def test_every_option_the_readme_commands_section_names_exists() -> None:
    """Each `poolcheck X ...` of the Commands section: X is a command, each --opt is X's, each `a|b` value is a
    choice of the option (or positional) it follows; each `--opt` with "(default N" in X's table row has default N."""
    section, parsers = _readme_commands(), _parsers()
    spans = [s.replace("\\|", "|") for s in re.findall(r"`(poolcheck [^`]+)`", section)]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `poolcheck (\w+).*$", section, re.M)}
    assert set(rows) == set(parsers), "every command has one row in the table, and every row is a command"
    checked = 0
    for span in spans:
        words = span.split()
        p = parsers[words[1]]
        for i, w in enumerate(words[2:], 2):
            w = w.strip("[]")
            if w.startswith("--"):
                assert _option(p, w) is not None, f"README: `{span}`: poolcheck {words[1]} has no {w}"
                checked += 1
            elif "|" in w:
                prev = words[i - 1].strip("[]")
                a = _option(p, prev) if prev.startswith("--") else next(
                    x for x in p._actions if not x.option_strings and x.dest != "help")
                assert a is not None, span
                # the values must be the choices argparse enforces, or (a positional checked by the command) the
                # ones its --help names
                known = set(a.choices) if a.choices else set(re.findall(r"\w+", a.help or ""))
                assert set(w.split("|")) <= known, (span, known)
                checked += 1
    for name, row in rows.items():
        for opt, default in re.findall(r"`(--[a-z-]+)`[^|]*?\(default ([0-9,]+)", row):
            a = _option(parsers[name], opt)
            assert a is not None and a.default == int(default.replace(",", "")), (name, opt)
            checked += 1
    assert checked >= 12


def test_the_readme_sentences_on_variant_json_and_out_are_true() -> None:
    """The prose above the table, parsed: who takes --variant once, repeatedly or not at all; --json everywhere;
    --out everywhere but the commands it names, default reports/ (replay: none, it writes only when given one)."""
    section, parsers = _readme_commands(), _parsers()
    flat = " ".join(section.split())

    def names(before: str) -> set[str]:
        m = re.search(r"((?:`\w+`(?:, | and ))*`\w+`) " + re.escape(before), flat)
        assert m, before
        return set(re.findall(r"`(\w+)`", m.group(1)))

    once, none = names("take one;"), names("take none (they list")
    repeated = names("takes it repeatedly (one campaign") | names("takes it repeatedly to add")
    no_out = names("write no files and take none")
    assert once | none | repeated == set(parsers) and not (once & none) and not (repeated & (once | none))
    for name, p in parsers.items():
        variant, out = _option(p, "--variant"), _option(p, "--out")
        assert _option(p, "--json") is not None, name
        assert (variant is None) == (name in none), name
        if variant is not None:
            assert isinstance(variant, argparse._AppendAction) == (name in repeated), name
        assert (out is None) == (name in no_out), name
        if out is not None:
            assert (out.default and Path(out.default)) == (None if name == "replay" else Path("reports")), name
    assert "`replay` writes only when given `--out`" in flat


def test_mutants_takes_your_own_mutant_by_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "my_mutant.py"
    f.write_text(textwrap.dedent('''
        from model.params import Params
        from model.variants import resolve

        Base = resolve("push-no-typ-check")

        class Mine(Base):
            name = "my-push-no-typ-check"
            description = "a copy of push-no-typ-check, kept outside the package"
    '''))
    for argv in (["--only", f"{f}:Mine"], ["--only", "push-no-typ-check", "--variant", f"{f}:Mine"]):
        rc, out, _ = _run(["mutants", "--engines", "sample", "--no-reference", *argv, "--json", "--out",
                           str(tmp_path / "out")], capsys)
        rows = {r["name"]: r for r in json.loads(out)["mutants"]}
        assert rows["my-push-no-typ-check"]["spec"] == f"{f}:Mine"
        assert rows["my-push-no-typ-check"]["verdict"] == "killed" and rc in (0, 1)
