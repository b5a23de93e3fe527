"""An answer as a message: the short first answer and the buttons under it, sent as a reply
(or, for an edited message, as an edit of the bot's earlier reply) or to a chat.  Shared by
everything that answers for a place: typed text, /postcode, a location, a deep link, a choice
button, /compare."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ChatType
from telegram.error import BadRequest

from datastore.query.lookup import Answer
from handlers import choices, keyboards
from handlers.context import WardContext
from handlers.present import short_answer, texts, words

log = logging.getLogger(__name__)


def answer_markup(context: WardContext, answer: Answer) -> InlineKeyboardMarkup | None:
    """The buttons under an answer: a ward's views, pictures, download, Subscribe and Share;
    or the choices an answer that is not one ward's offers (choices.markup_for)."""
    place = answer.resolution.place
    if answer.status != "ok" or answer.area != "ward" or place is None:
        return choices.markup_for(answer, context.services.view)
    version = context.services.view.crime_version
    markup = keyboards.answer_keyboard(place.ward_code, version, place.postcode or None)
    if not place.outcode:  # no district to follow it with
        return markup
    return keyboards.with_follow(markup, place.ward_code, version, place.outcode,
                                 share_link(context, place.ward_code, place.ward_name))


def share_link(context: WardContext, ward_code: str, ward_name: str) -> str:
    """Telegram's share page for the deep link to a ward's answer (t.me/<bot>?start=w-…)."""
    link = keyboards.start_link(context.bot.username, keyboards.WARD_LINK, ward_code)
    return keyboards.share_url(link, texts.SHARE_TEXT.format(ward=ward_name))


async def reply(message: Message, context: WardContext, answer: Answer, prefix: str = "") -> None:
    """The short first answer, with the buttons that show the rest in its place.  The reply to
    a message that was edited (a typo corrected) is edited in turn, when the bot still has it."""
    text = words.fit(prefix + short_answer.summary_html(answer))
    markup = answer_markup(context, answer)
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


async def send(context: WardContext, chat_id: int, answer: Answer) -> None:
    """Send an answer and its buttons to a chat (no message to reply to)."""
    await context.bot.send_message(chat_id, words.fit(short_answer.summary_html(answer)),
                                   reply_markup=answer_markup(context, answer),
                                   disable_web_page_preview=True)
