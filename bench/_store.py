"""Shared by the bench scripts: a temporary store built from the bundled snapshot."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Built in a child process, so the build's memory (pandas, the frames) is never counted in
# what a bench script measures of its own process.
BUILD = ("import sys; from datastore.ingest import sources; from datastore.storage import store; "
         "conn = store.connect(sys.argv[1]); store.write_versions(conn, sources.read_sources(())); "
         "conn.execute('PRAGMA wal_checkpoint(TRUNCATE)'); conn.close()")


@contextmanager
def snapshot_store() -> Iterator[Path]:
    """Yield the path of a new store loaded from the bundled snapshot; delete it after."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        subprocess.run([sys.executable, "-c", BUILD, str(db)], check=True)
        yield db
