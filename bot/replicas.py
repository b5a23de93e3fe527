"""Several `wardwatch run` processes on one store are one bot: each answers whatever update
reaches it; one of them, the leader, runs the jobs.

* What answers read is the store's: a load by any process (a replica's check, `wardwatch
  load`, `wardwatch update`) reaches every replica's view within seconds
  (datastore/storage/watch.py, started by bot/jobs.py).
* The leader holds the store's lease (datastore/storage/lease.py) and, while it does, runs
  the daily check of the publishers and sends the digests.  When it stops cleanly it lets its
  messages on their way be recorded, then gives the lease up; when it dies, the lease lapses
  (at once on PostgreSQL, after `[storage] lease_seconds` on SQLite) and another replica takes
  it within seconds and sends what the delivery table still has pending.

A single process is the same thing with nobody to share with: it takes the lease at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from datastore.storage.lease import Lease

log = logging.getLogger(__name__)

Change = Callable[[], Awaitable[None]]


class Leader(Protocol):
    """Whether this process leads, and the token its claims are checked by."""

    @property
    def token(self) -> str | None: ...

    @property
    def leading(self) -> bool: ...


class Leadership:
    """Holds the leader lease, or tries for it, for the life of the process: `gained` runs
    when this process becomes the leader, `lost` when it stops being one (the lease taken by
    another, or the process stopping)."""

    def __init__(self, lease: Lease, gained: Change, lost: Change) -> None:
        self._lease = lease
        self._gained = gained
        self._lost = lost
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._leading = False

    @property
    def token(self) -> str | None:
        """The lease's token while this process leads (what its claims are checked by)."""
        return self._lease.token if self._leading else None

    @property
    def leading(self) -> bool:
        return self._leading

    async def start(self) -> None:
        """Try for the lease once now (a lone process leads from its start), then keep trying
        (or renewing) in the background."""
        await self._step()
        self._task = asyncio.create_task(self._run(), name="leader-lease")

    async def stop(self) -> None:
        """Stop leading (the jobs first: the messages on their way are recorded before
        another may take over), then give the lease up."""
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            if self._leading:
                self._leading = False
                await self._lost()
            await self._lease.release()
        finally:
            await self._lease.close()

    async def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._lease.retry)
            if not self._stop.is_set():
                await self._step()

    async def _step(self) -> None:
        try:
            held = await (self._lease.renew() if self._leading else self._lease.acquire())
        except Exception as exc:  # the store unreachable or locked: not leading for now
            log.warning("the leader lease could not be %s: %s",
                        "renewed" if self._leading else "taken", exc)
            held = False
        if held and not self._leading:
            self._leading = True
            log.info("this process leads: it runs the daily check and sends digests (%s)",
                     self._lease.token)
            await self._tell(self._gained)
        elif not held and self._leading:
            self._leading = False
            log.warning("this process no longer leads: another has taken the lease")
            await self._tell(self._lost)

    @staticmethod
    async def _tell(change: Change) -> None:
        try:
            await change()
        except Exception:  # the lease goes on being held or sought whatever the jobs did
            log.exception("could not start or stop the leader's jobs")


class Follower:
    """A process that never leads: the console chat, which must never send subscribers'
    digests (to a terminal) nor run the daily check in the bot's place."""

    token = None
    leading = False
