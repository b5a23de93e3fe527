"""The gazetteer's sources, read and cross-checked: Wikipedia's "List of areas of London",
TfL's station list and the street names of police.uk's stop-and-search records.

Each source is checked against the others and against the postcode districts it names (the
bundled Code-Point Open postcodes give each district's extent); what disagrees is fixed from
another source when one says which is right, else dropped.  Every fix and drop is a `Fix`, so
the build can report it and the tests can show it.  Points are WGS84 (latitude, longitude).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Literal

import numpy as np
from scipy.spatial import cKDTree

from datastore.ingest.places.coordinates import grid_reference, metres, to_wgs84
from datastore.query.places.gazetteer import PlaceKind

Point = tuple[float, float]  # (latitude, longitude), WGS84

# How far an area's point may lie from every postcode of the district the table names: the
# table's references are mostly to the middle of a 1 km square (both last digits 5), and it
# keeps only the first district of an area that has several.
DISTRICT_SLACK_M: Final = 1_000.0
# TfL's file carries eastings/northings and a longitude/latitude, which disagree by ~125 m
# on every row (converted without the OSGB36 -> WGS84 datum shift); more than this is a
# copy error in one of them.
STATION_PAIR_M: Final = 300.0
# A same-name area and station this close are one place (the area named for its station).
SAME_PLACE_M: Final = 2_000.0
# Street points of one name this close (single linkage) are one street.
STREET_LINK_M: Final = 1_000.0

# police.uk snaps a record to a point named by what is there when it is not a street.
LOCATION_TYPES: Final = frozenset({
    "Parking Area", "Shopping Area", "Supermarket", "Petrol Station", "Nightclub",
    "Police Station", "Hospital", "Ferry Terminal", "Docklands Light Railway",
    "Croydon Tramlink",
})
_ROAD_NUMBER: Final = re.compile(r"^[AB]\d+$")  # "A118": a route, across many wards
_STATION_SUFFIX: Final = re.compile(
    r"\s+(?:LU|NR|DLR|LO|EL|TfL|\((?:Tramlink|DIS|H&C|Bak)\))$")
_BOROUGH_NAMES: Final = {"City": "City of London"}


@dataclass(frozen=True)
class SourcePlace:
    """One place as a source gives it: a name, a kind, one point or (a street) several."""

    name: str
    kind: PlaceKind
    points: tuple[Point, ...]
    district: str = ""  # the postcode district the source names (areas)
    boroughs: tuple[str, ...] = ()  # the boroughs the source names (areas)
    source_ref: str = ""  # the grid reference or coordinates as the source gives them


@dataclass(frozen=True)
class Fix:
    """What the cross-checks changed: a row fixed or dropped, and why."""

    source: str  # "areas", "stations", "streets"
    name: str
    action: Literal["fixed", "dropped"]
    why: str


def distance_m(a: Point, b: Point) -> float:
    """Metres between two WGS84 points (on the plane around London)."""
    (ax, ay), (bx, by) = metres(*a), metres(*b)
    return math.hypot(ax - bx, ay - by)


class Districts:
    """Every postcode district's extent, as its postcodes' points (a district written without
    its last letter, "EC1", gathers EC1A, EC1M, …)."""

    def __init__(self, outcodes: Sequence[str], lats: np.ndarray, lons: np.ndarray) -> None:
        xy: np.ndarray = np.column_stack(metres(lats, lons))  # type: ignore[arg-type]
        self._tree = cKDTree(xy)
        self._outcodes = np.asarray(outcodes)
        groups: dict[str, list[int]] = {}
        for i, oc in enumerate(outcodes):
            groups.setdefault(oc, []).append(i)
            if len(oc) >= 3 and oc[-1].isalpha():
                groups.setdefault(oc[:-1], []).append(i)
        self._trees = {oc: cKDTree(xy[rows]) for oc, rows in groups.items()}

    def distance(self, district: str, point: Point) -> float | None:
        """Metres from a point to the nearest postcode of a district; None: no such district
        in London."""
        tree = self._trees.get(district.strip().upper())
        if tree is None:
            return None
        found, _i = tree.query(metres(*point))
        return float(found)

    def at(self, point: Point) -> str:
        """The district of the postcode nearest a point."""
        _d, i = self._tree.query(metres(*point))
        return str(self._outcodes[int(i)])


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower().replace("&", "and"))


# -- Wikipedia's List of areas of London ---------------------------------------------------


def read_areas(path: Path) -> list[SourcePlace]:
    """The table's rows as places (its own columns: Location, London borough, Post town,
    Postcode district, Dial code, OS grid reference), unchecked."""
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header = [" ".join(h.split()) for h in rows[0]]
    if header[:6] != ["Location", "London borough", "Post town", "Postcodedistrict",
                      "Dial code", "OSgridref"]:
        raise ValueError(f"{path.name}: unexpected columns {header}")
    out = []
    for name, boroughs, _town, district, _dial, ref, *_rest in rows[1:]:
        found = grid_reference(ref)
        if found is None:
            raise ValueError(f"{path.name}: {name!r} has no grid reference ({ref!r})")
        easting, northing, _size = found
        out.append(SourcePlace(
            name.strip(), "area", (to_wgs84(easting, northing),), district.strip().upper(),
            tuple(_BOROUGH_NAMES.get(b.strip(), b.strip()) for b in boroughs.split(",")),
            ref.strip()))
    return out


def check_areas(areas: list[SourcePlace], stations: list[SourcePlace], districts: Districts,
                borough_of: Callable[[Point], str | None]) -> tuple[list[SourcePlace],
                                                                    list[Fix]]:
    """Each area against the district it names.  One whose point is farther than
    DISTRICT_SLACK_M from every postcode of its district is fixed or dropped:

    - a station of the same name lies in that district: the station's point is the area's;
    - its grid reference is another row's that agrees with its own district: a copy error,
      dropped (Temple Fortune has Barnet's);
    - its point is in a borough the row names: the reference stands and the district is the
      one the point is in (the table's district is the one that is wrong);
    - else dropped.

    ``borough_of`` gives the borough a point lies in (None: none).
    """
    station_at = {_key(s.name): s for s in stations}
    agrees = [(d := districts.distance(a.district, a.points[0])) is not None
              and d <= DISTRICT_SLACK_M for a in areas]
    good_refs = {a.source_ref: a.name for a, ok in zip(areas, agrees, strict=True) if ok}
    kept, fixes = [], []
    for area, ok in zip(areas, agrees, strict=True):
        if ok:
            kept.append(area)
            continue
        far = districts.distance(area.district, area.points[0])
        off = f"{area.source_ref} is {far / 1000:.1f} km from {area.district}" if far \
            else f"{area.district} is not a London district"
        station = station_at.get(_key(area.name))
        if station is not None and (d := districts.distance(
                area.district, station.points[0])) is not None and d <= DISTRICT_SLACK_M:
            kept.append(replace(area, points=station.points))
            fixes.append(Fix("areas", area.name, "fixed",
                             f"{off}; {station.name} station's point, in {area.district}, "
                             "is used"))
        elif area.source_ref in good_refs:
            fixes.append(Fix("areas", area.name, "dropped",
                             f"{off}: it is {good_refs[area.source_ref]}'s reference, copied"))
        elif (borough := borough_of(area.points[0])) in area.boroughs:
            district = districts.at(area.points[0])
            kept.append(replace(area, district=district))
            fixes.append(Fix("areas", area.name, "fixed",
                             f"{off}, but in {borough} as the table says: the district is "
                             f"{district}"))
        else:
            fixes.append(Fix("areas", area.name, "dropped", off))
    return kept, fixes


# -- TfL's stations --------------------------------------------------------------------------


def station_name(name: str) -> str:
    """A station's name without TfL's network suffix ("Euston LU" -> "Euston")."""
    return _STATION_SUFFIX.sub("", name.strip())


def read_stations(path: Path, areas: Iterable[SourcePlace]) -> tuple[list[SourcePlace],
                                                                       list[Fix]]:
    """TfL's stations, one place per name (a station served by several networks is one
    name with several points).  The point is the row's easting/northing; its own longitude/
    latitude are ~125 m off throughout (converted without the datum shift), so they only
    check the easting/northing: a row where they disagree by more than STATION_PAIR_M has a
    copy error in one, and keeps the one within SAME_PLACE_M of the area of its name, or is
    dropped."""
    area_at = {_key(a.name): a.points[0] for a in areas}
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(io.StringIO(fh.read())))
    points: dict[str, list[Point]] = {}
    refs: dict[str, str] = {}
    fixes: list[Fix] = []
    for row in rows:
        raw = row["NAME"].strip()
        name = station_name(raw)
        grid = to_wgs84(float(row["EASTING"]), float(row["NORTHING"]))
        given = (float(row["y"]), float(row["x"]))
        point: Point | None = grid
        if distance_m(grid, given) > STATION_PAIR_M:
            area = area_at.get(_key(name))
            near = [p for p in (grid, given)
                    if area is not None and distance_m(p, area) <= SAME_PLACE_M]
            point = near[0] if near else None
            which = ("its easting/northing" if point == grid else "its longitude/latitude")
            fixes.append(Fix(
                "stations", raw, "fixed" if point else "dropped",
                f"its easting/northing and longitude/latitude are "
                f"{distance_m(grid, given) / 1000:.1f} km apart"
                + (f"; {which}, near the area of its name, is kept" if point else
                   ", and no area of its name says which is right")))
        if point is not None:
            points.setdefault(name, []).append(point)
            refs.setdefault(name, f"{row['EASTING']},{row['NORTHING']}")
    return [SourcePlace(name, "station", tuple(pts), source_ref=refs[name])
            for name, pts in points.items()], fixes


# -- police.uk's street names ---------------------------------------------------------------


def street_name(name: str) -> str:
    """police.uk's "On or near Bishop'S Road" as "Bishop's Road"."""
    bare = name.removeprefix("On or near ").strip()
    return re.sub(r"(?<=\w)['’]S\b", "'s", bare)


def read_streets(paths: Iterable[Path], places: Iterable[SourcePlace]) -> tuple[
        list[SourcePlace], list[Fix]]:
    """The streets police.uk's stop-and-search records are "on or near", each name's points
    in groups at most STREET_LINK_M apart (single linkage): one street each.  Left out:
    police.uk's location types ("Supermarket", "Park/Open Space"), road numbers ("A118"),
    and names that are an area's or a station's (police.uk names the point after it)."""
    named = {_key(p.name) for p in places}
    points: dict[str, set[Point]] = {}
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            records = json.load(fh)
        for record in records:
            location = record.get("location") or {}
            street = (location.get("street") or {}).get("name")
            if not street or location.get("latitude") in (None, ""):
                continue
            point = (round(float(location["latitude"]), 6), round(float(location["longitude"]), 6))
            points.setdefault(street_name(street), set()).add(point)
    out: list[SourcePlace] = []
    skipped: dict[str, int] = {"location types": 0, "road numbers": 0, "named places": 0}
    for name, found in sorted(points.items()):
        if name in LOCATION_TYPES or "/" in name:
            skipped["location types"] += 1
        elif _ROAD_NUMBER.match(name):
            skipped["road numbers"] += 1
        elif _key(name) in named:
            skipped["named places"] += 1
        else:
            out += [SourcePlace(name, "street", group) for group in _groups(sorted(found))]
    fixes = [Fix("streets", what, "dropped", f"{n} names") for what, n in skipped.items()]
    return out, fixes


def _groups(points: list[Point]) -> list[tuple[Point, ...]]:
    """Points in groups whose members are linked by steps of at most STREET_LINK_M."""
    parent = list(range(len(points)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(points)):
        for j in range(i):
            if distance_m(points[i], points[j]) <= STREET_LINK_M:
                parent[root(i)] = root(j)
    groups: dict[int, list[Point]] = {}
    for i, p in enumerate(points):
        groups.setdefault(root(i), []).append(p)
    return [tuple(g) for g in groups.values()]
