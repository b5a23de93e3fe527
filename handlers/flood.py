"""The flood gate's counting, per private chat or per member of a group, sized from Telegram's
own limits; and the last message of each chat that must wait. Pure: the clock is passed in.

Telegram lets a bot send about one message a second to a chat and 20 a minute to a group: an
answer the bot makes faster than that only waits in the sending queue (AIORateLimiter). So a
chat may spend at that rate, with a burst on top for a person pressing buttons quickly, and a
button that edits its message in place costs half a new message. The gate is for floods, not
for reading: no one reading figures presses faster than that for long.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Final, Generic, TypeVar

# What is counted: a private chat by its id; a member of a group by (group id, user id).
Key = Hashable
T = TypeVar("T")

NEW_MESSAGE: Final = 1.0  # a message, a command, a press that sends a new message
IN_PLACE: Final = 0.5  # a press that edits its message in place (a view, « Summary, /types)


@dataclass(frozen=True)
class Allowance:
    """A chat may spend `per_second` on average, and `burst` at once."""

    per_second: float
    burst: float


# Telegram: about one message a second in a private chat, 20 a minute in a group (where each
# member has the group's rate: one member's flood never silences another, and the sending
# queue keeps the whole group to Telegram's 20 a minute). The burst is a minute of a group's
# allowance: a chat that has been idle has at least the 20 of the gate this one replaced.
PRIVATE: Final = Allowance(per_second=1.0, burst=20.0)
GROUP_MEMBER: Final = Allowance(per_second=20 / 60, burst=20.0)


@dataclass
class _Chat:
    tokens: float  # what it may spend now (below 0: a held message answered on credit)
    at: float  # when it was last seen, and `tokens` brought up to date
    warned: float | None = None  # when it was last told to wait


@dataclass
class FloodGate:
    """Token buckets per chat: `private` for a private chat's id, `group` for a (group,
    member) key. A chat idle for `window` seconds is full again and forgotten.

    At most `max_chats` chats are tracked, kept in the order they were last seen. Each call
    drops from the front the chats idle for a whole window and, at the cap, the least recently
    seen. Every chat is added once and dropped once, so a call costs constant time (amortised)
    however many chats there are, and memory stays bounded.
    """

    private: Allowance = PRIVATE
    group: Allowance = GROUP_MEMBER
    window: float = 60.0
    max_chats: int = 10_000
    _chats: OrderedDict[Key, _Chat] = field(default_factory=OrderedDict)

    def allowance(self, key: Key) -> Allowance:
        return self.group if isinstance(key, tuple) else self.private

    def _seen(self, key: Key, now: float) -> _Chat:
        """The chat's bucket, refilled to `now`, moved to the end (the most recently seen)."""
        chat = self._chats.pop(key, None)
        self._prune(now, room=1)
        allowance = self.allowance(key)
        if chat is None:
            chat = _Chat(allowance.burst, now)
        chat.tokens = min(allowance.burst,
                          chat.tokens + max(0.0, now - chat.at) * allowance.per_second)
        chat.at = now
        self._chats[key] = chat
        return chat

    def allow(self, key: Key, now: float, cost: float = NEW_MESSAGE) -> bool:
        """Spend `cost` at `now` if the chat has it; False (nothing spent) if not."""
        chat = self._seen(key, now)
        if chat.tokens < cost:
            return False
        chat.tokens -= cost
        return True

    def ready_at(self, key: Key, now: float, cost: float = NEW_MESSAGE) -> float:
        """When the chat will have `cost` to spend (`now` if it has it)."""
        chat = self._seen(key, now)
        return now + max(0.0, cost - chat.tokens) / self.allowance(key).per_second

    def spend(self, key: Key, now: float, cost: float = NEW_MESSAGE) -> None:
        """Spend `cost` even if the chat lacks it (a held message answered when promised)."""
        self._seen(key, now).tokens -= cost

    def should_warn(self, key: Key, now: float) -> bool:
        """True once per window for a chat that must wait (so warnings don't flood)."""
        chat = self._seen(key, now)
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
        """Drop the least recently seen chats while they have been idle a whole window (full
        again, their warning over: as good as new) or while fewer than `room` places are free.
        A window refills any chat: at most one message's debt plus a burst of 20 at 1 a
        second takes 21 seconds, at 1 every 3 seconds (a group member) 63 seconds: a member
        forgotten 3 seconds early starts with a burst it almost had."""
        chats = self._chats
        while chats:
            oldest = next(iter(chats.values()))
            if len(chats) + room > self.max_chats or oldest.at <= now - self.window:
                chats.popitem(last=False)
            else:
                break


@dataclass
class Waiting(Generic[T]):
    """A chat's last message while it waits, when it may go on, and the task that will
    answer it then."""

    message: T
    until: float
    release: asyncio.Future[None] | None = None


@dataclass
class LastMessages(Generic[T]):
    """What each chat that must wait sent last, to answer when it may go on: one per chat,
    at most `max_chats`, the one held longest dropped first at the cap."""

    max_chats: int = 1_000
    _last: OrderedDict[Key, T] = field(default_factory=OrderedDict)

    def get(self, key: Key) -> T | None:
        return self._last.get(key)

    def add(self, key: Key, held: T) -> list[T]:
        """Hold `held` for a chat not waiting yet; what the cap dropped to make room."""
        self._last.pop(key, None)
        self._last[key] = held
        dropped = []
        while len(self._last) > self.max_chats:
            dropped.append(self._last.popitem(last=False)[1])
        return dropped

    def pop(self, key: Key) -> T | None:
        return self._last.pop(key, None)

    def forget(self, chat_id: int) -> list[T]:
        """Drop a private chat's, or every member's of a group; what was dropped."""
        keys = [k for k in self._last
                if k == chat_id or (isinstance(k, tuple) and k[0] == chat_id)]
        return [self._last.pop(k) for k in keys]

    def drain(self) -> list[T]:
        """Everything held, now no longer."""
        held = list(self._last.values())
        self._last.clear()
        return held

    def __len__(self) -> int:
        return len(self._last)

    def __contains__(self, key: object) -> bool:
        return key in self._last
