"""Per-chat flood protection: a sliding window of requests, the clock passed in."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class FloodGate:
    """Allow at most `limit` requests per chat in any `window` seconds."""

    limit: int = 20
    window: float = 60.0
    max_chats: int = 10_000  # past this many tracked chats, idle ones are dropped
    _seen: dict[int, deque[float]] = field(default_factory=dict)
    _warned: dict[int, float] = field(default_factory=dict)

    def allow(self, chat_id: int, now: float) -> bool:
        """Record a request at `now`; False if the chat is over its limit."""
        if chat_id not in self._seen and len(self._seen) >= self.max_chats:
            self.prune(now)
        times = self._seen.setdefault(chat_id, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True

    def should_warn(self, chat_id: int, now: float) -> bool:
        """True once per window for a chat that is over its limit (so warnings don't flood)."""
        last = self._warned.get(chat_id)
        if last is not None and now - last < self.window:
            return False
        self._warned[chat_id] = now
        return True

    def forget(self, chat_id: int) -> None:
        self._seen.pop(chat_id, None)
        self._warned.pop(chat_id, None)

    def prune(self, now: float) -> None:
        """Drop chats with no request in the window (keeps memory bounded)."""
        for chat_id in [c for c, t in self._seen.items() if not t or t[-1] <= now - self.window]:
            self.forget(chat_id)
