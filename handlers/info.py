"""/start, /help, /types, /about, /forget and unknown commands."""

from __future__ import annotations

from telegram import Update

from handlers import render, texts
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


async def forget(update: Update, context: WardContext) -> None:
    """Erase everything stored for this chat, then confirm."""
    chat = update.effective_chat
    if chat is None or update.effective_message is None:
        return
    erased = await context.services.forget_chat(chat.id)
    context.settings.flood.forget(chat.id)
    what = ", ".join(f"{n} {name}" for name, n in erased.items()) or "the request counter"
    await update.effective_message.reply_html(texts.FORGOTTEN.format(what=render.esc(what)))


async def unknown_command(update: Update, context: WardContext) -> None:
    """A command we don't have, sent to us in a private chat."""
    if update.effective_message:
        await update.effective_message.reply_html(texts.UNKNOWN_COMMAND)
