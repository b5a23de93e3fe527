"""The flood gate, with the clock passed in."""

from __future__ import annotations

from handlers.flood import FloodGate


def test_allows_the_limit_then_refuses_until_the_window_moves() -> None:
    gate = FloodGate(limit=3, window=60)
    assert [gate.allow(1, t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert gate.allow(2, 3)  # another chat is not affected
    assert not gate.allow(1, 59.9)
    assert gate.allow(1, 60.5)  # the request at 0 has left the window


def test_warns_once_per_window() -> None:
    gate = FloodGate(limit=1, window=60)
    assert gate.should_warn(1, 0) and not gate.should_warn(1, 30)
    assert gate.should_warn(1, 61)


def test_idle_chats_are_dropped_when_many_are_tracked() -> None:
    gate = FloodGate(limit=5, window=60, max_chats=100)
    for chat in range(100):
        gate.allow(chat, 0)
    gate.allow(1000, 120)  # all others idle for two minutes
    assert set(gate._seen) == {1000}


def test_forget() -> None:
    gate = FloodGate(limit=1, window=60)
    gate.allow(1, 0)
    gate.forget(1)
    assert gate.allow(1, 1)
