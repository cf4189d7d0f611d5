"""P10 padding: sizeof(poolLocal) is a multiple of 128 on every GOARCH."""

from __future__ import annotations

import pytest

from model.layout import ARCHES, Arch, pad, sizeof_pool_local, sizeof_pool_local_internal


@pytest.mark.parametrize("a", ARCHES, ids=lambda a: a.goarch)
def test_pool_local_is_a_multiple_of_128(a: Arch) -> None:
    internal = 4 * a.ptr_size   # private (2 words) + shared.head + shared.tail
    assert sizeof_pool_local_internal(a) == internal
    assert pad(a) == 128 - internal % 128
    assert sizeof_pool_local(a) % 128 == 0
    assert 1 <= pad(a) <= 128


def test_known_sizes() -> None:
    by = {a.goarch: a for a in ARCHES}
    assert (sizeof_pool_local_internal(by["amd64"]), pad(by["amd64"])) == (32, 96)
    assert (sizeof_pool_local_internal(by["386"]), pad(by["386"])) == (16, 112)
    assert {"amd64", "arm64", "386", "arm", "ppc64le", "s390x", "riscv64", "wasm"} <= set(by)


def test_p10_predicate_holds_and_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    import properties.invariants as inv

    assert inv.p10_padding() == []
    # A layout rule that forgot the pad (e.g. padding to 64 on a 32-byte struct) must be reported.
    monkeypatch.setattr(inv, "sizeof_pool_local", lambda a: sizeof_pool_local_internal(a) + 32)
    bad = inv.p10_padding()
    assert {v.prop for v in bad} == {"P10"} and len(bad) == len(ARCHES)
