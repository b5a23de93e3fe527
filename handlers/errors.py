"""The one error handler, and flood protection that runs before every other handler."""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.constants import ChatType, MessageEntityType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from datastore.storage.store import StoreWriteError
from handlers.context import WardContext
from handlers.flood import Key
from handlers.present import texts

log = logging.getLogger(__name__)


async def on_error(update: object, context: WardContext) -> None:
    """Log first (update id and error, never message text or the token), then tell the user:
    a change the store could not write (disk full, read-only) is said to be unsaved."""
    update_id = update.update_id if isinstance(update, Update) else None
    unsaved = isinstance(context.error, StoreWriteError)
    if unsaved:  # the operator's to fix; the reason is in the message, no traceback needed
        log.warning("update %s changed nothing: %s", update_id, context.error)
    else:
        log.error("error while handling update %s: %s", update_id,
                  type(context.error).__name__, exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if unsaved and update.callback_query is not None:
            await update.callback_query.answer(texts.NOT_SAVED_ALERT, show_alert=True)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id,
                                           texts.NOT_SAVED if unsaved else texts.ERROR)
    except TelegramError as exc:
        log.warning("could not tell chat about the error of update %s: %s", update_id,
                    type(exc).__name__)


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


async def flood_gate(update: Update, context: WardContext) -> None:
    """Stop a request before any handler (and the store) if its sender is over the limit.
    A button press is always answered: an alert the first time, a short note after."""
    key = counted(update, context.bot.username)
    if key is None:
        return
    gate = context.settings.flood
    now = time.monotonic()
    if gate.allow(key, now):
        return
    warn = gate.should_warn(key, now)
    if update.callback_query is not None:
        await update.callback_query.answer(texts.SLOW_DOWN if warn else texts.SLOW_DOWN_SHORT,
                                           show_alert=warn)
    elif warn and update.effective_message is not None:
        await update.effective_message.reply_text(texts.SLOW_DOWN)
    raise ApplicationHandlerStop
