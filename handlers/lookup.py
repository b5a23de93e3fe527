"""Looking up a postcode: a typed postcode, /postcode, a shared location, and the drill-down
buttons under an answer."""

from __future__ import annotations

import logging
from typing import Final

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest

from datastore.query.freshness import Freshness
from datastore.query.lookup import Answer
from datastore.query.view import DataView
from handlers import keyboards, reply
from handlers.context import WardContext
from handlers.present import blocks, short_answer, texts, views, words

log = logging.getLogger(__name__)

# A shared location farther than this from every London postcode is not in London.
MAX_LOCATION_KM: Final = 2.0


async def ward_link(message: Message, context: WardContext, ward_code: str) -> None:
    """/start w-<ward>: the ward's answer, with its Subscribe button."""
    await _reply(message, context, context.services.ward_answer(ward_code))


async def _reply(message: Message, context: WardContext, answer: Answer, prefix: str = "") -> None:
    await reply.reply(message, context, answer, prefix)


async def postcode_text(update: Update, context: WardContext) -> None:
    """A private message that may be a postcode: answer it."""
    message = update.effective_message
    if message is None or not message.text:
        return
    await _reply(message, context, await context.services.answer(message.text))


async def postcode_command(update: Update, context: WardContext) -> None:
    """/postcode <postcode>, in any chat."""
    message = update.effective_message
    if message is None:
        return
    if not context.args:
        await message.reply_html(texts.POSTCODE_USAGE)
        return
    await _reply(message, context, await context.services.answer(" ".join(context.args)))


async def location(update: Update, context: WardContext) -> None:
    """A shared location or venue: answer for the nearest postcode, saying which."""
    message = update.effective_message
    loc = message.location if message else None
    if message is None or loc is None:
        return
    found = context.services.view.nearest_postcode(loc.latitude, loc.longitude)
    if found is None or found[1] > MAX_LOCATION_KM:
        await message.reply_html(texts.FAR_LOCATION.format(km=found[1] if found else 0))
        return
    place, _km = found
    prefix = f"Nearest postcode to that location: <b>{words.esc(place.postcode)}</b>.\n\n"
    await _reply(message, context, await context.services.answer(place.postcode), prefix)


def known_area(view: DataView, code: str) -> bool:
    """Whether a button's area is a Met ward or a borough of the current data."""
    return view.borough_name(code) is not None if code.startswith("E09") \
        else view.is_met_ward(code)


async def drill_down(update: Update, context: WardContext) -> None:
    """A button under an answer: the summary, crime by type, stop and search, taser, the
    ward's borough or the sources and limits, shown in place of the message; under a
    borough's answer or view, the borough's own."""
    query = update.callback_query
    if query is None:
        return
    drill = keyboards.parse(query.data)
    view = context.services.view
    shown = None
    if drill is not None and known_area(view, drill.code):
        shown = await (_borough_view(context, drill) if drill.borough
                       else _view(context, drill))
    if drill is None or shown is None:
        await query.answer(texts.BAD_BUTTON, show_alert=True)
        return
    if update.effective_chat is None:  # no chat to answer in (an inline-mode message)
        await query.answer(texts.BUTTON_NEEDS_CHAT, show_alert=True)
        return
    await query.answer(texts.STALE_BUTTON if drill.version != view.crime_version else None)
    await show_in_place(update, context, *shown)


async def _view(context: WardContext, drill: keyboards.Drill,
                ) -> tuple[str, InlineKeyboardMarkup] | None:
    """The text and buttons of the view a button asks for; None for a forged button (its
    postcode not in its ward)."""
    services = context.services
    view, ward = services.view, drill.code
    answer = (await services.answer(drill.postcode) if drill.postcode
              else services.ward_answer(ward))
    place = answer.resolution.place
    if place is None or place.ward_code != ward:
        return None
    markup = keyboards.answer_keyboard(ward, view.crime_version, drill.postcode, drill.action)
    lad_code, borough = view.ward_lad.get(ward, ("", ""))
    f = answer.freshness
    if drill.action == keyboards.SUMMARY:
        return short_answer.summary_html(answer), reply.answer_markup(context, answer) or markup
    if drill.action == keyboards.BOROUGH:  # the borough: its buttons act on it
        borough_answer = await services.borough_answer(lad_code)
        back = keyboards.back_button(ward, view.crime_version, drill.postcode)
        return (short_answer.summary_html(borough_answer),
                reply.borough_markup(context, borough_answer, back=back) or markup)
    return _detail(context, drill.action, answer, borough, f), markup


def _detail(context: WardContext, action: str, answer: Answer, borough: str,
            f: Freshness | None) -> str:
    """A view of a ward's or a borough's answer: crime by type, stop and search (the
    borough's), taser, sources and limits; each names its place and period first."""
    view = context.services.view
    place = answer.resolution.place
    ward = f"{place.ward_name} ward" if answer.area == "ward" and place else None
    if action == keyboards.MINOR:
        return (views.minor_html(answer.crime, blocks.place_words(answer), f)
                if answer.crime is not None else texts.NO_BOROUGH_CRIME)
    if action == keyboards.STOP_SEARCH:
        summary = view.stop_search_summary(borough)
        return (views.stop_search_detail_html(summary, f, ward) if summary
                else texts.NO_STOP_SEARCH)
    if action == keyboards.SOURCES:
        return views.sources_html(answer)
    return views.taser_detail_html(view.taser_history(borough), f, ward)


async def _borough_view(context: WardContext, drill: keyboards.Drill,
                        ) -> tuple[str, InlineKeyboardMarkup] | None:
    """The text and buttons of a view of a whole borough (a button under its answer)."""
    answer = await context.services.borough_answer(drill.code)
    name = answer.resolution.borough_name
    if answer.status != "ok" or name is None:
        return None
    showing = keyboards.SUMMARY if drill.action == keyboards.BOROUGH else drill.action
    markup = reply.borough_markup(context, answer, showing)
    if markup is None:
        return None
    if showing == keyboards.SUMMARY:
        return short_answer.summary_html(answer), markup
    return _detail(context, showing, answer, name, answer.freshness), markup


async def show_in_place(update: Update, context: WardContext, text: str,
                        markup: InlineKeyboardMarkup | None) -> None:
    """Edit the message whose button was pressed to show `text`; one that can no longer be
    edited (too old, inaccessible) gets a new message instead."""
    query, chat = update.callback_query, update.effective_chat
    if query is not None and isinstance(query.message, Message):
        try:
            await query.edit_message_text(words.fit(text), reply_markup=markup,
                                          disable_web_page_preview=True)
            return
        except BadRequest as exc:
            if "not modified" in exc.message:  # pressed twice: it already shows this
                return
            log.info("could not edit a message, sending a new one: %s", exc.message)
    if chat is not None:
        await context.bot.send_message(chat.id, words.fit(text), reply_markup=markup,
                                       disable_web_page_preview=True)


async def not_text(update: Update, context: WardContext) -> None:
    """A sticker, photo or other message without text in a private chat."""
    message = update.effective_message
    if message is not None and update.effective_chat and \
            update.effective_chat.type == ChatType.PRIVATE:
        await message.reply_html(texts.NOT_TEXT)
