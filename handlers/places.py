"""Asking by place: a choice button (a near-miss postcode, an ambiguous name, a district's or
a borough's wards) answered as if the place had been typed, and /compare."""

from __future__ import annotations

import logging

from telegram import InputFile, Message, ReplyParameters, Update
from telegram.error import TelegramError

from handlers import choices, media, reply
from handlers.context import WardContext
from handlers.media_files import compare_trend
from handlers.present import texts
from handlers.render_process import RenderUnavailable

log = logging.getLogger(__name__)


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


async def compare_chart(update: Update, context: WardContext) -> None:
    """The Both trends button under a comparison of two wards: one chart of both."""
    query = update.callback_query
    if query is None:
        return
    wards = choices.parse_compare(query.data)
    view = context.services.view
    if wards is None or not all(view.is_met_ward(w) for w in wards):
        await query.answer(texts.BAD_BUTTON, show_alert=True)
        return
    if update.effective_chat is None:
        await query.answer(texts.BUTTON_NEEDS_CHAT, show_alert=True)
        return
    what, pair = media.PICTURES[media.BOTH_TRENDS], "+".join(wards)
    if above := media.picture_above(context, update.effective_chat, what, pair):
        await query.answer(media.above_text(context, what, above[0]))  # a group's, lately
        return
    await query.answer()
    asked = context.settings.clock.now()
    chat_id = update.effective_chat.id
    under = ReplyParameters(query.message.message_id, allow_sending_without_reply=True) \
        if isinstance(query.message, Message) else None
    try:
        made = await compare_trend(context.services, *wards, cache=context.settings.media)
    except RenderUnavailable as exc:  # the comparison itself is the message above
        log.warning("could not draw the chart: %s", exc)
        note = texts.DRAW_FAILED.format(what="chart")
        await context.bot.send_message(chat_id, f"<i>{note}</i>", parse_mode="HTML")
        return
    try:
        sent = await context.bot.send_photo(chat_id, InputFile(made.data, filename=made.filename),
                                            caption=made.caption, parse_mode="HTML",
                                            reply_parameters=under)
        media.remember_picture(context, update.effective_chat, what, pair, asked,
                               sent.message_id)
    except TelegramError as exc:
        log.warning("could not send %s: %s", made.filename, type(exc).__name__)
        note = texts.MEDIA_FAILED.format(what="chart")
        await context.bot.send_message(chat_id, f"<i>{note}</i>\n\n{made.caption}",
                                       parse_mode="HTML")
