"""The short first answer: one phone screen, everything else a button away."""

from __future__ import annotations

from typing import Final

from datastore.query.figures import month_name
from datastore.query.freshness import Freshness
from datastore.query.lookup import Answer
from datastore.query.models import AreaMonth, AreaRate, BoroughRate, StopSearchSummary, TaserSummary
from handlers.present import age, places_text, texts
from handlers.present.compare import compare_html
from handlers.present.names import display
from handlers.present.problems import problem_message
from handlers.present.words import (
    change_phrase,
    esc,
    fit,
    n,
    percent,
    plural,
    ratio,
)

SUMMARY_LIMIT: Final = 900  # one phone screen


def with_age(head: str, f: Freshness | None, month: int | None = None) -> list[str]:
    """An answer's first line — its place, then its figures' period and age — and, when
    newer figures have been published, a plain warning under it."""
    lines = [f"{head} <i>{esc(age.headline(f, month))}.</i>"]
    if note := age.newer_note(f, short=True):
        lines.append(f"⚠️ <i>{esc(note)}</i>")
    return lines


def month_line(crime: AreaMonth) -> str:
    """The latest month's total and its change, in one line."""
    line = f"<b>{month_name(crime.month)}</b>: {plural(crime.total, 'crime')} recorded"
    if crime.previous is not None:
        before = month_name(crime.previous.month).split()[0]
        line += (f", {change_phrase(crime.total, crime.previous.total)} on {before} "
                 f"({n(crime.previous.total)})")
    return line + "."


def _rate_line(rate: AreaRate, f: Freshness | None) -> str:
    borough = isinstance(rate, BoroughRate)
    areas = "boroughs" if borough else "wards"
    basis = texts.BOROUGH_LONDON_SHORT if borough else texts.WARD_LONDON_SHORT
    line = (f"<b>12 months to {month_name(rate.last_month)}</b>: {rate.rate:,.1f} per 1,000 "
            f"residents ({esc(age.residents(f, short=True))}), {ratio(rate.ratio)}× London's "
            f"{rate.london_rate:,.1f} ({basis}): <b>{rate.band} the London average</b>, rank "
            f"{n(rate.rank)} of {n(rate.of)} {areas} (1 = highest).")
    if rate.band == "well above":
        line += f"\n<i>{texts.BUSY_PLACE_SHORT}</i>"
    return line


def stop_search_line(ss: StopSearchSummary, f: Freshness | None) -> str:
    """Stop and search in one line: the borough, month and its age, how many and the
    commonest outcome."""
    head = f"<b>Stop and search</b>, {esc(ss.borough)}, {age.month_aged(ss.month, f)}: "
    if ss.complete:
        head += plural(ss.total, "search", "searches")
    else:
        head += f"a sample of {plural(ss.total, 'record')} (police.uk holds about a third)"
    if ss.total and ss.by_outcome:
        outcome, count = next(iter(ss.by_outcome.items()))
        head += f"; {percent(count, ss.total)} {esc(display(outcome).lower())}"
    return head + "."


def taser_line(t: TaserSummary, f: Freshness | None) -> str:
    """Taser in one line: the area, period and its age, deployments and how many fired."""
    where = "whole Met" if t.area_type == "force" else f"{esc(t.name)} borough"
    line = (f"<b>Taser</b>, {where}, {esc(age.taser_aged(t, f))}: "
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
        head = places_text.asked_line(res) or (
            f"<b>{esc(place.postcode)}</b>: " if place.postcode else "") + (
            f"<b>{esc(place.ward_name)}</b> ward, {esc(place.lad_name)}.")
    crime = answer.crime
    f = answer.freshness
    lines = with_age(head, f, crime.month if crime is not None else None)
    body: list[str] = []
    if crime is not None:
        body.append(month_line(crime))
    elif borough:
        body.append(texts.NO_BOROUGH_CRIME)
    if answer.rate is not None:
        body.append(_rate_line(answer.rate, f))
    elif crime is not None:
        body.append(f"<i>{texts.NO_RATE_SHORT}</i>")
    if borough and crime is not None and answer.ward_month is not None \
            and crime.month != answer.ward_month:
        body.append(f"<i>Ward figures run to {esc(age.month_aged(answer.ward_month, f))}.</i>")
    if answer.stop_search is not None:
        body.append(stop_search_line(answer.stop_search, f))
    if answer.taser is not None:
        body.append(taser_line(answer.taser, f))
    return fit("\n".join(lines) + "\n\n" + "\n".join(body) + f"\n\n<i>{foot}</i>")
