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
