"""An answer as a message: its text and the buttons under it, sent as a reply or to a chat.
Shared by everything that answers for a place (typed text, /postcode, a location, a choice
button, /compare)."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message

from datastore.query.lookup import Answer
from handlers import choices, keyboards, render
from handlers.context import WardContext


def markup(answer: Answer, context: WardContext) -> InlineKeyboardMarkup | None:
    """The buttons under an answer: a ward's drill-downs and Subscribe, or the choices an
    answer that is not one ward's offers (choices.markup_for)."""
    view = context.services.view
    place = answer.resolution.place
    if answer.status == "ok" and answer.area == "ward" and place is not None:
        buttons = keyboards.answer_keyboard(place.ward_code, view.crime_version)
        return keyboards.with_follow(buttons, place.ward_code, view.crime_version,
                                     place.outcode)
    return choices.markup_for(answer, view)


async def reply(message: Message, context: WardContext, answer: Answer, prefix: str = "") -> None:
    """Reply to a message with an answer and its buttons."""
    await message.reply_html(render.fit(prefix + render.answer_html(answer)),
                             reply_markup=markup(answer, context),
                             disable_web_page_preview=True)


async def send(context: WardContext, chat_id: int, answer: Answer) -> None:
    """Send an answer and its buttons to a chat (no message to reply to)."""
    await context.bot.send_message(chat_id, render.fit(render.answer_html(answer)),
                                   parse_mode="HTML", reply_markup=markup(answer, context),
                                   disable_web_page_preview=True)
