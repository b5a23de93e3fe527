"""Asking by place: a choice button (a near-miss postcode, an ambiguous name, a guess, a
neighbourhood's, a district's or a borough's wards) answered for what it was offered for, a
comparison completed by its choices, and /compare."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InputFile, Message, ReplyParameters, Update
from telegram.error import TelegramError

from datastore.query.postcode_lookup import place_index
from handlers import choices, comparing, keyboards, lookup, media, reply, subscribe
from handlers.context import WardContext
from handlers.media_files import compare_trend
from handlers.present import short_answer, texts
from handlers.render_process import RenderUnavailable

log = logging.getLogger(__name__)


async def pick(update: Update, context: WardContext) -> None:
    """A choice button: the place it names, for what it was offered for — its answer (as if
    typed), a chart, a map, the figures, or following it."""
    query = update.callback_query
    if query is None:
        return
    chosen = choices.parse(query.data)
    ok = chosen is not None and (chosen.kind != "place" or await _place_ok(context, chosen))
    if await _refused(update, query, ok) or chosen is None or update.effective_chat is None:
        return
    answer = await context.services.place_answer(chosen.kind, chosen.code)
    message = query.message if isinstance(query.message, Message) else None
    if chosen.action == choices.SUBSCRIBE and message is not None:
        await subscribe.follow_chosen(update, context, message, answer)
    elif chosen.action in (keyboards.TREND, keyboards.MAP, keyboards.EXPORT):
        await media.respond(context, message or update.effective_chat.id, chosen.action, answer)
    elif message is not None:
        await reply.reply(message, context, answer)
    else:
        await reply.send(context, update.effective_chat.id, answer)


async def _refused(update: Update, query: CallbackQuery, ok: bool) -> bool:
    """Answer a press: an alert for forged or stale data, or for a message with no chat to
    answer in (sent through inline mode); whether it was refused."""
    if not ok:
        await query.answer(texts.BAD_BUTTON, show_alert=True)
    elif update.effective_chat is None:
        await query.answer(texts.BUTTON_NEEDS_CHAT, show_alert=True)
    else:
        await query.answer()
    return not ok or update.effective_chat is None


async def _place_ok(context: WardContext, chosen: choices.Pick) -> bool:
    """Whether a gazetteer place's button names a place of the gazetteer in use."""
    index = await place_index(context.services.view)
    return chosen.version == index.gazetteer.version and \
        index.gazetteer.get(int(chosen.code)) is not None


async def compare_pick(update: Update, context: WardContext) -> None:
    """A choice that completes a comparison: the comparison, or its next question, in place
    of the message."""
    query = update.callback_query
    if query is None:
        return
    view = context.services.view
    parts = comparing.parse(query.data, await place_index(view), view)
    answer = await context.services.parts_answer(parts) if parts is not None else None
    if await _refused(update, query, answer is not None) or answer is None:
        return
    await lookup.show_in_place(update, context, short_answer.summary_html(answer),
                               reply.answer_markup(context, answer))


async def compare_command(update: Update, context: WardContext) -> None:
    """/compare A and B [and C and D]: two to four places side by side."""
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
