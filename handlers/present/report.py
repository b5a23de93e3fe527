"""The full report of a ward or a borough (`wardwatch ask`, a picture's text answer)."""

from __future__ import annotations

from collections.abc import Sequence

from datastore.query.figures import month_name
from datastore.query.lookup import Answer
from datastore.query.models import WardMonth, WardRate
from handlers.present import texts
from handlers.present.blocks import (
    crime_block,
    freshness_line,
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
    header = (f"<b>{esc(place.postcode)}</b> is in <b>{esc(place.ward_name)}</b> ward, "
              f"{esc(place.lad_name)}." if place.postcode else
              f"<b>{esc(place.ward_name)}</b> ward, {esc(place.lad_name)}.")
    if answer.ward_borough and answer.ward_borough != place.lad_name:
        header += f" The Met files this ward's crime under {esc(answer.ward_borough)}."
    month = answer.crime.month if answer.crime else None
    sections: list[Sequence[str]] = [[header]]
    if fresh := freshness_line(answer.freshness):
        sections.append([fresh])
    if answer.crime:
        sections.append(crime_block(answer.crime))
    if answer.rate:
        sections.append(rate_block(answer.rate))
    elif answer.crime:
        sections.append([f"<i>{texts.NO_RATE}</i>"])
    if answer.stop_search:
        sections.append(stop_search_block(answer.stop_search, month))
    if answer.taser:
        sections.append(taser_block(answer.taser, month))
    sections.append([f"<i>{texts.ATTRIBUTION}</i>"])
    return fit("\n\n".join("\n".join(s) for s in sections))


def borough_html(answer: Answer) -> str:
    """A whole borough's figures, from the Met's borough extract."""
    res = answer.resolution
    crime = answer.crime
    sections: list[Sequence[str]] = [[
        f"<b>{esc(res.borough_name)}</b>: the whole borough, from the Met's borough figures."]]
    if fresh := freshness_line(answer.freshness):
        sections.append([fresh])
    if crime is None:
        sections.append([texts.NO_BOROUGH_CRIME])
    else:
        sections.append(crime_block(crime))
        if answer.ward_month is not None and crime.month != answer.ward_month:
            later = "later" if crime.month > answer.ward_month else "earlier"
            sections.append([f"<i>The borough figures run to {month_name(crime.month)}, "
                             f"{later} than the ward figures (to "
                             f"{month_name(answer.ward_month)}): the Met publishes them "
                             f"separately. {texts.BOROUGH_FILE_NOTE}</i>"])
    if answer.rate:
        sections.append(rate_block(answer.rate))
    month = crime.month if crime else None
    if answer.stop_search:
        sections.append(stop_search_block(answer.stop_search, month))
    if answer.taser:
        sections.append(taser_block(answer.taser, month))
    sections.append([f"<i>{texts.ATTRIBUTION}</i>"])
    return fit("\n\n".join("\n".join(s) for s in sections))


def detail_sections(answer: Answer) -> list[str]:
    """What the buttons under an answer show: minor types, stop and search, taser in full."""
    out = []
    month = answer.crime.month if answer.crime is not None else None
    if answer.crime is not None:
        out.append(minor_html(answer.crime))
    if answer.stop_search is not None:
        out.append(stop_search_detail_html(answer.stop_search, month))
    if answer.taser is not None:
        out.append("\n".join(taser_block(answer.taser, month)))
    return out


def ward_html(crime: WardMonth, rate: WardRate | None, borough: str) -> str:
    """A ward's figures without a postcode (the text under a button's picture)."""
    sections: list[Sequence[str]] = [
        [f"<b>{esc(crime.ward_name)}</b> ward, {esc(borough)}."], crime_block(crime)]
    if rate is not None:
        sections.append(rate_block(rate))
    sections.append([f"<i>{texts.ATTRIBUTION}</i>"])
    return fit("\n\n".join("\n".join(s) for s in sections))
