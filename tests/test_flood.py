"""The flood gate's counting and the messages it holds, with the clock passed in."""

from __future__ import annotations

import pytest

from handlers import gate
from handlers.flood import (
    GROUP_MEMBER,
    IN_PLACE,
    PRIVATE,
    Allowance,
    FloodGate,
    LastMessages,
)


def test_sized_from_telegrams_limits() -> None:
    # About one message a second to a private chat, 20 a minute to a group.
    assert PRIVATE.per_second == 1.0 and GROUP_MEMBER.per_second * 60 == pytest.approx(20)
    assert IN_PLACE == 0.5


def test_a_private_chat_has_a_burst_then_one_a_second() -> None:
    flood = FloodGate()
    assert [flood.allow(1, 0.0) for _ in range(21)] == [True] * 20 + [False]
    assert flood.allow(2, 0.0)  # another chat is not affected
    assert flood.ready_at(1, 0.0) == pytest.approx(1.0)
    assert not flood.allow(1, 0.9)
    assert flood.allow(1, 1.0) and not flood.allow(1, 1.0)
    # A reader at one message a second, for ten minutes: never stopped.
    assert all(flood.allow(3, t) for t in range(600))


def test_a_press_that_edits_in_place_costs_half() -> None:
    flood = FloodGate()
    assert [flood.allow(1, 0.0, IN_PLACE) for _ in range(41)] == [True] * 40 + [False]
    # Two presses a second, for a minute: never stopped.
    assert all(flood.allow(2, t / 2, IN_PLACE) for t in range(120))


def test_a_group_member_has_the_groups_rate() -> None:
    flood = FloodGate()
    member, other = (-100, 1), (-100, 2)
    assert [flood.allow(member, 0.0) for _ in range(21)] == [True] * 20 + [False]
    assert flood.allow(other, 0.0)  # one member's flood never silences another
    assert flood.ready_at(member, 0.0) == pytest.approx(3.0)
    assert flood.allow(member, 3.0)


def test_a_held_message_answered_on_credit_delays_the_next() -> None:
    flood = FloodGate(private=Allowance(per_second=1.0, burst=2.0))
    assert flood.allow(1, 0.0) and flood.allow(1, 0.0) and not flood.allow(1, 0.0)
    assert flood.allow(1, 0.5, IN_PLACE)  # a press while a message waits
    flood.spend(1, 1.0)  # the held message, answered when promised: 0.5 in debt
    assert flood.ready_at(1, 1.0) == pytest.approx(2.5)


def test_warns_once_per_window() -> None:
    flood = FloodGate()
    assert flood.should_warn(1, 0) and not flood.should_warn(1, 30)
    assert flood.should_warn(1, 61)


def test_idle_chats_are_dropped_as_others_come() -> None:
    flood = FloodGate(max_chats=100)
    for chat in range(100):
        flood.allow(chat, 0)
    flood.allow(1000, 120)  # all others idle for two minutes
    assert flood.tracked() == [1000]


def test_the_cap_holds_with_60000_chats_and_the_least_recently_seen_go() -> None:
    flood = FloodGate(max_chats=10_000)
    largest = 0
    for n in range(60_000):  # 60,000 chats within one window: none is idle
        flood.allow(n, n / 10_000)
        largest = max(largest, len(flood))
        if n == 5_000:
            flood.allow(7, 0.5)  # chat 7 comes back, and 10,000 newer chats evict it later
    assert largest == 10_000 and len(flood) == 10_000
    assert flood.tracked() == list(range(50_000, 60_000))
    # The chats still tracked keep their counts: chat 59,999 has spent 1 of its 20.
    assert [flood.allow(59_999, 6.0) for _ in range(20)] == [True] * 19 + [False]
    # A chat that was evicted starts again from nothing (the price of bounded memory).
    assert flood.allow(7, 6.0)
    assert len(flood) == 10_000 and flood.tracked()[-1] == 7


def test_a_busy_chat_seen_recently_is_not_evicted_by_a_crowd() -> None:
    flood = FloodGate(private=Allowance(per_second=0.01, burst=3.0), max_chats=3)
    for t in (0, 1, 2):
        flood.allow(1, t)
    assert not flood.allow(1, 3)
    flood.allow(2, 4)
    assert not flood.allow(1, 5)  # seen again: the most recent
    flood.allow(3, 6)
    flood.allow(4, 7)  # the cap: chat 2, least recently seen, goes
    assert flood.tracked() == [1, 3, 4]
    assert not flood.allow(1, 8)


def test_a_warned_chat_is_warned_once_until_it_has_been_idle_a_window() -> None:
    flood = FloodGate(max_chats=10)
    assert flood.should_warn(1, 1) and not flood.should_warn(1, 50)
    flood.allow(2, 200)  # chat 1 idle since 50: dropped, its warning with it
    assert flood.tracked() == [2]
    assert flood.should_warn(1, 201)


def test_forget() -> None:
    flood = FloodGate(private=Allowance(per_second=1.0, burst=1.0))
    flood.allow(1, 0)
    flood.allow((-100, 5), 0)
    flood.forget(1)
    flood.forget(-100)
    assert flood.allow(1, 0) and len(flood) == 1


def test_one_message_held_per_chat_and_at_most_max_chats() -> None:
    held: LastMessages[str] = LastMessages(max_chats=3)
    assert held.add(1, "a") == [] and held.add(2, "b") == [] and held.add((-9, 1), "c") == []
    assert held.add(4, "d") == ["a"]  # the cap: the one held longest is dropped
    assert len(held) == 3 and 1 not in held and held.get(4) == "d"
    assert held.forget(-9) == ["c"] and held.pop(2) == "b" and held.pop(2) is None
    assert held.drain() == ["d"] and len(held) == 0


@pytest.mark.parametrize(("data", "in_place"), [
    ("m:E05009372:1:E81DY", True), ("a:E05009372:1:E81DY", True),
    ("b:E05009372:1", True), ("x:E05009372:1", True),  # Download figures: its formats above
    ("ty:", True), ("ty:THEFT", True), ("forget:no", True),
    ("c:E05009372:1", False), ("p:E05009372:1", False), ("x:E05009372:1:csv", False),
    ("pick:w:E05009372", False), ("cmp:E05009372:E05011110", False),
    ("sub:E05009372:1:E8", False), ("garbage", False), (None, False),
])
def test_which_presses_edit_in_place(data: object, in_place: bool) -> None:
    assert gate.edits_in_place(data) is in_place
