"""What the user reads about a place asked for by name: which ward a neighbourhood, station
or street is in, the wards it crosses, a guess offered, and postcodes that cannot exist."""

from __future__ import annotations

from collections.abc import Sequence

from datastore.query.lookup import Resolution
from datastore.query.places import ALL_IN, Candidate
from handlers.present import texts
from handlers.present.words import esc


def _what(name: str, kind: str) -> str:
    """A place's name and, in brackets, what it is: "<b>Euston</b> (station)"."""
    return f"<b>{esc(name)}</b>" + (f" ({esc(kind)})" if kind else "")


def asked_line(res: Resolution) -> str | None:
    """The first line of a ward's answer to a place's name: "Notting Hill is in Pembridge
    ward." (mostly in it: with its share); None when the name was the ward's own."""
    asked, place = res.asked, res.place
    if asked is None or place is None:
        return None
    ward = f"<b>{esc(place.ward_name)}</b> ward, {esc(place.lad_name)}"
    if asked.share is None or asked.share >= ALL_IN:
        return f"{_what(asked.name, asked.kind)} is in {ward}."
    return (f"{_what(asked.name, asked.kind)} is mostly in {ward} (about "
            f"{round(asked.share * 100)}% of it); the rest is in other wards.")


def choose_head(res: Resolution) -> str:
    """The line above a choice: what was not clear, and what the buttons offer."""
    asked = res.asked
    if res.choose_reason == "near_miss":
        return texts.CHOOSE_NEAR_MISS
    if res.choose_reason == "fuzzy":
        return texts.CHOOSE_FUZZY.format(query=esc(" ".join(res.query.split())[:60]))
    if res.choose_reason == "spans" and asked is not None:
        spans = texts.SPANS_WARDS.format(n=len(res.candidates))
        return f"{_what(asked.name, asked.kind)} {spans}"
    if asked is not None:  # several places of that name (postcodes.io's places search)
        return texts.CHOOSE_SAME_NAME.format(name=esc(asked.name))
    if any(c.kind == "place" for c in res.candidates):
        return texts.CHOOSE_SAME_NAME.format(name=esc(res.candidates[0].name))
    return texts.CHOOSE_AMBIGUOUS


def candidate_label(c: Candidate, share: float | None = None) -> str:
    """A place offered to choose, in words: "E8 1DY (Hackney Central)", "Hackney (borough)",
    "Hackney Central (ward, Hackney)", "Brick Lane (street, Weavers, Tower Hamlets)"; a ward
    offered for a place it is part of, with its share ("Weavers (ward, Tower Hamlets, 50%)")."""
    if c.kind == "postcode":
        return f"{c.code} ({c.name})" if c.name else c.code
    if c.kind == "borough":
        return f"{c.name} (borough)"
    if c.kind == "place":
        if not c.borough_name:
            return f"{c.name} ({c.detail}, outside London)"
        where = ", ".join(w for w in (c.where, c.borough_name) if w)
        return f"{c.name} ({c.detail}, {where})"
    tail = f", {round(share * 100)}%" if share is not None else ""
    return f"{c.name} (ward, {c.borough_name}{tail})"


def outside_place(res: Resolution) -> str | None:
    """A place of the gazetteer in the City of London or outside London, said as what it
    is; None for any other answer."""
    asked = res.asked
    if asked is None or res.status != "outside_met":
        return None
    if res.outside == "city":
        return f"{_what(asked.name, asked.kind)} {texts.CITY_OF_LONDON}"
    return f"{_what(asked.name, asked.kind)} {texts.PLACE_OUTSIDE_LONDON}"


def no_district(res: Resolution) -> str:
    """A postcode (or a district) that cannot exist: its district or area is no real one."""
    code = esc(res.postcode or res.outcode or "")
    if res.reason == "no_area":
        why = texts.NO_POSTCODE_AREA
    else:
        why = texts.NO_SUCH_DISTRICT.format(district=esc(res.outcode or ""))
    return f"<b>{code}</b> {why}{did_you_mean(res.candidates)}"


def did_you_mean(candidates: Sequence[Candidate]) -> str:
    """ " Did you mean E8 1DY (Hackney Central) or …?" for real postcodes close to one typed;
    "" for none."""
    if not candidates:
        return ""
    return " Did you mean " + " or ".join(
        f"<b>{esc(c.code)}</b> ({esc(c.name)})" if c.name else f"<b>{esc(c.code)}</b>"
        for c in candidates) + "?"


def outside_unchecked(res: Resolution) -> str:
    """A postcode or district of another area, which no one could say exists."""
    return f"<b>{esc(res.postcode or res.outcode or '')}</b> {texts.OUTSIDE_UNCHECKED}"


def unreachable_place(res: Resolution) -> str:
    """A name the bundle does not know, which postcodes.io could not be asked about."""
    name = res.asked.name if res.asked else res.query
    return texts.PLACE_UNAVAILABLE.format(name=esc(name))
