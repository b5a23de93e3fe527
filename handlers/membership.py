"""Who may change what a chat follows: anyone in a private chat; in a group, only its
administrators, asked of Telegram at the moment of the change (never cached, never assumed)."""

from __future__ import annotations

import logging
from typing import Final, Literal

from telegram import Bot, Chat, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

log = logging.getLogger(__name__)

Verdict = Literal["allowed", "refused", "unknown"]

ADMIN_STATUSES: Final = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})


async def may_change(bot: Bot, chat: Chat, user: User | None,
                     sender_chat: Chat | None = None) -> Verdict:
    """Whether `user` may change what `chat` follows; "unknown" when Telegram could not say
    (the change must then be refused)."""
    if chat.type == ChatType.PRIVATE:
        return "allowed"
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return "refused"
    if sender_chat is not None and sender_chat.id == chat.id:
        return "allowed"  # an anonymous administrator, posting as the group itself
    if user is None:
        return "refused"
    try:
        member = await bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.warning("could not check a group member's status: %s", type(exc).__name__)
        return "unknown"
    return "allowed" if member.status in ADMIN_STATUSES else "refused"
