"""From a resident's text to an answer: resolve it offline first, then gather figures.

Only a valid postcode in a London district that is missing from the bundled table, a
district of another area than London's (the district alone), and a name the bundle does not
know are sent to postcodes.io; everything else is decided offline, so no third party sees
most postcodes (`postcode_lookup`, `remote_places`).

A message that is exactly a postcode or a district is answered without the place resolver; any
other text (a sentence, a near-miss, a ward or borough name, two places) is read by
`places.understand` against the view's `PlaceIndex`, built on first need.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from datastore.query import remote_places
from datastore.query.models import Place
from datastore.query.places import Asked, Candidate, Understanding, place_understanding, understand
from datastore.query.postcode_lookup import place_index, postcode_resolution, resolve_query
from datastore.query.postcodes import Query, parse_query
from datastore.query.postcodes_io import PostcodesIo
from datastore.query.resolution import (
    CITY_OF_LONDON_LAD,
    CITY_OF_LONDON_PFA,
    DEADLINE_S,
    STATUSES,
    Answer,
    Area,
    Resolution,
    Status,
)
from datastore.query.view import DataView

__all__ = [
    "CITY_OF_LONDON_LAD",
    "CITY_OF_LONDON_PFA",
    "DEADLINE_S",
    "STATUSES",
    "Answer",
    "Area",
    "Resolution",
    "Status",
    "answer",
    "borough_named",
    "borough_resolution",
    "choice_resolution",
    "figures_for",
    "gazetteer_resolution",
    "place_resolution",
    "resolve",
    "ward_resolution",
]

log = logging.getLogger(__name__)


async def resolve(text: str, view: DataView, remote: PostcodesIo | None) -> Resolution:
    """Resolve a resident's text to a place, offline where possible.  Never raises."""
    query = parse_query(text)
    if query.kind != "invalid":  # exactly a postcode or a district: no resolver needed
        return await resolve_query(query, view, remote)
    borough = borough_named(text, view) if "borough" in query.text.lower() else None
    if borough is not None:  # "London Borough of Hackney", "Hackney borough": no doubt
        return borough_resolution(query.text, borough, view)
    if not isinstance(text, str) or not text.strip() or not view.months:
        return Resolution("invalid", query.text, invalid_kind="other")
    what = understand(text, await place_index(view))
    if what.kind == "compare":
        parts = [await _from_understanding(p, query.text, view, remote) for p in what.parts]
        return Resolution("compare", query.text, parts=tuple(parts), left_out=what.left_out)
    found = await _from_understanding(what, query.text, view, remote)
    name = remote_places.worth_asking(text) if remote is not None and (
        what.kind == "other" or what.reason == "fuzzy") else None
    if remote is not None and name:
        # Not in the bundle, or only close to a name in it: OS Open Names may know it.
        return await _remote_place(name, found, view, remote)
    return found


async def _remote_place(name: str, offline: Resolution, view: DataView,
                        remote: PostcodesIo) -> Resolution:
    """A name postcodes.io's places search knows in London: its ward (its point's nearest
    postcode's), or the wards of several such places to choose from.  Otherwise what the
    bundle made of it; when postcodes.io cannot be asked and the bundle knew nothing, that
    is said, as for a postcode."""
    located = await remote_places.search(name, view, remote)
    if located is None:
        if offline.status == "invalid":
            return Resolution("unavailable", offline.query, via_postcodes_io=True,
                              reason="postcodes.io did not answer", asked=Asked(name, "place"))
        return offline
    if not located:
        return offline
    first = located[0]
    asked = Asked(first.name, first.local_type.lower())
    places = list({p.nearest.ward_code: p.nearest for p in located}.values())
    if len(places) == 1:
        return replace(_place_of(offline.query, places[0], view), asked=asked)
    candidates = tuple(Candidate("ward", p.ward_code, p.ward_name, p.lad_code, p.lad_name,
                                 p.lad_code == CITY_OF_LONDON_LAD) for p in places)
    return Resolution("choose", offline.query, candidates=candidates,
                      choose_reason="ambiguous", asked=Asked(first.name, "place"))


def _place_of(query: str, place: Place, view: DataView) -> Resolution:
    """A point's nearest postcode's ward, as a place answered for (no postcode shown)."""
    if place.lad_code == CITY_OF_LONDON_LAD:
        return Resolution("outside_met", query, outside="city", outside_area="City of London",
                          outside_force="City of London Police")
    return ward_resolution(query, place.ward_code, view)


async def _from_understanding(what: Understanding, original: str, view: DataView,
                              remote: PostcodesIo | None) -> Resolution:
    """The resolution of what the place resolver read in a message."""
    if what.kind == "postcode" and what.postcode:
        found = await resolve_query(Query("postcode", what.postcode, original), view, remote)
        if found.status == "not_found" and what.candidates and not found.candidates:
            found = replace(found, candidates=what.candidates)
        return found
    if what.kind == "district" and what.district:
        return await resolve_query(Query("outcode", what.district, original), view, remote)
    if what.kind == "place" and what.place is not None:
        if what.place.kind == "place":  # a gazetteer place outside London
            return Resolution("outside_met", original, outside="elsewhere", asked=what.asked)
        return replace(place_resolution(original, what.place, view), asked=what.asked)
    if what.kind == "choose" and what.candidates:
        return Resolution("choose", original, candidates=what.candidates,
                          choose_reason=what.reason, asked=what.asked, shares=what.shares)
    if what.kind == "postcode_help":
        return Resolution("invalid", original, invalid_kind="postcode")
    if (name := remote_places.worth_asking(original)) is not None:
        return Resolution("invalid", original, invalid_kind="name", asked=Asked(name, ""))
    return Resolution("invalid", original, invalid_kind="other")


async def gazetteer_resolution(place_id: int, view: DataView) -> Resolution | None:
    """A gazetteer place chosen from buttons, by its number: its ward, its wards to choose
    from, or outside London; None if there is no such place."""
    index = await place_index(view)
    candidate = index.place_candidate(place_id)
    if candidate is None:
        return None
    return await _from_understanding(place_understanding(candidate, index), candidate.name,
                                     view, None)


async def choice_resolution(candidates: list[Candidate], view: DataView,
                            remote: PostcodesIo | None) -> Resolution | None:
    """One place of a comparison as its buttons carry it: one candidate is that place (a
    gazetteer place its ward or wards); several are still a choice.  None: no such place."""
    if len(candidates) > 1:
        return Resolution("choose", _names(candidates), candidates=tuple(candidates),
                          choose_reason="ambiguous")
    [chosen] = candidates
    if chosen.kind == "place":
        return await gazetteer_resolution(int(chosen.code), view)
    if chosen.kind == "postcode":
        return await resolve_query(Query("postcode", chosen.code, chosen.code), view, remote)
    return place_resolution(chosen.name or chosen.code, chosen, view)


def _names(candidates: list[Candidate]) -> str:
    return " or ".join(dict.fromkeys(c.name for c in candidates))


def place_resolution(query: str, place: Candidate, view: DataView) -> Resolution:
    """A place chosen by name or button: a postcode, a ward or a borough."""
    if place.kind == "borough":
        return borough_resolution(query, place.code, view)
    if place.kind == "postcode":
        return postcode_resolution(query, place.code, view)
    return ward_resolution(query, place.code, view)


def ward_resolution(query: str, ward_code: str, view: DataView) -> Resolution:
    """A ward asked for by name or button: the Met's ward, with no postcode; its district is
    the one holding most of its postcodes (what a subscription records)."""
    place = view.ward_place(ward_code)
    if place is None:
        return Resolution("not_found", query, reason="ward not in the Met's data")
    if place.lad_code == CITY_OF_LONDON_LAD:
        return Resolution("outside_met", query, outside="city", outside_area="City of London",
                          outside_force="City of London Police")
    if not view.is_met_ward(ward_code):
        return Resolution("not_found", query, reason="ward not in the Met's data")
    return Resolution("ok", query, outcode=place.outcode, place=place)


def _key(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()
                            .replace("&", " and ")).split())


def borough_named(text: str, view: DataView) -> str | None:
    """The code of the borough a text names exactly (any case, punctuation or "&"), if any;
    the City of London's too (its own force)."""
    key = _key(text)
    if not key:
        return None
    names = {_key(name): code for name, code in view.borough_codes.items()}
    return names.get(key) or names.get(key.removeprefix("london borough of ")) or names.get(
        key.removesuffix(" borough"))


def borough_resolution(query: str, code: str, view: DataView) -> Resolution:
    """A borough asked for by name or button: the Met's, or the City of London (its own)."""
    if code == CITY_OF_LONDON_LAD:
        return Resolution("outside_met", query, outside="city", outside_area="City of London",
                          outside_force="City of London Police")
    name = view.borough_name(code)
    if name is None:
        return Resolution("not_found", query, reason="borough not in the Met's data")
    return Resolution("ok", query, area="borough", borough_code=code, borough_name=name)


def figures_for(resolution: Resolution, view: DataView) -> Answer:
    """Gather the figures for a resolved place (only `ok` resolutions get any)."""
    if resolution.status == "ok" and resolution.area == "borough" \
            and resolution.borough_code and resolution.borough_name:
        code, name = resolution.borough_code, resolution.borough_name
        return Answer(
            resolution=resolution,
            crime=view.borough_month(code),
            rate=view.borough_rate(code),
            stop_search=view.stop_search_summary(name),
            taser=view.taser_summary(name),
            ward_month=view.latest_month if view.months else None,
            sources=_sources(view, "borough_crime", "borough_population"),
        )
    if resolution.status == "compare":
        return Answer(resolution, parts=tuple(figures_for(p, view) for p in resolution.parts))
    place = resolution.place
    if resolution.status != "ok" or place is None:
        return Answer(resolution)
    ward = place.ward_code
    return Answer(
        resolution=resolution,
        crime=view.ward_month(ward),
        rate=view.ward_rate(ward),
        stop_search=view.stop_search_summary(place.lad_name),
        taser=view.taser_summary(place.lad_name),
        ward_borough=view.wards[ward].borough_name,
        sources=_sources(view, "ward_crime", "ward_population"),
    )


def _sources(view: DataView, *kinds: str) -> dict[str, tuple[str, ...]]:
    wanted = (*kinds, "stop_search", "taser")
    return {k: tuple(s.name for s in view.versions[k].sources)
            for k in wanted if k in view.versions}


async def answer(text: str, view: DataView, remote: PostcodesIo | None) -> Answer:
    """Resolve a resident's text and gather the figures.  Never raises for bad input."""
    return figures_for(await resolve(text, view, remote), view)
