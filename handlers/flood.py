"""Flood protection per private chat or per member of a group: a sliding window of requests,
the clock passed in."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import dataclass, field

# What is counted: a private chat by its id; a member of a group by (group id, user id).
Key = Hashable


@dataclass
class _Chat:
    last_seen: float  # its latest request, allowed or not
    times: deque[float] = field(default_factory=deque)  # its allowed requests in the window
    warned: float | None = None  # when it was last told to slow down


@dataclass
class FloodGate:
    """Allow at most `limit` requests per chat in any `window` seconds.

    At most `max_chats` chats are tracked, kept in the order they were last seen. Each call
    drops from the front the chats idle for a whole window (nothing of theirs counts any more)
    and, at the cap, the least recently seen. Every chat is added once and dropped once, so a
    call costs constant time (amortised) however many chats there are, and memory stays
    bounded.
    """

    limit: int = 20
    window: float = 60.0
    max_chats: int = 10_000
    _chats: OrderedDict[Key, _Chat] = field(default_factory=OrderedDict)

    def allow(self, chat_id: Key, now: float) -> bool:
        """Record a request at `now`; False if the chat is over its limit."""
        chat = self._chats.pop(chat_id, None)
        self._prune(now, room=1)
        if chat is None:
            chat = _Chat(now)
        chat.last_seen = now
        self._chats[chat_id] = chat  # the most recently seen, at the end
        times = chat.times
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True

    def should_warn(self, chat_id: Key, now: float) -> bool:
        """True once per window for a chat that is over its limit (so warnings don't flood)."""
        chat = self._chats.get(chat_id)
        if chat is None:  # not tracked (forgotten since): warn, remember nothing
            return True
        if chat.warned is not None and now - chat.warned < self.window:
            return False
        chat.warned = now
        return True

    def forget(self, chat_id: int) -> None:
        """Drop a chat's counts: a private chat's, or every member's of a group."""
        self._chats.pop(chat_id, None)
        for key in [k for k in self._chats if isinstance(k, tuple) and k[0] == chat_id]:
            del self._chats[key]

    def __len__(self) -> int:
        """How many chats are tracked."""
        return len(self._chats)

    def tracked(self) -> list[Key]:
        """The chats tracked, least recently seen first."""
        return list(self._chats)

    def _prune(self, now: float, room: int = 0) -> None:
        """Drop the least recently seen chats while they have been idle a whole window (their
        requests and warning no longer count) or while fewer than `room` places are free."""
        chats = self._chats
        while chats:
            oldest = next(iter(chats.values()))
            if len(chats) + room > self.max_chats or oldest.last_seen <= now - self.window:
                chats.popitem(last=False)
            else:
                break
