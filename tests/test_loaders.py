"""The loaders on the bundled files, and on bad input.

Expected figures are computed here straight from the raw files (pandas, csv, json, gzip,
shapely), never copied from the loaders' output.  Bad fixtures are built in tmp_path from the
real headers.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import shapely

from datastore.errors import LoadError
from datastore.ingest.loaders import (
    COLUMNS,
    TASER_TYPES,
    Loaded,
    combine,
    detect_kind,
    order_sources,
    read_file,
)
from datastore.storage.kinds import Kind

ROOT = Path(__file__).resolve().parent.parent
SNAP = ROOT / "datastore" / "snapshot"
DATA = Path(__file__).resolve().parent / "data"
FIXTURES = DATA / "loaders"

WARD_CRIME = SNAP / "mps_ward_crime_recent24m_202404-202603.csv.gz"
OLD_WARD_CRIME = DATA / "mps_ward_crime_recent24m_202402-202601.csv.gz"
BOROUGH_CRIME = DATA / "mps_borough_crime_recent24m_202312-202511.csv.gz"  # the old format
NEW_BOROUGH_CRIME = SNAP / "mps_borough_crime_recent24m_202407-202606.csv.gz"  # mid-2026
WARD_POP = SNAP / "census2021_ts019_migrant_indicator_by_ward2022_london.csv.gz"
MPS_STOPS = FIXTURES / "mps_stop_search_dashboard_sample.csv"
BOROUGH_POP = SNAP / "census2021_ts007a_age_ltla_london.csv"
POSTCODES = SNAP / "codepoint_open_2025-10_london_postcodes.csv.gz"
WARDS_GEO = SNAP / "london_wards_2022.geojson.gz"
BOROUGHS_GEO = SNAP / "london_boroughs.geojson.gz"
STOPS_JSON = sorted(SNAP.glob("policeuk_api_metropolitan_stops_with_borough_*.json.gz"))
STOPS_CSV = DATA / "policeuk_2022-09-metropolitan-stop-and-search.csv.gz"
USE_OF_FORCE = DATA / "use_of_force"
HO_TASER = sorted([*SNAP.glob("homeoffice_ced_by_force_*.csv"),
                   *USE_OF_FORCE.glob("homeoffice_ced_by_force_*.csv")], key=lambda p: p.name)
HO_ODS = SNAP / "police-use-of-force-apr2019-mar2020-hosb3720-tables.ods"
UOF = FIXTURES / "mps_use_of_force_sample.csv"
LONDON = ZoneInfo("Europe/London")

EXPECTED_KINDS: dict[str, Kind] = {
    WARD_CRIME.name: "ward_crime",
    OLD_WARD_CRIME.name: "ward_crime",
    BOROUGH_CRIME.name: "borough_crime",
    NEW_BOROUGH_CRIME.name: "borough_crime",
    WARD_POP.name: "ward_population",
    MPS_STOPS.name: "stop_search",
    BOROUGH_POP.name: "borough_population",
    POSTCODES.name: "postcodes",
    WARDS_GEO.name: "ward_boundaries",
    BOROUGHS_GEO.name: "borough_boundaries",
    STOPS_CSV.name: "stop_search",
    UOF.name: "taser",
    **{p.name: "stop_search" for p in STOPS_JSON},
    **{p.name: "taser" for p in HO_TASER},
    HO_ODS.name: "taser",
}


def _path(name: str) -> Path:
    for folder in (SNAP, DATA, FIXTURES, USE_OF_FORCE):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(name)


def _text(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8-sig")


def _json(path: Path) -> Any:
    return json.loads(_text(path))


def _london_month(stamp: str) -> int:
    local = datetime.fromisoformat(stamp).astimezone(LONDON)
    return local.year * 100 + local.month


@pytest.fixture(scope="module")
def ward_crime() -> Loaded:
    return read_file(WARD_CRIME)


@pytest.fixture(scope="module")
def ward_crime_raw() -> pd.DataFrame:
    return pd.read_csv(WARD_CRIME, dtype={"WardCode": str})


@pytest.fixture(scope="module")
def borough_shapes() -> tuple[list[str], np.ndarray]:
    gj = _json(BOROUGHS_GEO)
    names = [f["properties"]["borough_name"] for f in gj["features"]]
    geoms = np.array([shapely.geometry.shape(f["geometry"]) for f in gj["features"]])
    return names, geoms


def _expected_borough(
    shapes: tuple[list[str], np.ndarray], lon: np.ndarray, lat: np.ndarray
) -> np.ndarray:
    """Per point, the first borough polygon (file order) that covers it, else ""."""
    names, geoms = shapes
    out = np.full(len(lon), "", dtype=object)
    for name, geom in zip(names, geoms, strict=True):
        inside = shapely.intersects_xy(geom, lon, lat) & (out == "")
        out[inside] = name
    return out


def _check_columns(loaded: Loaded) -> None:
    assert tuple(loaded.frame.columns) == COLUMNS[loaded.kind]


# ======================================================================================
# detection


@pytest.mark.parametrize("name", sorted(EXPECTED_KINDS))
def test_detect_kind_on_every_bundled_file(name: str) -> None:
    assert detect_kind(_path(name)) == EXPECTED_KINDS[name]


def test_the_kind_a_first_run_takes_each_bundled_file_for_is_the_one_it_shows() -> None:
    """A first run reads bundled files by the table of their names (not recognising them):
    the table names every one, as its content shows it."""
    from datastore.ingest import sources

    given = sources.bundled_kinds()
    assert set(given) == set(sources.bundled_files())
    assert {p.name: k for p, k in given.items()} == {
        p.name: detect_kind(p) for p in sources.bundled_files()}


def test_every_snapshot_data_file_is_covered() -> None:
    data_files = {p.name for p in SNAP.iterdir() if p.is_file() and p.suffix != ".md"}
    assert data_files <= set(EXPECTED_KINDS)


def test_detection_ignores_names(tmp_path: Path) -> None:
    # gzip recognised by content: a gzip file without .gz, and a plain file with no suffix.
    gz_no_suffix = tmp_path / "borough_data"
    gz_no_suffix.write_bytes(BOROUGH_CRIME.read_bytes())
    assert detect_kind(gz_no_suffix) == "borough_crime"
    plain = tmp_path / "stops.geojson"
    plain.write_bytes(gzip.decompress(STOPS_JSON[0].read_bytes()))
    assert detect_kind(plain) == "stop_search"
    misnamed = tmp_path / "mps_ward_crime.csv"
    misnamed.write_bytes(gzip.decompress(BOROUGHS_GEO.read_bytes()))
    assert detect_kind(misnamed) == "borough_boundaries"


# ======================================================================================
# crime


def test_ward_crime_long_format(ward_crime: Loaded, ward_crime_raw: pd.DataFrame) -> None:
    raw = ward_crime_raw
    month_cols = [c for c in raw.columns if c.isdigit() and len(c) == 6]
    _check_columns(ward_crime)
    frame = ward_crime.frame
    assert frame["month"].dtype == np.int64
    assert frame["count"].dtype == np.int64
    assert (frame["count"] >= 0).all()
    assert ward_crime.months == tuple(sorted(int(c) for c in month_cols))
    assert ward_crime.months[0] == 202403  # the near-empty stub column is kept
    assert ward_crime.months[-1] == 202603
    assert len(ward_crime.months) == 25
    assert len(frame) == len(raw) * len(month_cols)  # zeros kept as published
    assert frame["ward_code"].nunique() == raw["WardCode"].nunique() == 679
    assert set(frame["major"]) == set(raw["MajorText"])
    assert set(frame["minor"]) == set(raw["MinorText"])


def test_ward_crime_totals(ward_crime: Loaded, ward_crime_raw: pd.DataFrame) -> None:
    raw, frame = ward_crime_raw, ward_crime.frame
    for month in ("202603", "202403", "202501"):
        assert frame.loc[frame["month"] == int(month), "count"].sum() == raw[month].sum()
    month_cols = [c for c in raw.columns if c.isdigit()]
    ward = "E05013570"  # Heathrow Villages, under "Aviation Security (SO18)"
    assert (
        frame.loc[frame["ward_code"] == ward, "count"].sum()
        == raw.loc[raw["WardCode"] == ward, month_cols].to_numpy().sum()
    )
    one = frame[
        (frame["ward_code"] == ward)
        & (frame["minor"] == "CRIMINAL DAMAGE")
        & (frame["month"] == 202602)
    ]
    chosen = (raw["WardCode"] == ward) & (raw["MinorText"] == "CRIMINAL DAMAGE")
    expected = raw.loc[chosen, "202602"]
    assert one["count"].tolist() == expected.tolist()
    assert set(one["borough_name"]) == {"Aviation Security (SO18)"}
    assert frame["count"].sum() == raw[month_cols].to_numpy().sum()


def test_ward_crime_older_extract_has_its_own_months_and_categories(ward_crime: Loaded) -> None:
    old = read_file(OLD_WARD_CRIME)
    raw = pd.read_csv(OLD_WARD_CRIME)
    month_cols = [c for c in raw.columns if c.isdigit()]
    assert old.months == tuple(sorted(int(c) for c in month_cols))
    assert (old.first_month, old.last_month) == (202402, 202601)
    assert set(old.frame["minor"]) == set(raw["MinorText"])
    assert old.frame["count"].sum() == raw[month_cols].to_numpy().sum()
    assert old.months != ward_crime.months
    # Counts for the same month are revised between extracts.
    both = old.frame[old.frame["month"] == 202501]["count"].sum()
    assert both == raw["202501"].sum()


def test_ward_crime_categories_are_not_hard_coded(tmp_path: Path) -> None:
    lines = _ward_lines()
    header = lines[0].split(",")
    window = [f"{2023 + (3 + i) // 12}{(3 + i) % 12 + 1:02d}" for i in range(len(header) - 5)]
    header[5:] = window  # another window: April 2023 on
    lines[0] = ",".join(header)
    lines[3] = _set_cell(lines[3], lines[0], "MinorText", "BURGLARY IN A DWELLING")
    lines[4] = _set_cell(lines[4], lines[0], "MajorText", "LEGACY MAJOR")
    loaded = read_file(_write(tmp_path, lines))
    assert "BURGLARY IN A DWELLING" in set(loaded.frame["minor"])
    assert "LEGACY MAJOR" in set(loaded.frame["major"])
    assert loaded.months[:3] == (202304, 202305, 202306)


def test_ward_crime_with_known_wards(ward_crime: Loaded) -> None:
    codes = {f["properties"]["wd22cd"] for f in _json(WARDS_GEO)["features"]}
    loaded = read_file(WARD_CRIME, "ward_crime", known_wards=codes)
    assert len(loaded.frame) == len(ward_crime.frame)


def test_borough_crime() -> None:
    loaded = read_file(BOROUGH_CRIME)
    raw = pd.read_csv(BOROUGH_CRIME)
    month_cols = [c for c in raw.columns if c.isdigit()]
    _check_columns(loaded)
    frame = loaded.frame
    assert loaded.months == tuple(sorted(int(c) for c in month_cols))
    assert len(frame) == len(raw) * len(month_cols)
    assert set(frame["borough_name"]) == set(raw["BoroughName"])
    for month in month_cols:
        assert frame.loc[frame["month"] == int(month), "count"].sum() == raw[month].sum()
    lambeth = raw.loc[raw["BoroughName"] == "Lambeth", month_cols].to_numpy().sum()
    assert frame.loc[frame["borough_name"] == "Lambeth", "count"].sum() == lambeth


# ======================================================================================
# population


def _ts019_sums() -> pd.Series:
    """Usual residents per ward straight from the raw TS019 rows: the five categories summed."""
    raw = pd.read_csv(WARD_POP, dtype={"Electoral wards and divisions Code": str})
    assert raw.groupby("Electoral wards and divisions Code").size().eq(5).all()
    return raw.groupby("Electoral wards and divisions Code")["Observation"].sum()


def test_ward_population_is_the_ts019_sum_for_every_mps_ward() -> None:
    loaded = read_file(WARD_POP)
    _check_columns(loaded)
    frame = loaded.frame.set_index("ward_code")
    assert frame["population"].dtype == np.int64
    sums = _ts019_sums()
    mps_wards = set(pd.read_csv(WARD_CRIME, dtype=str)["WardCode"])
    assert mps_wards <= set(frame.index) and len(mps_wards) == 679
    assert frame["population"].to_dict() == {k: int(v) for k, v in sums.items()}
    assert frame.loc["E05014086", "ward_name"] == "Mottingham, Coldharbour & New Eltham"


# ONS Census 2021 TS001 (usual residents) for 2022 wards, as SOURCES.md quotes them: TS019's
# sum is within a few people of it (the ONS perturbs each cell).
TS001 = {"E05013537": 10_825, "E05013519": 15_609, "E05013970": 9_535}


@pytest.mark.parametrize("ward", sorted(TS001))
def test_ward_population_is_within_five_of_ts001(ward: str) -> None:
    frame = read_file(WARD_POP).frame.set_index("ward_code")
    assert abs(int(frame.loc[ward, "population"]) - TS001[ward]) <= 5


def test_ward_population_known_wards() -> None:
    codes = set(_ts019_sums().index) - {"E05013537"}
    with pytest.raises(LoadError) as info:
        read_file(WARD_POP, known_wards=codes)
    assert "'E05013537' is not a known ward code" in str(info.value)
    assert info.value.column == "Electoral wards and divisions Code"


@pytest.mark.parametrize(("change", "message"), [
    (lambda rows: rows.__setitem__(1, rows[1].replace(",-8,", ",7,")),
     "'7' is not one of TS019's five categories"),
    (lambda rows: rows.pop(3), "has 4 of TS019's 5 categories: its residents cannot be summed"),
    (lambda rows: rows.insert(2, rows[1]), "duplicate row for (ward, category)"),
    (lambda rows: rows.__setitem__(4, rows[4].rsplit(",", 1)[0] + ",-3"), "'-3' is negative"),
])
def test_bad_ts019_rows_are_refused(tmp_path: Path, change: Any, message: str) -> None:
    rows = _text(WARD_POP).splitlines()[:11]
    assert rows[1].split(",")[2] == "-8"
    change(rows)
    err = _fail(_write(tmp_path, rows, "ts019.csv"))
    assert message in err.reason


def test_borough_population() -> None:
    loaded = read_file(BOROUGH_POP)
    raw = pd.read_csv(BOROUGH_POP)
    _check_columns(loaded)
    assert len(loaded.frame) == 33
    assert loaded.frame["population"].sum() == raw["Age: Total"].sum() == 8_799_710
    by_code = loaded.frame.set_index("lad_code")
    for _, row in raw.iloc[[0, 5, 20]].iterrows():
        assert by_code.loc[row["geography code"], "population"] == row["Age: Total"]
        assert by_code.loc[row["geography code"], "lad_name"] == row["geography"]


# ======================================================================================
# postcodes


def test_postcodes() -> None:
    loaded = read_file(POSTCODES)
    _check_columns(loaded)
    frame = loaded.frame
    assert len(frame) == 180_792
    assert frame["postcode"].str.fullmatch(r"[A-Z0-9]{2,4} [0-9][A-Z]{2}").all()
    assert (frame["outcode"] == frame["postcode"].str.split(" ").str[0]).all()
    by_pc = frame.set_index("postcode")
    wanted = ("BR1 1AA", "BR7 6DN", "SW18 5AR", "E1 6AN", "W1A 0AX", "RM12 5RJ")
    lines = _text(POSTCODES).splitlines()
    header = next(csv.reader([lines[0]]))
    raw: dict[str, dict[str, str]] = {}
    for line in lines[1:]:
        if line.split(",", 1)[0] in wanted:
            rec = next(csv.reader([line]))
            raw[rec[0]] = dict(zip(header, rec, strict=True))
    assert len(raw) >= 4
    for pc in raw:
        assert by_pc.loc[pc, "ward_code"] == raw[pc]["Admin_ward_code"]
        assert by_pc.loc[pc, "lad_code"] == raw[pc]["Admin_district_code"]
        assert by_pc.loc[pc, "ward_name"] == raw[pc]["ward_name"]
        assert by_pc.loc[pc, "lat"] == pytest.approx(float(raw[pc]["lat_wgs84_derived"]))
        assert by_pc.loc[pc, "lon"] == pytest.approx(float(raw[pc]["lon_wgs84_derived"]))
    assert by_pc.loc["BR1 1AA", "ward_code"] == "E05013991"
    assert by_pc.loc["BR1 1AA", "outcode"] == "BR1"


def test_postcodes_are_normalised(tmp_path: Path) -> None:
    lines = _text(POSTCODES).splitlines()
    rows = [
        lines[0],
        lines[1].replace("BR1 1AA", "br11aa", 1),
        lines[2].replace("BR1 1AB", " br1  1ab ", 1),
    ]
    path = tmp_path / "pc.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    loaded = read_file(path)
    assert loaded.frame["postcode"].tolist() == ["BR1 1AA", "BR1 1AB"]
    assert loaded.frame["outcode"].tolist() == ["BR1", "BR1"]


# ======================================================================================
# stop search


@pytest.mark.parametrize("path", STOPS_JSON, ids=lambda p: p.name[-15:-8])
def test_stop_search_api_json(
    path: Path, borough_shapes: tuple[list[str], np.ndarray]
) -> None:
    records = _json(path)
    loaded = read_file(path)
    _check_columns(loaded)
    frame = loaded.frame
    assert len(frame) == len(records)
    months = Counter(_london_month(r["datetime"]) for r in records)
    assert dict(Counter(frame["month"].tolist())) == months
    assert loaded.months == tuple(sorted(months))
    assert len(months) == 1  # each police.uk file is one month in London time
    no_location = sum(r["location"] is None for r in records)
    assert (~frame["has_location"]).sum() == no_location
    assert (frame.loc[~frame["has_location"], "borough"] == "").all()
    # Records with a borough keep it; located records without one are placed by polygon.
    expected = [r.get("borough") or "" for r in records]
    unplaced = [
        i for i, r in enumerate(records) if r["location"] is not None and not r.get("borough")
    ]
    if unplaced:
        lon = np.array([float(records[i]["location"]["longitude"]) for i in unplaced])
        lat = np.array([float(records[i]["location"]["latitude"]) for i in unplaced])
        for i, name in zip(unplaced, _expected_borough(borough_shapes, lon, lat), strict=True):
            expected[i] = name
    assert frame["borough"].tolist() == expected
    month = next(iter(months))
    per_borough = Counter(e for e in expected)
    assert dict(Counter(frame.loc[frame["month"] == month, "borough"])) == per_borough
    assert frame["type"].tolist() == [r["type"] or "" for r in records]
    assert frame["age_range"].tolist() == [r["age_range"] or "" for r in records]


def test_stop_search_api_details() -> None:
    path = STOPS_JSON[0]  # 2024-09
    records = _json(path)
    frame = read_file(path).frame
    assert len(frame) == 3253
    assert (frame["month"] == 202409).all()  # 6 records are stamped 2024-08-31T23:xx UTC
    assert sum(r["datetime"].startswith("2024-08") for r in records) == 6
    city = [i for i, r in enumerate(records) if r.get("borough") == "City of London"]
    assert (frame.loc[city, "borough"] == "City of London").all()
    missing_age = [i for i, r in enumerate(records) if r["age_range"] is None]
    assert missing_age and (frame.loc[missing_age, "age_range"] == "").all()


def test_stop_search_combined_months() -> None:
    parts = [read_file(p) for p in order_sources(STOPS_JSON)]
    combined = combine("stop_search", parts)
    assert combined.months == (202409, 202410, 202411, 202412, 202501, 202502, 202503, 202504)
    assert len(combined.frame) == sum(len(_json(p)) for p in STOPS_JSON) == 27_395


def test_stop_search_same_month_later_file_wins(tmp_path: Path) -> None:
    records = _json(STOPS_JSON[1])  # 2024-10
    first = tmp_path / "a.json"
    first.write_text(json.dumps(records), encoding="utf-8")
    second = tmp_path / "b.json"
    second.write_text(json.dumps(records[:100]), encoding="utf-8")
    other = read_file(STOPS_JSON[0])
    combined = combine("stop_search", [read_file(first), other, read_file(second)])
    assert combined.months == (202409, 202410)
    assert (combined.frame["month"] == 202410).sum() == 100
    assert (combined.frame["month"] == 202409).sum() == len(other.frame)


def test_stop_search_bulk_csv(borough_shapes: tuple[list[str], np.ndarray]) -> None:
    raw = pd.read_csv(STOPS_CSV, dtype=str, keep_default_na=False)
    loaded = read_file(STOPS_CSV)
    _check_columns(loaded)
    frame = loaded.frame
    assert len(frame) == len(raw) == 12_447
    months = Counter(_london_month(d) for d in raw["Date"])
    assert months == {202209: 12_447}
    assert loaded.months == (202209,)
    located = (raw["Latitude"] != "").to_numpy()
    assert (frame["has_location"].to_numpy() == located).all()
    assert (~frame["has_location"]).sum() == (raw["Latitude"] == "").sum() == 1340
    lon = pd.to_numeric(raw.loc[located, "Longitude"]).to_numpy()
    lat = pd.to_numeric(raw.loc[located, "Latitude"]).to_numpy()
    expected = _expected_borough(borough_shapes, lon, lat)
    assert frame.loc[located, "borough"].tolist() == expected.tolist()
    placed = int((expected != "").sum())
    unplaced = int((expected == "").sum())
    no_location = int((~located).sum())
    assert placed + unplaced + no_location == len(raw)
    assert (frame["borough"] == "").sum() == unplaced + no_location
    assert unplaced > 0  # points outside the 32 boroughs (e.g. the City) stay unplaced
    # A few points checked against the boundary polygons directly.
    names, geoms = borough_shapes
    for i in np.flatnonzero(located)[:5]:
        point = shapely.Point(float(str(raw.at[i, "Longitude"])), float(str(raw.at[i, "Latitude"])))
        holders = [n for n, g in zip(names, geoms, strict=True) if g.intersects(point)]
        assert frame.at[i, "borough"] == (holders[0] if holders else "")
    assert frame["legislation"].tolist() == raw["Legislation"].tolist()
    assert frame["officer_ethnicity"].tolist() == raw["Officer-defined ethnicity"].tolist()


def test_stop_search_custom_boundaries(tmp_path: Path) -> None:
    gj = _json(BOROUGHS_GEO)
    gj["features"] = [f for f in gj["features"] if f["properties"]["borough_name"] == "Lambeth"]
    only_lambeth = tmp_path / "lambeth.geojson"
    only_lambeth.write_text(json.dumps(gj), encoding="utf-8")
    frame = read_file(STOPS_CSV, borough_boundaries=only_lambeth).frame
    assert set(frame["borough"]) == {"", "Lambeth"}
    full = read_file(STOPS_CSV).frame
    assert (frame["borough"] == "Lambeth").sum() == (full["borough"] == "Lambeth").sum()


# ======================================================================================
# taser


HO_PERIODS = {
    "homeoffice_ced_by_force_taser-use_2015-revised.csv": (
        "2015-01", "2015-12", "January 2015 to December 2015"),
    "homeoffice_ced_by_force_taser-use_2016.csv": (
        "2016-01", "2016-12", "January 2016 to December 2016"),
    "homeoffice_ced_by_force_use-of-force_january-december2016-revised.csv": (
        "2016-01", "2016-12", "January 2016 to December 2016"),
    "homeoffice_ced_by_force_use-of-force_january-march2017.csv": (
        "2017-01", "2017-03", "January 2017 to March 2017"),
    "homeoffice_ced_by_force_use-of-force_april2017-march2018.csv": (
        "2017-04", "2018-03", "April 2017 to March 2018"),
    "homeoffice_ced_by_force_use-of-force_april2018-march2019.csv": (
        "2018-04", "2019-03", "April 2018 to March 2019"),
    "homeoffice_ced_by_force_use-of-force_april2019-march2020.csv": (
        "2019-04", "2020-03", "April 2019 to March 2020"),
}
HO_HEADERS = {
    "Drawn": "drawn", "Aimed": "aimed", "Red-dot": "red_dot", "Arced": "arced",
    "Fired": "fired", "Drive stun": "drive_stun", "Angled drive stun": "angled_drive_stun",
}


def _ho_met_row(path: Path) -> dict[str, int]:
    for rec in csv.DictReader(io.StringIO(_text(path))):
        name = rec.get("Police force") or rec.get("Police Force/Region") or ""
        if name.strip() == "Metropolitan":
            return {kind: int(float(rec[h])) for h, kind in HO_HEADERS.items()}
    raise AssertionError("no Metropolitan row")


@pytest.mark.parametrize("path", HO_TASER, ids=lambda p: p.name[24:-4])
def test_taser_home_office_tables(path: Path) -> None:
    loaded = read_file(path)
    _check_columns(loaded)
    frame = loaded.frame
    assert frame["deployment_type"].tolist() == list(TASER_TYPES)
    assert set(frame["area_type"]) == {"force"}
    assert set(frame["area_name"]) == {"Metropolitan Police Service"}
    expected = _ho_met_row(path)
    got = dict(zip(frame["deployment_type"], frame["deployments"].tolist(), strict=True))
    assert got == expected
    assert frame["deployments"].dtype == np.int64
    assert str(frame["subjects"].dtype) == "Int64"
    assert frame["subjects"].isna().all()
    start, end, label = HO_PERIODS[path.name]
    assert set(frame["period_start"]) == {start}
    assert set(frame["period_end"]) == {end}
    assert set(frame["period_label"]) == {label}
    assert loaded.first_month == int(start.replace("-", ""))
    assert loaded.last_month == int(end.replace("-", ""))


def test_taser_ho_values_spot_check() -> None:
    frame = read_file(USE_OF_FORCE / "homeoffice_ced_by_force_use-of-force_april2019-march2020.csv"
                      ).frame
    by_type = dict(zip(frame["deployment_type"], frame["deployments"].tolist(), strict=True))
    # The Metropolitan row: Drawn 2381, Aimed 1092, Red-dot 5613, Arced 47, Drive stun 12,
    # Fired 920, Angled drive stun 3.
    assert by_type == {
        "drawn": 2381, "aimed": 1092, "red_dot": 5613, "arced": 47,
        "fired": 920, "drive_stun": 12, "angled_drive_stun": 3,
    }


def test_taser_combine_revised_wins(tmp_path: Path) -> None:
    original = tmp_path / "homeoffice_ced_by_force_taser-use_2016.csv"
    shutil.copy(SNAP / original.name, original)
    revised_text = (SNAP / "homeoffice_ced_by_force_use-of-force_january-december2016-revised.csv")
    lines = revised_text.read_text(encoding="utf-8").splitlines()
    lines = [
        line.replace("Metropolitan,2072.0,1811.0,673.0", "Metropolitan,2072.0,1811.0,699.0")
        for line in lines
    ]
    revised = tmp_path / "homeoffice_ced_by_force_use-of-force_january-december2016-revised.csv"
    revised.write_text("\n".join(lines) + "\n", encoding="utf-8")
    other = tmp_path / "homeoffice_ced_by_force_use-of-force_january-march2017.csv"
    shutil.copy(SNAP / other.name, other)
    ordered = order_sources([revised, other, original])
    assert ordered[-1] == revised
    combined = combine("taser", [read_file(p) for p in ordered])
    frame = combined.frame
    drawn_2016 = frame[(frame["period_start"] == "2016-01") & (frame["deployment_type"] == "drawn")]
    assert drawn_2016["deployments"].tolist() == [699]
    assert len(frame) == 14  # two periods x seven types
    assert combined.months == (*range(201601, 201613), 201701, 201702, 201703)


def test_taser_all_bundled_tables_combine() -> None:
    combined = combine("taser", [read_file(p) for p in order_sources(HO_TASER)])
    periods = combined.frame[["period_start", "period_end"]].drop_duplicates()
    assert len(periods) == 6  # the 2016 table and its revision are one period
    assert len(combined.frame) == 6 * 7


def test_order_sources() -> None:
    names = ["b_2016-revised.csv", "a_2015.csv", "c_2017.csv", "a_2015-revised.csv"]
    assert order_sources(names) == ["a_2015.csv", "c_2017.csv", "a_2015-revised.csv",
                                    "b_2016-revised.csv"]
    assert order_sources([Path("x/revised_b"), Path("y/a")]) == [Path("y/a"), Path("x/revised_b")]


def _uof_expected_deployments() -> dict[tuple[str, str], int]:
    """Rows with Yes in a type's column (any device), per borough and for the force."""
    columns = {
        "drawn": ("CED Drawn", "CED2 Drawn"),
        "aimed": ("CED Aimed", "CED2 Aimed"),
        "red_dot": ("CED Red-Dotted", "CED2 Red-Dotted"),
        "arced": ("CED Arced", "CED2 ArCED2"),
        "fired": ("CED Fired", "CED2 Fired"),
        "drive_stun": ("CED Drive Stun", "CED2 Drive Stun"),
        "angled_drive_stun": ("CED Angle Drive Stun", "CED2 Angle Drive Stun"),
    }
    out: Counter[tuple[str, str]] = Counter()
    for rec in csv.DictReader(io.StringIO(_text(UOF))):
        for kind, cols in columns.items():
            if any(rec[c] == "Yes" for c in cols):
                out["Metropolitan Police Service", kind] += 1
                if rec["Borough"]:
                    out[rec["Borough"], kind] += 1
    return out


# Worked out by hand from the fixture (see tests/data/loaders/README.md): each subject counted
# once, under its highest use (angle drive stun > fired > drive stun > arced > red-dot > aimed
# > drawn).  Lambeth: one subject fired, one red-dotted.  Westminster: two subjects at the same
# time and place (different ethnicity), arced and drive stun.  Croydon: fired beats drive stun.
UOF_SUBJECTS = {
    "Metropolitan Police Service": {
        "drawn": 1, "red_dot": 1, "arced": 1, "fired": 2, "drive_stun": 1, "angled_drive_stun": 1,
    },
    "Lambeth": {"red_dot": 1, "fired": 1},
    "City of Westminster": {"arced": 1, "drive_stun": 1},
    "Croydon": {"fired": 1},
    "Out of force": {"angled_drive_stun": 1},
}


def _check_uof(loaded: Loaded) -> None:
    _check_columns(loaded)
    frame = loaded.frame
    assert set(frame["area_name"]) == set(UOF_SUBJECTS)
    assert frame.loc[frame["area_type"] == "force", "area_name"].unique().tolist() == [
        "Metropolitan Police Service"
    ]
    deployments = _uof_expected_deployments()
    for area, kind, deployed, subjects in frame[
        ["area_name", "deployment_type", "deployments", "subjects"]
    ].itertuples(index=False):
        assert deployed == deployments.get((str(area), str(kind)), 0)
        assert subjects == UOF_SUBJECTS[str(area)].get(str(kind), 0)
    assert set(frame["period_start"]) == {"2023-04"}
    assert set(frame["period_end"]) == {"2023-06"}
    assert set(frame["period_label"]) == {"April 2023 to June 2023"}
    assert loaded.months == (202304, 202305, 202306)
    assert str(frame["subjects"].dtype) == "Int64"


def test_taser_use_of_force_records() -> None:
    _check_uof(read_file(UOF))


def _uof_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(_text(UOF))))


def test_taser_use_of_force_variants(tmp_path: Path) -> None:
    rows = _uof_rows()
    header = rows[0]
    date = header.index("IncidentDate")
    conduct = header.index("PrimaryConduct")
    # UK dates, Windows-1252 text and ';' separators, as a Met export may have them.
    for row in rows[1:]:
        y, m, d = row[date].split("-")
        row[date] = f"{d}/{m}/{y} 00:00:00"
        row[conduct] += " – café"
    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows(rows)
    path = tmp_path / "MPS Use of Force - FY23-24.csv"
    path.write_bytes(buf.getvalue().encode("cp1252"))
    assert detect_kind(path) == "taser"
    _check_uof(read_file(path))


def test_taser_use_of_force_xlsx(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    rows = _uof_rows()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "UoF"
    sheet.append(rows[0])
    date = rows[0].index("IncidentDate")
    for row in rows[1:]:
        values: list[Any] = [v if v != "" else None for v in row]
        values[date] = datetime.strptime(row[date], "%Y-%m-%d")  # noqa: DTZ007
        sheet.append(values)
    book.create_sheet("UoFPO").append(["IncidentDateStarted", "NoOfPeople"])
    path = tmp_path / "MPS Use of Force - FY23-24.xlsx"
    book.save(path)
    assert detect_kind(path) == "taser"
    _check_uof(read_file(path))


def test_taser_use_of_force_with_subject_reference(tmp_path: Path) -> None:
    # Should a file carry a subject reference, subjects are the distinct references per type.
    rows = _uof_rows()
    ids = ["S1", "S1", "S2", "S2", "S3", "S4", "S5", "S6", "S7", "S8"]
    rows[0].append("SubjectID")
    for row, subject in zip(rows[1:], ids, strict=True):
        row.append(subject)
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path = tmp_path / "uof.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    frame = read_file(path).frame
    force = frame[frame["area_type"] == "force"]
    got = dict(zip(force["deployment_type"], force["subjects"].tolist(), strict=True))
    assert got == {
        "drawn": 6, "aimed": 2, "red_dot": 2, "arced": 1,
        "fired": 2, "drive_stun": 2, "angled_drive_stun": 1,
    }


# ======================================================================================
# boundaries


def test_ward_boundaries() -> None:
    gj = _json(WARDS_GEO)
    loaded = read_file(WARDS_GEO)
    _check_columns(loaded)
    frame = loaded.frame
    assert len(frame) == 679
    assert frame["code"].tolist() == [f["properties"]["wd22cd"] for f in gj["features"]]
    assert frame["name"].tolist() == [f["properties"]["wd22nm"] for f in gj["features"]]
    assert frame["lad_code"].tolist() == [f["properties"]["lad22cd"] for f in gj["features"]]
    geoms = shapely.from_geojson(frame["geometry"].to_numpy(dtype=object))
    assert shapely.is_valid(geoms).all()
    assert set(shapely.get_type_id(geoms).tolist()) <= {3, 6}  # Polygon, MultiPolygon
    originals = np.array([shapely.geometry.shape(f["geometry"]) for f in gj["features"]])
    assert (~shapely.is_valid(originals)).sum() == 1  # Borough & Bankside, repaired
    np.testing.assert_allclose(shapely.area(geoms), shapely.area(originals), rtol=1e-6)


def test_borough_boundaries() -> None:
    gj = _json(BOROUGHS_GEO)
    loaded = read_file(BOROUGHS_GEO)
    _check_columns(loaded)
    frame = loaded.frame
    assert len(frame) == 32
    assert frame["code"].tolist() == [f["properties"]["borough_code"] for f in gj["features"]]
    assert (frame["lad_code"] == frame["code"]).all()
    assert (frame["lad_name"] == frame["name"]).all()
    assert "City of London" not in set(frame["name"])
    first = json.loads(str(frame.at[0, "geometry"]))
    assert first == gj["features"][0]["geometry"]


# ======================================================================================
# combine


def test_combine_rejects_several_crime_extracts(ward_crime: Loaded) -> None:
    old = read_file(OLD_WARD_CRIME)
    with pytest.raises(LoadError, match="never be stitched"):
        combine("ward_crime", [old, ward_crime])
    assert combine("ward_crime", [ward_crime]) is ward_crime


def test_combine_rejects_several_files_of_single_file_kinds() -> None:
    pop = read_file(BOROUGH_POP)
    with pytest.raises(LoadError, match="one file"):
        combine("borough_population", [pop, pop])
    with pytest.raises(LoadError, match="not postcodes"):
        combine("postcodes", [pop])
    with pytest.raises(LoadError):
        combine("postcodes", [])


# ======================================================================================
# bad input


def _fail(path: Path, kind: Kind | None = None, **kwargs: Any) -> LoadError:
    with pytest.raises(LoadError) as info:
        read_file(path, kind, **kwargs)
    err = info.value
    assert err.file == str(path)
    assert str(path) in str(err)
    return err


def _ward_lines(n: int = 6) -> list[str]:
    return _text(WARD_CRIME).splitlines()[: n + 1]


def _write(tmp_path: Path, lines: list[str], name: str = "ward.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _set_cell(line: str, header: str, column: str, value: str) -> str:
    fields = next(csv.reader([line]))
    fields[next(csv.reader([header])).index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def test_truncated_gzip(tmp_path: Path) -> None:
    path = tmp_path / "ward.csv.gz"
    raw = WARD_CRIME.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    err = _fail(path)
    assert "truncated" in err.reason and err.row is None


def test_csv_last_line_cut_mid_row(tmp_path: Path) -> None:
    lines = _ward_lines(4)
    lines[-1] = lines[-1][: len(lines[-1]) // 2]
    path = tmp_path / "ward.csv"
    path.write_text("\n".join(lines), encoding="utf-8")  # no final newline: cut short
    err = _fail(path)
    assert err.row == 5  # header is row 1, so the 4th data row is row 5
    assert "truncated" in err.reason


def test_row_with_too_many_fields(tmp_path: Path) -> None:
    lines = _ward_lines(4)
    lines[2] += ",7"
    err = _fail(_write(tmp_path, lines))
    assert err.row == 3


def test_missing_header(tmp_path: Path) -> None:
    path = _write(tmp_path, _ward_lines(4)[1:])
    err = _fail(path)
    assert "accepted kinds" in err.reason and "ward_crime" in err.reason
    err = _fail(path, "ward_crime")
    assert (err.row, err.column) == (1, "MajorText")


def test_wrong_header(tmp_path: Path) -> None:
    lines = _ward_lines(4)
    lines[0] = lines[0].replace("WardCode", "Ward Code")
    err = _fail(_write(tmp_path, lines))
    assert (err.row, err.column) == (1, "WardCode")
    lines = _ward_lines(4)
    lines[0] = lines[0].replace("202405", "202413")
    err = _fail(_write(tmp_path, lines))
    assert (err.row, err.column) == (1, "202413")


def test_non_numeric_count(tmp_path: Path) -> None:
    lines = _ward_lines()
    lines[3] = _set_cell(lines[3], lines[0], "202405", "n/a")
    err = _fail(_write(tmp_path, lines))
    assert (err.row, err.column) == (4, "202405")
    assert "not a number" in err.reason


def test_negative_count(tmp_path: Path) -> None:
    lines = _ward_lines()
    lines[5] = _set_cell(lines[5], lines[0], "202601", "-3")
    err = _fail(_write(tmp_path, lines))
    assert (err.row, err.column) == (6, "202601")
    assert "negative" in err.reason


def test_fractional_count(tmp_path: Path) -> None:
    lines = _ward_lines()
    lines[2] = _set_cell(lines[2], lines[0], "202603", "2.5")
    err = _fail(_write(tmp_path, lines))
    assert (err.row, err.column) == (3, "202603")
    lines = _ward_lines()
    lines[2] = _set_cell(lines[2], lines[0], "202603", "2.0")  # a whole number is fine
    assert read_file(_write(tmp_path, lines)).frame["count"].dtype == np.int64


def test_duplicate_ward_minor_rows(tmp_path: Path) -> None:
    lines = _ward_lines()
    lines.append(lines[2])
    err = _fail(_write(tmp_path, lines))
    assert err.row == 8
    assert "rows 3 and 8" in err.reason


def test_duplicate_borough_rows(tmp_path: Path) -> None:
    lines = _text(BOROUGH_CRIME).splitlines()[:5]
    lines.insert(2, lines[4])
    err = _fail(_write(tmp_path, lines, "borough.csv"))
    assert "rows 3 and 6" in err.reason


def test_unknown_ward_code(tmp_path: Path) -> None:
    lines = _ward_lines()
    header = lines[0]
    codes = {next(csv.reader([line]))[3] for line in lines[1:]}
    lines[4] = _set_cell(lines[4], header, "WardCode", "E05999999")
    err = _fail(_write(tmp_path, lines), known_wards=codes)
    assert (err.row, err.column) == (5, "WardCode")
    assert "E05999999" in err.reason


def test_malformed_ward_code(tmp_path: Path) -> None:
    lines = _ward_lines()
    lines[2] = _set_cell(lines[2], lines[0], "WardCode", "E0501357")
    err = _fail(_write(tmp_path, lines))
    assert (err.row, err.column) == (3, "WardCode")


def test_utf16_rejected(tmp_path: Path) -> None:
    path = tmp_path / "ward.csv"
    path.write_bytes("\n".join(_ward_lines()).encode("utf-16"))
    assert "UTF-16" in _fail(path).reason
    path.write_bytes("\n".join(_ward_lines()).encode("utf-16-le"))  # no byte-order mark
    assert "UTF-16" in _fail(path).reason


def test_cp1252_rejected(tmp_path: Path) -> None:
    lines = _ward_lines()
    lines[3] = _set_cell(lines[3], lines[0], "WardName", "Café Quarter")
    path = tmp_path / "ward.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    err = _fail(path)
    assert (err.row, err.column) == (4, "WardName")
    assert "UTF-8" in err.reason


def test_utf8_bom_accepted(tmp_path: Path) -> None:
    lines = _ward_lines()
    lines[3] = _set_cell(lines[3], lines[0], "WardName", "Café Quarter")
    path = tmp_path / "ward.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    assert detect_kind(path) == "ward_crime"
    loaded = read_file(path)
    assert "Café Quarter" in set(loaded.frame["ward_name"])
    gz = tmp_path / "ward.csv.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert len(read_file(gz).frame) == len(loaded.frame)


def test_empty_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "empty" in _fail(empty).reason
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\n \r\n")
    assert "empty" in _fail(blank).reason
    empty_gz = tmp_path / "empty.csv.gz"
    empty_gz.write_bytes(gzip.compress(b""))
    assert "empty" in _fail(empty_gz).reason
    header_only = _write(tmp_path, _ward_lines(0))  # it would show every ward empty
    assert _fail(header_only).reason == "the file holds no rows, only its header"


def test_gz_that_is_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / "ward.csv.gz"
    path.write_text("\n".join(_ward_lines()) + "\n", encoding="utf-8")
    assert "not gzip" in _fail(path).reason
    corrupt = tmp_path / "corrupt.csv.gz"
    raw = bytearray(WARD_CRIME.read_bytes()[:4000])
    raw[100:200] = b"\x00" * 100
    corrupt.write_bytes(bytes(raw))
    _fail(corrupt)


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in _fail(tmp_path / "nothing.csv").reason


def test_malformed_stop_search_json(tmp_path: Path) -> None:
    text = _text(STOPS_JSON[0])
    cut = tmp_path / "stops.json"
    cut.write_text(text[: len(text) // 3], encoding="utf-8")
    err = _fail(cut)
    assert err.row == 1 and "invalid JSON" in err.reason and "truncated" in err.reason
    broken = tmp_path / "broken.json"
    broken.write_text('[\n{"age_range": "18-24",\n "datetime": }\n]', encoding="utf-8")
    err = _fail(broken)
    assert err.row == 3 and "column 14" in err.reason


def test_bad_stop_search_records(tmp_path: Path) -> None:
    records = _json(STOPS_JSON[0])[:20]
    records[6]["datetime"] = "last Tuesday"
    path = tmp_path / "stops.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    err = _fail(path)
    assert (err.row, err.column) == (7, "datetime")
    records = _json(STOPS_JSON[0])[:20]
    records[3]["location"] = {"latitude": "north", "longitude": "0.1"}
    path.write_text(json.dumps(records), encoding="utf-8")
    err = _fail(path)
    assert (err.row, err.column) == (4, "location.latitude")
    path.write_text(json.dumps([{"some": "thing"}]), encoding="utf-8")
    assert "accepted kinds" in _fail(path).reason


def test_bad_stop_search_csv(tmp_path: Path) -> None:
    lines = _text(STOPS_CSV).splitlines()[:6]
    lines[4] = _set_cell(lines[4], lines[0], "Latitude", "51.5x")
    err = _fail(_write(tmp_path, lines, "stops.csv"))
    assert (err.row, err.column) == (5, "Latitude")
    lines = _text(STOPS_CSV).splitlines()[:6]
    lines[2] = _set_cell(lines[2], lines[0], "Date", "31/08/2022")
    err = _fail(_write(tmp_path, lines, "stops.csv"))
    assert (err.row, err.column) == (3, "Date")


def test_geojson_not_a_feature_collection(tmp_path: Path) -> None:
    feature = _json(BOROUGHS_GEO)["features"][0]
    path = tmp_path / "borough.geojson"
    path.write_text(json.dumps(feature), encoding="utf-8")
    err = _fail(path)
    assert "FeatureCollection" in err.reason and "Feature" in err.reason
    path.write_text(json.dumps(feature["geometry"]), encoding="utf-8")
    assert "FeatureCollection" in _fail(path).reason


def test_bad_geojson_features(tmp_path: Path) -> None:
    gj = _json(BOROUGHS_GEO)
    gj["features"][4]["geometry"] = {"type": "Point", "coordinates": [0.0, 51.5]}
    path = tmp_path / "boroughs.geojson"
    path.write_text(json.dumps(gj), encoding="utf-8")
    err = _fail(path)
    assert (err.row, err.column) == (5, "geometry")
    gj = _json(BOROUGHS_GEO)
    gj["features"][9]["properties"]["borough_code"] = "E09X"
    path.write_text(json.dumps(gj), encoding="utf-8")
    err = _fail(path)
    assert (err.row, err.column) == (10, "borough_code")
    gj = _json(BOROUGHS_GEO)
    for f in gj["features"]:
        f["geometry"]["coordinates"] = [
            [[x * 100000 + 500000, y * 1000] for x, y in ring]
            for ring in f["geometry"]["coordinates"]
        ]
    path.write_text(json.dumps(gj), encoding="utf-8")
    assert "WGS84" in _fail(path).reason


def test_kind_mismatch(tmp_path: Path) -> None:
    err = _fail(BOROUGH_POP, "postcodes")
    assert "borough_population" in err.reason
    err = _fail(BOROUGHS_GEO, "ward_boundaries")
    assert "borough_boundaries" in err.reason


def test_taser_name_without_period(tmp_path: Path) -> None:
    path = tmp_path / "homeoffice_ced_by_force.csv"
    shutil.copy(HO_TASER[0], path)
    err = _fail(path)
    assert "period" in err.reason
    assert detect_kind(path) == "taser"


def test_taser_without_met_row(tmp_path: Path) -> None:
    lines = [
        line for line in (SNAP / "homeoffice_ced_by_force_taser-use_2016.csv")
        .read_text(encoding="utf-8").splitlines()
        if not line.startswith("Metropolitan")
    ]
    err = _fail(_write(tmp_path, lines, "taser-use_2016.csv"))
    assert "Metropolitan" in err.reason


def test_bad_use_of_force_flag(tmp_path: Path) -> None:
    rows = _uof_rows()
    rows[4][rows[0].index("CED Fired")] = "Maybe"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path = tmp_path / "uof.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    err = _fail(path)
    assert (err.row, err.column) == (5, "CED Fired")
    rows = _uof_rows()
    rows[0][rows[0].index("CED Red-Dotted")] = "CED Red Dot Used"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    err = _fail(path)
    assert (err.row, err.column) == (1, "CED Red-Dotted")


def test_bad_population_and_postcodes(tmp_path: Path) -> None:
    lines = _text(BOROUGH_POP).splitlines()[:5]
    lines[1] = _set_cell(lines[1], lines[0], "geography code", "E01000001")  # an LSOA
    err = _fail(_write(tmp_path, lines, "ltla.csv"))
    assert (err.row, err.column) == (2, "geography code")
    lines = _text(POSTCODES).splitlines()[:5]
    lines[3] = _set_cell(lines[3], lines[0], "lat_wgs84_derived", "540291")
    err = _fail(_write(tmp_path, lines, "pc.csv"))
    assert (err.row, err.column) == (4, "lat_wgs84_derived")
    lines = _text(POSTCODES).splitlines()[:5]
    lines[2] = _set_cell(lines[2], lines[0], "Postcode", "NOT A POSTCODE")
    err = _fail(_write(tmp_path, lines, "pc.csv"))
    assert (err.row, err.column) == (3, "Postcode")
    lines = _text(POSTCODES).splitlines()[:5]
    lines.append(lines[1].replace("BR1 1AA", "br1 1aa"))
    err = _fail(_write(tmp_path, lines, "pc.csv"))
    assert "rows 2 and 6" in err.reason


def test_unterminated_quote(tmp_path: Path) -> None:
    lines = _ward_lines(4)
    lines[3] = lines[3].replace(",E05", ',"E05', 1)
    err = _fail(_write(tmp_path, lines))
    assert err.row == 4 and "quoted" in err.reason


# ======================================================================================
# speed


def test_every_bundled_file_reads_as_one_of_the_kinds() -> None:
    """Every file of the snapshot reads, and together they make every kind.  (How fast a first
    run builds the store is measured by bench/, never asserted: this machine is shared.)"""
    files = [p for p in SNAP.iterdir() if p.is_file() and p.suffix != ".md"]
    kinds: Counter[str] = Counter()
    for path in files:
        kinds[read_file(path).kind] += 1
    assert set(kinds) == {
        "ward_crime", "borough_crime", "ward_population", "borough_population", "postcodes",
        "stop_search", "taser", "ward_boundaries", "borough_boundaries",
    }


# ======================================================================================
# the Met's mid-2026 crime format, and month columns that must be a contiguous window


def test_borough_crime_in_the_mid_2026_format() -> None:
    raw = pd.read_csv(NEW_BOROUGH_CRIME)
    assert list(raw.columns[:3]) == ["Group", "SubGroup", "BOCU"]
    month_cols = [c for c in raw.columns if c.isdigit()]
    loaded = read_file(NEW_BOROUGH_CRIME)
    _check_columns(loaded)
    assert loaded.kind == "borough_crime"
    assert loaded.months == tuple(int(c) for c in month_cols)
    frame = loaded.frame
    assert set(frame["borough_name"]) == set(raw["BOCU"]) and "Unknown" in set(raw["BOCU"])
    assert "PUBLIC FEAR, ALARM OR DISTRESS" in set(frame["minor"])  # the quoted comma
    for month in month_cols:
        assert frame.loc[frame["month"] == int(month), "count"].sum() == raw[month].sum()


def test_ward_crime_in_the_mid_2026_format(tmp_path: Path) -> None:
    """The ward extract is expected to change as the borough one did: Group, SubGroup, BOCU."""
    lines = _text(WARD_CRIME).splitlines()
    lines[0] = lines[0].replace("MajorText", "Group").replace("MinorText", "SubGroup").replace(
        "LookUp_BoroughName", "BOCU")
    new = read_file(_write(tmp_path, lines))
    old = read_file(WARD_CRIME)
    assert new.kind == "ward_crime" and new.months == old.months
    pd.testing.assert_frame_equal(new.frame, old.frame)


@pytest.mark.parametrize(("header", "column"), [
    ("Category,Subcategory,BOCU", None),  # neither format: the columns found are named
    ("Group,SubGroup,Borough", None),
    ("Group,SubGroup,WardName,WardCode,Borough", "BOCU"),
])
def test_a_crime_extract_in_neither_format_is_refused(tmp_path: Path, header: str,
                                                      column: str | None) -> None:
    lines = _text(NEW_BOROUGH_CRIME).splitlines()[:4]
    months = lines[0].split(",")[3:]
    lines[0] = ",".join([*header.split(","), *months])
    if header.count(",") == 4:
        lines = [lines[0]] + [",".join([*row.split(",")[:2], "W", "E05013570", "Hillingdon",
                                        *row.split(",")[3:]]) for row in lines[1:]]
    err = _fail(_write(tmp_path, lines, "crime.csv"))
    assert err.row == 1 and err.column == column
    if column is None:
        assert f"its columns are {header} and month columns" in err.reason
    assert "Group,SubGroup," in err.reason and "MajorText,MinorText," in err.reason


@pytest.mark.parametrize(("change", "column", "what"), [
    (lambda m: m[:10] + m[11:], "202502", "a month is missing: 202502 follows 202412"),
    (lambda m: [*m[:-2], m[-1], m[-2]], "202602", "out of order: 202602 comes after 202603"),
])
def test_month_columns_must_be_consecutive_and_in_order(
        tmp_path: Path, change: Any, column: str, what: str) -> None:
    frame = pd.read_csv(WARD_CRIME, dtype=str)
    months = [c for c in frame.columns if c.isdigit()]
    assert months[10:12] == ["202501", "202502"] and months[-2:] == ["202602", "202603"]
    path = tmp_path / "ward.csv"
    frame[[*frame.columns[:5], *change(months)]].to_csv(path, index=False)
    err = _fail(path)
    assert (err.row, err.column) == (1, column)
    assert what in err.reason


# ======================================================================================
# the Met's own stop-and-search extract (a fixture in its documented layout)


def test_mps_stop_search_extract() -> None:
    raw = pd.read_csv(MPS_STOPS, dtype=str, keep_default_na=False)
    loaded = read_file(MPS_STOPS)
    _check_columns(loaded)
    frame = loaded.frame
    assert loaded.months == (202608, 202609)
    assert set(frame["source"]) == {"mps"}
    assert frame["count"].tolist() == raw["Count"].astype(int).tolist()
    assert frame["borough"].tolist() == raw["Borough of Stop"].tolist()
    assert frame["month"].tolist() == [int(m.replace("-", "")) for m in raw["Year_Month"]]
    assert frame["outcome"].tolist() == raw["Outcome"].tolist()
    assert frame["object_of_search"].tolist() == raw["Search Reason"].tolist()
    assert frame["officer_ethnicity"].tolist() == raw["Ethnic Appearance"].tolist()
    assert frame["has_location"].all()
    assert set(frame["type"]) == {""}  # the extract has no search type


def test_mps_stop_search_extract_with_the_older_date_column(tmp_path: Path) -> None:
    raw = pd.read_csv(MPS_STOPS, dtype=str, keep_default_na=False)
    raw = raw.rename(columns={"StopDate": "Date"})
    raw["Date"] = pd.to_datetime(raw["Date"], format="%d/%m/%Y").dt.strftime("%Y-%m-%d")
    path = tmp_path / "old.csv"
    raw.to_csv(path, index=False)
    assert read_file(path).months == (202608, 202609)


@pytest.mark.parametrize(("rename", "missing", "extra"), [
    ({"Search Reason": "Object of Search"}, "Search Reason", "Object of Search"),
    ({"Count": "Number"}, "Count", "Number"),
    ({"StopDate": "Stop Date"}, "StopDate (or Date)", "Stop Date"),
])
def test_mps_stop_search_extract_with_other_columns_is_refused(
        tmp_path: Path, rename: dict[str, str], missing: str, extra: str) -> None:
    raw = pd.read_csv(MPS_STOPS, dtype=str, keep_default_na=False).rename(columns=rename)
    path = tmp_path / "lds.csv"
    raw.to_csv(path, index=False)
    err = _fail(path)
    assert err.row == 1
    assert f"missing {missing}" in err.reason and f"not expected {extra}" in err.reason
    assert "expected exactly: Borough of Stop, Borough Code, Year_Month, Count" in err.reason


def test_mps_stop_search_date_outside_its_month_is_refused(tmp_path: Path) -> None:
    lines = _text(MPS_STOPS).splitlines()
    lines[1] = lines[1].replace("03/08/2026", "03/09/2026")
    err = _fail(_write(tmp_path, lines, "lds.csv"))
    assert (err.row, err.column) == (2, "StopDate")
    assert "not in the month 2026-08" in err.reason


def test_the_most_complete_source_wins_a_month(tmp_path: Path) -> None:
    """A month held by police.uk's API (partial) and its bulk file is taken from the bulk
    file, whatever the order of the files."""
    api = read_file(STOPS_JSON[0])  # 2024-09
    bulk_raw = pd.read_csv(STOPS_CSV, dtype=str, keep_default_na=False)
    bulk_raw["Date"] = bulk_raw["Date"].str.replace("2022-09", "2024-09")
    bulk_path = tmp_path / "2024-09-metropolitan-stop-and-search.csv"
    bulk_raw.to_csv(bulk_path, index=False)
    bulk = read_file(bulk_path)
    assert set(api.frame["source"]) == {"api"} and set(bulk.frame["source"]) == {"bulk"}
    for parts in ([api, bulk], [bulk, api]):
        combined = combine("stop_search", parts)
        in_month = combined.frame[combined.frame["month"] == 202409]
        assert set(in_month["source"]) == {"bulk"}
        assert len(in_month) == (bulk.frame["month"] == 202409).sum()


def test_a_self_crossing_polygon_is_repaired_and_the_load_says_so(tmp_path: Path) -> None:
    """A bow-tie ring (its edges cross) is invalid: it is repaired with make_valid, and the
    load report names the area, never silently."""
    obj = _json(BOROUGHS_GEO)
    feature = obj["features"][2]
    (x0, y0, x1, y1) = shapely.bounds(shapely.from_geojson(json.dumps(feature["geometry"])))
    feature["geometry"] = {"type": "Polygon", "coordinates": [[
        [x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]}  # crosses itself
    path = tmp_path / "boroughs.geojson"
    path.write_text(json.dumps(obj), encoding="utf-8")
    loaded = read_file(path)
    code = feature["properties"]["borough_code"]
    [note] = loaded.notes
    assert note.startswith(f"feature 3 ({code}): the shape was invalid (Self-intersection")
    assert note.endswith("and was repaired (shapely make_valid)")
    fixed = shapely.from_geojson(loaded.frame.loc[2, "geometry"])
    assert fixed.is_valid and fixed.area > 0
    assert read_file(BOROUGHS_GEO).notes == ()
