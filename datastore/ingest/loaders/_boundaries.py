"""Ward and borough boundaries: a GeoJSON FeatureCollection, one feature per area.

For GeoJSON, a LoadError's row is the 1-based feature number and its column the property
(or ``geometry``).  Each geometry must be a (Multi)Polygon; an invalid one is repaired with
``shapely.make_valid``, keeping only its polygonal parts; the repaired shape is stored and the
load reports it (``Loaded.notes``), naming the area.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd
import shapely

from datastore.errors import LoadError
from datastore.ingest.loaders import _values as v

WARD_CODE_KEY = re.compile(r"wd(\d\d)cd")
LAD_CODE_KEY = re.compile(r"lad(\d\d)cd")
POLYGONAL = ("Polygon", "MultiPolygon")
# Longitude/latitude bounds around Great Britain: a projected (e.g. British National Grid)
# file would fall far outside them.
LON_RANGE = (-9.0, 2.5)
LAT_RANGE = (49.0, 61.5)


def ward_keys(properties: dict[str, Any]) -> tuple[str, str, str, str] | None:
    """The (code, name, lad code, lad name) property names of a ward feature, if it is one."""
    ward = next((k for k in properties if WARD_CODE_KEY.fullmatch(k)), None)
    if ward is None:
        return None
    year = ward[2:4]
    lad = f"lad{year}cd"
    if lad not in properties:
        lad = next((k for k in properties if LAD_CODE_KEY.fullmatch(k)), lad)
    return ward, f"wd{year}nm", lad, lad[:-2] + "nm"


def _check_crs(label: str, obj: dict[str, Any]) -> None:
    crs = obj.get("crs")
    if crs is None:
        return
    name = str((crs.get("properties") or {}).get("name", "")) if isinstance(crs, dict) else ""
    if not (name.endswith("CRS84") or name.endswith("4326")):
        raise LoadError(label, f"the CRS {name or crs!r} is not WGS84 longitude/latitude")


def _string(label: str, row: int, props: dict[str, Any], key: str, pattern: str | None) -> str:
    value = props.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LoadError(label, "the property is missing or empty", row=row, column=key)
    value = value.strip()
    if pattern is not None and not re.fullmatch(pattern, value):
        raise LoadError(label, f"{value!r} is not a valid code", row=row, column=key)
    return value


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The polygonal part of a geometry (after make_valid), or None if it has none."""
    parts = shapely.get_parts(geom)
    polys: list[shapely.Geometry] = []
    for part in parts:
        if part.geom_type == "Polygon":
            polys.append(part)
        elif part.geom_type == "MultiPolygon":
            polys.extend(shapely.get_parts(part))
    polys = [p for p in polys if not p.is_empty]
    if not polys:
        return None
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def load(label: str, obj: dict[str, Any], kind: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The areas as a frame, and a note for each shape that had to be repaired."""
    _check_crs(label, obj)
    features = obj.get("features")
    if not isinstance(features, list) or not features:
        raise LoadError(label, "the FeatureCollection has no features")
    codes: list[str] = []
    names: list[str] = []
    lad_codes: list[str] = []
    lad_names: list[str] = []
    texts: list[str] = []
    for i, feature in enumerate(features):  # a few hundred features: a plain loop is fine
        row = i + 1
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise LoadError(label, "the entry is not a GeoJSON Feature", row=row)
        props = feature.get("properties")
        if not isinstance(props, dict):
            raise LoadError(label, "the feature has no properties", row=row, column="properties")
        if kind == "ward_boundaries":
            keys = ward_keys(props)
            if keys is None:
                raise LoadError(
                    label, "the feature has no ward code property (wdNNcd)", row=row
                )
            code_key, name_key, lad_key, lad_name_key = keys
            codes.append(_string(label, row, props, code_key, v.WARD_CODE))
            names.append(_string(label, row, props, name_key, None))
            lad_codes.append(_string(label, row, props, lad_key, v.LAD_CODE))
            lad_names.append(_string(label, row, props, lad_name_key, None))
        else:
            code = _string(label, row, props, "borough_code", v.LAD_CODE)
            name = _string(label, row, props, "borough_name", None)
            codes.append(code)
            names.append(name)
            lad_codes.append(code)
            lad_names.append(name)
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") not in POLYGONAL:
            kind_of = geometry.get("type") if isinstance(geometry, dict) else geometry
            raise LoadError(
                label,
                f"the geometry is {kind_of!r}, not a Polygon or MultiPolygon",
                row=row,
                column="geometry",
            )
        texts.append(json.dumps(geometry, separators=(",", ":")))
    seen: dict[str, int] = {}
    for i, code in enumerate(codes):
        if code in seen:
            raise LoadError(
                label,
                f"duplicate area code {code}: features {seen[code]} and {i + 1}",
                row=i + 1,
            )
        seen[code] = i + 1
    try:
        geoms = shapely.from_geojson(np.array(texts, dtype=object))
    except shapely.errors.GEOSException as e:
        raise LoadError(label, f"a geometry cannot be read: {e}") from None
    empty = v.first(shapely.is_empty(geoms))
    if empty is not None:
        raise LoadError(label, "the geometry is empty", row=empty + 1, column="geometry")
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    if xmin < LON_RANGE[0] or xmax > LON_RANGE[1] or ymin < LAT_RANGE[0] or ymax > LAT_RANGE[1]:
        raise LoadError(
            label,
            f"coordinates ({xmin:.0f}..{xmax:.0f}, {ymin:.0f}..{ymax:.0f}) are not WGS84 "
            "longitude/latitude in Great Britain",
        )
    notes: list[str] = []
    for i in np.flatnonzero(~shapely.is_valid(geoms)).tolist():
        fixed = _polygonal(shapely.make_valid(geoms[i]))
        reason = shapely.is_valid_reason(geoms[i])
        if fixed is None or not fixed.is_valid:
            raise LoadError(
                label,
                f"the geometry is invalid and cannot be repaired: {reason}",
                row=int(i) + 1,
                column="geometry",
            )
        texts[int(i)] = str(shapely.to_geojson(fixed))
        notes.append(f"feature {int(i) + 1} ({codes[int(i)]}): the shape was invalid ({reason}) "
                     "and was repaired (shapely make_valid)")
    return pd.DataFrame(
        {
            "code": v.as_str(codes),
            "name": v.as_str(names),
            "lad_code": v.as_str(lad_codes),
            "lad_name": v.as_str(lad_names),
            "geometry": v.as_str(texts),
        }
    ), tuple(notes)


def shapes(frame: pd.DataFrame) -> np.ndarray:
    """The geometry column as shapely geometries."""
    return np.asarray(shapely.from_geojson(frame["geometry"].to_numpy(dtype=object)))
