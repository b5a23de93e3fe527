"""Which reply answered which message, so that an edited message edits the bot's reply: a
bounded map of message ids only (no text, no postcode), the oldest forgotten first."""

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
