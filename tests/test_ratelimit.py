"""The sending side's flood limits, with the clock passed in: windows, the three limits, the
pause after a 429, and a simulation against Telegram-like windows that must never refuse."""

from __future__ import annotations

import heapq
import random
from collections import deque

import pytest

from bot.ratelimit import Limiter, Limits, Window


def test_a_window_counts_a_message_until_its_answer_plus_the_window() -> None:
    w = Window(2, 1.0)
    assert w.wait(0.0) == 0.0
    w.take(0.0)
    w.take(0.0)
    assert w.wait(0.5) is None  # full of messages whose answers have not come back
    w.done(0.2)
    assert w.wait(0.5) == pytest.approx(0.7)  # 0.2 + 1.0 - 0.5
    w.done(0.3)
    assert w.wait(1.2) == 0.0
    assert w.used(1.25) == 1 and w.used(1.3) == 0


@pytest.mark.parametrize(("limit", "finished", "now", "expected"), [
    (3, [0.0, 0.1, 0.2], 0.5, 0.5),  # the oldest leaves at 1.0
    (3, [0.0, 0.1, 0.2], 0.95, 0.05),
    (3, [0.0, 0.1, 0.2], 1.05, 0.0),  # one has left: room
    (3, [0.0, 0.1, 0.2], 1.3, 0.0),
    (1, [5.0], 5.5, 0.5),
])
def test_window_waits(limit: int, finished: list[float], now: float, expected: float) -> None:
    w = Window(limit, 1.0)
    for t in finished:
        w.take(t)
        w.done(t)
    assert w.wait(now) == pytest.approx(expected)


def test_window_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        Window(0, 1.0)
    with pytest.raises(RuntimeError):
        Window(1, 1.0).done(0.0)


def test_the_three_limits_and_a_pause() -> None:
    lim = Limiter(Limits(global_per_s=3, per_group_per_min=2, per_chat_per_s=1))
    now = 0.0
    lim.take(1, now)
    lim.done(1, now + 0.01)
    assert lim.chat_wait(1, now + 0.02) == pytest.approx(0.99)  # one a second per chat
    assert lim.chat_wait(2, now + 0.02) == 0.0
    for t in (0.0, 2.0):  # a group: two a minute, whatever the seconds
        assert lim.chat_wait(-5, t) == 0.0
        lim.take(-5, t)
        lim.done(-5, t)
    assert lim.chat_wait(-5, 10.0) == pytest.approx(50.0)  # until 0 + 60
    assert lim.overall_wait(10.0) == 0.0
    lim.take(7, 10.0)
    lim.take(8, 10.0)
    lim.take(9, 10.0)
    assert lim.overall_wait(10.0) is None  # three on their way
    for chat in (7, 8, 9):
        lim.done(chat, 10.1)
    assert lim.overall_wait(10.5) == pytest.approx(0.6)
    lim.pause(5.0, 12.0)
    assert lim.overall_wait(12.0) == pytest.approx(5.0)
    assert lim.overall_wait(17.0) == 0.0


def test_idle_windows_are_dropped() -> None:
    lim = Limiter(Limits())
    for chat in range(-50, 50):
        lim.take(chat, 0.0)
        lim.done(chat, 0.1)
    assert lim.windows() == 150  # 100 chats, 50 of them groups
    lim.sweep(3.0)
    assert lim.windows() == 50  # the groups' minute windows still hold their message
    lim.sweep(200.0)
    assert lim.windows() == 0


class TelegramWindows:
    """Telegram's side as the fake Bot API models it: a message counts from when it is
    accepted, for the length of each window; one more than the limit is a 429."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.overall: deque[float] = deque()
        self.chats: dict[int, deque[float]] = {}
        self.groups: dict[int, deque[float]] = {}

    @staticmethod
    def _fits(times: deque[float], limit: int, window: float, at: float) -> bool:
        while times and times[0] <= at - window:
            times.popleft()
        return len(times) < limit

    def accept(self, chat: int, at: float) -> bool:
        checks = [(self.overall, self.limits.global_per_s, 1.0),
                  (self.chats.setdefault(chat, deque()), self.limits.per_chat_per_s, 1.0)]
        if chat < 0:
            checks.append((self.groups.setdefault(chat, deque()),
                           self.limits.per_group_per_min, 60.0))
        if not all(self._fits(t, limit, w, at) for t, limit, w in checks):
            return False
        for times, _, _ in checks:
            times.append(at)
        return True


@pytest.mark.parametrize("seed", range(6))
def test_a_simulated_fanout_is_never_refused_and_keeps_near_the_ceiling(seed: int) -> None:
    """Messages to many chats (some groups, some chats with several wards) go out as fast as
    the limiter allows; each is accepted by 'Telegram' at a random moment between request and
    answer, out of order.  None may be refused, and the overall rate stays near the limit."""
    rng = random.Random(seed)
    limits = Limits(global_per_s=30, per_group_per_min=20, per_chat_per_s=1)
    lim, telegram = Limiter(limits), TelegramWindows(limits)
    queue = [rng.choice(range(-40, 400)) for _ in range(1500)]  # chat per message
    pending: dict[int, int] = {}
    for chat in queue:
        pending[chat] = pending.get(chat, 0) + 1
    ready = [(0.0, chat) for chat in pending]
    heapq.heapify(ready)
    answers: list[tuple[float, int]] = []  # (answer time, chat)
    accepted: list[tuple[float, int]] = []  # (when Telegram accepted it, chat)
    now, sent = 0.0, 0
    while ready or answers:
        # Answers that came back by now release their places.
        while answers and (not ready or answers[0][0] <= now):
            at, chat = heapq.heappop(answers)
            now = max(now, at)
            lim.done(chat, at)
            if pending[chat]:
                heapq.heappush(ready, (at, chat))
        if not ready:
            continue
        not_before, chat = ready[0]
        now = max(now, not_before)
        wait = lim.overall_wait(now)
        if wait is None:
            now = answers[0][0]
            continue
        if wait > 0:
            now += wait
            continue
        wait = lim.chat_wait(chat, now)
        if wait is None or wait > 0:
            heapq.heapreplace(ready, (now + (wait or 0.001), chat))
            continue
        heapq.heappop(ready)
        lim.take(chat, now)
        pending[chat] -= 1
        latency = rng.uniform(0.005, 0.12)  # request to answer, as to api.telegram.org
        accepted.append((now + rng.uniform(0.0, latency), chat))
        sent += 1
        heapq.heappush(answers, (now + latency, chat))
    assert sent == len(queue)
    # Telegram sees the messages in the order it accepts them, not the order they were sent.
    refused = sum(not telegram.accept(chat, at) for at, chat in sorted(accepted))
    assert refused == 0
    # The overall limit is the bottleneck here; each message holds its place for one round
    # trip more than Telegram counts it, so the rate is a little under the limit.
    assert sent / now >= 0.85 * limits.global_per_s
