"""The views the buttons under an answer show in its place (crime by type, stop and search,
taser, sources and limits) and /types."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from datastore.query.freshness import Freshness
from datastore.query.lookup import Answer
from datastore.query.models import AreaMonth, StopSearchSummary, TaserSummary
from handlers.present import age, texts
from handlers.present.blocks import (
    STOP_SEARCH_SOURCES,
    age_block,
    minor_block,
    place_words,
    stop_search_block,
    taser_block,
)
from handlers.present.words import category, esc, fit, plural


def types_html(categories: Mapping[str, Iterable[str]]) -> str:
    """/types: the current data's major crime types, each with a plain-English line; a
    button per type gives its kinds (types_detail_html)."""
    from handlers.present.glossary import gloss

    out = ["<b>Crime types</b> in the figures I hold"]
    for major in categories:
        g = gloss(major, major=True)
        out.append(f"• <b>{esc(category(major))}</b>" + (f": {esc(g)}" if g else ""))
    out.append(f"\n<i>{texts.TYPES_FOOT}</i>")
    return fit("\n".join(out))


def types_detail_html(major: str, minors: Iterable[str]) -> str:
    """One major type's kinds: the name shown, the Met's own label, and what it means."""
    from handlers.present.glossary import gloss

    g = gloss(major, major=True)
    out = [f"<b>{esc(category(major))}</b>" + (f": {esc(g)}" if g else ""),
           f"<i>The Met's label: {esc(major)}</i>", ""]
    for minor in minors:
        g = gloss(minor, major=False)
        shown = category(minor)
        out.append(f"• <b>{esc(shown)}</b>" + (f": {esc(g)}" if g else "")
                   + f" <i>({esc(minor)})</i>")
    return fit("\n".join(out))


def stop_search_detail_html(ss: StopSearchSummary, f: Freshness | None = None,
                            ward: str | None = None) -> str:
    """Stop and search in full: its first line names the borough (the ward's, under a ward's
    answer), the month and its age."""
    return fit("\n".join(stop_search_block(ss, f, detail=True, ward=ward)))


def taser_detail_html(history: Iterable[TaserSummary], f: Freshness | None = None,
                      ward: str | None = None) -> str:
    """Taser in full, the newest period this copy holds first, then the earlier ones; the
    first line names the area (covering the ward, under a ward's answer)."""
    items = list(history)
    if not items:
        return "No taser figures are loaded."
    out = list(taser_block(items[0], f, ward))
    out.append("Kinds of use, least to most severe: drawn; aimed; red dot (the laser sight "
               "shown on the person); arced (a spark shown as a warning); fired; drive stun "
               "(pressed against the body); angled drive stun (fired, then pressed against "
               "the body).")
    if len(items) > 1:
        out.append("<b>Earlier periods</b>")
        out += [f"• {esc(age.taser_aged(t, f))}: "
                f"{plural(t.deployments, 'deployment')}" for t in items[1:]]
    return fit("\n".join(out))


def minor_html(crime: AreaMonth, place: str, f: Freshness | None = None) -> str:
    """Crime by minor type: the first line names the place and the month, the second says
    how old the figures are."""
    lines = minor_block(crime, place)
    return fit("\n".join([lines[0], age_block(f, crime.month), *lines[1:]]))


def sources_html(answer: Answer) -> str:
    """Sources and limits: the basis of every figure in the answer, and how old each is."""
    borough = answer.resolution.area == "borough"
    f = answer.freshness
    month = answer.crime.month if answer.crime is not None else None
    out = [f"<b>Sources and limits: {esc(place_words(answer))}</b>\n{age_block(f, month)}"]
    out.append("<b>Crime</b>: " + (texts.BOROUGH_CRIME_BASIS if borough
                                   else texts.WARD_CRIME_BASIS) + ".")
    out.append("<b>Rates</b>: crimes in the 12 months to the figures' month per 1,000 "
               f"{texts.RESIDENTS_BASIS} ({esc(age.residents(f))}); London average: "
               f"{texts.BOROUGH_LONDON_BASIS if borough else texts.WARD_LONDON_BASIS}. "
               + (texts.BOROUGH_RATE_NOTE if borough else texts.WARD_RATE_NOTE))
    if answer.rate is not None and answer.rate.band == "well above":
        out.append(texts.BUSY_PLACE_NOTE)
    ss = answer.stop_search
    if ss is not None:
        notes = [f"{STOP_SEARCH_SOURCES[ss.source]}; {esc(age.month_aged(ss.month, f))}."]
        if not ss.complete:
            notes.append(texts.STOP_SEARCH_PARTIAL)
        notes.append(texts.STOP_SEARCH_NOTE)
        if ss.borough in texts.CENTRAL_BOROUGHS:
            notes.append(texts.CENTRAL_ETHNICITY_NOTE)
        out.append("<b>Stop and search</b>: " + " ".join(notes))
    t = answer.taser
    if t is not None:
        source = (texts.TASER_FORCE_SOURCE if t.area_type == "force"
                  else texts.TASER_BOROUGH_SOURCE)
        notes = [f"{source}; {esc(age.taser_aged(t, f))}."]
        if t.area_type == "force":
            notes.append(texts.TASER_FORCE_NOTE)
        notes.append(texts.TASER_COUNTING_NOTE)
        out.append("<b>Taser</b>: " + " ".join(notes))
    out.append(texts.LIMITS)
    out.append(f"<i>{texts.ATTRIBUTION}</i>")
    return fit("\n\n".join(out))
