"""The store on a real SQLite file and a real PostgreSQL database (each test that is not about
SQLite's file runs on both): versions, atomic loads, stale refusal, pruning, migration."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from datastore.storage import blobs, store
from datastore.storage.db import Db, Location
from datastore.storage.kinds import COLUMNS, Loaded
from datastore.storage.schema import SCHEMA_VERSION
from datastore.storage.store import LoadInput, SourceFile, StaleDataError

Opener = Callable[[], Db]  # the open_store fixture


def crime(months: list[int], count: int, name: str = "f.csv") -> LoadInput:
    rows = [("E05000001", "Ward", "Borough", "THEFT", "SHOPLIFTING", m, count) for m in months]
    frame = pd.DataFrame(rows, columns=list(COLUMNS["ward_crime"]))
    return LoadInput(Loaded("ward_crime", name, frame, tuple(months)), (SourceFile(name, "0"),))


def population(n: int) -> LoadInput:
    frame = pd.DataFrame([("E05000001", "Ward", n)],
                         columns=list(COLUMNS["ward_population"]))
    return LoadInput(Loaded("ward_population", "p.csv", frame), (SourceFile("p.csv", "1"),))


def current_count(conn: Db) -> int:
    vid = store.versions(conn)["ward_crime"].id
    return int(blobs.stored_matrix(conn, vid).counts.sum())


def test_new_store_has_schema_version(open_store: Opener) -> None:
    conn = open_store()
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(SCHEMA_VERSION),)
    assert store.is_empty(conn)
    # Crime is stored as matrices only: a new store has no table of crime rows.
    assert not conn.tables() & {"ward_crime", "borough_crime"}
    conn.close()


def test_a_new_sqlite_store_is_in_wal_mode(tmp_path: Path) -> None:
    conn = store.connect(tmp_path / "s.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_crime_frame_that_is_no_matrix_is_refused_and_changes_nothing(
        open_store: Opener) -> None:
    """Every type in every month, or the matrix would put counts under the wrong month."""
    conn = open_store()
    store.write_versions(conn, {"ward_crime": crime([202401, 202402], 1)})
    ragged = crime([202402, 202403], 2)
    frame = pd.concat([ragged.data.frame, ragged.data.frame.assign(
        minor="OTHER", month=[202402, 202402])], ignore_index=True)
    bad = LoadInput(Loaded("ward_crime", "g.csv", frame, (202402, 202403)), ragged.sources)
    with pytest.raises(ValueError, match="not one row per month per type"):
        store.write_versions(conn, {"ward_crime": bad})
    assert store.versions(conn)["ward_crime"].last_month == 202402
    assert current_count(conn) == 2


def test_load_makes_current_and_keeps_one_previous(open_store: Opener) -> None:
    conn = open_store()
    store.write_versions(conn, {"ward_crime": crime([202401, 202402], 1)})
    store.write_versions(conn, {"ward_crime": crime([202402, 202403], 2)})
    store.write_versions(conn, {"ward_crime": crime([202403, 202404], 3)})
    assert store.versions(conn)["ward_crime"].last_month == 202404
    assert store.versions(conn, "previous")["ward_crime"].last_month == 202403
    assert current_count(conn) == 6
    kept = conn.execute("SELECT COUNT(*) FROM dataset_version").fetchone()[0]
    assert kept == 2
    # The oldest version's matrix was pruned with it.
    assert conn.execute("SELECT COUNT(DISTINCT version_id) FROM version_blob").fetchone() == (2,)


def test_older_file_is_refused_unless_forced(open_store: Opener) -> None:
    conn = open_store()
    store.write_versions(conn, {"ward_crime": crime([202402, 202403], 2, "new.csv")})
    with pytest.raises(StaleDataError, match=r"old\.csv.*2024-02.*--force"):
        store.write_versions(conn, {"ward_crime": crime([202401, 202402], 1, "old.csv")})
    assert current_count(conn) == 4
    store.write_versions(conn, {"ward_crime": crime([202401, 202402], 1, "old.csv")}, force=True)
    assert current_count(conn) == 2


def test_kinds_written_as_they_are_read_are_checked_and_refused_whole(
        open_store: Opener) -> None:
    # An iterator of (kind, input), as a first build writes while it reads: a refused kind
    # after an accepted one still changes nothing.
    conn = open_store()
    store.write_versions(conn, iter([("ward_crime", crime([202402, 202403], 2, "new.csv"))]))
    assert current_count(conn) == 4
    later = iter([("ward_population", population(9)),
                  ("ward_crime", crime([202401, 202402], 1, "old.csv"))])
    with pytest.raises(StaleDataError, match=r"old\.csv"):
        store.write_versions(conn, later)
    assert current_count(conn) == 4 and "ward_population" not in store.versions(conn)


def test_a_build_of_what_is_missing_leaves_what_another_built(open_store: Opener) -> None:
    """Replicas starting together on an empty store: the first to hold the load lock builds
    it; one that follows writes only what is still missing then."""
    conn = open_store()
    store.write_versions(conn, {"ward_crime": crime([202401], 5)})
    done = store.write_versions(conn, iter([("ward_crime", crime([202402], 7)),
                                            ("ward_population", population(9))]),
                                missing_only=True)
    assert [v.kind for v in done] == ["ward_population"]
    assert current_count(conn) == 5


def test_failed_load_leaves_everything_current(open_store: Opener) -> None:
    conn = open_store()
    store.write_versions(conn, {"ward_crime": crime([202401], 5), "ward_population": population(9)})

    def boom(kind: str) -> None:
        if kind == "ward_population":
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        store.write_versions(conn, {"ward_crime": crime([202402], 7),
                                    "ward_population": population(1)}, after_insert=boom)
    assert current_count(conn) == 5
    assert store.versions(conn)["ward_crime"].last_month == 202401
    assert "ward_crime" not in store.versions(conn, "previous")
    assert conn.execute("SELECT COUNT(*) FROM dataset_version WHERE status='loading'"
                        ).fetchone()[0] == 0


def postcodes(*codes: str) -> LoadInput:
    frame = pd.DataFrame([(pc, pc.split()[0], "E05000001", "Ward", "E09000001", "Borough",
                           51.5, -0.1) for pc in codes], columns=list(COLUMNS["postcodes"]))
    return LoadInput(Loaded("postcodes", "pc.csv", frame), (SourceFile("pc.csv", "2"),))


def indexes(conn: Db) -> dict[str, list[str]]:
    """The postcodes table's indexes (but PostgreSQL's primary key) and their columns."""
    if conn.dialect == "postgresql":
        found = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename='postcodes' "
            "AND indexname NOT LIKE '%pkey'").fetchall()
        return {n: [c.strip() for c in d.split("(", 1)[1].rstrip(")").split(",")]
                for n, d in found}
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='postcodes'")]
    return {n: [r[2] for r in conn.execute(f"PRAGMA index_info({n})")] for n in names}


def plan(conn: Db, sql: str, params: tuple[object, ...]) -> str:
    """How the database would run a query."""
    explain = "EXPLAIN" if conn.dialect == "postgresql" else "EXPLAIN QUERY PLAN"
    return " ".join(str(r[-1]) for r in conn.execute(f"{explain} {sql}", params))


def test_a_first_postcodes_load_indexes_after_writing_and_a_failed_one_keeps_them(
        open_store: Opener) -> None:
    """The first load into the empty table drops its indexes, writes, then makes them again:
    they end as the schema makes them, and a load that fails midway rolls the drop back."""
    conn = open_store()
    schema_made = indexes(conn)
    assert schema_made == {"postcodes_by_postcode": ["version_id", "postcode"],
                           "postcodes_by_outcode": ["version_id", "outcode"]}

    broken = postcodes("E8 1DY", "E1 6AN")
    broken.data.frame.loc[1, "ward_code"] = None  # fails in the insert, indexes dropped
    with pytest.raises(Exception, match=r"(?i)not.null") as refused:
        store.write_versions(conn, {"postcodes": broken})
    assert type(refused.value).__name__ in ("IntegrityError", "NotNullViolation")
    assert indexes(conn) == schema_made and "postcodes" not in store.versions(conn)
    store.write_versions(conn, {"postcodes": postcodes("E8 1DY", "E1 6AN")})
    store.write_versions(conn, {"postcodes": postcodes("E8 1DY", "N1 9AA")})  # indexed as is
    assert indexes(conn) == schema_made
    vid = store.versions(conn)["postcodes"].id
    if conn.dialect == "postgresql":  # on a table this small it would rather scan it
        conn.execute("SET enable_seqscan = off")
    assert "postcodes_by_postcode" in plan(
        conn, "SELECT * FROM postcodes WHERE version_id=? AND postcode=?", (vid, "N1 9AA"))


def test_process_killed_mid_load_leaves_old_version_current(store_at: Location,
                                                            open_store: Opener) -> None:
    conn = open_store()
    store.write_versions(conn, {"ward_crime": crime([202401], 5)})
    conn.close()
    # A child process writes a new version and is killed (os._exit, no clean-up) mid-load.
    script = textwrap.dedent(f"""
        import json, os, sys
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_store import crime, population
        from datastore.storage import store
        from datastore.storage.db import Location
        path, url, password = json.loads(sys.argv[1])
        conn = store.connect(Location(Path(path) if path else None, url, password))
        def die(kind):
            if kind == "ward_crime":
                os._exit(9)
        store.write_versions(conn, {{"ward_crime": crime([202402], 7),
                                     "ward_population": population(3)}}, after_insert=die)
    """)
    where = json.dumps([str(store_at.path or ""), store_at.url, store_at.password])
    proc = subprocess.run([sys.executable, "-c", script, where], capture_output=True,
                          timeout=60)
    assert proc.returncode == 9, proc.stderr
    conn = open_store()
    assert current_count(conn) == 5
    assert set(store.versions(conn)) == {"ward_crime"}
    store.write_versions(conn, {"ward_crime": crime([202402], 7)})
    assert current_count(conn) == 7


def test_older_schema_is_rebuilt(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    raw = sqlite3.connect(db)
    raw.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                      "INSERT INTO meta VALUES ('schema_version', '0');"
                      "CREATE TABLE crime_v0 (x INTEGER);")
    raw.commit()
    raw.close()
    conn = store.connect(db)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "crime_v0" not in tables and "dataset_version" in tables
    assert store.is_empty(conn)


def test_missing_kinds_lists_what_has_no_version(open_store: Opener) -> None:
    conn = open_store()
    store.write_versions(conn, {"ward_crime": crime([202401], 1)})
    missing = store.missing_kinds(conn)
    assert "ward_crime" not in missing and "postcodes" in missing


def test_a_new_store_and_its_folder_are_the_users_alone(tmp_path: Path) -> None:
    # It holds chat ids: owner-only whatever the umask (a common one lets everyone read).
    previous = os.umask(0o022)
    try:
        path = tmp_path / "data" / "wardwatch" / "s.sqlite3"
        conn = store.connect(path)
        store.write_versions(conn, {"ward_crime": crime([202401], 1)})
        reader = store.connect(path)  # a second connection: the -shm file is shared
        try:
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.iterdir()}
            folder = stat.S_IMODE(path.parent.stat().st_mode)
        finally:
            reader.close()
            conn.close()
    finally:
        os.umask(previous)
    assert folder == 0o700
    assert modes == {"s.sqlite3": 0o600, "s.sqlite3-wal": 0o600, "s.sqlite3-shm": 0o600}


def test_an_existing_store_keeps_its_modes(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store.connect(path).close()
    path.chmod(0o640)  # the operator's choice (a backup group, say): left alone
    store.connect(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
