"""Inline mode: `@bot E8 1DY` (or `@bot Hackney Central`, `@bot Camden`) in any chat offers the
short answer as an article, with a button that opens the bot at the ward. Answered from the
offline tables only (an inline query is never sent to postcodes.io), and nothing of it is
stored or logged."""

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
from handlers import keyboards
from handlers.context import WardContext
from handlers.present import short_answer, texts, words

# Seconds Telegram may reuse an answer for the same text: the figures change monthly.
CACHE_SECONDS: Final = 300


MAX_ARTICLES: Final = 5  # the choices offered for a name several places answer to


async def inline_query(update: Update, context: WardContext) -> None:
    """`@bot <postcode or place>`: an article with its short answer; a name several places
    answer to (or a near-miss) gives one article per place, best first; else a hint."""
    query = update.inline_query
    if query is None:
        return
    hint = InlineQueryResultsButton(texts.INLINE_HINT, start_parameter="inline")
    text = query.query.strip()
    services = context.services
    answer = await lookup.answer(text, services.view, None) if text else None  # offline only
    answers: list[lookup.Answer] = []
    if answer is not None and answer.status == "ok":
        answers = [answer]
    elif answer is not None and answer.status == "choose":
        for c in answer.resolution.candidates[:MAX_ARTICLES]:
            chosen = (await lookup.answer(c.code, services.view, None) if c.kind == "postcode"
                      else await services.place_answer(c.kind, c.code))
            if chosen.status == "ok":
                answers.append(chosen)
    articles = [_article(context, a) for a in answers]
    await query.answer([a for a in articles if a is not None], cache_time=CACHE_SECONDS,
                       button=hint)


def _article(context: WardContext, answer: lookup.Answer) -> InlineQueryResultArticle | None:
    """One answer as an inline article: the short answer, and a button to open the bot."""
    services = context.services
    res = answer.resolution
    place = res.place
    month = answer.crime.month if answer.crime is not None else None
    answer = replace(answer, freshness=services.freshness(month=month))
    if res.area == "borough" and res.borough_code:
        key, title = res.borough_code, f"{res.borough_name} (the whole borough)"
        link = f"https://t.me/{context.bot.username}?start=inline"
    elif place is not None:
        key = place.ward_code
        title = (f"{place.postcode}: " if place.postcode else "") + (
            f"{place.ward_name}, {place.lad_name}")
        link = keyboards.start_link(context.bot.username, keyboards.WARD_LINK, place.ward_code)
    else:
        return None
    return InlineQueryResultArticle(
        id=f"{key}-{(place.postcode if place else '').replace(' ', '')}-"
           f"{services.view.crime_version}",
        title=title,
        description=(words.strip_html(short_answer.month_line(answer.crime))
                     if answer.crime else None),
        input_message_content=InputTextMessageContent(
            short_answer.summary_html(answer, foot=texts.INLINE_FOOT), parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True)),
        reply_markup=keyboards.link_keyboard(texts.OPEN_BOT, link),
    )
