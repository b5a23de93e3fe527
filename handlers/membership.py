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

# Every status getChatMember can answer, and whether it may change what the chat follows.
# An anonymous administrator is an administrator (or creator) with is_anonymous set.
MAY_CHANGE: Final[dict[str, bool]] = {
    ChatMemberStatus.OWNER: True,  # "creator"
    ChatMemberStatus.ADMINISTRATOR: True,
    ChatMemberStatus.MEMBER: False,
    ChatMemberStatus.RESTRICTED: False,  # a member with limits, or a former one (is_member)
    ChatMemberStatus.LEFT: False,
    ChatMemberStatus.BANNED: False,  # "kicked"
}


async def member_status(bot: Bot, chat_id: int, user_id: int) -> str | None:
    """The user's status in the chat as Telegram names it ("creator", "restricted", …), or
    None if Telegram's answer has none.  Raises TelegramError if Telegram could not answer.

    The answer is read as Telegram sent it: only the status decides, and PTB's ChatMember
    classes refuse an answer that lacks a permission field of the Bot API version they were
    written for (an older or self-hosted Bot API server), which would make a restricted
    member's /forget fail.  Bot API method names are case-insensitive; PTB warns about a
    raw call under the name of one of its typed methods, so this one is spelled in lower case.
    """
    result = await bot.do_api_request(
        "getchatmember", api_kwargs={"chat_id": chat_id, "user_id": user_id})
    status = result.get("status") if isinstance(result, dict) else None
    return status if isinstance(status, str) else None


async def may_change(bot: Bot, chat: Chat, user: User | None,
                     sender_chat: Chat | None = None) -> Verdict:
    """Whether `user` may change what `chat` follows; "unknown" when Telegram could not say
    (the change must then be refused)."""
    if chat.type == ChatType.PRIVATE:
        return "allowed"
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return "refused"
    if sender_chat is not None:
        # Posting as the group itself is an anonymous administrator; posting as a channel
        # (a linked or a personal one) is no administrator of this group.
        return "allowed" if sender_chat.id == chat.id else "refused"
    if user is None:
        return "refused"
    try:
        status = await member_status(bot, chat.id, user.id)
    except TelegramError as exc:
        log.warning("could not check a group member's status: %s", type(exc).__name__)
        return "unknown"
    if status is None:
        log.warning("getChatMember answered without a status")
        return "unknown"
    # A status Telegram adds later is no administrator until this table says so.
    return "allowed" if MAY_CHANGE.get(status, False) else "refused"
