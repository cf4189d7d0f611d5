"""The sequential specifications (properties/specs.py): deques and the Pool's P3/P4 semantics."""

from __future__ import annotations

import pytest

from properties.specs import BoundedDeque, DequeState, PoolSpec, UnboundedDeque

pytestmark = pytest.mark.hypothesis


@pytest.mark.parametrize("spec", [BoundedDeque(2), UnboundedDeque()], ids=["bounded", "unbounded"])
def test_deque_ends(spec: BoundedDeque | UnboundedDeque) -> None:
    """One generic body for both deques: pushHead appends at the head, popHead is LIFO, popTail FIFO."""
    s = spec.initial()
    for v in (1, None):
        ok, s = spec.push_head(s, v or 0, v)
        assert ok
    assert s.values() == [1, None]
    r, s2 = spec.pop_head(s)
    assert r == (None, True) and s2.values() == [1]
    r, s3 = spec.pop_tail(s)
    assert r == (1, True) and s3.values() == [None] and s3.tail == 1
    r, s4 = spec.pop_tail(s3)
    r, s5 = spec.pop_head(s4)
    assert r == (None, False) and s5 == s4


def test_bounded_deque_is_full_at_capacity() -> None:
    spec = BoundedDeque(2)
    s = spec.initial()
    for i in (1, 2):
        ok, s = spec.push_head(s, i, i)
        assert ok
    ok, s2 = spec.push_head(s, 3, 3)
    assert not ok and s2 == s
    with pytest.raises(ValueError, match="capacity"):
        BoundedDeque(0)


def test_unbounded_deque_never_full() -> None:
    spec = UnboundedDeque()
    s = DequeState()
    for i in range(100):
        ok, s = spec.push_head(s, i, i)
        assert ok
    assert len(s.items) == 100


def test_pool_get_follows_p4_order() -> None:
    """private, own shared head, other Ps' tails from pid+1, victim private of pid, victim tails from pid, nil."""
    ps = PoolSpec()
    s = ps.initial(gomaxprocs=3)
    for x in (1, 2, 3):   # P0: private 1, shared [2, 3]
        s = ps.put(s, 0, x)
    for x in (4, 5, 6):   # P2: private 4, shared [5, 6]
        s = ps.put(s, 2, x)
    got = []
    for _ in range(4):
        out = ps.get(s, 0)
        got.append((out.value, out.source))
        s = out.state
    assert got == [(1, "P0's private"), (3, "P0's shared head"), (2, "P0's shared head"),
                   (5, "P2's shared tail (stolen)")]
    out = ps.get(s, 1)   # P1 steals from P2 (pid+1) first
    assert (out.value, out.source) == (6, "P2's shared tail (stolen)")
    s = ps.gc(out.state)  # P2's private 4 goes to the victim
    out = ps.get(s, 2)
    assert (out.value, out.source) == (4, "victim P2's private")
    # P0 does not look at other Ps' victim privates: it finds the victim's chains empty and marks the
    # victim empty, after which nobody finds 4 until the next GC drops it.
    out = ps.get(s, 0)
    assert (out.value, out.source) == (None, "nil (victim marked empty)")
    assert ps.get(out.state, 2).value is None


def test_pool_victim_aging_and_marking() -> None:
    ps = PoolSpec()
    s = ps.initial(gomaxprocs=2)
    s = ps.put(s, 0, 1)
    s = ps.put(s, 0, 2)          # P0: private 1, shared [2]
    s = ps.gc(s)
    assert sorted(ps.all_held(s)) == [1, 2] and not ps.aged_out(s, 1)
    out = ps.get(s, 1)           # P1: nothing local; victim private of P1 empty; victim tails from P1: P0's 2
    assert (out.value, out.source) == (2, "victim P0's shared tail")
    s = ps.gc(out.state)         # a second GC drops what was put before the first
    assert ps.all_held(s) == [] and ps.aged_out(s, 1)
    out = ps.get(s, 0)
    assert out.value is None
    s = ps.put(out.state, 1, 3)
    s = ps.gc(s)
    out = ps.get(s, 0)           # victim private of P0 empty, P0 and P1 tails empty: marked empty
    assert (out.value, out.source) == (None, "nil (victim marked empty)")


def test_pool_resize_drops_local() -> None:
    """P6: a Get or Put on a P past the local array reallocates it; what it held is lost."""
    ps = PoolSpec()
    s = ps.initial(gomaxprocs=1)
    s = ps.put(s, 0, 1)
    s = ps.set_gomaxprocs(s, 2)
    s = ps.put(s, 1, 2)          # pid 1 >= len(local) = 1: pinSlow makes a new array of 2
    assert ps.all_held(s) == [2]
