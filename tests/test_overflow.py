"""A count too large to be true is refused where it is read, naming its row and column, and no
number is ever narrowed with wrap-around on its way to the store.

The defect: one cell of 2,147,483,653 in a published ward file became -2,147,483,643 in the
int32 matrix the view is built from, and every ward's rank with it."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from datastore.errors import LoadError
from datastore.ingest.loaders import read_file
from datastore.ingest.loaders._values import MAX_COUNT
from datastore.storage import blobs
from tests import raw
from tests.test_cli import run, write_config

HUGE = 2_147_483_653  # 2**31 + 5: wraps to -2,147,483,643 in an int32


def _ward_file_with(tmp_path: Path, row: int, month: str, value: int) -> Path:
    """A copy of the bundled real ward extract with one cell changed; `row` is the 1-based
    data row (the file's line `row + 1`)."""
    lines = gzip.decompress(raw.WARD_CRIME.read_bytes()).decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(month)] = str(value)
    lines[row] = ",".join(cells)
    path = tmp_path / "MPS Ward Level Crime (most recent 24 months).csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_count_past_int32_in_a_real_ward_file_is_refused_by_row_and_column(
        tmp_path: Path) -> None:
    path = _ward_file_with(tmp_path, 1000, "202603", HUGE)
    with pytest.raises(LoadError) as caught:
        read_file(path, "ward_crime")
    exc = caught.value
    assert (exc.row, exc.column) == (1001, "202603")  # data row 1,000 is the file's line 1,001
    assert "2147483653" in exc.reason and "too large" in exc.reason


def test_the_largest_plausible_count_is_accepted_and_one_more_refused(tmp_path: Path) -> None:
    loaded = read_file(_ward_file_with(tmp_path, 5, "202404", MAX_COUNT), "ward_crime")
    assert int(loaded.frame["count"].max()) == MAX_COUNT
    with pytest.raises(LoadError, match="too large"):
        read_file(_ward_file_with(tmp_path, 5, "202404", MAX_COUNT + 1), "ward_crime")


def test_wardwatch_load_refuses_it_and_the_answers_stay_as_they_were(
        config: Path, tmp_path: Path) -> None:
    before = run(config, "ask", "--json", "E8 1DY").stdout
    done = run(config, "load", str(_ward_file_with(tmp_path, 1000, "202603", HUGE)))
    assert done.returncode == 1
    assert "row 1001" in done.stderr and "'202603'" in done.stderr
    assert "unchanged" in done.stderr
    after = run(config, "ask", "--json", "E8 1DY").stdout
    assert after == before
    assert json.loads(after)["crime"]["total"] >= 0


def test_a_matrix_too_large_for_its_blob_is_refused_not_wrapped() -> None:
    matrix = blobs.CrimeMatrix(
        (202401,), [("E05000001", "A", "B")], np.array([0, 1], np.int64), ["M"], ["m"],
        np.zeros(1, np.int16), np.zeros(1, np.int16), np.array([[HUGE]], np.int64))
    with pytest.raises(OverflowError, match="int32"):
        blobs.matrix_blobs(matrix)
    negative = blobs.CrimeMatrix(
        (202401,), [("E05000001", "A", "B")], np.array([0, 1], np.int64), ["M"], ["m"],
        np.zeros(1, np.int16), np.zeros(1, np.int16), np.array([[-HUGE]], np.int64))
    with pytest.raises(OverflowError):
        blobs.matrix_blobs(negative)


def test_more_categories_than_an_int16_holds_are_refused_not_wrapped() -> None:
    import pandas as pd

    n = 40_000  # distinct minor types: past int16's 32,767
    heads = pd.DataFrame({"borough_name": ["Hackney"] * n, "major": ["M"] * n,
                          "minor": [f"minor {i:05d}" for i in range(n)]})
    with pytest.raises(OverflowError, match="int16"):
        blobs._matrix("borough_crime", heads, [202401], np.ones((n, 1), np.int64))


def test_a_real_matrix_round_trips_exactly(snapshot_db: Path) -> None:
    conn = sqlite3.connect(snapshot_db)
    try:
        vid = conn.execute("SELECT id FROM dataset_version WHERE kind='ward_crime' AND "
                           "status='current'").fetchone()[0]
        matrix = blobs.stored_matrix(conn, vid)
    finally:
        conn.close()
    again = blobs.crime_matrix(blobs.matrix_blobs(matrix))
    assert again is not None and np.array_equal(again.counts, matrix.counts)


@pytest.fixture
def config(tmp_path: Path, db_copy: Path) -> Path:
    return write_config(tmp_path, db_copy)
