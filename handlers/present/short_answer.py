"""The short first answer: one phone screen, everything else a button away."""

from __future__ import annotations

from typing import Final

from datastore.query.figures import month_name, months_between
from datastore.query.freshness import Freshness
from datastore.query.lookup import Answer
from datastore.query.models import AreaMonth, AreaRate, BoroughRate, StopSearchSummary, TaserSummary
from handlers.present import texts
from handlers.present.compare import compare_html
from handlers.present.names import display
from handlers.present.problems import problem_message
from handlers.present.words import (
    age_phrase,
    change_phrase,
    day,
    esc,
    fit,
    n,
    percent,
    plural,
    ratio,
)

SUMMARY_LIMIT: Final = 900  # one phone screen


def _short_freshness(f: Freshness | None) -> str | None:
    """One line when newer figures may exist; the full wording is under Sources and limits."""
    if f is None or not f.stale:
        return None
    if f.behind and f.latest_month is not None:
        return f"⚠️ <i>These run to {month_name(f.latest_month)}; newer figures may exist.</i>"
    if f.following and f.last_checked is not None:
        return f"⚠️ <i>Newer figures may exist: publishers last reached {day(f.last_checked)}.</i>"
    return "⚠️ <i>Newer figures may exist.</i>"


def month_line(crime: AreaMonth) -> str:
    """The latest month's total and its change, in one line."""
    line = f"<b>{month_name(crime.month)}</b>: {plural(crime.total, 'crime')} recorded"
    if crime.previous is not None:
        before = month_name(crime.previous.month).split()[0]
        line += (f", {change_phrase(crime.total, crime.previous.total)} on {before} "
                 f"({n(crime.previous.total)})")
    return line + "."


def _rate_line(rate: AreaRate) -> str:
    areas = "boroughs" if isinstance(rate, BoroughRate) else "wards"
    line = (f"<b>12 months to {month_name(rate.last_month)}</b>: {rate.rate:,.1f} per 1,000 "
            f"residents, {ratio(rate.ratio)}× London's {rate.london_rate:,.1f}: "
            f"<b>{rate.band} the London average</b>, rank {n(rate.rank)} of {n(rate.of)} "
            f"{areas} (1 = highest).")
    if rate.band == "well above":
        line += f"\n<i>{texts.BUSY_PLACE_SHORT}</i>"
    return line


def _lag(month: int, crime_month: int | None) -> str:
    if crime_month is None or months_between(month, crime_month) < texts.FRESH_MONTHS:
        return ""
    return f" ({age_phrase(months_between(month, crime_month))} older)"


def stop_search_line(ss: StopSearchSummary, crime_month: int | None) -> str:
    """Stop and search in one line: the borough, month, how many and the commonest outcome."""
    head = f"<b>Stop and search</b>, {esc(ss.borough)}, {month_name(ss.month)}" \
           f"{_lag(ss.month, crime_month)}: "
    if ss.complete:
        head += plural(ss.total, "search", "searches")
    else:
        head += f"a sample of {plural(ss.total, 'record')} (police.uk holds about a third)"
    if ss.total and ss.by_outcome:
        outcome, count = next(iter(ss.by_outcome.items()))
        head += f"; {percent(count, ss.total)} {esc(display(outcome).lower())}"
    return head + "."


def taser_line(t: TaserSummary, crime_month: int | None) -> str:
    """Taser in one line: the area, period, deployments and how many were fired."""
    where = "whole Met" if t.area_type == "force" else f"{esc(t.name)} borough"
    end = int(t.period_end.replace("-", ""))
    line = (f"<b>Taser</b>, {where}, {esc(t.period_label)}{_lag(end, crime_month)}: "
            f"{plural(t.deployments, 'deployment')}")
    if "fired" in t.by_type:
        line += f", {n(t.by_type['fired'])} fired"
    return line + "."


def summary_html(answer: Answer, foot: str = texts.SUMMARY_FOOT) -> str:
    """The first answer to a postcode or a borough: one phone screen (about 900 characters);
    everything else is a button away."""
    res = answer.resolution
    place = res.place
    borough = res.status == "ok" and res.area == "borough"
    if res.status == "compare":
        return compare_html(answer)
    if res.status != "ok" or (place is None and not borough):
        return problem_message(res)
    if borough:
        head = f"<b>{esc(res.borough_name)}</b>: the whole borough (the Met's borough figures)."
        if foot == texts.SUMMARY_FOOT:
            foot = texts.BOROUGH_FOOT
    else:
        assert place is not None
        head = (f"<b>{esc(place.postcode)}</b>: " if place.postcode else "") + (
            f"<b>{esc(place.ward_name)}</b> ward, {esc(place.lad_name)}.")
    lines = [head]
    if fresh := _short_freshness(answer.freshness):
        lines.append(fresh)
    crime = answer.crime
    month = crime.month if crime is not None else None
    body: list[str] = []
    if crime is not None:
        body.append(month_line(crime))
    elif borough:
        body.append(texts.NO_BOROUGH_CRIME)
    if answer.rate is not None:
        body.append(_rate_line(answer.rate))
    elif crime is not None:
        body.append(f"<i>{texts.NO_RATE_SHORT}</i>")
    if borough and crime is not None and answer.ward_month is not None \
            and crime.month != answer.ward_month:
        body.append(f"<i>The borough figures run to {month_name(crime.month)}; the ward "
                    f"figures to {month_name(answer.ward_month)}.</i>")
    if answer.stop_search is not None:
        body.append(stop_search_line(answer.stop_search, month))
    if answer.taser is not None:
        body.append(taser_line(answer.taser, month))
    return fit("\n".join(lines) + "\n\n" + "\n".join(body) + f"\n\n<i>{foot}</i>")
