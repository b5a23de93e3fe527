"""Loading downloaded files in a child process: each kind on its own, bad files rejected by the
name the publisher gave them, police.uk months added to the current ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from datastore.ingest import sources
from datastore.ingest.worker import KEEP_MONTHS, LoadJob, _trim, load_jobs, run_loads
from datastore.storage import store
from datastore.storage.kinds import Loaded
from tests import raw
from tests.conftest import NEW_WARD_CRIME, SNAPSHOT

STOPS = sorted(SNAPSHOT.glob("policeuk_api_metropolitan_stops_with_borough_*.json.gz"))


def _versions(db: Path) -> dict[str, store.Version]:
    conn = store.connect(db)
    try:
        return store.versions(conn)
    finally:
        conn.close()


def test_a_newer_extract_loads_and_the_same_one_again_is_unchanged(behind_copy: Path,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "download.csv"
    shutil.copy(NEW_WARD_CRIME, path)
    job = LoadJob("ward_crime", (str(path),), ("MPS Ward Level Crime (most recent 24 months).csv",))
    [outcome] = load_jobs(str(behind_copy), [job])
    assert outcome.result == "loaded" and outcome.version is not None
    assert (outcome.version.first_month, outcome.version.last_month) == (202403, 202603)
    assert outcome.version.rows == len(raw.ward_crime()) * len(raw.month_columns())  # as published
    assert [s.name for s in outcome.version.sources] == list(job.names)
    [again] = load_jobs(str(behind_copy), [job])
    assert again.result == "unchanged"


def test_one_bad_kind_leaves_the_others_to_load(behind_copy: Path, tmp_path: Path) -> None:
    bad = tmp_path / "borough.csv"
    bad.write_text("Group,SubGroup,BOCU,202607\nTHEFT,SHOPLIFTING,Hackney,many\n")
    good = tmp_path / "ward.csv"
    shutil.copy(NEW_WARD_CRIME, good)
    borough, ward = load_jobs(str(behind_copy), [
        LoadJob("borough_crime", (str(bad),), ("MPS Borough Level Crime.csv",)),
        LoadJob("ward_crime", (str(good),), ("MPS Ward Level Crime.csv",))])
    assert borough.result == "rejected"
    assert borough.detail.startswith("MPS Borough Level Crime.csv, row 2, column '202607'")
    assert str(tmp_path) not in borough.detail
    assert ward.result == "loaded"
    assert _versions(behind_copy)["borough_crime"].last_month == 202606  # unchanged


def test_police_uk_months_are_added_to_the_current_ones(db_copy: Path) -> None:
    conn = store.connect(db_copy)
    store.write_versions(conn, sources.read_sources([str(p) for p in STOPS[:-1]]), force=True)
    conn.close()
    assert _versions(db_copy)["stop_search"].last_month == 202503
    job = LoadJob("stop_search", (str(STOPS[-1]),), ("data.police.uk stops-force 2025-04",),
                  extend=True)
    [outcome] = load_jobs(str(db_copy), [job])
    assert outcome.result == "loaded" and outcome.version is not None
    assert (outcome.version.first_month, outcome.version.last_month) == (202409, 202504)
    records = sum(len(v) for v in raw.stop_search_by_month().values())
    assert outcome.version.rows == records
    assert outcome.version.sources[-1].name == "data.police.uk stops-force 2025-04"
    [again] = load_jobs(str(db_copy), [job])
    assert again.result == "unchanged"


def test_a_kind_followed_month_by_month_keeps_its_latest_months() -> None:
    months = [202301 + i + (i // 12) * 88 for i in range(30)]
    frame = pd.DataFrame({"month": months, "count": 1})
    data = Loaded("stop_search", "s", frame, tuple(months))
    kept = _trim(data)
    assert kept.months == tuple(months[-KEEP_MONTHS:])
    assert kept.frame["month"].min() == months[-KEEP_MONTHS]


async def test_loads_run_in_a_child_process(behind_copy: Path, tmp_path: Path) -> None:
    path = tmp_path / "ward.csv"
    shutil.copy(NEW_WARD_CRIME, path)
    [outcome] = await run_loads(behind_copy, [LoadJob("ward_crime", (str(path),), ("w.csv",))])
    assert outcome.result == "loaded"
    assert _versions(behind_copy)["ward_crime"].last_month == 202603
