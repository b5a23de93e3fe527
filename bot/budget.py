"""The bot's overall limit, `[limits] global_per_s`, held by the bot as a whole.

Telegram counts a bot's messages per second whichever process sends them, so this process's
replies to users and its digests draw from one window, and the replicas on one store split
the limit between them: each takes `global_per_s // n` a second, n the replicas alive on the
store (datastore/storage/presence.py counts them).  A replica that joins others waits until
they have seen it (one beat and a half) before it sends anything; one that dies leaves its
share unused until its beats lapse (PRESENCE_LAPSE seconds), then the others grow theirs.

What stays each replica's own: the per-chat and per-group limits of *replies* (a reply goes
to the chat that asked, from the replica its update reached, and the flood gate bounds what
one user can ask); digests are sent by the leader alone, which keeps all three limits
(bot/fanout.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, Final

from telegram.ext import AIORateLimiter

from bot.ratelimit import Window
from datastore.storage.db import Location
from datastore.storage.presence import BEAT, PresenceBoard

log = logging.getLogger(__name__)

JOIN_WAIT: Final = 1.5 * BEAT  # a replica joining others sends nothing until they count it
_NO_ANSWER_YET: Final = 0.05  # seconds between looks when only an answer can make room


class SharedWindow(Window):
    """One window of `global_per_s // n` messages a second, n the replicas sharing the bot,
    closed until `opens_at` (on this process's monotonic clock)."""

    __slots__ = ("opens_at", "whole")

    def __init__(self, whole: int) -> None:
        super().__init__(whole, 1.0)
        self.whole = whole
        self.opens_at = 0.0

    def share(self, replicas: int) -> None:
        """`replicas` processes send as this bot now: this one takes its part."""
        self.limit = max(1, self.whole // max(1, replicas))

    def close_for(self, seconds: float, now: float) -> None:
        self.opens_at = max(self.opens_at, now + seconds)

    def wait(self, now: float) -> float | None:
        if self.opens_at > now:
            return self.opens_at - now
        return super().wait(now)

    async def acquire(self) -> None:
        """Wait for a place, and take it (give it back with `release()`)."""
        while True:
            now = time.monotonic()
            wait = self.wait(now)
            if wait == 0:
                self.take(now)
                return
            await asyncio.sleep(_NO_ANSWER_YET if wait is None else wait)

    def release(self) -> None:
        self.done(time.monotonic())


Callback = Callable[..., Coroutine[Any, Any, Any]]


class SharedRateLimiter(AIORateLimiter):
    """python-telegram-bot's AIORateLimiter (its per-group limit and its retries after a
    429) for the replies, with the overall limit taken from the bot's shared window."""

    def __init__(self, window: SharedWindow, *, group_per_min: int, max_retries: int) -> None:
        super().__init__(overall_max_rate=0, group_max_rate=group_per_min,
                         max_retries=max_retries)
        self.window = window

    async def process_request(self, callback: Callback, args: Any, kwargs: dict[str, Any],
                              endpoint: str, data: dict[str, Any],
                              rate_limit_args: int | None) -> Any:
        if data.get("chat_id") is None:  # as AIORateLimiter: only messages to a chat count
            return await super().process_request(callback, args, kwargs, endpoint, data,
                                                 rate_limit_args)

        async def counted(*a: Any, **kw: Any) -> Any:
            await self.window.acquire()
            try:
                return await callback(*a, **kw)
            finally:
                self.window.release()

        return await super().process_request(counted, args, kwargs, endpoint, data,
                                             rate_limit_args)


class Sharing:
    """Keeps this process on the store's board of replicas, and its window's share in step
    with how many there are, for the life of the process."""

    def __init__(self, location: Location, holder: str, window: SharedWindow) -> None:
        self._board = PresenceBoard(location, holder)
        self._window = window
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Join the board; when others are there already, wait to be counted by them."""
        try:
            replicas = await self._board.beat()
        except Exception as exc:  # the store unreachable: alone until it answers
            log.warning("could not join the store's replicas: %s", exc)
            replicas = 1
        self._window.share(replicas)
        if replicas > 1:
            self._window.close_for(JOIN_WAIT, time.monotonic())
            log.info("%d replicas share the bot: this one sends at most %d a second",
                     replicas, self._window.limit)
        self._task = asyncio.create_task(self._run(), name="replica-presence")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(BEAT)
            try:
                replicas = await self._board.beat()
            except Exception as exc:  # keep the share we had; the others will lapse us
                log.warning("could not renew this replica's presence: %s", exc)
                continue
            if self._window.whole // max(1, replicas) != self._window.limit:
                log.info("%d replicas share the bot: this one sends at most %d a second",
                         replicas, max(1, self._window.whole // replicas))
            self._window.share(replicas)

    async def stop(self) -> None:
        """Leave the board (the others grow their shares at their next beat)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self._board.leave()
        except Exception as exc:
            log.warning("could not leave the store's replicas: %s", exc)
        finally:
            await self._board.close()
