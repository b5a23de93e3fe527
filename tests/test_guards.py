"""A new version far from the current one is refused unless forced: a crime file with no rows,
one missing a ward or a borough, or a fraction of the current rows.  The served data stays."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pandas as pd
import pytest
import shapely

from datastore.errors import LoadError
from datastore.ingest import sources
from datastore.services import open_services
from datastore.storage import store
from datastore.storage.store import RefusedUnlessForced
from tests import raw
from tests.conftest import SNAPSHOT


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def _current(db: Path, kind: str) -> store.Version:
    conn = store.connect(db)
    try:
        return store.versions(conn)[kind]
    finally:
        conn.close()


def test_a_ward_file_with_a_header_and_no_rows_is_refused(db_copy: Path, tmp_path: Path) -> None:
    path = tmp_path / "ward.csv"
    header = gzip.decompress(raw.WARD_CRIME.read_bytes()).split(b"\n", 1)[0]
    path.write_bytes(header + b"\n")
    with pytest.raises(LoadError, match="holds no rows"):
        sources.read_sources([str(path)])
    before = _current(db_copy, "ward_crime")
    assert before.rows > 0


def _load(db: Path, path: Path, force: bool = False) -> list[store.Version]:
    conn = store.connect(db)
    try:
        return store.write_versions(conn, sources.read_sources([str(path)]), force=force)
    finally:
        conn.close()


def test_a_ward_crime_file_missing_a_ward_is_refused_naming_it(db_copy: Path,
                                                                tmp_path: Path) -> None:
    wc = raw.ward_crime()
    gone = sorted(set(wc["WardCode"]))[5]
    path = _write_csv(wc[wc["WardCode"] != gone], tmp_path / "ward.csv")
    before = _current(db_copy, "ward_crime")
    with pytest.raises(RefusedUnlessForced, match=f"lacks 1 ward of the current data: {gone}"):
        _load(db_copy, path)
    assert _current(db_copy, "ward_crime") == before
    [loaded] = _load(db_copy, path, force=True)
    assert loaded.kind == "ward_crime" and loaded.rows < before.rows


def test_a_borough_file_missing_a_borough_is_refused(db_copy: Path, tmp_path: Path) -> None:
    bc = raw.borough_crime()
    path = _write_csv(bc[bc["BOCU"] != "Sutton"], tmp_path / "borough.csv")
    with pytest.raises(RefusedUnlessForced, match="lacks 1 borough of the current data: Sutton"):
        _load(db_copy, path)


def test_a_fraction_of_the_current_rows_is_refused(db_copy: Path, tmp_path: Path) -> None:
    """Every ward, but a third of the rows: a truncated or filtered extract."""
    wc = raw.ward_crime()
    thin = wc.groupby("WardCode", group_keys=False).head(2)
    path = _write_csv(thin, tmp_path / "ward.csv")
    with pytest.raises(RefusedUnlessForced, match=r"holds \d[\d,]* rows, under half"):
        _load(db_copy, path)


def test_an_ordinary_newer_release_is_not_refused(behind_copy: Path) -> None:
    [loaded] = _load(behind_copy, SNAPSHOT / raw.WARD_CRIME.name)
    assert loaded.last_month == 202603


def test_no_rows_at_all_in_a_borough_or_stop_search_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "borough.csv"
    buf = io.StringIO()
    raw.borough_crime().head(0).to_csv(buf, index=False)
    path.write_text(buf.getvalue())
    with pytest.raises(LoadError, match="holds no rows"):
        sources.read_sources([str(path)])


async def test_the_load_report_names_a_repaired_shape(db_copy: Path, tmp_path: Path) -> None:
    with gzip.open(SNAPSHOT / "london_boroughs.geojson.gz", "rt", encoding="utf-8") as fh:
        obj = json.load(fh)
    feature = obj["features"][0]
    x0, y0, x1, y1 = shapely.bounds(shapely.from_geojson(json.dumps(feature["geometry"])))
    feature["geometry"] = {"type": "Polygon", "coordinates": [[
        [x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]}
    path = tmp_path / "boroughs.geojson"
    path.write_text(json.dumps(obj), encoding="utf-8")
    async with open_services(db_copy, postcodes_url=None) as svc:
        report = await svc.load([str(path)])
    assert [v.kind for v in report.versions] == ["borough_boundaries"]
    [note] = report.notes
    code = feature["properties"]["borough_code"]
    assert note.startswith(f"borough_boundaries: feature 1 ({code})")
    assert "was repaired" in note
