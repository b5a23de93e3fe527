"""Subscriptions, deliveries and the check log on a real SQLite file and a real PostgreSQL
database (the `conn` fixture is each in turn); the SQLite schema migrations that keep them."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from datastore.ingest import check
from datastore.ingest.check import CheckRecord
from datastore.storage import blobs, schema, store, subscriptions
from datastore.storage.db import Db, Location
from datastore.storage.kinds import COLUMNS, Loaded
from datastore.storage.schema import SCHEMA_VERSION
from datastore.storage.store import LoadInput, SchemaError, SourceFile
from datastore.storage.subscriptions import MAX_WARDS

W1, W2, W3 = "E05000001", "E05000002", "E05000003"


def crime(months: list[int], counts: dict[str, int]) -> LoadInput:
    rows = [(w, f"Ward {w[-1]}", "Borough", "THEFT", "SHOPLIFTING", m, n)
            for w, n in sorted(counts.items()) for m in months]
    frame = pd.DataFrame(rows, columns=list(COLUMNS["ward_crime"]))
    return LoadInput(Loaded("ward_crime", "c.csv", frame, tuple(months)),
                     (SourceFile("c.csv", "0"),))


@pytest.fixture
def conn(open_store: Callable[[], Db]) -> Db:
    """A new store on each backend in turn."""
    return open_store()


OLD_DATA_SCHEMA = (Path(__file__).parent / "data" / "schema_v2_data.sql").read_text()


def version_1_store(path: Path) -> None:
    """A store as WardWatch 0.1 left it: the data tables only, schema version 1."""
    raw = sqlite3.connect(path)
    raw.executescript(OLD_DATA_SCHEMA)
    raw.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    raw.execute("INSERT INTO dataset_version (kind, status, first_month, last_month, rows, "
                "sources, loaded_at) VALUES ('ward_crime', 'current', 202401, 202402, 1, "
                "'[]', '2026-01-01T00:00:00+00:00')")
    raw.execute("INSERT INTO ward_crime VALUES (1, 'E05000001', 'W', 'B', 'M', 'm', 202402, 7)")
    raw.commit()
    raw.close()


def test_a_version_1_store_is_migrated_keeping_its_data(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    version_1_store(db)
    conn = store.connect(db)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(SCHEMA_VERSION),)
    assert store.versions(conn)["ward_crime"].last_month == 202402
    # Its ward crime rows became a matrix, and the row table went (schema version 6).
    matrix = blobs.stored_matrix(conn, store.versions(conn)["ward_crime"].id)
    assert (matrix.months, matrix.areas, matrix.counts.tolist()) == (
        (202402,), [("E05000001", "W", "B")], [[7]])
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert not tables & {"ward_crime", "borough_crime"}
    result = subscriptions.subscribe(conn, 5, "private", W1, "E1")
    assert result.outcome == "added"
    conn.close()
    # Opening again (a restart) keeps the subscriptions: nothing is rebuilt at version 2.
    conn = store.connect(db)
    assert [s.ward_code for s in subscriptions.for_chat(conn, 5)] == [W1]


def test_a_version_2_store_keeps_its_searches_and_chats_and_reloads_ward_residents(
        tmp_path: Path) -> None:
    """Version 3 replaces the best-fit ward residents (reloaded from the snapshot) and says
    where each stop-and-search record came from; nothing else is lost."""
    db = tmp_path / "s.sqlite3"
    raw = sqlite3.connect(db)
    raw.executescript(OLD_DATA_SCHEMA + schema.CHAT_SCHEMA_V2)
    raw.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    raw.execute("INSERT INTO subscription VALUES (5, 'private', ?, 'E1', 'active', '2026-01-01')",
                (W1,))
    raw.execute("INSERT INTO dataset_version (id, kind, status, first_month, last_month, rows, "
                "sources, loaded_at) VALUES (1, 'ward_crime', 'current', 202401, 202402, 1, "
                "'[]', '2026-01-01T00:00:00+00:00')")
    for vid, name in ((2, "stops-2025-04.json"), (3, "2022-09-metropolitan-stop-and-search.csv")):
        raw.execute("INSERT INTO dataset_version (id, kind, status, first_month, last_month, "
                    "rows, sources, loaded_at) VALUES (?, 'stop_search', ?, 202504, 202504, 1, "
                    "?, '2026-01-01T00:00:00+00:00')",
                    (vid, "current" if vid == 3 else "previous",
                     f'[{{"name": "{name}", "sha256": "0"}}]'))
        raw.execute("INSERT INTO stop_search VALUES (?, 202504, 'Hackney', 'Person search', "
                    "'Controlled drugs', '', '', '18-24', '', '', 'Male', 1)", (vid,))
    raw.execute("INSERT INTO dataset_version (id, kind, status, rows, sources, loaded_at) "
                "VALUES (4, 'ward_population', 'current', 1, '[]', '2026-01-01')")
    raw.execute("INSERT INTO ward_population VALUES (4, 'E05000001', 'W', 'E09000001', 'L', 9)")
    raw.commit()
    raw.close()
    conn = store.connect(db)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(SCHEMA_VERSION),)
    assert conn.execute("SELECT version_id, source, count FROM stop_search "
                        "ORDER BY version_id").fetchall() == [(2, "api", 1), (3, "bulk", 1)]
    assert "ward_population" not in store.versions(conn)  # reloaded from the snapshot
    assert conn.execute("SELECT COUNT(*) FROM ward_population").fetchone() == (0,)
    assert [s.ward_code for s in subscriptions.for_chat(conn, 5)] == [W1]
    assert store.versions(conn)["ward_crime"].last_month == 202402


def test_a_failed_migration_changes_nothing(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.sqlite3"
    version_1_store(db)
    monkeypatch.setitem(schema.MIGRATIONS, 2,
                        schema.CHAT_SCHEMA_V2 + "INSERT INTO no_such_table VALUES (1);")
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        store.connect(db)
    raw = sqlite3.connect(db)
    assert raw.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("1",)
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "subscription" not in tables and "ward_crime" in tables
    raw.close()
    monkeypatch.undo()
    conn = store.connect(db)
    assert store.versions(conn)["ward_crime"].last_month == 202402


def test_a_store_from_a_newer_wardwatch_is_refused_untouched(
        store_at: Location, open_store: Callable[[], Db]) -> None:
    conn = open_store()
    subscriptions.subscribe(conn, 5, "private", W1, "E1")
    conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    with pytest.raises(SchemaError, match="newer than this WardWatch"):
        store.connect(store_at)
    assert conn.execute("SELECT COUNT(*) FROM subscription").fetchone() == (1,)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(SCHEMA_VERSION + 1),)


def test_subscribe_outcomes_and_the_limit(conn: Db) -> None:
    wards = [f"E050000{i:02d}" for i in range(1, MAX_WARDS + 2)]
    for i, ward in enumerate(wards[:MAX_WARDS], 1):
        result = subscriptions.subscribe(conn, -100, "supergroup", ward, "E1")
        assert result.outcome == "added" and len(result.subscriptions) == i
    assert subscriptions.subscribe(conn, -100, "supergroup", wards[0], "E2").outcome == "already"
    full = subscriptions.subscribe(conn, -100, "supergroup", wards[-1], "E1")
    assert full.outcome == "full" and len(full.subscriptions) == MAX_WARDS
    assert subscriptions.for_chat(conn, -100)[0].district == "E1"  # the first one made
    assert subscriptions.set_chat_state(conn, -100, "paused") == MAX_WARDS
    assert subscriptions.subscribe(conn, -100, "supergroup", wards[0], "E1").outcome == "resumed"
    assert {s.state for s in subscriptions.for_chat(conn, -100)} == {"active"}
    with pytest.raises(ValueError, match="channel"):
        subscriptions.subscribe(conn, -1001, "channel", W1, "E1")
    assert subscriptions.subscription_counts(conn) == subscriptions.SubscriptionCounts(5, 0, 1)


def test_a_supergroup_migration_merges_without_duplicates(conn: Db) -> None:
    subscriptions.subscribe(conn, -5, "group", W1, "E1")
    subscriptions.subscribe(conn, -5, "group", W2, "E2")
    subscriptions.subscribe(conn, -1005, "supergroup", W2, "N1")  # already there
    subscriptions.open_fanout(conn, 202603)
    assert subscriptions.migrate_chat(conn, -5, -1005) == 1
    assert subscriptions.for_chat(conn, -5) == ()
    moved = subscriptions.for_chat(conn, -1005)
    assert sorted((s.ward_code, s.district, s.chat_type) for s in moved) == [
        (W1, "E1", "supergroup"), (W2, "N1", "supergroup")]
    assert subscriptions.pending_wards(conn, -1005, 202603) == {W1, W2}
    assert subscriptions.pending_wards(conn, -5, 202603) == set()
    assert subscriptions.migrate_chat(conn, -1005, -1005) == 0


def test_digests_are_due_only_for_a_newly_current_month(conn: Db) -> None:
    store.write_versions(conn, {"ward_crime": crime([202601], {W1: 1})})
    assert subscriptions.digest_due(conn) is None  # a first load is not news
    store.write_versions(conn, {"ward_crime": crime([202602], {W1: 1})})
    assert subscriptions.digest_due(conn) == 202602
    subscriptions.open_fanout(conn, 202602)
    assert subscriptions.digest_due(conn) is None  # queued already
    store.write_versions(conn, {"ward_crime": crime([202601], {W1: 1})}, force=True)
    assert subscriptions.digest_due(conn) is None  # a forced older load is not news
    store.write_versions(conn, {"ward_crime": crime([202602], {W1: 1})})
    assert subscriptions.digest_due(conn) is None  # 202602 was queued before
    store.write_versions(conn, {"ward_crime": crime([202603], {W1: 1})})
    assert subscriptions.digest_due(conn) == 202603


def test_queueing_is_idempotent_and_supersedes_older_months(conn: Db) -> None:
    subscriptions.subscribe(conn, 1, "private", W1, "E1")
    subscriptions.subscribe(conn, 1, "private", W2, "E1")
    subscriptions.subscribe(conn, 2, "private", W1, "E1")
    assert subscriptions.open_fanout(conn, 202602) == 3
    subscriptions.mark(conn, 1, W1, 202602, "sent")
    assert subscriptions.open_fanout(conn, 202602) == 0
    assert subscriptions.delivery_counts(conn, 202602) == subscriptions.DeliveryCounts(
        202602, 1, 2, 0)
    subscriptions.subscribe(conn, 3, "private", W3, "E1")
    assert subscriptions.open_fanout(conn, 202603) == 4
    old = subscriptions.delivery_counts(conn, 202602)
    assert (old.sent, old.pending, old.failed, old.failed_by_error) == (
        1, 0, 2, (("superseded", 2),))
    assert subscriptions.digest_month(conn) == 202603
    assert subscriptions.pending_months(conn) == [202603]


def test_pending_skips_paused_and_removed_and_outcomes_are_recorded(
        conn: Db) -> None:
    for chat in (1, 2, 3):
        subscriptions.subscribe(conn, chat, "private", W1, "E1")
    subscriptions.subscribe(conn, 1, "private", W2, "E1")
    subscriptions.open_fanout(conn, 202603)
    subscriptions.set_chat_state(conn, 2, "paused")
    subscriptions.unsubscribe(conn, 3, W1)  # deletes its pending digest too
    pending = subscriptions.take_pending(conn, 202603)
    assert [(p.chat_id, p.ward_code) for p in pending] == [(1, W1), (1, W2)]  # queue order
    counts = subscriptions.delivery_counts(conn, 202603)
    assert (counts.pending, counts.failed, counts.failed_by_error) == (2, 1, (("paused", 1),))
    assert subscriptions.claim(conn, 1, W1, 202603)  # an attempt starts
    assert subscriptions.mark(conn, 1, W1, 202603, "pending", error="TimedOut")
    assert subscriptions.claim(conn, 1, W1, 202603)
    assert subscriptions.mark(conn, 1, W1, 202603, "sent")
    assert not subscriptions.claim(conn, 1, W1, 202603)  # sent: never again
    assert not subscriptions.mark(conn, 1, W1, 202603, "sent")
    assert subscriptions.claim(conn, 1, W2, 202603)
    assert subscriptions.fail_chat(conn, 1, W2, 202603, "blocked or removed") == 2
    counts = subscriptions.delivery_counts(conn, 202603)
    assert (counts.sent, counts.pending, counts.failed) == (1, 0, 2)
    attempts = dict(conn.execute(
        "SELECT ward_code, attempts FROM delivery WHERE chat_id=1").fetchall())
    assert attempts == {W1: 2, W2: 1}
    with pytest.raises(ValueError):
        subscriptions.mark(conn, 1, W1, 202603, "lost")


def test_a_digest_is_claimed_only_while_its_subscription_stands(
        conn: Db) -> None:
    for chat in (1, 2, 3):
        subscriptions.subscribe(conn, chat, "private", W1, "E1")
    subscriptions.open_fanout(conn, 202603)
    subscriptions.set_chat_state(conn, 2, "paused")  # blocked us after it was queued
    subscriptions.unsubscribe(conn, 3, W1)
    assert [subscriptions.claim(conn, chat, W1, 202603) for chat in (1, 2, 3)] == [
        True, False, False]
    assert subscriptions.pending_wards(conn, 2, 202603) == {W1}  # failed at the next take
    assert [p.chat_id for p in subscriptions.take_pending(conn, 202603)] == [1]


def test_forget_erases_the_chats_rows_only(conn: Db) -> None:
    subscriptions.subscribe(conn, 1, "private", W1, "E1")
    subscriptions.subscribe(conn, 1, "private", W2, "E1")
    subscriptions.subscribe(conn, 2, "private", W1, "E1")
    subscriptions.open_fanout(conn, 202603)
    assert store.forget_chat(conn, 1) == {"subscription": 2, "delivery": 2}
    assert subscriptions.for_chat(conn, 1) == ()
    assert len(subscriptions.for_chat(conn, 2)) == 1
    assert subscriptions.delivery_counts(conn, 202603).pending == 1


def test_the_check_log_keeps_the_latest(conn: Db,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    assert check.last_check(conn) is None
    monkeypatch.setattr(check, "KEEP_CHECKS", 3)
    for i in range(5):
        check.record_check(conn, CheckRecord(f"2026-04-0{i + 1}T07:00:00+00:00", "schedule",
                                              "unchanged", f"check {i}", 202603))
    assert check.last_check(conn) == CheckRecord("2026-04-05T07:00:00+00:00", "schedule",
                                                  "unchanged", "check 4", 202603)
    assert conn.execute("SELECT COUNT(*) FROM check_log").fetchone() == (3,)


def test_the_revision_baseline_is_what_the_previous_version_said(
        conn: Db) -> None:
    assert check.previous_baseline(conn) is None
    store.write_versions(conn, {"ward_crime": crime([202601, 202602], {W1: 5, W2: 7})})
    assert check.previous_baseline(conn) is None  # no previous version
    store.write_versions(conn, {"ward_crime": crime([202602, 202603], {W1: 6, W2: 7})})
    baseline = check.previous_baseline(conn)
    assert baseline is not None
    assert (baseline.month, dict(baseline.totals)) == (202602, {W1: 5, W2: 7})
    store.write_versions(conn, {"ward_crime": crime([202601, 202602], {W1: 1})}, force=True)
    assert check.previous_baseline(conn) is None  # the previous one is the newer


def test_why_a_chat_is_paused(conn: Db) -> None:
    subscriptions.subscribe(conn, 1, "private", W1, "E1")
    subscriptions.subscribe(conn, 2, "private", W1, "E1")
    subscriptions.open_fanout(conn, 202603)
    subscriptions.claim(conn, 1, W1, 202603)
    subscriptions.fail_chat(conn, 1, W1, 202603, "Forbidden: bot was blocked by the user")
    subscriptions.set_chat_state(conn, 2, "paused")  # my_chat_member: blocked, nothing sent
    assert subscriptions.pause_cause(conn, 1) == "send_failed"
    assert subscriptions.pause_cause(conn, 2) == "removed"  # its pending digest: 'paused'
    # Back, a digest delivered, then blocked again: the refusal is no longer the cause.
    subscriptions.subscribe(conn, 1, "private", W1, "E1")
    subscriptions.open_fanout(conn, 202604)
    subscriptions.claim(conn, 1, W1, 202604)
    subscriptions.mark(conn, 1, W1, 202604, "sent",
                       now=datetime.now(UTC) + timedelta(seconds=5))
    subscriptions.set_chat_state(conn, 1, "paused")
    assert subscriptions.pause_cause(conn, 1) == "removed"


def version_5_store(path: Path, versions: list[tuple[int, str, list[tuple[object, ...]], bool]]
                    ) -> None:
    """A store as schema version 5 left it: crime versions as rows, each with its matrix
    blobs or (loaded before version 5) without.  `versions`: (id, status, ward crime rows,
    whether it has blobs)."""
    raw = sqlite3.connect(path)
    raw.executescript(OLD_DATA_SCHEMA + schema.CHAT_SCHEMA_V2 + schema.PUBLISHER_SCHEMA_V4
                      + schema.BLOB_SCHEMA_V5)
    raw.execute("INSERT INTO meta VALUES ('schema_version', '5')")
    for vid, status, rows, with_blobs in versions:
        raw.execute("INSERT INTO dataset_version (id, kind, status, first_month, last_month, "
                    "rows, sources, loaded_at) VALUES (?, 'ward_crime', ?, 202401, 202402, ?, "
                    "'[]', '2026-01-01T00:00:00+00:00')", (vid, status, len(rows)))
        raw.executemany("INSERT INTO ward_crime VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [(vid, *row) for row in rows])
        if with_blobs:
            frame = pd.DataFrame(rows, columns=list(COLUMNS["ward_crime"]))
            blobs.write(raw, vid, blobs.crime_blobs("ward_crime", frame))
    raw.execute("INSERT INTO subscription VALUES (5, 'private', ?, 'E1', 'active', '2026-01-01')",
                (W1,))
    raw.commit()
    raw.close()


def test_a_version_5_stores_crime_rows_become_matrices_and_their_tables_go(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Rows written unsorted (as before version 5 sorted them) still make the right matrix;
    a version whose rows make none is dropped, and says so in the log."""
    db = tmp_path / "s.sqlite3"
    rows = [(W2, "Two", "B", "THEFT", "SHOPLIFTING", 202402, 4),
            (W1, "One", "B", "THEFT", "SHOPLIFTING", 202402, 2),
            (W1, "One", "B", "BURGLARY", "RESIDENTIAL", 202401, 1),
            (W2, "Two", "B", "THEFT", "SHOPLIFTING", 202401, 3),
            (W1, "One", "B", "THEFT", "SHOPLIFTING", 202401, 5),
            (W1, "One", "B", "BURGLARY", "RESIDENTIAL", 202402, 0)]
    with_blobs = sorted(rows, key=lambda r: (r[0], r[3], r[4], r[5]))
    version_5_store(db, [(1, "current", rows, False), (2, "previous", with_blobs, True),
                         (3, "loading", rows[:5], False)])
    with caplog.at_level("WARNING"):
        conn = store.connect(db)
    assert "dropping ward_crime version 3, whose rows make no matrix" in caplog.text
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(SCHEMA_VERSION),)
    for vid in (1, 2):
        matrix = blobs.stored_matrix(conn, vid)
        assert matrix.months == (202401, 202402)
        assert matrix.areas == [(W1, "One", "B"), (W2, "Two", "B")]
        assert matrix.keys(0, 3) == [("BURGLARY", "RESIDENTIAL"), ("THEFT", "SHOPLIFTING"),
                                     ("THEFT", "SHOPLIFTING")]
        assert matrix.counts.tolist() == [[1, 0], [5, 2], [3, 4]]
    assert [r[0] for r in conn.execute("SELECT id FROM dataset_version ORDER BY id")] == [1, 2]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert not tables & {"ward_crime", "borough_crime"}
    assert [s.ward_code for s in subscriptions.for_chat(conn, 5)] == [W1]


def test_a_failed_matrix_migration_leaves_the_rows(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.sqlite3"
    version_5_store(db, [(1, "current", [(W1, "One", "B", "THEFT", "SHOPLIFTING", 202401, 5)],
                          False)])

    def full_disk(conn: Db) -> None:
        conn.execute("DROP TABLE ward_crime")
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setitem(schema.MIGRATIONS, 6, full_disk)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        store.connect(db)
    raw = sqlite3.connect(db)
    assert raw.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("5",)
    assert raw.execute("SELECT count FROM ward_crime").fetchall() == [(5,)]
    raw.close()
    monkeypatch.undo()
    conn = store.connect(db)
    assert blobs.stored_matrix(conn, 1).counts.tolist() == [[5]]


def test_a_version_5_postcodes_version_gets_its_ward_places(tmp_path: Path) -> None:
    """Each ward's place with no postcode, in the district with most of its postcodes (ties:
    the first district in order), stored with the version by the migration to version 6."""
    db = tmp_path / "s.sqlite3"
    version_5_store(db, [])
    raw = sqlite3.connect(db)
    raw.execute("INSERT INTO dataset_version (id, kind, status, rows, sources, loaded_at) "
                "VALUES (7, 'postcodes', 'current', 5, '[]', '2026-01-01')")
    rows = [("E1 6AN", "E1", W1), ("E2 7AA", "E2", W1), ("E2 7AB", "E2", W1),
            ("N1 9AA", "N1", W2), ("E8 1DY", "E8", W2)]
    raw.executemany("INSERT INTO postcodes VALUES (7, ?, ?, ?, 'W', 'E09000001', 'B', 51.5, 0)",
                    rows)
    raw.commit()
    raw.close()
    conn = store.connect(db)
    assert blobs.ward_places(blobs.read(conn, 7)) == [
        (W1, "E2", "W", "E09000001", "B"), (W2, "E8", "W", "E09000001", "B")]
    assert blobs.ward_places(blobs.read(conn, 7)) == blobs.ward_place_rows(conn, 7)


def test_migrating_a_store_whose_crime_has_its_matrices_does_not_import_pandas(
        tmp_path: Path) -> None:
    """Every store written since version 5: the bot opening it must not carry pandas on."""
    db = tmp_path / "s.sqlite3"
    rows = [(W1, "One", "B", "THEFT", "SHOPLIFTING", 202401, 5)]
    version_5_store(db, [(1, "current", rows, True)])
    code = ("import sys; from datastore.storage import blobs, store; "
            f"conn = store.connect({str(db)!r}); "
            "print(blobs.stored_matrix(conn, 1).counts.tolist(), 'pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[[5]]", "False"]


def test_a_version_6_store_keeps_its_feeds_and_their_releases_are_fetched_once_more(
        tmp_path: Path) -> None:
    """Version 7 records the SHA-256 of the file a feed's release served.  A release recorded
    before has none: it is not taken as the current data, whatever its fingerprint, so the
    next check downloads it once more (whole) and records it."""
    from datastore.ingest.state import feed_state

    db = tmp_path / "s.sqlite3"
    version_5_store(db, [])
    raw = sqlite3.connect(db)
    schema.migration_v6(raw)
    raw.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    raw.execute("INSERT INTO publisher_state (feed, publisher, fingerprint, url, etag) "
                "VALUES ('ward_crime', 'London Datastore', '[\"w2603\"]', 'http://x/w.csv', "
                "'\"abc\"')")
    raw.commit()
    raw.close()
    conn = store.connect(db)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(SCHEMA_VERSION),)
    state = feed_state(conn, "ward_crime")
    assert (state.fingerprint, state.etag, state.sha256) == ('["w2603"]', '"abc"', None)
    assert [s.ward_code for s in subscriptions.for_chat(conn, 5)] == [W1]
    current = store.Version(1, "ward_crime", "current", 202401, 202603, 1,
                            (SourceFile("w.csv", "f" * 64),), "2026-04-15T00:00:00+00:00")
    assert not state.holds_release(current)
