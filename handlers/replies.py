"""Which reply answered which message, so that an edited message edits the bot's reply; and
which picture a group was sent last of each area. Bounded maps of message ids only (no text,
no postcode), the oldest forgotten first."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class Replies:
    """(chat id, the user's message id) → the id of the bot's reply, at most `size` kept."""

    size: int = 10_000
    _ids: OrderedDict[tuple[int, int], int] = field(default_factory=OrderedDict)

    def remember(self, chat_id: int, message_id: int, reply_id: int) -> None:
        self._ids.pop((chat_id, message_id), None)
        self._ids[(chat_id, message_id)] = reply_id
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)

    def reply_to(self, chat_id: int, message_id: int) -> int | None:
        """The bot's reply to that message, if it is remembered."""
        return self._ids.get((chat_id, message_id))

    def forget(self, chat_id: int) -> None:
        for key in [k for k in self._ids if k[0] == chat_id]:
            del self._ids[key]

    def __len__(self) -> int:
        return len(self._ids)


@dataclass
class GroupPictures:
    """The pictures posted into groups: (group id, what, area) → (when, its message id), so
    the same chart or map goes into a group at most once in `window` seconds (texts:
    GROUP_PICTURE_ABOVE says 10 minutes). At most `size` kept, the least recently posted
    forgotten first; lost at a restart, which costs at most one picture posted again."""

    size: int = 1_000
    window: float = 600.0
    _posted: OrderedDict[tuple[int, str, str], tuple[float, int]] = field(
        default_factory=OrderedDict)

    def recent(self, chat_id: int, what: str, area: str, now: float) -> tuple[float, int] | None:
        """(when, message id) of that picture if it was posted in that chat in the window."""
        posted = self._posted.get((chat_id, what, area))
        return posted if posted is not None and now - posted[0] < self.window else None

    def remember(self, chat_id: int, what: str, area: str, now: float, message_id: int) -> None:
        key = (chat_id, what, area)
        self._posted.pop(key, None)
        self._posted[key] = (now, message_id)
        while len(self._posted) > self.size:
            self._posted.popitem(last=False)

    def forget(self, chat_id: int) -> None:
        for key in [k for k in self._posted if k[0] == chat_id]:
            del self._posted[key]
