"""The bundled gazetteer: what the build makes of its sources, each cross-check's fix, the grid
conversion, and the wards each place is given, against the raw files (tests/raw_places.py
computes every expectation on its own: its own grid fit, boundaries and postcodes)."""

from __future__ import annotations

import math
import random
from functools import cache
from pathlib import Path

import pytest

from datastore.ingest.places import build, sources
from datastore.ingest.places.coordinates import grid_reference, to_wgs84
from datastore.query.places.gazetteer import GAZETTEER_FILE, GazetteerPlace, read_gazetteer
from tests import raw, raw_places


@cache
def gazetteer() -> tuple[GazetteerPlace, ...]:
    return read_gazetteer().places


def named(name: str, kind: str) -> list[GazetteerPlace]:
    return [p for p in gazetteer() if p.name == name and p.kind == kind]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    (ax, ay), (bx, by) = raw_places.xy(*a), raw_places.xy(*b)
    return math.hypot(ax - bx, ay - by)


# -- OS grid references to WGS84 ---------------------------------------------------------


@pytest.mark.parametrize(("ref", "expected"), [
    ("TQ345665", (534_550.0, 166_550.0, 100.0)),
    ("TQ4970", (549_500.0, 170_500.0, 1_000.0)),
    ("TQ47586708", (547_585.0, 167_085.0, 10.0)),
    ("TQ3487791024", (534_877.5, 191_024.5, 1.0)),
    ("TL300050", (530_050.0, 205_050.0, 100.0)),
    ("SU000000", (400_050.0, 100_050.0, 100.0)),
    ("TQ12345", None), ("XX123456", None), ("TQ", None), ("", None),
])
def test_grid_references(ref: str, expected: tuple[float, float, float] | None) -> None:
    assert grid_reference(ref) == expected


def test_eastings_and_northings_convert_as_the_postcode_file_does() -> None:
    """The bundled postcodes carry both (converted with pyproj's Helmert, as here): over 2,000
    of them the conversion without a projection library agrees within a metre."""
    sample = raw.postcodes().sample(2_000, random_state=5)
    worst = max(metres(to_wgs84(float(e), float(n)), (float(la), float(lo)))
                for e, n, la, lo in zip(sample["Eastings"], sample["Northings"],
                                        sample["lat_wgs84_derived"],
                                        sample["lon_wgs84_derived"], strict=True))
    assert worst < 1.0


# -- what the cross-checks fixed and dropped ------------------------------------------------


def test_angel_has_addiscombes_reference_and_is_placed_at_its_station() -> None:
    areas = raw_places.areas()
    angel = areas[areas["name"] == "Angel"].iloc[0]
    addiscombe = areas[areas["name"] == "Addiscombe"].iloc[0]
    assert angel["ref"] == addiscombe["ref"]  # the raw table's error
    assert raw_places.metres_to_district("EC1", angel["lat"], angel["lon"]) > 10_000
    [place] = named("Angel", "area")
    station = raw_places.stations()
    at = station[station["name"] == "Angel"].iloc[0]
    assert metres((place.lat, place.lon), (at["lat"], at["lon"])) < 50
    assert raw_places.metres_to_district("EC1", place.lat, place.lon) < 500
    assert metres((place.lat, place.lon), (angel["lat"], angel["lon"])) > 10_000


@pytest.mark.parametrize("name", ["Angel", "Oval", "Stanmore", "Stockwell"])
def test_an_area_far_from_its_district_takes_its_stations_point(name: str) -> None:
    areas = raw_places.areas()
    row = areas[areas["name"] == name].iloc[0]
    assert raw_places.metres_to_district(row["district"], row["lat"], row["lon"]) > 1_000
    [place] = named(name, "area")
    stations = raw_places.stations()
    at = stations[stations["name"] == name].iloc[0]
    assert metres((place.lat, place.lon), (at["lat"], at["lon"])) < 50
    assert raw_places.metres_to_district(row["district"], place.lat, place.lon) <= 1_000


@pytest.mark.parametrize(("name", "twin"), [
    ("Temple Fortune", "Chipping Barnet"), ("Church End", "Chiswick"),
    ("Old Malden", "New Malden"), ("Harrow Weald", "Harrow"), ("Walthamstow", "Leyton"),
    ("Sydenham Hill", "Sydenham"), ("Bexley", "Welling"), ("Old Bexley", "Welling"),
])
def test_an_area_with_another_rows_reference_is_dropped(name: str, twin: str) -> None:
    areas = raw_places.areas()
    row = areas[areas["name"] == name].iloc[0]
    other = areas[areas["name"] == twin].iloc[0]
    assert row["ref"] == other["ref"]
    assert raw_places.metres_to_district(row["district"], row["lat"], row["lon"]) > 1_000
    assert raw_places.metres_to_district(other["district"], other["lat"], other["lon"]) <= 1_000
    assert named(twin, "area")
    assert all(metres((p.lat, p.lon), (row["lat"], row["lon"])) > 1_000
               for p in named(name, "area"))  # another place of that name may be elsewhere


@pytest.mark.parametrize(("name", "district"), [("Bickley", "BR1"), ("Bromley Common", "BR2")])
def test_an_area_in_its_borough_keeps_its_point_and_gets_its_district(name: str,
                                                                      district: str) -> None:
    areas = raw_places.areas()
    row = areas[areas["name"] == name].iloc[0]
    assert raw_places.metres_to_district(row["district"], row["lat"], row["lon"]) > 1_000
    [place] = named(name, "area")
    assert metres((place.lat, place.lon), (row["lat"], row["lon"])) < 5
    assert place.district == district == raw_places.nearest_postcode(row["lat"], row["lon"])[1]


def test_tfl_longitudes_are_off_by_the_datum_shift_and_copy_errors_are_settled() -> None:
    stations = raw_places.stations()
    offsets = sorted(metres((la, lo), (y, x)) for la, lo, y, x in zip(
        stations["lat"], stations["lon"], stations["y"], stations["x"], strict=True))
    assert 100 < offsets[len(offsets) // 2] < 150  # converted without the datum shift
    far = {n for n, la, lo, y, x in zip(stations["NAME"], stations["lat"], stations["lon"],
                                        stations["y"], stations["x"], strict=True)
           if metres((la, lo), (y, x)) > sources.STATION_PAIR_M}
    assert far == {"Acton Central", "Acton Main Line", "Abbey Wood"}
    assert not named("Acton Central", "station") and not named("Acton Main Line", "station")
    # Abbey Wood's longitude/latitude are Abbey Road's; its easting/northing are kept,
    # merged with the area of its name
    [abbey] = named("Abbey Wood", "area")
    row = stations[stations["NAME"] == "Abbey Wood"].iloc[0]
    area = raw_places.areas()[raw_places.areas()["name"] == "Abbey Wood"].iloc[0]
    assert metres((row["lat"], row["lon"]), (area["lat"], area["lon"])) < sources.SAME_PLACE_M
    assert metres((abbey.lat, abbey.lon), (area["lat"], area["lon"])) < 5


def test_streets_are_police_uk_points_never_its_location_types() -> None:
    points = raw_places.street_points()
    by_name = {n: set(zip(g["lat"], g["lon"], strict=True)) for n, g in points.groupby("name")}
    streets = [p for p in gazetteer() if p.kind == "street"]
    assert len(streets) > 9_000
    rng = random.Random(3)
    for place in rng.sample(streets, 300):
        raw_name = place.name.replace("'s", "'S")
        found = by_name.get(raw_name, by_name.get(place.name, set()))
        assert min(metres((place.lat, place.lon), p) for p in found) < 2, place
    names = {p.name for p in streets}
    assert not names & {"Supermarket", "Parking Area", "Petrol Station", "Shopping Area",
                        "Nightclub", "Hospital", "Police Station"}
    assert not any("/" in n for n in names)
    assert "Brick Lane" in names and "Bishop's Road" in names and "Bishop'S Road" not in names


# -- each place's wards -----------------------------------------------------------------------


def test_each_places_wards_are_real_and_their_shares_add_up() -> None:
    real = set(raw.postcodes()["Admin_ward_code"]) | {raw_places.CITY}
    for place in gazetteer():
        if place.wards:
            assert {c for c, _s in place.wards} <= real, place
            assert abs(sum(s for _c, s in place.wards) - 1) < 0.01, place
            assert [s for _c, s in place.wards] == sorted((s for _c, s in place.wards),
                                                          reverse=True)


def test_a_places_point_is_in_one_of_its_wards() -> None:
    """The ward holding each place's point (from the raw boundaries) is among its wards; a
    point in no ward is in the City (by its nearest raw postcode) or outside London."""
    rng = random.Random(7)
    sample = rng.sample(gazetteer(), 600)
    for place in sample:
        codes = {c for c, _s in place.wards}
        ward = raw_places.ward_at(place.lat, place.lon)
        if ward is not None and place.kind != "area":
            assert ward in codes or not codes, place
        if ward is None and codes:  # the City, or a hair's breadth between two wards
            borough, _d, _far = raw_places.nearest_postcode(place.lat, place.lon)
            assert raw_places.CITY in codes or borough == raw_places.CITY or min(
                raw_places.metres_to_ward(c, place.lat, place.lon) for c in codes
                if c != raw_places.CITY) < 5, place


def test_soho_is_cut_to_the_borough_the_table_names() -> None:
    """Soho's reference is the middle of a 1 km square reaching over Oxford Street into
    Camden; the table says Westminster, so its wards are Westminster's."""
    [soho] = named("Soho", "area")
    pcs = raw.postcodes()
    westminster = set(pcs.loc[pcs["district_name"] == "Westminster", "Admin_ward_code"])
    assert {c for c, _s in soho.wards} <= westminster


def test_the_bundled_gazetteer_is_what_the_build_makes_of_the_bundled_sources(
        tmp_path: Path) -> None:
    places, _fixes = build.build()
    rebuilt = tmp_path / "london_places.csv.gz"
    build.write(places, rebuilt)
    assert rebuilt.read_bytes() == GAZETTEER_FILE.read_bytes()
