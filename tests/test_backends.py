"""The two backends are one store: the same tables and columns, the same migrations path, the
same refusals in the same words; and what is PostgreSQL's own (a password kept out of every
message, a server that cannot be reached, a user who may only read)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from datastore.query import lookup
from datastore.query.boundaries import read_boundaries
from datastore.query.view import DataView
from datastore.storage import migrate, pg_schema, store, subscriptions
from datastore.storage.db import Db, Location, StoreWriteError
from datastore.storage.schema import SCHEMA_VERSION
from datastore.storage.subscriptions import open_chat_store
from handlers.present import json_out, report, words
from tests.pg_server import PASSWORD, PgServer, free_port

ROOT = Path(__file__).resolve().parent.parent
W1 = "E05000001"


def columns(conn: Db) -> dict[str, list[str]]:
    """Every table's columns, in order (PostgreSQL's stand-in for SQLite's implicit rowid
    left out)."""
    if conn.dialect == "postgresql":
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        ).fetchall()
        found: dict[str, list[str]] = {}
        for table, column in rows:
            if column != "rowid":
                found.setdefault(str(table), []).append(str(column))
        return found
    return {table: [str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')]
            for table in sorted(conn.tables())}


def test_both_backends_make_the_same_tables_and_columns(pg_url: str, tmp_path: Path) -> None:
    lite = store.connect(tmp_path / "s.sqlite3")
    pg = store.connect(Location(url=pg_url, password=PASSWORD))
    try:
        assert columns(pg) == columns(lite)
        for conn in (lite, pg):
            assert migrate.schema_version(conn) == (True, SCHEMA_VERSION)
    finally:
        lite.close()
        pg.close()


def test_a_postgresql_store_takes_later_migrations_in_one_transaction(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PostgreSQL store is made at the current schema; a later version's migration (here a
    pretend version SCHEMA_VERSION + 1) applies to it keeping its rows, and one that fails
    changes nothing (PostgreSQL's DDL is transactional too)."""
    where = Location(url=pg_url, password=PASSWORD)
    conn = store.connect(where)
    subscriptions.subscribe(conn, 5, "private", W1, "E1")
    conn.close()
    later = SCHEMA_VERSION + 1
    monkeypatch.setattr(migrate, "SCHEMA_VERSION", later)
    monkeypatch.setitem(pg_schema.PG_MIGRATIONS, later,
                        "ALTER TABLE subscription ADD COLUMN note TEXT; "
                        "INSERT INTO no_such_table VALUES (1)")
    with pytest.raises(psycopg.errors.UndefinedTable):
        store.connect(where)
    monkeypatch.setitem(pg_schema.PG_MIGRATIONS, later,
                        "ALTER TABLE subscription ADD COLUMN note TEXT; "
                        "UPDATE subscription SET note = 'kept'")
    conn = store.connect(where)
    try:
        assert migrate.schema_version(conn) == (True, later)
        assert conn.execute("SELECT chat_id, note FROM subscription").fetchall() == [
            (5, "kept")]
    finally:
        conn.close()


def test_the_postgresql_schema_has_a_migration_for_every_version_after_its_base() -> None:
    assert set(pg_schema.PG_MIGRATIONS) == set(range(pg_schema.PG_BASE + 1,
                                                     SCHEMA_VERSION + 1))


def test_a_location_never_shows_its_password() -> None:
    where = Location(url="postgresql://ward@db.example:5433/wardwatch", password="s3cret-pw")
    assert "s3cret-pw" not in repr(where) and "s3cret-pw" not in str(where)
    assert str(where) == "postgresql://ward@db.example:5433/wardwatch"
    inline = Location(url="postgresql://ward:s3cret-pw@db.example/wardwatch")
    assert str(inline) == "postgresql://ward@db.example/wardwatch"


async def test_a_server_that_cannot_be_reached_is_said_plainly() -> None:
    where = Location(url=f"postgresql://wardwatch@127.0.0.1:{free_port()}/nowhere",
                     password=PASSWORD)
    with pytest.raises(StoreWriteError) as refused:
        await store.Store(where).open()
    assert refused.value.code == "unreachable"
    # Said as what it is: nothing was being written (an ask, a start-up), the server is away.
    assert str(refused.value).startswith(f"the store at {where} cannot be reached (PostgreSQL: ")
    assert PASSWORD not in str(refused.value)


async def test_a_user_who_may_only_read_gets_the_readonly_refusal(
        pg_server: PgServer, pg_url: str) -> None:
    """A subscription the database refuses to write is a StoreWriteError that says why (the
    handlers then answer that the change was not saved); nothing is half-written."""
    owner = Location(url=pg_url, password=PASSWORD)
    store.connect(owner).close()
    name = pg_url.rsplit("/", 1)[1]
    pg_server.admin("DROP ROLE IF EXISTS reader; "
                    "CREATE ROLE reader LOGIN PASSWORD 'reader-pw'")
    with psycopg.connect(pg_url, password=PASSWORD, autocommit=True) as conn:
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
    reader = Location(url=pg_server.url(name).replace("wardwatch@", "reader@"),
                      password="reader-pw")
    try:
        async with open_chat_store(reader) as chats:
            with pytest.raises(StoreWriteError) as refused:
                await chats.run(subscriptions.subscribe, 5, "private", W1, "E1")
            assert refused.value.code == "readonly"
            assert await chats.run(subscriptions.for_chat, 5) == ()
    finally:
        pg_server.drop_database(name)
        pg_server.admin("DROP ROLE reader")


def test_the_command_line_names_the_database_without_its_password(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    port = free_port()
    config.write_text(f'[storage]\nurl = "postgresql://ward:in-url-pw@127.0.0.1:{port}/db"\n',
                      encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "bot", "--config", str(config), "-v", "ask",
                           "SW1A 1AA"], capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin", "WARDWATCH_DB_PASSWORD": "env-pw"})
    assert done.returncode == 1, done.stderr
    assert f"postgresql://ward@127.0.0.1:{port}/db" in done.stderr
    assert "cannot be reached" in done.stderr
    assert "in-url-pw" not in done.stderr + done.stdout
    assert "env-pw" not in done.stderr + done.stdout


def as_json(answer: lookup.Answer) -> dict[str, object]:
    """Every figure of an answer, as `ask --json` prints it."""
    return json_out.answer_json(answer, words.strip_html(report.answer_html(answer)))


async def test_every_answer_is_the_same_from_either_backend(
        view: DataView, snapshot_db: Path, pg_copy: Location) -> None:
    """The snapshot loaded into PostgreSQL answers exactly as the SQLite store does: 300
    random real postcodes, a ward and a borough by name, a district, a comparison; the
    trend, the borough rates and the map's shapes."""
    conn = store.connect(pg_copy)
    try:
        pg_view = DataView.build(conn)
        assert {k: (v.first_month, v.last_month, v.rows, v.sources)
                for k, v in pg_view.versions.items()} == {
            k: (v.first_month, v.last_month, v.rows, v.sources) for k, v in view.versions.items()}
        queries = [*random.Random(22).sample(view.postcodes.postcodes(), 300),
                   "Hackney Central", "Westminster", "E1", "E8 1DY vs SE15 5AA", "E8 1DZZ"]
        for text in queries:
            assert as_json(await lookup.answer(text, pg_view, None)) == as_json(
                await lookup.answer(text, view, None)), text
        ward = view.place("E8 1DY")
        assert ward is not None
        assert repr(pg_view.ward_trend(ward.ward_code)) == repr(view.ward_trend(ward.ward_code))
        assert pg_view.borough_rates() == view.borough_rates()
        lite = store.connect(snapshot_db)
        try:
            shapes, pg_shapes = read_boundaries(lite), read_boundaries(conn)
        finally:
            lite.close()
        assert sorted(pg_shapes.wards) == sorted(shapes.wards)
        assert all(pg_shapes.wards[c].geometry.equals(a.geometry)
                   for c, a in shapes.wards.items())
    finally:
        del pg_view
        conn.close()


def test_a_views_postcode_connection_dropped_by_the_server_is_opened_again(
        pg_server: PgServer, pg_copy: Location) -> None:
    """A database restart or fail-over drops every session: a view's postcode look-ups (on
    a read-only connection of its own) open theirs again rather than failing until the next
    load."""
    conn = store.connect(pg_copy)
    try:
        view = DataView.build(conn)
    finally:
        conn.close()
    assert view.place("SW1A 1AA") is not None
    reader = view.postcodes._conn.raw  # type: ignore[attr-defined]
    name = (pg_copy.url or "").rsplit("/", 1)[1]
    pg_server.admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
    found = view.place("E8 1DY")  # not asked before: not in the view's cache
    assert found is not None and found.ward_name == "Hackney Central"
    assert reader.closed and view.postcodes._conn.raw is not reader  # type: ignore[attr-defined]


def test_wardwatch_ask_answers_the_same_from_a_database_by_url(
        snapshot_db: Path, pg_copy: Location, tmp_path: Path) -> None:
    """The command line on a PostgreSQL store, the password from the environment: the same
    JSON as from the SQLite file."""
    out = {}
    for name, storage in (("sqlite", f'path = "{snapshot_db}"'), ("pg", f'url = "{pg_copy.url}"')):
        config = tmp_path / f"{name}.toml"
        config.write_text(f'[storage]\n{storage}\n[postcodes]\nbase_url = ""\n',
                          encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "bot", "--config", str(config), "ask", "--json", "E8 1DY"],
            capture_output=True, text=True, timeout=120, cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "WARDWATCH_DB_PASSWORD": PASSWORD})
        assert done.returncode == 0, done.stderr
        out[name] = json.loads(done.stdout)
    assert out["pg"]["status"] == "ok" and out["pg"]["ward"]["name"] == "Hackney Central"
    assert out["pg"] == out["sqlite"]
