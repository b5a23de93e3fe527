"""Shared by the bench scripts: a temporary store built from the bundled snapshot."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from datastore.ingest import sources
from datastore.storage import store


@contextmanager
def snapshot_store() -> Iterator[Path]:
    """Yield the path of a new store loaded from the bundled snapshot; delete it after."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        conn = store.connect(db)
        store.write_versions(conn, sources.read_sources(()))
        conn.close()
        yield db
