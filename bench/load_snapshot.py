"""Benchmark: a full load of the bundled snapshot into a new store — wall time and peak RSS.

Run: python bench/load_snapshot.py   (targets: under 10 s and 300 MB on 2 cores)
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

from datastore.ingest import sources
from datastore.storage import store


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        loads = sources.read_sources(())
        read_s = time.perf_counter() - started
        conn = store.connect(Path(tmp) / "bench.sqlite3")
        done = store.write_versions(conn, loads)
        total_s = time.perf_counter() - started
        conn.close()
    rows = sum(v.rows for v in done)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"kinds: {len(done)}, rows: {rows:,}")
    print(f"read+validate: {read_s:.2f} s, write: {total_s - read_s:.2f} s, "
          f"total: {total_s:.2f} s")
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
