"""Which replicas are alive on a store: each beats every BEAT seconds.

A replica's beat is a row of `meta`, "replica:<holder>" = the Unix time of its last beat;
one not renewed for LAPSE seconds is no longer counted (and the next beat by anyone removes
it).  The bot's overall flood limit is split by this count (bot/budget.py).  Clocks of the
machines are taken to agree within a second (NTP); a beat's age is judged by the reader's.
"""

from __future__ import annotations

import time
from typing import Final

from datastore.storage.access import KeptConnection
from datastore.storage.db import Db, Location

PREFIX: Final = "replica:"
BEAT: Final = 2.0  # seconds between a replica's beats
LAPSE: Final = 3 * BEAT  # a replica not heard from for this long is gone


def beat(db: Db, holder: str, now: float) -> int:
    """Record `holder`'s beat at `now`; forget replicas not heard from for LAPSE seconds;
    return how many are alive (this one included)."""
    alive = 0
    with db.transaction():
        db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   (PREFIX + holder, repr(now)))
        for key, value in db.execute("SELECT key, value FROM meta WHERE key LIKE ?",
                                     (PREFIX + "%",)).fetchall():
            try:
                seen = float(value)
            except ValueError:
                seen = 0.0  # not a beat: gone
            if now - seen > LAPSE:
                db.execute("DELETE FROM meta WHERE key=?", (key,))
            else:
                alive += 1
    return alive


def leave(db: Db, holder: str) -> None:
    with db.transaction():
        db.execute("DELETE FROM meta WHERE key=?", (PREFIX + holder,))


class PresenceBoard:
    """One process's beats, on a connection of its own kept in a thread."""

    def __init__(self, location: Location, holder: str) -> None:
        self.holder = holder
        self._conn = KeptConnection(location, "beat")

    async def beat(self) -> int:
        """Beat now; how many replicas are alive."""
        return await self._conn.call(beat, self.holder, time.time())

    async def leave(self) -> None:
        await self._conn.call(leave, self.holder)

    async def close(self) -> None:
        await self._conn.close()
