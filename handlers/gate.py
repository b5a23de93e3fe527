"""The flood gate, before every other handler (group -1): a request its chat cannot afford
yet (handlers/flood.py counts) stops here, before any handler or the store. A press is always
answered, with when to press again. A message that must wait is held, the last one per chat:
the chat is told once when it can go on, and that message is answered then."""

from __future__ import annotations

import logging
import math
from typing import cast

from telegram import Update
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import ApplicationHandlerStop

from handlers import keyboards
from handlers.context import BotSettings, WardApp, WardContext
from handlers.flood import IN_PLACE, NEW_MESSAGE, Key, Waiting
from handlers.present import texts

log = logging.getLogger(__name__)

# Buttons that redraw their own message (editMessageText or its keyboard): the views,
# « Summary, Download figures (its formats appear above), /types and /forget's question.
IN_PLACE_ACTIONS = frozenset({keyboards.SUMMARY, *keyboards.ACTIONS})


def counted(update: Update, bot_username: str | None) -> Key | None:
    """What a request is counted against — a private chat's id, or (group, member) in a
    group — or None for an update the bot does not act on: in a group only commands
    addressed to the bot (/help, /help@ThisBot, never /help@OtherBot), shared locations and
    presses of its buttons count, not members' ordinary messages; a channel post is never a
    request."""
    chat = update.effective_chat
    if chat is None or update.channel_post is not None or update.edited_channel_post is not None:
        return None
    if chat.type == ChatType.PRIVATE:
        return chat.id if update.callback_query or update.effective_message else None
    user = update.effective_user
    member = (chat.id, user.id if user is not None else 0)
    if update.callback_query is not None:
        return member
    message = update.message
    if message is None:
        return None
    if message.location is not None or message.venue is not None:
        return member
    entities = message.entities or ()
    if message.text and entities and entities[0].type == MessageEntityType.BOT_COMMAND \
            and entities[0].offset == 0:
        command = message.text[:entities[0].length]
        target = command.partition("@")[2]
        return member if not target or target.lower() == (bot_username or "").lower() else None
    return None


def edits_in_place(data: object) -> bool:
    """True for a button that redraws its own message rather than sending a new one."""
    drill = keyboards.parse(data)
    if drill is not None:
        return drill.action in IN_PLACE_ACTIONS or (
            drill.action == keyboards.EXPORT and drill.fmt is None)
    return keyboards.parse_types(data) is not None or keyboards.parse_forget(data) is not None


def cost(update: Update) -> float:
    """What a request costs its chat: a press that edits in place half a new message."""
    query = update.callback_query
    return IN_PLACE if query is not None and edits_in_place(query.data) else NEW_MESSAGE


def seconds(until: float, now: float) -> int:
    """Whole seconds to wait, at least 1."""
    return max(1, math.ceil(until - now))


async def flood_gate(update: Update, context: WardContext) -> None:
    """Let a request through if its chat can afford it; otherwise answer a press with when to
    press again, or hold a message (the chat's last) and answer it when the chat may go on."""
    key = counted(update, context.bot.username)
    if key is None:
        return
    settings = context.settings
    if update.update_id in settings.released:  # a held message, answered now: paid for
        settings.released.discard(update.update_id)
        return
    gate, now, price = settings.flood, settings.clock.now(), cost(update)
    query = update.callback_query
    waiting = settings.waiting.get(key)
    if (query is not None or waiting is None) and gate.allow(key, now, price):
        return
    if query is not None:
        text = texts.SLOW_DOWN_PRESS.format(seconds=seconds(gate.ready_at(key, now, price), now))
        await query.answer(text, show_alert=gate.should_warn(key, now))
    elif waiting is not None:  # already waiting: the newest message takes its place
        waiting.message = update
    else:
        until = gate.ready_at(key, now)
        hold(cast(WardApp, context.application), settings, key, Waiting(update, until))
        if gate.should_warn(key, now) and update.effective_message is not None:
            await update.effective_message.reply_text(
                texts.SLOW_DOWN.format(seconds=seconds(until, now)))
    raise ApplicationHandlerStop


def hold(app: WardApp, settings: BotSettings, key: Key, waiting: Waiting[Update]) -> None:
    """Keep the chat's message, and answer it at `waiting.until` (a task, never a sleep in a
    handler). At the cap the chat held longest is dropped, unanswered."""
    for dropped in settings.waiting.add(key, waiting):
        log.warning("flood gate: %d chats waiting, one dropped unanswered", len(settings.waiting))
        if dropped.release is not None:
            dropped.release.cancel()
    waiting.release = app.create_task(_release(app, settings, key, waiting),
                                      name="flood-gate-release")


async def _release(app: WardApp, settings: BotSettings, key: Key,
                   waiting: Waiting[Update]) -> None:
    """At the time the chat was told, answer the last message it sent meanwhile."""
    await settings.clock.sleep_until(waiting.until)
    if settings.waiting.get(key) is not waiting:  # dropped meanwhile (/forget)
        return
    settings.waiting.pop(key)
    update = waiting.message
    settings.flood.spend(key, settings.clock.now())  # on credit, if a press spent it meanwhile
    settings.released.add(update.update_id)
    try:
        await app.process_update(update)
    finally:
        settings.released.discard(update.update_id)


def let_go(settings: BotSettings, chat_id: int | None = None) -> None:
    """Drop the messages held for a chat (None: every chat, as the bot stops), unanswered."""
    dropped = settings.waiting.drain() if chat_id is None else settings.waiting.forget(chat_id)
    for waiting in dropped:
        if waiting.release is not None:
            waiting.release.cancel()
