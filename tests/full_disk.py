"""`wardwatch` on a disk with room for only so many database pages (tests only).

    python -m tests.full_disk PAGES [wardwatch arguments...]

runs the real command line with every SQLite connection it opens limited by
`PRAGMA max_page_count = PAGES`: a write that needs the file to grow past PAGES pages fails
inside SQLite with SQLITE_FULL, "database or disk is full", exactly as on a full disk. PAGES at
or below the store's current page count allows no growth at all (SQLite never shrinks the
limit below the file's size)."""

from __future__ import annotations

import sqlite3
import sys
from typing import Any


def limit_pages(pages: int) -> None:
    """Make every connection opened from now on stop growing at `pages` pages."""
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        conn.execute(f"PRAGMA max_page_count = {int(pages)}")
        return conn

    sqlite3.connect = connect  # type: ignore[assignment]


def main() -> None:
    limit_pages(int(sys.argv[1]))
    from bot.cli import main as wardwatch

    sys.exit(wardwatch(sys.argv[2:]))


if __name__ == "__main__":
    main()
