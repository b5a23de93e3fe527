"""Ward and borough boundaries as shapely shapes, and the figures a map shades them by.

The shapes are read from the store (GeoJSON text) by a plain synchronous function that takes a
connection; `Services.boundaries` runs it off the event loop and keeps the result per version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from datastore.query import figures
from datastore.query.figures import Band
from datastore.query.view import DataView
from datastore.storage.store import Db, versions

if TYPE_CHECKING:  # shapely is loaded with the first shapes read (a map), not with the bot
    import shapely


@dataclass(frozen=True)
class Area:
    """One ward or borough: its code, name, local authority and shape (WGS84 lon/lat)."""

    code: str
    name: str
    lad_code: str
    lad_name: str
    geometry: shapely.Geometry


@dataclass(frozen=True)
class Boundaries:
    """The shapes of one pair of boundary versions, by area code."""

    ward_version: int
    borough_version: int
    wards: dict[str, Area]
    boroughs: dict[str, Area]


def _areas(conn: Db, table: str, version_id: int) -> dict[str, Area]:
    rows = conn.execute(
        f"SELECT code, name, lad_code, lad_name, geometry FROM {table} WHERE version_id=? "
        "ORDER BY code", (version_id,)).fetchall()
    import shapely

    shapes = shapely.from_geojson(np.array([r[4] for r in rows], dtype=object)) if rows else []
    return {r[0]: Area(r[0], r[1], r[2], r[3], g) for r, g in zip(rows, shapes, strict=True)}


def read_boundaries(conn: Db, ward_version: int | None = None,
                    borough_version: int | None = None) -> Boundaries:
    """Read the ward and borough shapes of the given versions (default: the current ones)."""
    current = versions(conn)

    def vid(kind: str, given: int | None) -> int:
        if given is not None:
            return given
        return current[kind].id if kind in current else -1

    wv, bv = vid("ward_boundaries", ward_version), vid("borough_boundaries", borough_version)
    return Boundaries(wv, bv, _areas(conn, "ward_boundaries", wv),
                      _areas(conn, "borough_boundaries", bv))


@dataclass(frozen=True)
class MapArea:
    """One area on a map: its shape and its 12-month rate against the London average (None
    when it has no residents figure)."""

    code: str
    name: str
    geometry: shapely.Geometry
    rate: float | None
    ratio: float | None
    band: Band | None


@dataclass(frozen=True, eq=False)
class AreaMap:
    """A choropleth's figures: areas shaded by band, the user's area if any, the period."""

    kind: Literal["wards", "boroughs"]
    title: str  # the borough's name for a ward map, "London" for the borough map
    areas: tuple[MapArea, ...]
    highlight: str | None  # the code of the user's ward
    first_month: int
    last_month: int
    london_rate: float
    # London's average on the borough file's basis (what borough answers quote), and the
    # month that file runs to, so the map can say which basis each average uses.
    borough_london_rate: float | None = None
    borough_month: int | None = None

    @property
    def highlighted(self) -> MapArea | None:
        return next((a for a in self.areas if a.code == self.highlight), None)


def _map_area(area: Area, rate: float | None, london: float) -> MapArea:
    if rate is None:
        return MapArea(area.code, area.name, area.geometry, None, None, None)
    return MapArea(area.code, area.name, area.geometry, rate, rate / london,
                   figures.band(rate / london))


def borough_map(view: DataView, bounds: Boundaries, lad_code: str) -> AreaMap | None:
    """A borough's wards, each with its 12-month rate against London's, none highlighted.

    None when no ward of the borough has a boundary or the data has no 12 full months.
    """
    wards = [a for a in bounds.wards.values() if a.lad_code == lad_code]
    if not wards or not view.has_twelve_months():
        return None
    rates, london = view.ward_rates(), view.london_rate()
    areas = tuple(_map_area(a, rates.get(a.code), london) for a in wards)
    return AreaMap("wards", wards[0].lad_name, areas, None,
                   figures.window(view.latest_month)[0], view.latest_month, london,
                   view.borough_london_rate(), view.borough_latest_month)


def ward_map(view: DataView, bounds: Boundaries, ward_code: str) -> AreaMap | None:
    """The wards of a ward's borough, each with its 12-month rate against London's.

    None when the ward has no boundary or the data has no 12 full months.
    """
    ward = bounds.wards.get(ward_code)
    if ward is None or not view.has_twelve_months():
        return None
    rates, london = view.ward_rates(), view.london_rate()
    areas = tuple(_map_area(a, rates.get(a.code), london) for a in bounds.wards.values()
                  if a.lad_code == ward.lad_code)
    return AreaMap("wards", ward.lad_name, areas, ward_code,
                   figures.window(view.latest_month)[0], view.latest_month, london,
                   view.borough_london_rate(), view.borough_latest_month)


def london_map(view: DataView, bounds: Boundaries) -> AreaMap | None:
    """Every borough of the Met's area with its 12-month rate (its MPS wards' crimes ÷ their
    residents) against London's; None when the data has no 12 full months."""
    if not view.has_twelve_months() or not bounds.boroughs:
        return None
    rates, london = view.borough_rates(), view.london_rate()
    areas = tuple(_map_area(a, rates.get(a.code), london) for a in bounds.boroughs.values())
    return AreaMap("boroughs", "London", areas, None, figures.window(view.latest_month)[0],
                   view.latest_month, london, view.borough_london_rate(),
                   view.borough_latest_month)
