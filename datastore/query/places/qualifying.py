"""Qualifiers: a name that only says where another mention is ("Woodside, Croydon", "E8 1DY
Hackney", "Brick Lane E1", "Church Road, Barnes"), folded into it."""

from __future__ import annotations

from datastore.query.places.index import PlaceIndex
from datastore.query.places.mentions import Mention, asks_to_compare, named
from datastore.query.places.model import Candidate, Understanding


def _areas(what: Understanding) -> set[str]:
    """The codes of the wards and boroughs a mention is in or may be."""
    out: set[str] = set()
    for c in (what.place, *what.candidates):
        if c is not None:
            out.add(c.borough_code)
            if c.kind == "ward":
                out.add(c.code)
    for share in what.wards:
        out |= {share.ward.code, share.ward.borough_code}
    return out


def qualified(mentions: list[Mention], message: str, index: PlaceIndex) -> list[Mention]:
    """Fold a name that only says where another mention is ("Woodside, Croydon", "E8 1DY
    Hackney", "E1 Whitechapel") into it, unless the message asks for a comparison."""
    if len(mentions) < 2 or asks_to_compare(message):
        return mentions
    out = list(mentions)
    k = 0
    while k + 1 < len(out):
        a, b = out[k], out[k + 1]
        merged = _merge(a, b, index) or _merge(b, a, index)
        if merged is not None:
            out[k:k + 2] = [merged]
        else:
            k += 1
    return out


def _merge(main: Mention, qualifier: Mention, index: PlaceIndex) -> Mention | None:
    """``main`` narrowed by ``qualifier`` if the qualifier is a name (or, for a street, a
    district) consistent with it."""
    m = main.what
    span = (min(main.start, qualifier.start), max(main.end, qualifier.end))
    q = qualifier.what
    if main.name_words and m.kind in ("place", "choose") and m.reason != "near_miss":
        kept = (_there(index.names.named(main.name_words, widen=True), qualifier, index)
                or _there(index.names.places_named(main.name_words), qualifier, index))
        if not kept:
            return None
        if m.asked is not None and len(kept) == 1 and kept[0].kind == "place":
            return Mention(*span, m, main.name_words)  # it is where it says it is
        return Mention(*span, named(m.text, kept, index), main.name_words)
    if not qualifier.name_words:
        return None
    q_codes = {c.code for c in (q.place, *q.candidates) if c is not None}
    q_boroughs = {c.borough_code for c in (q.place, *q.candidates) if c is not None}
    if m.kind == "district":
        wards = [s.ward for s in m.wards if s.ward.code in q_codes]
        if wards and len(wards) == 1 and q_codes <= {wards[0].code} | q_boroughs:
            return Mention(*span, Understanding("place", m.text, place=wards[0]))
        if _areas(m) & q_codes:
            return Mention(*span, m)
        return None
    if m.kind == "postcode" and m.place is not None and (
            {m.place.borough_code} & (q_codes | q_boroughs)):
        return Mention(*span, m)
    return None


def _there(options: list[Candidate], qualifier: Mention, index: PlaceIndex) -> list[Candidate]:
    """The options a qualifier says where: those in its borough ("Woodside, Croydon"); a
    street in its district ("Brick Lane E1") or crossing its ward or area ("Church Road,
    Barnes")."""
    q = qualifier.what
    if q.kind == "district" and q.district:
        return [c for c in options if c.detail == "street" and (p := index.place(c))
                and _in_district(p.district, q.district)]
    if not qualifier.name_words:
        return []
    named = [c for c in (q.place, *q.candidates) if c is not None]
    boroughs = {c.code for c in named if c.kind == "borough"}
    wards = {c.code for c in named if c.kind == "ward"}
    for place in index.names.places_named(qualifier.name_words):
        if (p := index.place(place)) is not None:
            wards |= {code for code, _s in p.wards}
    return [c for c in options
            if (c.kind in ("ward", "place") and c.borough_code in boroughs)
            or (c.detail == "street" and (p := index.place(c)) is not None
                and bool(wards & {code for code, _s in p.wards}))]


def _in_district(district: str, asked: str) -> bool:
    """Whether a place's district is the one asked for ("E1"; "W1" gathers W1A, W1B, …)."""
    return district == asked or (district[:-1] == asked and district[-1:].isalpha())
