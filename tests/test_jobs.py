"""The job seam (poolcheck.jobs): inline, local processes and a Dask LocalCluster give the same results in order."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from poolcheck.jobs import Inline, Job, JobError, JobSpecError, Processes, executor, iter_chunks, parse_jobs, run_job

JOBS = [Job(f"j{i}", "json:dumps", {"obj": {"i": i, "sq": i * i}, "sort_keys": True}, cost=float(i % 3))
        for i in range(7)]
EXPECTED = [f'{{"i": {i}, "sq": {i * i}}}' for i in range(7)]


def test_parse_jobs_forms() -> None:
    assert parse_jobs("inline") == ("inline", None)
    assert parse_jobs("3") == ("processes", 3)
    assert parse_jobs("dask:127.0.0.1:8786") == ("dask", "tcp://127.0.0.1:8786")
    assert parse_jobs("dask:tcp://h:1") == ("dask", "tcp://h:1")
    assert parse_jobs(None)[0] == "processes"
    for bad in ("0", "-1", "two", "dask:", "1.5", ""):
        with pytest.raises(JobSpecError):
            parse_jobs(bad)


def test_one_process_runs_inline() -> None:
    assert isinstance(executor("1"), Inline)


def test_inline_and_processes_agree_in_submission_order() -> None:
    seen: list[str] = []
    inline = Inline().run(JOBS, lambda j, n, t: seen.append(j.key))
    assert inline == EXPECTED and seen == [j.key for j in JOBS]
    pool = Processes(2)
    try:
        done: list[int] = []
        assert pool.run(JOBS, lambda j, n, t: done.append(n)) == EXPECTED
        assert sorted(done) == list(range(1, 8))
    finally:
        pool.close()


def test_a_failing_job_names_itself() -> None:
    bad = [Job("ok", "json:dumps", {"obj": 1}), Job("broken", "json:loads", {"s": "{not json"})]
    with pytest.raises(JobError, match="job broken failed: JSONDecodeError"):
        Inline().run(bad)
    pool = Processes(2)
    with pytest.raises(JobError, match="job broken failed"):
        pool.run(bad)
    with pytest.raises(JobSpecError, match="not 'module:function'"):
        run_job("json.dumps", {})


def test_chunks_cover_the_range() -> None:
    assert [list(r) for r in iter_chunks(7, 3)] == [[0, 1, 2], [3, 4], [5, 6]]
    assert [list(r) for r in iter_chunks(2, 5)] == [[0], [1]]


def test_dask_local_cluster_agrees() -> None:
    distributed = pytest.importorskip("distributed", reason="the cluster extra: pip install -e '.[cluster]'")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        ex = executor(f"dask:{lc.scheduler_address}")
        try:
            assert ex.workers == 2
            assert ex.run(JOBS) == EXPECTED
            with pytest.raises(JobError, match="job broken failed"):
                ex.run([Job("broken", "json:loads", {"s": "{"})])
        finally:
            ex.close()


def test_unreachable_scheduler_is_one_line_exit_2() -> None:
    pytest.importorskip("distributed")
    r = subprocess.run([sys.executable, "-m", "poolcheck", "cluster", "local", "--workers", "0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--workers 0" in r.stderr


def test_bad_input_in_a_worker_is_bad_input_here() -> None:
    from poolcheck.jobs import JobInputError
    job = Job("broken variant", "poolcheck.engine:run_job",
              {"engine": "sample", "variant": "no-such-variant", "config": {"configs": []}, "budget": "ci"})
    for ex in (Inline(), Processes(2)):
        try:
            with pytest.raises(JobInputError, match="no-such-variant"):
                ex.run([job])
        finally:
            ex.close()


def test_fuzz_jobs_give_the_inline_output(tmp_path: Path) -> None:
    """poolcheck fuzz over targets x seeds: the same JSON (times aside) inline and on two processes."""
    def run(jobs: str) -> dict[str, object]:
        r = subprocess.run([sys.executable, "-m", "poolcheck", "fuzz", "--variant", "push-no-typ-check", "--target",
                            "dequeue", "--examples", "40", "--seeds", "2", "--jobs", jobs, "--json",
                            "--out", str(tmp_path / jobs)], capture_output=True, text=True, timeout=600)
        assert r.returncode == 1, r.stderr
        data = json.loads(r.stdout)
        return _untimed(data["result"] if "result" in data else data, tmp_path / jobs)
    assert run("inline") == run("2")


def _untimed(x: object, out: Path) -> object:
    if isinstance(x, dict):
        return {k: _untimed(v, out) for k, v in x.items()
                if k not in ("seconds", "time_to_first_violation", "elapsed", "argv", "started", "command")}
    if isinstance(x, list):
        return [_untimed(v, out) for v in x]
    if isinstance(x, str) and x.startswith(str(out)):
        return x[len(str(out)):]
    return x


def test_bench_configurations_as_jobs_give_the_inline_rows() -> None:
    def rows(extra: list[str]) -> list[tuple[object, ...]]:
        r = subprocess.run([sys.executable, "-m", "poolcheck", "bench", "--only", "E1,E2", "--without-reduction",
                            "E1", "--json", *extra], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        data = json.loads(r.stdout)
        return [(x["config"], x["reduction"], x["states"], x["transitions"], x["verdict"])
                for x in data.get("result", data)["rows"]]
    inline = rows([])
    assert [r[:2] for r in inline] == [("E1", True), ("E1", False), ("E2", True)]
    assert rows(["--config-jobs", "2"]) == inline
