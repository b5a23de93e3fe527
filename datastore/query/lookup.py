"""From a resident's text to an answer: resolve the postcode offline first, then gather figures.

Only a valid postcode in a London district that is missing from the bundled table is sent to
postcodes.io; everything else is decided offline, so no third party sees most postcodes.

A message that is exactly a postcode or a district is answered without the place resolver; any
other text (a sentence, a near-miss, a ward or borough name, two places) is read by
`places.understand` against the view's `PlaceIndex`, built on first need.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from datastore.query.freshness import Freshness
from datastore.query.models import (
    AreaMonth,
    AreaRate,
    DistrictWard,
    Place,
    StopSearchSummary,
    TaserSummary,
)
from datastore.query.places import (
    Candidate,
    ChooseReason,
    PlaceIndex,
    Understanding,
    understand,
)
from datastore.query.postcodes import PostcodesIo, Query, Remote, parse_query
from datastore.query.view import DataView

log = logging.getLogger(__name__)

Status = Literal[
    "ok", "invalid", "not_found", "terminated", "outcode", "outside_met", "unavailable",
    "choose", "compare",
]
STATUSES: Final[tuple[Status, ...]] = (
    "ok", "invalid", "not_found", "terminated", "outcode", "outside_met", "unavailable",
    "choose", "compare",
)

CITY_OF_LONDON_LAD: Final = "E09000001"
CITY_OF_LONDON_PFA: Final = "E23000034"
# Every answer is given within this many seconds, whatever postcodes.io does.
DEADLINE_S: Final = 3.0


Area = Literal["ward", "borough"]


@dataclass(frozen=True)
class Resolution:
    """What a query turned out to be, and where it is when it is somewhere we answer for: a
    ward (`place`, from a postcode) or a whole borough (`borough_code`)."""

    status: Status
    query: str
    postcode: str | None = None
    outcode: str | None = None
    place: Place | None = None
    district_wards: tuple[DistrictWard, ...] = ()
    # outside_met: "city" (City of London Police) or "elsewhere"; the area's name if known.
    outside: Literal["city", "elsewhere"] | None = None
    outside_area: str | None = None
    outside_force: str | None = None
    terminated: tuple[int, int | None] | None = None  # (year, month)
    via_postcodes_io: bool = False
    reason: str | None = None
    example: str | None = None  # outcode: a real postcode in the district
    area: Area = "ward"
    borough_code: str | None = None  # area "borough": the borough asked about
    borough_name: str | None = None
    # choose: the places a near-miss or an ambiguous name may mean, best first;
    # not_found: real postcodes close to the one typed, if any.
    candidates: tuple[Candidate, ...] = ()
    choose_reason: ChooseReason | None = None
    # compare: the two places a message names, each resolved on its own.
    parts: tuple[Resolution, ...] = ()
    # invalid: "other" (no place at all: a greeting, thanks) or "postcode" (an attempt at one).
    invalid_kind: Literal["other", "postcode"] | None = None


@dataclass(frozen=True)
class Answer:
    """A resolution and, when it is `ok`, the area's figures: a ward's from the ward extract
    (`crime` a WardMonth, `rate` a WardRate) or a borough's from the borough extract
    (BoroughMonth, BoroughRate); the borough's stop and search and taser either way."""

    resolution: Resolution
    crime: AreaMonth | None = None
    rate: AreaRate | None = None
    stop_search: StopSearchSummary | None = None
    taser: TaserSummary | None = None
    ward_borough: str | None = None  # the borough the Met files the ward under
    ward_month: int | None = None  # a borough answer: the ward extract's latest month
    notes: tuple[str, ...] = field(default=())
    # The files each figure comes from, by kind of dataset (for `ask --json`).
    sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    freshness: Freshness | None = None  # whether newer figures may exist (Services sets it)
    parts: tuple[Answer, ...] = ()  # compare: each place's answer

    @property
    def status(self) -> Status:
        return self.resolution.status

    @property
    def area(self) -> Area:
        return self.resolution.area


def _from_remote(remote: Remote, query: str, postcode: str, outcode: str,
                 view: DataView) -> Resolution:
    base = Resolution("unavailable", query, postcode, outcode, via_postcodes_io=True)
    nearby = tuple(view.district_wards(outcode)[:6])
    if remote.status == "found":
        if remote.district_code == CITY_OF_LONDON_LAD or remote.pfa_code == CITY_OF_LONDON_PFA:
            return replace(base, status="outside_met", outside="city",
                           outside_area="City of London", outside_force="City of London Police")
        ward = remote.ward_code or ""
        if view.is_met_ward(ward):
            lad_code, lad_name = view.ward_lad.get(
                ward, (remote.district_code or "", remote.district_name or ""))
            place = Place(postcode, outcode, ward, view.wards[ward].name, lad_code, lad_name,
                          remote.lat, remote.lon)
            return replace(base, status="ok", place=place)
        if (remote.district_code or "").startswith("E09"):
            # In London but in a ward the Met's data does not name (e.g. a new ward code).
            return replace(base, status="not_found", district_wards=nearby,
                           reason="ward not in the Met's data")
        return replace(base, status="outside_met", outside="elsewhere",
                       outside_area=remote.district_name, outside_force=remote.pfa)
    if remote.status == "terminated":
        year = remote.terminated_year
        return replace(base, status="terminated", district_wards=nearby,
                       terminated=(year, remote.terminated_month) if year else None)
    if remote.status == "invalid":
        return replace(base, status="invalid")
    if remote.status == "not_found":
        return replace(base, status="not_found", district_wards=nearby)
    return replace(base, reason=remote.reason or "no answer")


async def resolve(text: str, view: DataView, remote: PostcodesIo | None) -> Resolution:
    """Resolve a resident's text to a place, offline where possible.  Never raises."""
    query = parse_query(text)
    if query.kind != "invalid":  # exactly a postcode or a district: no resolver needed
        return await _resolve_query(query, view, remote)
    borough = borough_named(text, view) if "borough" in query.text.lower() else None
    if borough is not None:  # "London Borough of Hackney", "Hackney borough": no doubt
        return borough_resolution(query.text, borough, view)
    if not isinstance(text, str) or not text.strip() or not view.months:
        return Resolution("invalid", query.text, invalid_kind="other")
    what = understand(text, await _index(view))
    if what.kind == "compare":
        parts = [await _from_understanding(p, query.text, view, remote) for p in what.parts]
        return Resolution("compare", query.text, parts=tuple(parts))
    return await _from_understanding(what, query.text, view, remote)


async def _from_understanding(what: Understanding, original: str, view: DataView,
                              remote: PostcodesIo | None) -> Resolution:
    """The resolution of what the place resolver read in a message."""
    if what.kind == "postcode" and what.postcode:
        found = await _resolve_query(Query("postcode", what.postcode, original), view, remote)
        if found.status == "not_found" and what.candidates and not found.candidates:
            found = replace(found, candidates=what.candidates)
        return found
    if what.kind == "district" and what.district:
        return await _resolve_query(Query("outcode", what.district, original), view, remote)
    if what.kind == "place" and what.place is not None:
        return place_resolution(original, what.place, view)
    if what.kind == "choose" and what.candidates:
        return Resolution("choose", original, candidates=what.candidates,
                          choose_reason=what.reason)
    if what.kind == "postcode_help":
        return Resolution("invalid", original, invalid_kind="postcode")
    return Resolution("invalid", original, invalid_kind="other")


def place_resolution(query: str, place: Candidate, view: DataView) -> Resolution:
    """A place chosen by name or button: a postcode, a ward or a borough."""
    if place.kind == "borough":
        return borough_resolution(query, place.code, view)
    if place.kind == "postcode":
        return _postcode_resolution(query, place.code, view)
    return ward_resolution(query, place.code, view)


def _postcode_resolution(query: str, postcode: str, view: DataView) -> Resolution:
    place = view.place(postcode)
    outcode = postcode.split(" ")[0]
    if place is None:
        return Resolution("not_found", query, postcode, outcode)
    if place.lad_code == CITY_OF_LONDON_LAD:
        return Resolution("outside_met", query, postcode, outcode, place=place,
                          outside="city", outside_area="City of London",
                          outside_force="City of London Police")
    if not view.is_met_ward(place.ward_code):
        return Resolution("not_found", query, postcode, outcode,
                          reason="ward not in the Met's data")
    return Resolution("ok", query, postcode, outcode, place=place)


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


async def _resolve_query(query: Query, view: DataView, remote: PostcodesIo | None) -> Resolution:
    original = query.text
    if query.kind == "outcode":
        wards = tuple(view.district_wards(query.value))
        if not wards:
            return Resolution("outside_met", original, outcode=query.value, outside="elsewhere")
        if all(w.lad_name == "City of London" for w in wards):
            return Resolution("outside_met", original, outcode=query.value, outside="city",
                              outside_area="City of London",
                              outside_force="City of London Police", district_wards=wards)
        return Resolution("outcode", original, outcode=query.value, district_wards=wards,
                          example=view.district_example(query.value))

    postcode = query.value
    outcode = postcode.split(" ")[0]
    if view.place(postcode) is not None:
        return _postcode_resolution(original, postcode, view)
    if not view.has_district(outcode):
        return Resolution("outside_met", original, postcode, outcode, outside="elsewhere")
    if remote is None:
        return await _with_near_misses(Resolution(
            "not_found", original, postcode, outcode,
            district_wards=tuple(view.district_wards(outcode)[:6])), view)
    try:
        async with asyncio.timeout(DEADLINE_S):
            found = await remote.lookup(postcode)
    except TimeoutError:
        return Resolution("unavailable", original, postcode, outcode, via_postcodes_io=True,
                          reason="postcodes.io took too long")
    return await _with_near_misses(_from_remote(found, original, postcode, outcode, view),
                                   view)


async def _with_near_misses(res: Resolution, view: DataView) -> Resolution:
    """A postcode no one knows, with the real postcodes close to it ("did you mean")."""
    if res.status != "not_found" or not res.postcode or not view.months:
        return res
    return replace(res, candidates=(await _index(view)).near_misses(res.postcode))


async def _index(view: DataView) -> PlaceIndex:
    """The view's place index; its first build (~0.7 s) runs in a thread, off the loop."""
    return view.place_index() if view.has_place_index else await asyncio.to_thread(
        view.place_index)


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
