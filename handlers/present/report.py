"""The full report of a ward or a borough (`wardwatch ask`, a picture's text answer)."""

from __future__ import annotations

from collections.abc import Sequence

from datastore.query.figures import month_name
from datastore.query.freshness import Freshness
from datastore.query.lookup import Answer
from datastore.query.models import WardMonth, WardRate
from handlers.present import age, places_text, texts
from handlers.present.blocks import (
    age_block,
    crime_block,
    place_words,
    rate_block,
    stop_search_block,
    taser_block,
)
from handlers.present.compare import compare_html
from handlers.present.problems import problem_message
from handlers.present.views import minor_html, stop_search_detail_html
from handlers.present.words import esc, fit


def answer_html(answer: Answer) -> str:
    """The whole reply to a postcode or a borough, as Telegram HTML under 4,096 characters."""
    res = answer.resolution
    if res.status == "ok" and res.area == "borough":
        return borough_html(answer)
    if res.status == "compare":
        return compare_html(answer)
    place = res.place
    if res.status != "ok" or place is None:
        return problem_message(res)
    header = places_text.asked_line(res) or (
        f"<b>{esc(place.postcode)}</b> is in <b>{esc(place.ward_name)}</b> ward, "
        f"{esc(place.lad_name)}." if place.postcode else
        f"<b>{esc(place.ward_name)}</b> ward, {esc(place.lad_name)}.")
    if answer.ward_borough and answer.ward_borough != place.lad_name:
        header += f" The Met files this ward's crime under {esc(answer.ward_borough)}."
    f = answer.freshness
    sections: list[Sequence[str]] = [[header, age_block(f, _month(answer))]]
    if answer.crime:
        sections.append(crime_block(answer.crime))
    if answer.rate:
        sections.append(rate_block(answer.rate, f))
    elif answer.crime:
        sections.append([f"<i>{texts.NO_RATE}</i>"])
    return _finish(answer, sections)


def borough_html(answer: Answer) -> str:
    """A whole borough's figures, from the Met's borough extract."""
    res = answer.resolution
    crime = answer.crime
    f = answer.freshness
    sections: list[Sequence[str]] = [[
        f"<b>{esc(res.borough_name)}</b>: the whole borough, from the Met's borough figures.",
        age_block(f, _month(answer))]]
    if crime is None:
        sections.append([texts.NO_BOROUGH_CRIME])
    else:
        sections.append(crime_block(crime))
        if answer.ward_month is not None and crime.month != answer.ward_month:
            later = "later" if crime.month > answer.ward_month else "earlier"
            sections.append([f"<i>The borough figures run to {month_name(crime.month)}, "
                             f"{later} than the ward figures (to "
                             f"{esc(age.month_aged(answer.ward_month, f))}): the Met publishes "
                             f"them separately. {texts.BOROUGH_FILE_NOTE}</i>"])
    if answer.rate:
        sections.append(rate_block(answer.rate, f))
    return _finish(answer, sections)


def _finish(answer: Answer, sections: list[Sequence[str]]) -> str:
    """The sections, then stop and search, taser and the attribution, fitted to a message."""
    if answer.stop_search:
        sections.append(stop_search_block(answer.stop_search, answer.freshness))
    if answer.taser:
        sections.append(taser_block(answer.taser, answer.freshness))
    sections.append([f"<i>{texts.ATTRIBUTION}</i>"])
    return fit("\n\n".join("\n".join(s) for s in sections))


def _month(answer: Answer) -> int | None:
    return answer.crime.month if answer.crime is not None else None


def detail_sections(answer: Answer) -> list[str]:
    """What the buttons under an answer show: minor types, stop and search, taser in full."""
    out = []
    f = answer.freshness
    if answer.crime is not None:
        out.append(minor_html(answer.crime, place_words(answer), f))
    if answer.stop_search is not None:
        out.append(stop_search_detail_html(answer.stop_search, f))
    if answer.taser is not None:
        out.append("\n".join(taser_block(answer.taser, f)))
    return out


def ward_html(crime: WardMonth, rate: WardRate | None, borough: str,
              f: Freshness | None) -> str:
    """A ward's figures without a postcode (the text under a button's picture)."""
    sections: list[Sequence[str]] = [
        [f"<b>{esc(crime.ward_name)}</b> ward, {esc(borough)}.", age_block(f, crime.month)],
        crime_block(crime)]
    if rate is not None:
        sections.append(rate_block(rate, f))
    sections.append([f"<i>{texts.ATTRIBUTION}</i>"])
    return fit("\n\n".join("\n".join(s) for s in sections))
