"""Build the gazetteer the place resolver reads: London's areas, stations and streets, each
with the wards it lies in and its share of each, from the bundled sources.

    python -m datastore.ingest.places.build      (rewrites datastore/snapshot/places/
                                                  london_places.csv.gz and prints what the
                                                  cross-checks fixed and dropped)

Run by hand when a source changes; a test rebuilds it and compares.  pandas, scipy and
shapely are needed here only: the bot reads the result with the csv module.

Where a place is: a point alone has no extent, so each gets one by kind (`RADIUS_M`): an area
is the disc of 400 m around its point (the table's points are the middles of 1 km squares,
and a London neighbourhood is about a walk across), a station the disc of 200 m around each
of its entrances' points (the station and its street corners), a street 60 m around each
point police.uk places on it.  A place's share of a ward is the part of its extent in that
ward, of its extent on land in London (the Thames and the land beyond London left out); an
area's extent is cut to the boroughs the table names for it (Soho's reference, the middle of
a 1 km square, lies north of Oxford Street, in Camden; the table says Westminster).  The
City of London, which the ward boundaries leave out, is the convex hull of its postcodes
less the Met's wards; its share is the City's (code E09000001).  A place whose point is
outside London's outline (its wards and the City, the Thames filled in) is outside London: a
street there is left out, an area or a station has no wards.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
import shapely

from datastore.ingest import SNAPSHOT_DIR
from datastore.ingest.places.coordinates import metres
from datastore.ingest.places.sources import (
    SAME_PLACE_M,
    Districts,
    Fix,
    Point,
    SourcePlace,
    check_areas,
    distance_m,
    read_areas,
    read_stations,
    read_streets,
)
from datastore.query.places.gazetteer import COLUMNS, GAZETTEER_FILE, PlaceKind
from datastore.query.places.model import CITY_OF_LONDON

PLACES_DIR: Final = SNAPSHOT_DIR / "places"
AREAS_FILE: Final = PLACES_DIR / "wikipedia_list_of_areas_of_london_2022.csv.gz"
STATIONS_FILE: Final = PLACES_DIR / "tfl_stations_20220221.csv.gz"
RADIUS_M: Final[dict[PlaceKind, float]] = {"area": 400.0, "station": 200.0, "street": 60.0}
_MIN_SHARE: Final = 0.005  # smaller slivers of a ward (a boundary's wobble) are left out


@dataclass(frozen=True)
class Place:
    """A gazetteer place: its name, kind, point, postcode district and wards, largest share
    first (no wards: outside London)."""

    name: str
    kind: PlaceKind
    point: Point
    district: str
    points: int  # how many points the sources give (a street: police.uk's points on it)
    wards: tuple[tuple[str, float], ...]


class WardShapes:
    """The Met's wards and the City of London as shapes in metres (`coordinates.metres`)."""

    def __init__(self, wards_geojson: Path, city_points: Sequence[Point]) -> None:
        with gzip.open(wards_geojson, "rt", encoding="utf-8") as fh:
            features = json.load(fh)["features"]
        self.codes = [f["properties"]["wd22cd"] for f in features]
        self.boroughs = {f["properties"]["wd22cd"]: f["properties"]["lad22nm"]
                         for f in features}
        shapes = [shapely.transform(shapely.from_geojson(json.dumps(f["geometry"])), _to_m)
                  for f in features]
        city_hull = shapely.MultiPoint([metres(*p) for p in city_points]).convex_hull
        met = shapely.union_all(shapes)
        city = city_hull.buffer(40.0).difference(met)
        self.codes.append(CITY_OF_LONDON)
        self.boroughs[CITY_OF_LONDON] = "City of London"
        self.shapes = [*shapes, city]
        self.tree = shapely.STRtree(self.shapes)
        # London's outline, the Thames within it filled in (closed by 400 m)
        self.london = shapely.union_all(self.shapes).buffer(400.0).buffer(-400.0)
        shapely.prepare(self.london)

    def in_london(self, point: Point) -> bool:
        """Whether a point is in London (the river included)."""
        return bool(shapely.contains_xy(self.london, *metres(*point)))

    def borough_of(self, point: Point) -> str | None:
        """The borough a point lies in, None if in none."""
        hits = self.tree.query(shapely.Point(metres(*point)), predicate="intersects")
        return self.boroughs[self.codes[int(hits[0])]] if len(hits) else None

    def shares(self, extent: shapely.Geometry, boroughs: Collection[str] = ()) -> tuple[
            tuple[str, float], ...]:
        """The wards an extent lies in, each with its share of the part in London (in
        ``boroughs`` only, if any are given), largest first; () when none of it is."""
        hits = [int(i) for i in self.tree.query(extent, predicate="intersects")]
        if boroughs and any(self.boroughs[self.codes[i]] in boroughs for i in hits):
            hits = [i for i in hits if self.boroughs[self.codes[i]] in boroughs]
        parts = [(self.codes[i], shapely.area(shapely.intersection(extent, self.shapes[i])))
                 for i in hits]
        total = sum(a for _c, a in parts)
        if total <= 0:
            return ()
        found = sorted(((c, a / total) for c, a in parts if a / total >= _MIN_SHARE),
                       key=lambda ca: (-ca[1], ca[0]))
        kept = sum(s for _c, s in found)
        return tuple((c, s / kept) for c, s in found)


def _to_m(coords: np.ndarray) -> np.ndarray:
    x, y = metres(coords[:, 1], coords[:, 0])  # type: ignore[arg-type]
    return np.column_stack([x, y])


def extent(parts: Iterable[tuple[Point, float]]) -> shapely.Geometry:
    """The union of the discs of the given radii around the given points, in metres."""
    return shapely.union_all([shapely.Point(metres(*p)).buffer(r, quad_segs=16)
                              for p, r in parts])


def _merged(areas: list[SourcePlace], stations: list[SourcePlace]) -> list[
        list[SourcePlace]]:
    """Areas and stations as places: a station and an area of the same name within
    SAME_PLACE_M are one place (the nearest such area)."""
    groups: list[list[SourcePlace]] = [[a] for a in areas]
    for station in stations:
        near = [(distance_m(g[0].points[0], station.points[0]), g) for g in groups
                if g[0].kind == "area" and _same(g[0].name, station.name)]
        near = [(d, g) for d, g in near if d <= SAME_PLACE_M]
        if near:
            min(near, key=lambda dg: dg[0])[1].append(station)
        else:
            groups.append([station])
    return groups


def _same(a: str, b: str) -> bool:
    def key(s: str) -> str:
        return "".join(ch for ch in s.lower().replace("&", "and") if ch.isalnum())
    return key(a) == key(b)


def build(snapshot: Path = SNAPSHOT_DIR) -> tuple[list[Place], list[Fix]]:
    """The gazetteer from the bundled sources, and what the cross-checks fixed or dropped."""
    postcodes = pd.read_csv(snapshot / "codepoint_open_2025-10_london_postcodes.csv.gz",
                            usecols=["Postcode", "Admin_district_code", "lat_wgs84_derived",
                                     "lon_wgs84_derived"], dtype={"Postcode": str})
    lats = postcodes["lat_wgs84_derived"].to_numpy()
    lons = postcodes["lon_wgs84_derived"].to_numpy()
    districts = Districts(postcodes["Postcode"].str.split(" ").str[0].tolist(), lats, lons)
    city = postcodes["Admin_district_code"] == CITY_OF_LONDON
    shapes = WardShapes(snapshot / "london_wards_2022.geojson.gz",
                        list(zip(lats[city], lons[city], strict=True)))
    raw_areas = read_areas(snapshot / "places" / AREAS_FILE.name)
    stations, station_fixes = read_stations(snapshot / "places" / STATIONS_FILE.name,
                                            raw_areas)
    areas, area_fixes = check_areas(raw_areas, stations, districts, shapes.borough_of)
    streets, street_fixes = read_streets(
        sorted(snapshot.glob("policeuk_api_metropolitan_stops_with_borough_*.json.gz")),
        [*areas, *stations])
    places = []
    for group in [*_merged(areas, stations), *([s] for s in streets)]:
        first = group[0]
        point = first.points[0] if first.kind != "street" else _middle(first.points)
        found = shapes.shares(extent((p, RADIUS_M[s.kind]) for s in group for p in s.points),
                              first.boroughs) if shapes.in_london(point) else ()
        if first.kind == "street" and not found:
            continue  # a police.uk point outside London: not a London street
        places.append(Place(first.name, first.kind, point, first.district
                            or districts.at(point), sum(len(s.points) for s in group), found))
    places.sort(key=lambda p: (p.kind, p.name, p.point))
    return places, [*area_fixes, *station_fixes, *street_fixes]


def _middle(points: Sequence[Point]) -> Point:
    """Of a street's points, the one nearest their mean."""
    mean = (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
    return min(points, key=lambda p: distance_m(p, mean))


def write(places: Iterable[Place], path: Path = GAZETTEER_FILE) -> None:
    """The gazetteer as gzipped CSV (`COLUMNS`; wards "E05000001:0.620 E05000002:0.380")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for p in places:
        writer.writerow([p.name, p.kind, f"{p.point[0]:.5f}", f"{p.point[1]:.5f}", p.district,
                         p.points, " ".join(f"{c}:{s:.3f}" for c, s in p.wards)])
    path.write_bytes(gzip.compress(out.getvalue().encode("utf-8"), mtime=0))


def main() -> int:
    places, fixes = build()
    write(places)
    for fix in fixes:
        print(f"{fix.source}: {fix.name}: {fix.action}: {fix.why}")
    kinds = {k: sum(p.kind == k for p in places) for k in ("area", "station", "street")}
    print(f"{len(places)} places ({kinds}) written to {GAZETTEER_FILE.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
