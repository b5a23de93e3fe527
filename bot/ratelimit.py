"""Telegram's flood limits on the sending side: sliding windows, the clock passed in.

Telegram counts a message when its server accepts it, somewhere between our request leaving
and its answer arriving.  So a message here holds its place in a window from the moment it is
granted until `seconds` after its answer came back: whenever Telegram accepted it, it has left
Telegram's window before it leaves ours, and we never send more than the limit in any window
Telegram looks at (at the cost of one round trip per window, under 1 % at Telegram's
latencies).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Final

# A window not touched for this long is dropped (it can hold nothing any more).
_IDLE_AFTER_WINDOWS: Final = 2


@dataclass(frozen=True)
class Limits:
    """Messages allowed: overall per second, per group per minute, per chat per second."""

    global_per_s: int = 30
    per_group_per_min: int = 20
    per_chat_per_s: int = 1

    def scaled(self, factor: int) -> Limits:
        """Every limit multiplied by `factor` (benchmarks against a fake that scales alike)."""
        return Limits(self.global_per_s * factor, self.per_group_per_min * factor,
                      self.per_chat_per_s * factor)


class Window:
    """At most `limit` messages in any `seconds`: a message holds its place from `take()`
    until `seconds` after `done(finished_at)`."""

    __slots__ = ("_open", "_releases", "limit", "seconds", "touched")

    def __init__(self, limit: int, seconds: float) -> None:
        if limit < 1 or seconds <= 0:
            raise ValueError("a window needs a limit >= 1 and a length > 0")
        self.limit = limit
        self.seconds = seconds
        self._open = 0  # granted, answer not back yet
        self._releases: list[float] = []  # heap: when each finished message leaves the window
        self.touched = 0.0

    def _expire(self, now: float) -> None:
        while self._releases and self._releases[0] <= now:
            heapq.heappop(self._releases)

    def used(self, now: float) -> int:
        self._expire(now)
        return self._open + len(self._releases)

    def wait(self, now: float) -> float | None:
        """Seconds until one more message fits: 0 now, None when only an answer still on its
        way can make room."""
        used = self.used(now)
        if used < self.limit:
            return 0.0
        leaving = used - self.limit + 1  # places that must free up first
        if leaving > len(self._releases):
            return None
        if leaving == 1:
            return self._releases[0] - now
        return heapq.nsmallest(leaving, self._releases)[-1] - now

    def take(self, now: float) -> None:
        self._open += 1
        self.touched = now

    def done(self, finished_at: float) -> None:
        """The answer to a message taken earlier came back (whatever it said)."""
        if self._open <= 0:
            raise RuntimeError("done() without take()")
        self._open -= 1
        heapq.heappush(self._releases, finished_at + self.seconds)
        self.touched = finished_at

    def held(self, finished_at: float) -> None:
        """A message sent before this window existed (by an earlier sender), answered at
        `finished_at`: it holds its place until one window length after."""
        heapq.heappush(self._releases, finished_at + self.seconds)
        self.touched = max(self.touched, finished_at)

    def idle(self, now: float) -> bool:
        """Holds nothing now and was not touched for a while: safe to drop."""
        return (self.used(now) == 0
                and now - self.touched > _IDLE_AFTER_WINDOWS * self.seconds)


def is_group(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; private chats positive ones."""
    return chat_id < 0


class Limiter:
    """The three windows a message to a chat must fit: overall, its chat's, and (for a
    group) its group's per minute; plus a pause everyone waits out after a 429.  The overall
    window may be one shared with others sending as the same bot (bot/budget.py)."""

    def __init__(self, limits: Limits, overall: Window | None = None) -> None:
        self.limits = limits
        self.overall = overall if overall is not None else Window(limits.global_per_s, 1.0)
        self._chats: dict[int, Window] = {}
        self._groups: dict[int, Window] = {}
        self.paused_until = 0.0
        self._sweeps = 0

    def _chat(self, chat_id: int) -> Window:
        window = self._chats.get(chat_id)
        if window is None:
            window = self._chats[chat_id] = Window(self.limits.per_chat_per_s, 1.0)
        return window

    def _group(self, chat_id: int) -> Window:
        window = self._groups.get(chat_id)
        if window is None:
            window = self._groups[chat_id] = Window(self.limits.per_group_per_min, 60.0)
        return window

    def overall_wait(self, now: float) -> float | None:
        """Seconds until the overall window (and any 429 pause) lets one more through."""
        if self.paused_until > now:
            return self.paused_until - now
        return self.overall.wait(now)

    def chat_wait(self, chat_id: int, now: float) -> float | None:
        """Seconds until the chat's own windows let one more message to it through."""
        waits = [self._chat(chat_id).wait(now)]
        if is_group(chat_id):
            waits.append(self._group(chat_id).wait(now))
        if None in waits:
            return None
        return max(w for w in waits if w is not None)

    def take(self, chat_id: int, now: float) -> None:
        """A message to `chat_id` is being sent now (after both waits said 0)."""
        self.overall.take(now)
        self._chat(chat_id).take(now)
        if is_group(chat_id):
            self._group(chat_id).take(now)

    def done(self, chat_id: int, finished_at: float) -> None:
        """Its answer came back (sent, refused, or timed out: it may still count)."""
        self.overall.done(finished_at)
        self._chat(chat_id).done(finished_at)
        if is_group(chat_id):
            self._group(chat_id).done(finished_at)
        self._sweeps += 1
        if self._sweeps >= 10_000:
            self.sweep(finished_at)

    def sent_before(self, chat_id: int, finished_at: float) -> None:
        """A message an earlier sender sent to `chat_id`, answered at `finished_at` (on this
        limiter's clock): it counts in every window it would have counted in."""
        self.overall.held(finished_at)
        self._chat(chat_id).held(finished_at)
        if is_group(chat_id):
            self._group(chat_id).held(finished_at)

    def pause(self, seconds: float, now: float) -> None:
        """Telegram said 429 "retry after": nothing is sent until then."""
        self.paused_until = max(self.paused_until, now + seconds)

    def sweep(self, now: float) -> None:
        """Drop idle windows, so memory follows the chats in flight, not all chats ever."""
        self._sweeps = 0
        for table in (self._chats, self._groups):
            for chat_id in [c for c, w in table.items() if w.idle(now)]:
                del table[chat_id]

    def windows(self) -> int:
        """How many per-chat and per-group windows are held (for tests)."""
        return len(self._chats) + len(self._groups)
