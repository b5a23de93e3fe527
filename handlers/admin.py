"""The operators' commands: /reload (check the sources now) and /status. Only the user ids in
`[admins] ids` may use them; anyone else is politely refused."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.error import TelegramError

from datastore.ingest import check
from datastore.storage import subscriptions
from handlers.context import Digests, WardContext
from handlers.present import digest_text, texts

log = logging.getLogger(__name__)


async def _operator(update: Update, context: WardContext) -> Message | None:
    """The message to answer if its sender is an operator; otherwise refuse and return None."""
    message, user = update.effective_message, update.effective_user
    if message is None:
        return None
    if user is None or user.id not in context.settings.admin_ids:
        await message.reply_html(texts.OPERATORS_ONLY)
        return None
    return message


async def _check_and_reply(message: Message, digests: Digests) -> None:
    outcome = await digests.check_now("admin")
    try:
        await message.reply_html(digest_text.reload_html(outcome.check, outcome.queued))
    except TelegramError as exc:
        log.warning("could not send the /reload result: %s", type(exc).__name__)


async def reload_command(update: Update, context: WardContext) -> None:
    """/reload: check the sources now; the result follows when the check is done (loading
    takes seconds, and other chats are answered meanwhile)."""
    message = await _operator(update, context)
    if message is None:
        return
    if context.digests.checking:
        await message.reply_html(texts.CHECK_RUNNING)
        return
    await message.reply_html(texts.CHECKING)
    context.application.create_task(_check_and_reply(message, context.digests), update=update)


async def status_command(update: Update, context: WardContext) -> None:
    """/status: the current data, the last check, subscriptions and the latest digests."""
    message = await _operator(update, context)
    if message is None:
        return
    current = await context.services.store.versions()
    last = await context.services.store.run(check.last_check)
    subs = await context.chats.run(subscriptions.subscription_counts)
    deliveries = await context.chats.run(subscriptions.delivery_counts)
    services = context.services
    await services.refresh_feeds()
    feeds = digest_text.feed_lines(services.feeds, current, services.following)
    await message.reply_html(digest_text.status_html(current, last, subs, deliveries,
                                                     context.digests.sending, feeds))
