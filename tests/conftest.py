"""Shared fixtures: one store built from the bundled snapshot per test session, and its view."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from datastore import sources, store
from datastore.view import DataView
from tests.postcodes_io_fake import postcodes_io_fake  # noqa: F401 - a shared fixture

# PTB 22 warns on every RetryAfter unless asked for timedelta values; pytest makes warnings
# errors, so the tests opt in to the behaviour PTB 23 will have.
os.environ.setdefault("PTB_TIMEDELTA", "1")

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
