"""Asking by place: a choice button (a near-miss postcode, an ambiguous name, a district's or
a borough's wards) answered as if the place had been typed, and /compare."""

from __future__ import annotations

from telegram import Message, Update

from handlers import choices, reply, texts
from handlers.context import WardContext


async def pick(update: Update, context: WardContext) -> None:
    """A choice button: answer for the place it names, as if it had been typed."""
    query = update.callback_query
    if query is None:
        return
    chosen = choices.parse(query.data)
    if chosen is None:
        await query.answer(texts.BAD_BUTTON, show_alert=True)
        return
    if update.effective_chat is None:  # no chat to answer in (an inline-mode message)
        await query.answer(texts.BUTTON_NEEDS_CHAT, show_alert=True)
        return
    await query.answer()
    answer = await context.services.place_answer(chosen.kind, chosen.code)
    if isinstance(query.message, Message):
        await reply.reply(query.message, context, answer)
    else:
        await reply.send(context, update.effective_chat.id, answer)


async def compare_command(update: Update, context: WardContext) -> None:
    """/compare A and B: two postcodes, wards or boroughs side by side."""
    message = update.effective_message
    if message is None:
        return
    if not context.args:
        await message.reply_html(texts.COMPARE_USAGE)
        return
    text = " ".join(context.args)
    answer = await context.services.answer(f"compare {text}")
    if answer.status != "compare":
        await message.reply_html(texts.COMPARE_USAGE)
        return
    await reply.reply(message, context, answer)
