"""A postcode or a district resolved: from the bundled table, else (a valid postcode in a
London district the table lacks; a district of another area) from postcodes.io."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from datastore.query.models import Place
from datastore.query.places import PlaceIndex
from datastore.query.postcodes import LONDON_AREAS, UK_AREAS, Query, area_of
from datastore.query.postcodes_io import PostcodesIo, Remote
from datastore.query.resolution import (
    CITY_OF_LONDON_LAD,
    CITY_OF_LONDON_PFA,
    DEADLINE_S,
    Resolution,
)
from datastore.query.view import DataView


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


def postcode_resolution(query: str, postcode: str, view: DataView) -> Resolution:
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


async def resolve_query(query: Query, view: DataView, remote: PostcodesIo | None) -> Resolution:
    original = query.text
    if query.kind == "outcode":
        wards = tuple(view.district_wards(query.value))
        if not wards:
            return await _unknown_district(original, None, query.value, view, remote)
        if all(w.lad_name == "City of London" for w in wards):
            return Resolution("outside_met", original, outcode=query.value, outside="city",
                              outside_area="City of London",
                              outside_force="City of London Police", district_wards=wards)
        return Resolution("outcode", original, outcode=query.value, district_wards=wards,
                          example=view.district_example(query.value))

    postcode = query.value
    outcode = postcode.split(" ")[0]
    if view.place(postcode) is not None:
        return postcode_resolution(original, postcode, view)
    if not view.has_district(outcode):
        return await _unknown_district(original, postcode, outcode, view, remote)
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


async def _unknown_district(original: str, postcode: str | None, outcode: str,
                            view: DataView, remote: PostcodesIo | None) -> Resolution:
    """A district with no London postcode.  One in no UK postcode area, or in an area of the
    London postal district (all of whose districts are in the table), does not exist;
    whether one of another area does, only postcodes.io can say (asked with the district
    alone, never the postcode): outside the Met when it does, or when no one could say."""
    area = area_of(outcode)
    if area not in UK_AREAS or area in LONDON_AREAS:
        reason = "no_area" if area not in UK_AREAS else "no_district"
        return await _close_to(Resolution("no_district", original, postcode, outcode,
                                          reason=reason), view)
    outside = Resolution("outside_met", original, postcode, outcode, outside="elsewhere",
                         unchecked=True)
    if remote is None:
        return outside
    try:
        async with asyncio.timeout(DEADLINE_S):
            found = await remote.district(outcode)
    except TimeoutError:
        return outside
    if found.status == "found":
        return replace(outside, unchecked=False,
                       outside_area=", ".join(found.districts) or None)
    if found.status == "not_found":
        return await _close_to(Resolution("no_district", original, postcode, outcode,
                                          reason="no_district"), view)
    return outside


async def _close_to(res: Resolution, view: DataView) -> Resolution:
    """A postcode that cannot exist, with the real London postcodes close to it."""
    if not res.postcode or not view.months:
        return res
    return replace(res, candidates=(await place_index(view)).near_misses(res.postcode))


async def _with_near_misses(res: Resolution, view: DataView) -> Resolution:
    """A postcode no one knows, with the real postcodes close to it ("did you mean")."""
    if res.status != "not_found" or not res.postcode or not view.months:
        return res
    return replace(res, candidates=(await place_index(view)).near_misses(res.postcode))


async def place_index(view: DataView) -> PlaceIndex:
    """The view's place index; its first build (~0.7 s) runs in a thread, off the loop."""
    return view.place_index() if view.has_place_index else await asyncio.to_thread(
        view.place_index)
