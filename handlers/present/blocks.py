"""The blocks a full answer is built of: crime, the 12-month rate, stop and search, taser,
how old the figures are (in the words of handlers/present/age.py)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Final

from datastore.query.figures import month_name
from datastore.query.freshness import Freshness
from datastore.query.lookup import Answer
from datastore.query.models import AreaMonth, AreaRate, BoroughRate, StopSearchSummary, TaserSummary
from handlers.present import age, texts
from handlers.present.names import display
from handlers.present.words import (
    category,
    change_phrase,
    esc,
    n,
    percent,
    plural,
    ratio,
)

TASER_LABELS: Final = {
    "drawn": "drawn", "aimed": "aimed", "red_dot": "red dot", "arced": "arced",
    "fired": "fired", "drive_stun": "drive stun", "angled_drive_stun": "angled drive stun",
    "not_stated": "kind not stated",
}


@lru_cache(maxsize=4096)
def crime_block(crime: AreaMonth) -> tuple[str, ...]:
    lines: list[str] = [f"<b>Crime recorded in {month_name(crime.month)}</b>: {n(crime.total)}"]
    if crime.previous is not None:
        lines[0] += (f" ({change_phrase(crime.total, crime.previous.total)} on "
                     f"{month_name(crime.previous.month)}: {n(crime.previous.total)})")
    for major, count in crime.by_major.items():
        lines.append(f"• {esc(category(major))}: {n(count)}")
    return tuple(lines)


def minor_block(crime: AreaMonth, place: str) -> list[str]:
    """Every minor type, under its major type; the first line names the place and month."""
    lines = [f"<b>Crime by type in {esc(place)}, {month_name(crime.month)}</b>: "
             f"{n(crime.total)}"]
    for major, minors in crime.by_minor.items():
        lines.append(f"<b>{esc(category(major))}</b>: {n(sum(minors.values()))}")
        lines += [f"  • {esc(category(minor))}: {n(c)}" for minor, c in minors.items()]
    return lines


@lru_cache(maxsize=4096)
def rate_block(rate: AreaRate, f: Freshness | None = None) -> tuple[str, ...]:
    """The 12-month rate against London, saying on what basis each figure is made and how
    old the residents figures are."""
    borough = isinstance(rate, BoroughRate)
    this = esc(rate.borough_name) if isinstance(rate, BoroughRate) else "This ward"
    areas = "boroughs" if borough else "Met wards"
    lines = [
        f"<b>12 months to {month_name(rate.last_month)}</b> ({month_name(rate.first_month)} to "
        f"{month_name(rate.last_month)}): "
        f"{plural(rate.total, 'crime')}, {rate.rate:,.1f} per 1,000 residents "
        f"({n(rate.population)} residents, {esc(age.residents(f))}).",
        f"London average ({texts.BOROUGH_LONDON_BASIS if borough else texts.WARD_LONDON_BASIS}): "
        f"{rate.london_rate:,.1f} per 1,000. {this} is {ratio(rate.ratio)} times the average: "
        f"<b>{rate.band} the London average</b>. Rank {n(rate.rank)} of {n(rate.of)} {areas} "
        "(1 = highest rate).",
        f"<i>{texts.BOROUGH_RATE_NOTE if borough else texts.WARD_RATE_NOTE}</i>",
    ]
    if rate.band == "well above":
        lines.append(f"<i>{texts.BUSY_PLACE_NOTE}</i>")
    return tuple(lines)


def _shares(items: Mapping[str, int], total: int, limit: int = 5) -> str:
    """Each category's share of the searches, largest first: 'Person search 81%; …'."""
    if total <= 0:
        return ""
    shown = list(items.items())[:limit]
    parts = [f"{esc(display(k))} {percent(v, total)}" for k, v in shown]
    rest = sum(v for _, v in list(items.items())[limit:])
    if rest:
        parts.append(f"others {percent(rest, total)}")
    return "; ".join(parts)


@lru_cache(maxsize=1024)
def stop_search_block(ss: StopSearchSummary, f: Freshness | None = None,
                      detail: bool = False, ward: str | None = None) -> tuple[str, ...]:
    """Shares first; a count only where the source is complete (the police.uk API's records
    are a sample of the Met's searches, not their number).  The first line names the
    borough (and the ward asked about, whose borough it is), the month and its age."""
    when = age.month_aged(ss.month, f)
    if ss.complete:
        what = plural(ss.total, "search", "searches")
    else:
        what = f"shares of {plural(ss.total, 'record')} in police.uk's open API"
    whose = f", {esc(ward)}'s borough" if ward else ""
    head = f"<b>Stop and search in {esc(ss.borough)}{whose}, {when}</b>: {what}"
    if ss.total == 0:
        lines = [head + "."]
    else:
        limit = 10 if detail else 3

        def line(label: str, items: Mapping[str, int], size: int = limit) -> str:
            return f"{label}: {_shares(items, ss.total, size)}"

        lines = [head]
        if any(ss.by_type) and set(ss.by_type) != {"Not stated"}:
            lines.append(line("Type", ss.by_type))
        lines += [
            line("Looking for", ss.by_object),
            line("Outcome", ss.by_outcome),
            line("Age", ss.by_age, limit if detail else 5),
            line("Officer-defined ethnicity", ss.by_officer_ethnicity, limit if detail else 5),
        ]
        if detail:
            lines += [
                line("Law used", ss.by_legislation),
                line("Self-defined ethnicity", ss.by_self_ethnicity),
                line("Gender", ss.by_gender),
            ]
    notes = [] if ss.complete else [texts.STOP_SEARCH_PARTIAL]
    notes.append(texts.STOP_SEARCH_NOTE)
    if ss.borough in texts.CENTRAL_BOROUGHS:
        notes.append(texts.CENTRAL_ETHNICITY_NOTE)
    if ss.no_location:
        noun = ("search", "searches") if ss.complete else ("record", "records")
        notes.append(f"{plural(ss.no_location, *noun)} across the Met that month had no "
                     "location, so they are in no borough's figures.")
    lines.append(f"<i>{' '.join(notes)}</i>")
    return tuple(lines)


@lru_cache(maxsize=4096)
def taser_block(t: TaserSummary, f: Freshness | None = None,
                ward: str | None = None) -> tuple[str, ...]:
    """Taser use by kind; the first line names the area (and the ward asked about, which it
    covers), the period and its age."""
    where = esc(t.name) if t.area_type == "force" else f"{esc(t.name)} borough"
    if ward:
        where += f" ({'the whole Met' if t.area_type == 'force' else 'the borough'}, " \
                 f"{esc(ward)} included)"
    kinds = "; ".join(f"{TASER_LABELS.get(k, esc(k))} {n(v)}" for k, v in t.by_type.items())
    subjects = (f"{plural(t.subjects, 'person', 'people')} subject to it"
                if t.subjects is not None
                else "the number of people subject to it is not published")
    lines = [
        f"<b>Taser use, {where}, {esc(age.taser_aged(t, f))}</b>: "
        f"{plural(t.deployments, 'deployment')} ({kinds}); {subjects}.",
    ]
    notes = [texts.TASER_COUNTING_NOTE]
    if t.area_type == "force":
        notes.insert(0, texts.TASER_FORCE_NOTE)
    lines.append(f"<i>{' '.join(notes)}</i>")
    return tuple(lines)


def age_block(f: Freshness | None, month: int | None = None) -> str:
    """The statement of age of a full answer's crime figures: the month and its age, and,
    when newer figures have been published, a plain warning saying so."""
    return f"<i>{esc(age.statement(f, month))}</i>"


def place_words(answer: Answer) -> str:
    """An `ok` answer's place as a view's first line names it: "Hackney Central ward,
    Hackney" or "Hackney, the whole borough"."""
    res = answer.resolution
    if res.area == "borough":
        return f"{res.borough_name or ''}, the whole borough"
    place = res.place
    return f"{place.ward_name} ward, {place.lad_name}" if place else ""


def area_name(answer: Answer) -> str:
    """The name of the area an `ok` answer is about: "Hackney Central (Hackney)", "Hackney"."""
    res = answer.resolution
    if res.area == "borough":
        return res.borough_name or ""
    place = res.place
    return f"{place.ward_name} ({place.lad_name})" if place else ""


STOP_SEARCH_SOURCES: Final = {
    "api": "police.uk open API (partial: a sample of the Met's searches)",
    "bulk": "police.uk bulk download",
    "mps": "the Met's stop and search dashboard data (London Datastore)",
}
