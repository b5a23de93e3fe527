"""The one error handler: log first, then tell the user."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from datastore.storage.store import StoreWriteError
from handlers.context import WardContext
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
