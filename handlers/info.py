"""/start, /help, /types, /about, /forget and unknown commands."""

from __future__ import annotations

from typing import Final

from telegram import Update

from handlers import membership, render, texts
from handlers.context import WardContext


async def start(update: Update, context: WardContext) -> None:
    if update.effective_message:
        await update.effective_message.reply_html(texts.START)


async def help_command(update: Update, context: WardContext) -> None:
    if update.effective_message:
        await update.effective_message.reply_html(texts.HELP)


async def types(update: Update, context: WardContext) -> None:
    if update.effective_message:
        text = render.types_html(context.services.view.categories())
        await update.effective_message.reply_html(text)


async def about(update: Update, context: WardContext) -> None:
    if update.effective_message:
        await update.effective_message.reply_html(texts.ABOUT, disable_web_page_preview=True)


# What /forget says it erased, by table.
FORGOTTEN_LABELS: Final = {"subscription": "subscription", "delivery": "digest record"}


async def forget(update: Update, context: WardContext) -> None:
    """Erase everything stored for this chat, then confirm.  In a group that stops its
    digests, so only its administrators may."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    verdict = await membership.may_change(context.bot, chat, update.effective_user,
                                          message.sender_chat)
    if verdict != "allowed":
        await message.reply_html(texts.FORGET_ADMINS_ONLY if verdict == "refused"
                                 else texts.ADMIN_CHECK_FAILED)
        return
    erased = await context.services.forget_chat(chat.id)
    context.settings.flood.forget(chat.id)
    what = ", ".join(render.plural(n, FORGOTTEN_LABELS.get(name, name))
                     for name, n in erased.items()) or "the request counter"
    await message.reply_html(texts.FORGOTTEN.format(what=render.esc(what)))


async def unknown_command(update: Update, context: WardContext) -> None:
    """A command we don't have, sent to us in a private chat."""
    if update.effective_message:
        await update.effective_message.reply_html(texts.UNKNOWN_COMMAND)
