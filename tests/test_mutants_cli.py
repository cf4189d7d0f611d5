"""`poolcheck mutants` (the kill matrix as a command) and user variants through the command line."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from model.params import Params
from model.variants import Model
from poolcheck import killmatrix
from poolcheck.cli import main
from poolcheck.commands import mutants as mutants_cmd
from poolcheck.killmatrix import Cell, KillMatrix, Row

pytestmark = pytest.mark.quality

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "my_variant.py"


def _json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    out = capsys.readouterr().out
    d = json.loads(out)
    assert isinstance(d, dict)
    return d


def test_mutants_json_lists_every_mutant_with_its_cells(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["mutants", "--engines", "sample", "--no-reference", "--json", "--out", str(tmp_path)])
    d = _json(capsys)
    names = {m.name for m in killmatrix.mutants()}
    rows = d["mutants"]
    assert isinstance(rows, list)
    assert {r["name"] for r in rows} == names
    for r in rows:
        cell = r["cells"]["sample"]
        assert cell["status"] in ("killed", "survived")
        if r["equivalent"]:
            assert cell["status"] == "survived" and r["verdict"] == "equivalent"
        else:
            assert cell["status"] == "killed" and r["verdict"] == "killed", r
            assert cell["property"] in r["expected"] and cell["length"] > 0 and cell["seconds"] >= 0
            assert Path(cell["counterexample"]).is_file()
    score = d["score"]
    assert isinstance(score, dict) and score["score"] == 1.0
    assert rc == 0 and d["ok"] is True
    assert (tmp_path / "mutants.md").is_file() and (tmp_path / "mutants.json").is_file()
    assert json.loads((tmp_path / "mutants.json").read_text())["score"] == score


def test_mutants_markdown_has_the_matrix_and_the_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["mutants", "--engines", "sample", "--only", "push-no-typ-check,get-keeps-private", "--out",
               str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0
    md = (tmp_path / "mutants.md").read_text()
    assert "| `push-no-typ-check` | dequeue | D3, D7 | killed D" in md
    assert "| `reference` | all |" in md and "clean" in md
    assert "Mutation score: 2/2 = 100%" in md and md.strip() in out


class _Survivor(Model):
    name = "fake-survivor"
    layer = "dequeue"
    kind = "mutant"
    description = "the reference, posing as a mutant: no property can catch it"
    expected = ("D3",)
    witness = ("dequeue", "push | tail", Params(size=2))


def test_a_surviving_mutant_makes_the_command_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    fake = lambda names=None: [_Survivor]  # noqa: E731
    monkeypatch.setattr(killmatrix, "mutants", fake)
    monkeypatch.setattr(mutants_cmd, "mutants", fake)
    rc = main(["mutants", "--engines", "sample", "--no-reference", "--json", "--out", str(tmp_path)])
    d = _json(capsys)
    assert rc == 1 and d["ok"] is False
    assert any("fake-survivor survived" in p for p in d["problems"])  # type: ignore[union-attr]


def test_a_flagged_reference_or_a_refuted_equivalence_is_a_problem() -> None:
    class Eq(_Survivor):
        name = "fake-equivalent"
        expected = ()
        equivalent = True
        description = "EQUIVALENT: argued, but wrongly"

    ref = Row(Model, {"sample": Cell("sample", "killed", prop="D7", seconds=0.1, length=3)})
    km = KillMatrix(("sample",), "ci", [Row(Eq, {"sample": Cell("sample", "killed", prop="D3", properties={"D3": {}})})],
                    ref, {"sample": ""})
    probs = km.problems()
    assert not km.ok
    assert any("reference is flagged by sample" in p for p in probs)
    assert any("fake-equivalent is declared equivalent" in p for p in probs)
    assert km.score == 1.0  # no non-equivalent mutant: nothing to kill


@pytest.mark.parametrize("argv,fragment", [
    (["mutants", "--engines", "nope"], "--engines"),
    (["mutants", "--engines", "sample", "--only", "no-such-mutant"], "unknown mutant"),
    (["mutants", "--budget", "forever"], "invalid choice"),
])
def test_bad_usage_exits_2_with_one_line(argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        rc = main(argv)
    except SystemExit as e:  # argparse's own errors
        rc = int(e.code or 0)
    err = capsys.readouterr().err
    assert rc == 2
    assert fragment in err and "Traceback" not in err


# -- user variants through the command line ------------------------------------
STAGE = "explore" if importlib.util.find_spec("proofs.explore") is not None else "sample"


def _verify(spec: str, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, set[str], dict[str, object]]:
    rc = main(["verify", "--variant", spec, "--stage", STAGE, "--json", "--out", str(out)])
    d = _json(capsys)
    text = json.dumps(d)
    props = set(re.findall(r'"property": "([A-Z][0-9]+)"', text))
    return rc, props, d


def test_verify_accepts_a_variant_file_outside_the_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """RestartFromTail is a correct design: verify finds exactly what it finds on the reference (nothing, once the
    reference is clean), so the file spec goes through the whole command."""
    rc, props, d = _verify(f"{EXAMPLE}:RestartFromTail", tmp_path / "mine", capsys)
    assert "my_variant.py:RestartFromTail" in json.dumps(d)
    ref_rc, ref_props, _ = _verify("reference", tmp_path / "ref", capsys)
    assert (rc, props) == (ref_rc, ref_props)


def test_verify_reports_the_broken_example_design(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, props, _ = _verify(f"{EXAMPLE}:GiveUpPopTail", tmp_path, capsys)
    assert rc == 1 and "D5" in props


BROKEN = {
    "missing.py": None,
    "syntax.py": "class Mine(:\n",
    "raises.py": "import no_such_module_anywhere\n",
    "nometa.py": "from model.variants import Model\nclass Mine(Model):\n    name = 'mine'\n    kind = 'design'\n",
    "notmodel.py": "class Mine:\n    pass\n",
}


@pytest.mark.parametrize("fname,fragment", [
    ("missing.py", "does not exist"),
    ("syntax.py", "importing"),
    ("raises.py", "no_such_module_anywhere"),
    ("nometa.py", "`description`"),
    ("notmodel.py", "not a subclass"),
])
@pytest.mark.parametrize("command", ["verify", "explore"])
def test_a_bad_variant_file_is_a_clear_error_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         fname: str, fragment: str, command: str) -> None:
    f = tmp_path / fname
    text = BROKEN[fname]
    if text is not None:
        f.write_text(text)
    argv = [command, "--variant", f"{f}:Mine", "--out", str(tmp_path / "out")]
    if command == "explore":
        if not (ROOT / "poolcheck" / "commands" / "explore.py").is_file():
            pytest.skip("poolcheck explore is not there yet")
        argv[1:1] = ["dequeue", "push | tail"]
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("poolcheck: error:") and fragment in lines[0], err


# -- the engines' contracts: the matrix reads the engines' own result types (the engine call replaced) -------------
def _proof(name: str, prop: str, result: str, seconds: float, expected: str = "proved") -> object:
    from proofs.smt.prove import ProofResult
    return ProofResult(name, "bmc", result, expected, seconds, "", 4, None, prop)


def test_prove_cells_follow_the_run_all_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    import proofs.smt.prove as pv

    def run_all(only: object = None, model: type[Model] = Model, budget: str = "ci",
                progress: object = None) -> list[object]:
        if model.name == "get-keeps-private":
            return [_proof("lemma-a", "D1", "proved", 0.5), _proof("pool-bmc", "P1", "counterexample", 0.25),
                    _proof("expected-cx", "D5", "counterexample", 0.1, expected="counterexample")]
        if model.name == "push-no-typ-check":
            return [_proof("lemma-a", "D1", "n/a", 0.0)]
        return [_proof("lemma-a", "D1", "proved", 0.5), _proof("expected-cx", "D5", "counterexample", 0.1,
                                                               expected="counterexample")]
    monkeypatch.setattr(pv, "run_all", run_all)
    km = killmatrix.kill_matrix(engines=("prove",), only=["get-keeps-private", "push-no-typ-check",
                                                         "full-check-off-by-one"], out=None)
    cells = {r.name: r.cells["prove"] for r in km.rows}
    assert cells["get-keeps-private"].status == "killed" and cells["get-keeps-private"].prop == "P1"
    assert cells["get-keeps-private"].seconds == pytest.approx(0.75) and cells["get-keeps-private"].length == 4
    assert cells["push-no-typ-check"].status == "n/a"
    assert cells["full-check-off-by-one"].status == "survived"
    assert km.reference.cells["prove"].status == "survived" and km.reference.verdict == "clean"
    assert not km.ok and any("push-no-typ-check survived" in p for p in km.problems())


def test_go_tests_cells_follow_the_run_go_tests_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    import properties.conformance.gomutants as gm

    def res(name: str, killed: bool, test: str | None, status: str) -> gm.GoTestResult:
        return gm.GoTestResult(name, killed, test, 1.5, "", status)

    def run_go_tests(name: str, race: bool = False, short: bool = True) -> gm.GoTestResult | None:
        return {"get-keeps-private": res(name, True, "TestPool", "killed"),
                "poptail-no-zero": res(name, True, "TestPoolDequeue", "timeout"),
                "reference": res(name, False, None, "survived")}.get(name)
    monkeypatch.setattr(gm, "run_go_tests", run_go_tests)
    km = killmatrix.kill_matrix(engines=("go-tests",), only=["get-keeps-private", "poptail-no-zero",
                                                            "two-producers"], out=None)
    cells = {r.name: r.cells["go-tests"] for r in km.rows}
    assert cells["get-keeps-private"].killed and cells["get-keeps-private"].prop == "TestPool"
    assert cells["poptail-no-zero"].prop == "TestPoolDequeue timeout"
    assert cells["two-producers"].status == "n/a"
    assert {r.name: r.verdict for r in km.rows}["get-keeps-private"] == "killed"  # a Go test name is no property id
    assert km.reference.verdict == "clean"
