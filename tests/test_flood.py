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
    gate.allow(1, 0)
    assert gate.should_warn(1, 0) and not gate.should_warn(1, 30)
    assert gate.should_warn(1, 61)


def test_idle_chats_are_dropped_as_others_come() -> None:
    gate = FloodGate(limit=5, window=60, max_chats=100)
    for chat in range(100):
        gate.allow(chat, 0)
    gate.allow(1000, 120)  # all others idle for two minutes
    assert gate.tracked() == [1000]


def test_the_cap_holds_with_60000_chats_and_the_least_recently_seen_go() -> None:
    gate = FloodGate(limit=20, window=60, max_chats=10_000)
    largest = 0
    for n in range(60_000):  # 60,000 chats within one window: none is idle
        gate.allow(n, n / 10_000)
        largest = max(largest, len(gate))
        if n == 5_000:
            gate.allow(7, 0.5)  # chat 7 comes back, and 10,000 newer chats evict it later
    assert largest == 10_000 and len(gate) == 10_000
    assert gate.tracked() == list(range(50_000, 60_000))
    # The chats still tracked keep their counts: chat 59,999 has made 1 of its 20 requests.
    assert [gate.allow(59_999, 6.0) for _ in range(20)] == [True] * 19 + [False]
    # A chat that was evicted starts again from nothing (the price of bounded memory).
    assert gate.allow(7, 6.0)
    assert len(gate) == 10_000 and gate.tracked()[-1] == 7


def test_a_busy_chat_seen_recently_is_not_evicted_by_a_crowd() -> None:
    gate = FloodGate(limit=3, window=60, max_chats=3)
    for t in (0, 1, 2):
        gate.allow(1, t)
    assert not gate.allow(1, 3)
    gate.allow(2, 4)
    assert not gate.allow(1, 5)  # seen again: the most recent
    gate.allow(3, 6)
    gate.allow(4, 7)  # the cap: chat 2, least recently seen, goes
    assert gate.tracked() == [1, 3, 4]
    assert not gate.allow(1, 8)


def test_a_warned_chat_is_warned_once_until_it_has_been_idle_a_window() -> None:
    gate = FloodGate(limit=1, window=60, max_chats=10)
    gate.allow(1, 0)
    assert not gate.allow(1, 1) and gate.should_warn(1, 1)
    assert not gate.allow(1, 50) and not gate.should_warn(1, 50)
    gate.allow(2, 200)  # chat 1 idle since 50: dropped, its warning with it
    assert gate.tracked() == [2]
    assert gate.allow(1, 201) and not gate.allow(1, 202) and gate.should_warn(1, 202)


def test_forget() -> None:
    gate = FloodGate(limit=1, window=60)
    gate.allow(1, 0)
    gate.forget(1)
    assert gate.allow(1, 1)
    assert len(gate) == 1
