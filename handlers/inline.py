"""Inline mode: `@bot E8 1DY` in any chat offers the short answer as an article, with a button
that opens the bot at the ward. Answered from the offline postcode table only (an inline query
is never sent to postcodes.io), and nothing of it is stored or logged."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode

from datastore.query import lookup
from handlers import keyboards, render, texts
from handlers.context import WardContext

# Seconds Telegram may reuse an answer for the same text: the figures change monthly.
CACHE_SECONDS: Final = 300


async def inline_query(update: Update, context: WardContext) -> None:
    """`@bot <postcode>`: one article with the postcode's short answer, or a hint."""
    query = update.inline_query
    if query is None:
        return
    hint = InlineQueryResultsButton(texts.INLINE_HINT, start_parameter="inline")
    text = query.query.strip()
    services = context.services
    answer = await lookup.answer(text, services.view, None) if text else None  # offline only
    place = answer.resolution.place if answer is not None else None
    if answer is None or answer.status != "ok" or place is None:
        await query.answer([], cache_time=CACHE_SECONDS, button=hint)
        return
    month = answer.crime.month if answer.crime is not None else None
    answer = replace(answer, freshness=services.freshness(month=month))
    link = keyboards.start_link(context.bot.username, keyboards.WARD_LINK, place.ward_code)
    article = InlineQueryResultArticle(
        id=f"{place.ward_code}-{services.view.crime_version}",
        title=f"{place.postcode}: {place.ward_name}, {place.lad_name}",
        description=render.strip_html(render.month_line(answer.crime)) if answer.crime else None,
        input_message_content=InputTextMessageContent(
            render.summary_html(answer, foot=texts.INLINE_FOOT), parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True)),
        reply_markup=keyboards.link_keyboard(texts.OPEN_BOT, link),
    )
    await query.answer([article], cache_time=CACHE_SECONDS, button=hint)
