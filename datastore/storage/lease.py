"""One leader among the processes on a store: a lease held in the database.

Exactly one process at a time runs the jobs (the daily check of the publishers, the digest
sender).  The lease is the database's, so a process that dies loses it without saying so:

* PostgreSQL: a session-level advisory lock, taken on a connection of the leader's own and
  held as long as that session lives.  The server releases it the moment the session ends: at
  once for a killed process (its socket closes), within the keepalives (about 25 s, pg.py) for
  a machine that vanished.  The others try for it every PG_RETRY seconds.
* SQLite: a row with an expiry, renewed every ttl / 3 seconds; the others take it once it has
  expired (`[storage] lease_seconds`, 15 by default), trying every ttl / 3 seconds.

Either way `meta` holds the lease's token, "<epoch> <holder>", and the epoch grows with each
new leader.  Work only the leader may do checks the token in the transaction that does it
(`check`: a digest's claim), so a process that lost the lease without knowing it (paused,
cut off from the database) can claim nothing more once another has taken over.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from typing import Final, Protocol

from datastore.storage.access import KeptConnection
from datastore.storage.db import Db, Location

TOKEN_KEY: Final = "leader"
EXPIRES_KEY: Final = "leader_expires"  # SQLite: when the lease lapses (Unix seconds)
TTL: Final = 15.0  # SQLite: a lease not renewed for this long may be taken
PG_RETRY: Final = 1.0  # PostgreSQL: seconds between tries for the lock, and between checks
LOCK_NAME: Final = "wardwatch-leader"


class LeaseLost(Exception):
    """This process no longer holds the leader lease (another has taken it)."""


def holder_name() -> str:
    """This process, as the lease names it: host, process id and a random part (a restarted
    process with a recycled pid is another holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def current_token(db: Db) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key=?", (TOKEN_KEY,)).fetchone()
    return str(row[0]) if row else None


def check(db: Db, token: str) -> None:
    """Inside the transaction doing the leader's work: raise LeaseLost unless `token` is still
    the lease's."""
    if current_token(db) != token:
        raise LeaseLost("another process holds the leader lease now")


def _next_token(db: Db, holder: str) -> str:
    """A new token for `holder` (epoch one more than the last), written to meta."""
    old = current_token(db)
    epoch = int(old.split(" ", 1)[0]) + 1 if old else 1
    token = f"{epoch} {holder}"
    _put(db, TOKEN_KEY, token)
    return token


def _put(db: Db, key: str, value: str) -> None:
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
               "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


class Lease(Protocol):
    """The leader lease as one process holds it, or tries to."""

    retry: float  # seconds between tries (and between renewals while held)
    token: str | None  # set while held

    async def acquire(self) -> bool:
        """Take the lease if it is free (or already ours); whether it is held now."""
        ...

    async def renew(self) -> bool:
        """Keep the lease; False if it was lost."""
        ...

    async def release(self) -> None:
        """Give the lease up (the others may take it at their next try)."""
        ...

    async def close(self) -> None: ...


# -- SQLite: a row with an expiry --------------------------------------------------------------


def _sqlite_take(db: Db, holder: str, ttl: float, now: float) -> str | None:
    with db.transaction():
        token = current_token(db)
        row = db.execute("SELECT value FROM meta WHERE key=?", (EXPIRES_KEY,)).fetchone()
        expires = float(row[0]) if row else 0.0
        if token is not None and expires > now and token.split(" ", 1)[1] != holder:
            return None  # someone else's, and alive
        if token is None or token.split(" ", 1)[1] != holder:
            token = _next_token(db, holder)
        _put(db, EXPIRES_KEY, repr(now + ttl))
        return token


def _sqlite_renew(db: Db, token: str, ttl: float, now: float) -> bool:
    with db.transaction():
        if current_token(db) != token:
            return False
        _put(db, EXPIRES_KEY, repr(now + ttl))
        return True


def _sqlite_release(db: Db, token: str) -> None:
    with db.transaction():
        if current_token(db) == token:
            _put(db, EXPIRES_KEY, "0")


class SqliteLease:
    """The lease as a row of `meta` with an expiry, on a connection kept in a thread."""

    def __init__(self, location: Location, holder: str, ttl: float = TTL) -> None:
        self.location = location
        self.holder = holder
        self.ttl = ttl
        self.retry = ttl / 3
        self.token: str | None = None
        self._conn = KeptConnection(location, "lease")

    async def acquire(self) -> bool:
        self.token = await self._conn.call(_sqlite_take, self.holder, self.ttl, time.time())
        return self.token is not None

    async def renew(self) -> bool:
        if self.token is None:
            return False
        held = await self._conn.call(_sqlite_renew, self.token, self.ttl, time.time())
        if not held:
            self.token = None
        return held

    async def release(self) -> None:
        if self.token is not None:
            await self._conn.call(_sqlite_release, self.token)
            self.token = None

    async def close(self) -> None:
        await self._conn.close()


def lease_for(location: Location, holder: str, ttl: float = TTL) -> Lease:
    """The lease on the location's backend."""
    if location.dialect == "postgresql":
        from datastore.storage import pg

        return pg.PgLease(location, holder, LOCK_NAME, TOKEN_KEY, PG_RETRY)
    return SqliteLease(location, holder, ttl)
