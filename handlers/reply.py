"""An answer as a message: the short first answer and the buttons under it, sent as a reply
(or, for an edited message, as an edit of the bot's earlier reply) or to a chat.  Shared by
everything that answers for a place: typed text, /postcode, a location, a deep link, a choice
button, /compare."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ChatType
from telegram.error import BadRequest

from datastore.query.lookup import Answer
from handlers import choices, keyboards
from handlers.context import WardContext
from handlers.present import short_answer, texts, words

log = logging.getLogger(__name__)


def answer_markup(context: WardContext, answer: Answer,
                  action: str | None = None) -> InlineKeyboardMarkup | None:
    """The buttons under an answer: a ward's views, pictures, download, Subscribe and Share;
    a borough's views, pictures, download and Share, then its wards; a comparison's chart and
    Share; or the choices an answer that is not one place's offers (choices.markup_for), each
    for ``action`` (None: the answer)."""
    place = answer.resolution.place
    if answer.status == "ok" and answer.area == "borough" and action is None:
        return borough_markup(context, answer)
    if answer.status == "compare":
        markup = choices.markup_for(answer, context.services.view)
        link = compare_share_link(context, answer)
        return keyboards.with_share(markup, link) if link else markup
    if answer.status != "ok" or place is None or answer.area != "ward":
        return choices.markup_for(answer, context.services.view, action)
    version = context.services.view.crime_version
    markup = keyboards.answer_keyboard(place.ward_code, version, place.postcode or None)
    if not place.outcode:  # no district to follow it with
        return markup
    return keyboards.with_follow(markup, place.ward_code, version, place.outcode,
                                 share_link(context, place.ward_code, place.ward_name))


def borough_markup(context: WardContext, answer: Answer, showing: str = keyboards.SUMMARY,
                   back: InlineKeyboardButton | None = None) -> InlineKeyboardMarkup | None:
    """The buttons under a borough's answer or view: its own views, trend, map and download
    (each acting on the borough), and on its summary Share and its wards, highest rate
    first.  `back` leads back to the ward the borough was opened from."""
    res = answer.resolution
    code = res.borough_code
    if code is None:
        return None
    view = context.services.view
    markup = keyboards.answer_keyboard(code, view.crime_version, showing=showing, back=back)
    if showing != keyboards.SUMMARY:
        return markup
    link = keyboards.start_link(context.bot.username, keyboards.BOROUGH_LINK, code)
    markup = keyboards.with_share(markup, keyboards.share_url(
        link, texts.SHARE_BOROUGH_TEXT.format(borough=res.borough_name or "")))
    wards = choices.markup_for(answer, view)
    return InlineKeyboardMarkup([*markup.inline_keyboard,
                                 *(wards.inline_keyboard if wards else ())])


def share_link(context: WardContext, ward_code: str, ward_name: str) -> str:
    """Telegram's share page for the deep link to a ward's answer (t.me/<bot>?start=w-…)."""
    link = keyboards.start_link(context.bot.username, keyboards.WARD_LINK, ward_code)
    return keyboards.share_url(link, texts.SHARE_TEXT.format(ward=ward_name))


def compare_share_link(context: WardContext, answer: Answer) -> str | None:
    """Telegram's share page for the deep link to a comparison (t.me/<bot>?start=v-…), when
    every place in it is one the bot answers for."""
    codes, names = [], []
    for part in answer.parts:
        res = part.resolution
        code = res.borough_code if res.area == "borough" else (
            res.place.ward_code if res.place else None)
        if part.status != "ok" or code is None:
            return None
        codes.append(code)
        names.append(res.borough_name if res.area == "borough" else res.place.ward_name
                     if res.place else "")
    if len(codes) < 2:
        return None
    link = keyboards.start_link(context.bot.username, keyboards.COMPARE_LINK, "-".join(codes))
    return keyboards.share_url(link, texts.SHARE_COMPARE_TEXT.format(
        places=" and ".join(n for n in names if n)))


async def reply(message: Message, context: WardContext, answer: Answer, prefix: str = "",
                action: str | None = None) -> None:
    """The short first answer, with the buttons that show the rest in its place (choices:
    for ``action``).  The reply to a message that was edited (a typo corrected) is edited in
    turn, when the bot still has it."""
    text = words.fit(prefix + short_answer.summary_html(answer))
    markup = answer_markup(context, answer, action)
    replies = context.settings.replies
    earlier = replies.reply_to(message.chat_id, message.message_id) \
        if message.edit_date is not None else None
    if earlier is not None:
        try:
            await context.bot.edit_message_text(text, message.chat_id, earlier,
                                                reply_markup=markup,
                                                disable_web_page_preview=True)
            return
        except BadRequest as exc:
            if "not modified" in exc.message:  # edited to the same postcode
                return
            log.info("could not edit an earlier reply, sending a new one: %s", exc.message)
    sent = await message.reply_html(text, reply_markup=markup, disable_web_page_preview=True)
    if message.chat.type == ChatType.PRIVATE:
        replies.remember(message.chat_id, message.message_id, sent.message_id)


async def send(context: WardContext, chat_id: int, answer: Answer, prefix: str = "",
               action: str | None = None) -> None:
    """Send an answer and its buttons to a chat (no message to reply to)."""
    await context.bot.send_message(chat_id, words.fit(prefix + short_answer.summary_html(answer)),
                                   reply_markup=answer_markup(context, answer, action),
                                   disable_web_page_preview=True)
