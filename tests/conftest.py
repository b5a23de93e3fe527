"""Shared fixtures: one store built from the bundled snapshot per test session, and its view."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from datastore.ingest import sources
from datastore.query.boundaries import Boundaries, read_boundaries
from datastore.query.view import DataView
from datastore.storage import store
from datastore.storage.db import Db, Location
from handlers.context import WardApp
from tests.bot_harness import polling_bot
from tests.fake_bot_api import FakeBotApi
from tests.gov_uk_fake import gov_uk_fake  # noqa: F401 - a shared fixture
from tests.pg_server import PASSWORD, PgServer, PostgresMissing
from tests.postcodes_io_fake import postcodes_io_fake  # noqa: F401 - a shared fixture
from tests.publishers_fake import (  # noqa: F401 - shared fixtures
    london_datastore_fake,
    police_uk_fake,
    publishers_http,
)

# PTB 22 warns on every RetryAfter unless asked for timedelta values; pytest makes warnings
# errors, so the tests opt in to the behaviour PTB 23 will have.
os.environ.setdefault("PTB_TIMEDELTA", "1")

# Property tests: the same examples on every run (no flaky CI) and no example database on
# disk (two test runs at once would share it).
settings.register_profile("wardwatch", database=None, derandomize=True)
settings.load_profile("wardwatch")

SNAPSHOT = Path(__file__).resolve().parent.parent / "datastore" / "snapshot"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def snapshot_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file loaded once from the bundled snapshot; copy it before changing it."""
    path = tmp_path_factory.mktemp("snapshot") / "wardwatch.sqlite3"
    conn = store.connect(path)
    store.write_versions(conn, sources.read_sources(()))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture
def db_copy(snapshot_db: Path, tmp_path: Path) -> Path:
    """A private copy of the snapshot store for a test that changes it."""
    target = tmp_path / "wardwatch.sqlite3"
    shutil.copy(snapshot_db, target)
    return target


@pytest.fixture(scope="session")
def view(snapshot_db: Path) -> DataView:
    conn = store.connect(snapshot_db)
    try:
        return DataView.build(conn)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def bounds(snapshot_db: Path) -> Boundaries:
    """The snapshot store's ward and borough shapes (maps)."""
    conn = store.connect(snapshot_db)
    try:
        return read_boundaries(conn)
    finally:
        conn.close()


# -- a store one data month behind its source (subscriptions and digests) ---------------------

OLD_WARD_CRIME = TEST_DATA / "mps_ward_crime_recent24m_202402-202601.csv.gz"
NEW_WARD_CRIME = SNAPSHOT / "mps_ward_crime_recent24m_202404-202603.csv.gz"


@pytest.fixture(scope="session")
def behind_db(snapshot_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The snapshot store with the older ward extract (to January 2026) loaded over it with
    force, as `wardwatch load --force` does: the source (to March 2026) is newer."""
    path = tmp_path_factory.mktemp("behind") / "wardwatch.sqlite3"
    shutil.copy(snapshot_db, path)
    conn = store.connect(path)
    store.write_versions(conn, sources.read_sources([str(OLD_WARD_CRIME)]), force=True)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture
def behind_copy(behind_db: Path, tmp_path: Path) -> Path:
    """A private copy of `behind_db`."""
    target = tmp_path / "wardwatch.sqlite3"
    shutil.copy(behind_db, target)
    return target


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """A fake Telegram Bot API on 127.0.0.1."""
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def app(api: FakeBotApi, db_copy: Path) -> AsyncIterator[WardApp]:
    """The real bot, polling `api`, on a private copy of the snapshot store."""
    async with polling_bot(api, db_copy) as running_app:
        yield running_app


# -- a real PostgreSQL server (tests/pg_server.py) --------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for this test process, started on first need.  Where PostgreSQL
    is not installed its tests are skipped, unless WARDWATCH_REQUIRE_POSTGRES is set (CI)."""
    try:
        server = PgServer()
    except PostgresMissing as exc:
        if os.environ.get("WARDWATCH_REQUIRE_POSTGRES"):
            raise
        pytest.skip(str(exc))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """The URL (no password) of a new, empty database of its own for one test."""
    name = pg_server.create_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at(request: pytest.FixtureRequest, tmp_path: Path) -> Location:
    """Where a new, empty store goes, on each backend in turn: a SQLite file in tmp_path, or
    a PostgreSQL database of its own (its password given apart, as from the environment)."""
    if request.param == "sqlite":
        return Location(path=tmp_path / "s.sqlite3")
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.create_database()
    request.addfinalizer(lambda: server.drop_database(name))
    return Location(url=server.url(name), password=PASSWORD)


@pytest.fixture
def open_store(store_at: Location) -> Iterator[Callable[[], Db]]:
    """Open a connection to `store_at` (creating the store); every one is closed after."""
    opened: list[Db] = []

    def connect() -> Db:
        opened.append(store.connect(store_at))
        return opened[-1]

    yield connect
    for db in opened:
        db.close()


@pytest.fixture(scope="session")
def pg_snapshot(pg_server: PgServer) -> str:
    """A database loaded once from the bundled snapshot, as `snapshot_db` is: a template,
    never used itself (copy it with `pg_copy`)."""
    name = pg_server.create_database()
    conn = store.connect(Location(url=pg_server.url(name), password=PASSWORD))
    try:
        store.write_versions(conn, sources.read_sources(()))
    finally:
        conn.close()
    return name


@pytest.fixture
def pg_copy(pg_server: PgServer, pg_snapshot: str) -> Iterator[Location]:
    """A private copy of the snapshot database for one test."""
    name = pg_server.create_database(template=pg_snapshot)
    yield Location(url=pg_server.url(name), password=PASSWORD)
    pg_server.drop_database(name)
