"""OS Code-Point Open (London subset, with derived WGS84 coordinates and names)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datastore.errors import LoadError
from datastore.ingest.loaders import _values as v
from datastore.ingest.loaders._source import CsvTable

COLUMNS = (
    "Postcode",
    "Admin_district_code",
    "Admin_ward_code",
    "lat_wgs84_derived",
    "lon_wgs84_derived",
    "ward_name",
    "district_name",
)
# A full UK postcode, normalised: outward code, one space, inward code (digit + two letters).
POSTCODE = r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}"
# Generous bounds around Great Britain, to catch swapped or projected coordinates.
LAT_RANGE = (49.0, 61.5)
LON_RANGE = (-9.0, 2.5)


def normalise(raw: pd.Series) -> pd.Series:
    """Upper case, all whitespace removed, then one space before the 3-character inward code."""
    compact = raw.str.upper().str.replace(r"\s+", "", regex=True)
    return compact.str[:-3] + " " + compact.str[-3:]


def _coordinate(table: CsvTable, column: str, bounds: tuple[float, float]) -> np.ndarray:
    raw = table.frame[column]
    num = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = v.first(~np.isfinite(num) | (num < bounds[0]) | (num > bounds[1]))
    if bad is not None:
        value = raw.iat[bad]
        reason = (
            f"{value!r} is not a number"
            if not np.isfinite(num[bad])
            else f"{value!r} is outside Great Britain ({bounds[0]} to {bounds[1]})"
        )
        raise LoadError(table.label, reason, row=table.line(bad), column=column)
    return num


def load(table: CsvTable) -> pd.DataFrame:
    table.require(*COLUMNS)
    postcode = table.frame["Postcode"]
    ok = postcode.str.fullmatch(POSTCODE)
    if not ok.all():  # skipped when the file is already normalised (the bundled one is)
        postcode = normalise(postcode)
        ok = postcode.str.fullmatch(POSTCODE)
    bad = v.first(~ok)
    if bad is not None:
        raise LoadError(
            table.label,
            f"{table.frame['Postcode'].iat[bad]!r} is not a valid postcode",
            row=table.line(bad),
            column="Postcode",
        )
    v.no_duplicates(table, pd.DataFrame({"Postcode": postcode}), "postcode")
    ward_code = v.code(table, "Admin_ward_code", v.WARD_CODE, "ward code (E05 and six digits)")
    lad_code = v.code(table, "Admin_district_code", v.LAD_CODE, "local authority district code")
    ward_name = v.text(table, "ward_name")
    lad_name = v.text(table, "district_name")
    lat = _coordinate(table, "lat_wgs84_derived", LAT_RANGE)
    lon = _coordinate(table, "lon_wgs84_derived", LON_RANGE)
    return pd.DataFrame(
        {
            "postcode": postcode.array,
            "outcode": postcode.str[:-4].array,
            "ward_code": ward_code.array,
            "ward_name": ward_name.array,
            "lad_code": lad_code.array,
            "lad_name": lad_name.array,
            "lat": lat,
            "lon": lon,
        }
    )
