"""Issue 19's check, held out from the code: 120 London neighbourhoods, stations and streets
drawn from the raw bundled sources (Wikipedia's list of areas, TfL's stations, police.uk's
street points), each with its raw point.  An answer is right when the ward answered lies
within 1.5 km of the point and the reply names what was asked, or when the choices offered
include such a ward (a place among the choices counts by the ward or wards it answers with);
in the City of London, when the reply says the City.  At least 95 % must be right.  And a
postcode district that does not exist is never called outside the Met.

Nothing here comes from the code under test: the points, the wards' outlines, which names
are wards' own and which districts exist are all read from the raw files (raw_places)."""

from __future__ import annotations

import random
import re
from functools import cache

import pandas as pd
import pytest

from datastore.query import lookup
from datastore.query.places import name_key
from datastore.query.view import DataView
from handlers.present import short_answer
from handlers.present.words import strip_html
from tests import raw, raw_places

SEED = 19
AREAS, STATIONS, STREETS = 50, 35, 35
WITHIN_M = 1_500
_STREET = re.compile(r" (Road|Street|Lane|Avenue|Grove|Gardens|Place|Square|Terrace|Hill|"
                     r"Crescent|Way|Rise|Walk|Parade|Broadway|Green|Row)$")


@cache
def _taken_names() -> frozenset[str]:
    """Names that are a ward's or a borough's own (asking them is asking for that ward)."""
    pcs = raw.postcodes()
    return frozenset(name_key(n) for n in {*pcs["ward_name"], *pcs["district_name"]})


def _in_london(lat: float, lon: float, metres: float) -> bool:
    """In a Met ward (by the raw boundaries) or the City, a London postcode near."""
    borough, _district, far = raw_places.nearest_postcode(lat, lon)
    return far <= metres and (raw_places.ward_at(lat, lon) is not None
                              or borough == raw_places.CITY)


@cache
def sample() -> list[tuple[str, str, float, float]]:
    """(kind, name, lat, lon) of the places asked, drawn at random from the raw sources."""
    rng = random.Random(SEED)
    taken = set(_taken_names())
    areas = raw_places.areas()
    once = areas[~areas["name"].duplicated(keep=False)]
    good = [(r.name, r.lat, r.lon) for r in once.itertuples()
            if name_key(r.name) not in taken
            and raw_places.metres_to_district(r.district, r.lat, r.lon) <= 1_000]
    chosen = [("area", *p) for p in rng.sample(good, AREAS)]
    taken |= {name_key(n) for n in areas["name"]}
    stations = raw_places.stations().drop_duplicates("name")
    good = [(r.name, r.lat, r.lon) for r in stations.itertuples()
            if name_key(r.name) not in taken and _in_london(r.lat, r.lon, 400)]
    chosen += [("station", *p) for p in rng.sample(good, STATIONS)]
    taken |= {name_key(n) for n in stations["name"]}
    points = raw_places.street_points()
    names = sorted(n for n in set(points["name"]) if _STREET.search(n)
                   and name_key(n) not in taken)
    streets: list[tuple[str, float, float]] = []
    for name in rng.sample(names, STREETS * 3):
        here = points[points["name"] == name]
        lat, lon = here.iloc[rng.randrange(len(here))][["lat", "lon"]]
        if _in_london(lat, lon, 200):
            streets.append((name.replace("'S ", "'s "), float(lat), float(lon)))
        if len(streets) == STREETS:
            break
    return chosen + [("street", *p) for p in streets]


def _near(view: DataView, ward: str, lat: float, lon: float) -> bool:
    return view.is_met_ward(ward) and raw_places.metres_to_ward(ward, lat, lon) <= WITHIN_M


async def _right(view: DataView, name: str, lat: float, lon: float, depth: int = 0) -> bool:
    answer = await lookup.answer(name, view, None)
    return await _answer_right(view, answer, name, lat, lon, depth)


async def _answer_right(view: DataView, answer: lookup.Answer, name: str, lat: float,
                        lon: float, depth: int) -> bool:
    res = answer.resolution
    said = name_key(strip_html(short_answer.summary_html(answer)))
    if res.status == "ok" and res.place is not None:
        return _near(view, res.place.ward_code, lat, lon) and name_key(name) in said
    if res.status == "outside_met" and res.outside == "city":
        return raw_places.nearest_postcode(lat, lon)[0] == raw_places.CITY
    if res.status != "choose" or depth > 1:
        return False
    for c in res.candidates:
        if c.kind == "ward" and _near(view, c.code, lat, lon):
            return True
        if c.kind == "place":
            found = await lookup.gazetteer_resolution(int(c.code), view)
            if found is not None and await _answer_right(
                    view, lookup.figures_for(found, view), name, lat, lon, depth + 1):
                return True
    return False


async def test_neighbourhoods_stations_and_streets_are_answered_where_they_are(
        view: DataView) -> None:
    places = sample()
    assert len(places) == AREAS + STATIONS + STREETS == 120
    wrong = [(kind, name) for kind, name, lat, lon in places
             if not await _right(view, name, lat, lon)]
    score = 1 - len(wrong) / len(places)
    print(f"held-out check: {score:.1%} right; wrong: {wrong}")
    assert score >= 0.95, wrong


@cache
def _no_such_districts() -> list[str]:
    """Districts of the London postal district's areas that the raw postcodes lack."""
    real = set(raw.postcodes()["Postcode"].str.split(" ").str[0])
    return [f"{a}{n}" for a in ("E", "N", "NW", "SE", "SW", "W") for n in range(1, 61)
            if f"{a}{n}" not in real]


@pytest.mark.parametrize("typed", ["SE51 5AA", "SW21 1AA", "SE29 1AA", "SE51", "N23 4AB"])
async def test_a_district_that_does_not_exist_is_not_outside_the_met(view: DataView,
                                                                      typed: str) -> None:
    assert typed.split()[0] in _no_such_districts()
    res = (await lookup.answer(typed, view, None)).resolution
    assert res.status == "no_district", res


async def test_no_missing_london_district_is_called_outside_the_met(view: DataView) -> None:
    missing = _no_such_districts()
    assert len(missing) > 20
    for district in missing:
        res = (await lookup.answer(f"{district} 1AA", view, None)).resolution
        assert res.status == "no_district", (district, res.status)


async def test_a_swapped_district_offers_the_real_postcode(view: DataView) -> None:
    res = (await lookup.answer("SE51 5AA", view, None)).resolution
    real = set(raw.postcodes()["Postcode"])
    assert res.candidates[0].code == "SE15 5AA" and "SE15 5AA" in real
    assert {c.code for c in res.candidates} <= real


def test_the_sample_is_drawn_from_the_raw_sources() -> None:
    frame = pd.DataFrame(sample(), columns=["kind", "name", "lat", "lon"])
    assert frame.groupby("kind").size().to_dict() == {"area": AREAS, "station": STATIONS,
                                                      "street": STREETS}
    assert frame["name"].is_unique
