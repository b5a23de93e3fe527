"""Looking up a postcode: a typed postcode, /postcode, a shared location, and the drill-down
buttons under an answer."""

from __future__ import annotations

import logging
from typing import Final

from telegram import Message, Update
from telegram.constants import ChatType

from datastore.query.lookup import Answer
from handlers import keyboards, render, reply, texts
from handlers.context import WardContext

log = logging.getLogger(__name__)

# A shared location farther than this from every London postcode is not in London.
MAX_LOCATION_KM: Final = 2.0


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
    prefix = f"Nearest postcode to that location: <b>{render.esc(place.postcode)}</b>.\n\n"
    await _reply(message, context, await context.services.answer(place.postcode), prefix)


async def drill_down(update: Update, context: WardContext) -> None:
    """A button under an answer: crime by minor type, stop and search, taser in detail, or
    the ward's borough from the Met's borough figures."""
    query = update.callback_query
    if query is None:
        return
    drill = keyboards.parse(query.data)
    view = context.services.view
    if drill is None or not view.is_met_ward(drill.ward_code):
        await query.answer(texts.BAD_BUTTON, show_alert=True)
        return
    if update.effective_chat is None:  # no chat to answer in (an inline-mode message)
        await query.answer(texts.BUTTON_NEEDS_CHAT, show_alert=True)
        return
    await query.answer(texts.STALE_BUTTON if drill.version != view.crime_version else None)
    lad_code, borough = view.ward_lad.get(drill.ward_code, ("", ""))
    month = view.latest_month
    if drill.action == keyboards.MINOR:
        text = render.minor_html(view.ward_month(drill.ward_code))
    elif drill.action == keyboards.STOP_SEARCH:
        summary = view.stop_search_summary(borough)
        text = (render.stop_search_detail_html(summary, month) if summary
                else "No stop-and-search data.")
    elif drill.action == keyboards.BOROUGH:  # the borough's answer, with its wards' buttons
        answer = await context.services.borough_answer(lad_code)
        if isinstance(query.message, Message):
            await reply.reply(query.message, context, answer)
        else:
            await reply.send(context, update.effective_chat.id, answer)
        return
    else:
        text = render.taser_detail_html(view.taser_history(borough), month)
    if isinstance(query.message, Message):
        await query.message.reply_html(text, disable_web_page_preview=True)
    else:  # a message too old for Telegram to include: its chat is still known
        await context.bot.send_message(update.effective_chat.id, text)


async def not_text(update: Update, context: WardContext) -> None:
    """A sticker, photo or other message without text in a private chat."""
    message = update.effective_message
    if message is not None and update.effective_chat and \
            update.effective_chat.type == ChatType.PRIVATE:
        await message.reply_html(texts.NOT_TEXT)
