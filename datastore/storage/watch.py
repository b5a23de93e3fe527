"""Telling every process on the store when another changed what answers read.

A load (by any process: a replica's check, `wardwatch load`, `wardwatch update`, a loading
child) and a check that recorded the publishers' state bump `data_serial` in `meta` in the
same transaction, and on PostgreSQL NOTIFY CHANNEL, which the server delivers when (and only
if) that transaction commits.  `DataWatch` calls back when the serial moves: on PostgreSQL it
LISTENs on a connection of its own (and reads the serial again after every wake-up, every
RECHECK seconds, and after reconnecting, so a notification lost with a dropped connection
is caught up); on SQLite, which has no notifications, it reads the serial every POLL seconds
(an indexed read of one row on a connection kept for it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from datastore.storage.access import connect
from datastore.storage.db import Db, Location

log = logging.getLogger(__name__)

CHANNEL: Final = "wardwatch_data"
SERIAL_KEY: Final = "data_serial"
POLL: Final = 1.0  # SQLite: seconds between reads of the serial
RECHECK: Final = 30.0  # PostgreSQL: seconds between reads with no notification
RECONNECT: Final = (1.0, 30.0)  # PostgreSQL: first and longest wait before reconnecting

OnChange = Callable[[], Awaitable[None]]


def announce(db: Db) -> None:
    """Inside a transaction that changes what answers read: bump the serial; on PostgreSQL,
    notify the listeners when it commits."""
    db.execute("INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE "
               "SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)", (SERIAL_KEY,))
    db.notify(CHANNEL)


def data_serial(db: Db) -> int:
    """How many changes have been announced (0: none yet)."""
    row = db.execute("SELECT value FROM meta WHERE key=?", (SERIAL_KEY,)).fetchone()
    return int(row[0]) if row else 0


class DataWatch:
    """Calls `on_change` (one call at a time) after another process changed what answers
    read, and once when it starts (to catch up with anything done since the caller's view
    was built).  `stop()` it before the store closes."""

    def __init__(self, location: Location, on_change: OnChange, *, poll: float = POLL,
                 recheck: float = RECHECK) -> None:
        self.location = location
        self._on_change = on_change
        self._poll = poll
        self._recheck = recheck
        self._serial: int | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.changes = 0  # how many times on_change was called

    async def start(self) -> None:
        run = self._listen if self.location.dialect == "postgresql" else self._poll_sqlite
        self._task = asyncio.create_task(run(), name="data-watch")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _seen(self, serial: int) -> None:
        """The serial read now: call back if it moved since the last read, and after the
        first (whatever changed between the caller's view and this first read)."""
        before, self._serial = self._serial, serial
        if serial != before:
            self.changes += 1
            try:
                await self._on_change()
            except Exception:  # the next change tries again; the watch must go on
                log.exception("could not follow a change of the data")

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def _poll_sqlite(self) -> None:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wardwatch-watch")
        loop = asyncio.get_running_loop()
        db: Db | None = None
        try:
            while not self._stop.is_set():
                try:
                    if db is None:
                        db = await loop.run_in_executor(pool, connect, self.location)
                    await self._seen(await loop.run_in_executor(pool, data_serial, db))
                except Exception as exc:  # a locked or vanished file: read it again later
                    log.warning("could not read the store's data serial: %s", exc)
                await self._wait(self._poll)
        finally:
            if db is not None:
                await loop.run_in_executor(pool, db.close)
            pool.shutdown(wait=False)

    async def _listen(self) -> None:
        from datastore.storage import pg  # only a PostgreSQL store gets here

        backoff = RECONNECT[0]
        while not self._stop.is_set():
            try:
                async with await pg.listen(self.location, CHANNEL) as conn:
                    backoff = RECONNECT[0]
                    await self._seen(await pg.read_serial(conn, SERIAL_KEY))
                    while not self._stop.is_set():
                        await pg.next_notification(conn, self._recheck)
                        await self._seen(await pg.read_serial(conn, SERIAL_KEY))
            except pg.ERRORS as exc:
                log.warning("lost the database's notifications (%s); again in %.0f s",
                            type(exc).__name__, backoff)
                await self._wait(backoff)
                backoff = min(backoff * 2, RECONNECT[1])
