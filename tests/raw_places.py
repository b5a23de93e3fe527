"""The gazetteer's facts computed straight from the bundled raw sources with pandas, numpy,
scipy and shapely, independently of the code under test (its grid conversion, cross-checks
and ward shares): Wikipedia's areas, TfL's stations, police.uk's street points, the ward
boundaries and the Code-Point postcodes."""

from __future__ import annotations

import gzip
import json
import math
import re
from functools import cache

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from tests import raw
from tests.conftest import SNAPSHOT

PLACES = SNAPSHOT / "places"
CITY = "E09000001"
_LAT0 = 51.5


def xy(lat: float, lon: float) -> tuple[float, float]:
    """Metres east and north on a plane through London (the test's own projection)."""
    return (lon * 111_320 * math.cos(math.radians(_LAT0)), lat * 110_574)


@cache
def _grid_fit() -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude as quadratics of easting and northing, fitted by least squares
    to the Code-Point postcodes (which carry both)."""
    pcs = raw.postcodes()
    e = pcs["Eastings"].astype(float).to_numpy() / 1e5 - 5.3
    n = pcs["Northings"].astype(float).to_numpy() / 1e5 - 1.8
    design = np.column_stack([np.ones_like(e), e, n, e * e, e * n, n * n])
    lat, *_ = np.linalg.lstsq(design, pcs["lat_wgs84_derived"].astype(float), rcond=None)
    lon, *_ = np.linalg.lstsq(design, pcs["lon_wgs84_derived"].astype(float), rcond=None)
    return lat, lon


def latlon(easting: float, northing: float) -> tuple[float, float]:
    e, n = easting / 1e5 - 5.3, northing / 1e5 - 1.8
    terms = np.array([1.0, e, n, e * e, e * n, n * n])
    lat, lon = _grid_fit()
    return float(terms @ lat), float(terms @ lon)


def grid(ref: str) -> tuple[float, float]:
    """A TQ grid reference's square's middle as (easting, northing)."""
    match = re.fullmatch(r"TQ(\d+)", ref.strip())
    assert match and len(match.group(1)) % 2 == 0, ref
    digits = match.group(1)
    half = len(digits) // 2
    size = 10 ** (5 - half)
    return (500_000 + int(digits[:half]) * size + size / 2,
            100_000 + int(digits[half:]) * size + size / 2)


@cache
def areas() -> pd.DataFrame:
    """Wikipedia's "List of areas of London" as bundled: name, boroughs, district, ref,
    easting, northing, lat, lon."""
    frame = pd.read_csv(PLACES / "wikipedia_list_of_areas_of_london_2022.csv.gz",
                        encoding="utf-8-sig", dtype=str)
    frame.columns = pd.Index(["name", "boroughs", "town", "district", "dial", "ref"])
    en = [grid(r) for r in frame["ref"]]
    frame["easting"], frame["northing"] = zip(*en, strict=True)
    frame["lat"], frame["lon"] = zip(*(latlon(e, n) for e, n in en), strict=True)
    return frame


@cache
def stations() -> pd.DataFrame:
    """TfL's stations as bundled: name (without the network suffix), lat, lon (from the
    easting and northing)."""
    frame = pd.read_csv(PLACES / "tfl_stations_20220221.csv.gz")
    frame["name"] = frame["NAME"].str.replace(
        r"\s+(?:LU|NR|DLR|LO|EL|TfL|\((?:Tramlink|DIS|H&C|Bak)\))$", "", regex=True)
    frame["lat"], frame["lon"] = zip(*(latlon(e, n) for e, n in zip(
        frame["EASTING"], frame["NORTHING"], strict=True)), strict=True)
    return frame


@cache
def street_points() -> pd.DataFrame:
    """Every police.uk "On or near <street>" point of the bundled stop-and-search records."""
    rows = []
    for path in sorted(SNAPSHOT.glob("policeuk_api_metropolitan_stops_with_borough_*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for record in json.load(fh):
                loc = record.get("location")
                if loc:
                    rows.append((loc["street"]["name"].removeprefix("On or near "),
                                 float(loc["latitude"]), float(loc["longitude"])))
    return pd.DataFrame(rows, columns=["name", "lat", "lon"]).drop_duplicates()


@cache
def wards() -> tuple[list[str], list[shapely.Geometry], shapely.STRtree]:
    """The bundled ward boundaries in metres (`xy`): codes, shapes and a tree of them."""
    with gzip.open(SNAPSHOT / "london_wards_2022.geojson.gz", "rt", encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    codes = [f["properties"]["wd22cd"] for f in features]
    shapes = [shapely.transform(shapely.from_geojson(json.dumps(f["geometry"])),
                                lambda c: np.column_stack(xy(c[:, 1], c[:, 0])))
              for f in features]
    return codes, shapes, shapely.STRtree(shapes)


def ward_at(lat: float, lon: float) -> str | None:
    """The ward a point lies in (None: in none, e.g. the City or outside London)."""
    codes, _shapes, tree = wards()
    hits = tree.query(shapely.Point(xy(lat, lon)), predicate="within")
    return codes[int(hits[0])] if len(hits) else None


def metres_to_ward(code: str, lat: float, lon: float) -> float:
    codes, shapes, _tree = wards()
    return float(shapes[codes.index(code)].distance(shapely.Point(xy(lat, lon))))


@cache
def _postcode_tree() -> tuple[cKDTree, np.ndarray, np.ndarray]:
    pcs = raw.postcodes()
    points = np.column_stack(xy(pcs["lat_wgs84_derived"].astype(float).to_numpy(),
                                pcs["lon_wgs84_derived"].astype(float).to_numpy()))
    return (cKDTree(points), pcs["Admin_district_code"].to_numpy(),
            pcs["Postcode"].str.split(" ").str[0].to_numpy())


def nearest_postcode(lat: float, lon: float) -> tuple[str, str, float]:
    """(borough code, district, metres) of the raw postcode nearest a point."""
    tree, boroughs, districts = _postcode_tree()
    found, i = tree.query(xy(lat, lon))
    return str(boroughs[int(i)]), str(districts[int(i)]), float(found)


@cache
def _district_rows() -> dict[str, np.ndarray]:
    """Each district's raw postcodes' points ("EC1" gathers EC1A, EC1M, …)."""
    pcs = raw.postcodes()
    points = np.column_stack(xy(pcs["lat_wgs84_derived"].astype(float).to_numpy(),
                                pcs["lon_wgs84_derived"].astype(float).to_numpy()))
    groups: dict[str, list[int]] = {}
    for i, outcode in enumerate(pcs["Postcode"].str.split(" ").str[0]):
        groups.setdefault(outcode, []).append(i)
        if len(outcode) >= 3 and outcode[-1].isalpha():
            groups.setdefault(outcode[:-1], []).append(i)
    return {d: points[rows] for d, rows in groups.items()}


def metres_to_district(district: str, lat: float, lon: float) -> float:
    """Metres from a point to the nearest raw postcode of a district."""
    points = _district_rows().get(district)
    if points is None:
        return math.inf  # no such district in London
    return float(np.min(np.hypot(*(points - np.array(xy(lat, lon))).T)))
