"""The bot's overall limit, `[limits] global_per_s`, held by the bot as a whole.

Telegram counts a bot's messages per second whichever process sends them, so this process's
replies to users and its digests draw from one window, and the replicas on one store split
the limit between them: each takes `global_per_s // n` a second, n the replicas alive on the
store (datastore/storage/presence.py counts them).  A replica that joins others waits until
they have seen it (one beat and a half) before it sends anything; one that dies leaves its
share unused until its beats lapse (presence.LAPSE, 6 s), then the others grow theirs; one
whose beats fail that long sends at most one message a second until a beat succeeds.

What stays each replica's own: the per-chat and per-group limits of *replies* (a reply goes
to the chat that asked, from the replica its update reached, and the flood gate bounds what
one user can ask); digests are sent by the leader alone, which keeps all three limits
(bot/fanout.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Coroutine
from typing import Any, Final

from telegram.ext import AIORateLimiter

from bot.ratelimit import Window
from datastore.storage.db import Location
from datastore.storage.presence import BEAT, LAPSE, PresenceBoard

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
    with how many there are, for the life of the process.  A replica whose beats fail for
    as long as the others take to forget it (it may no longer be counted) sends at most one
    message a second until a beat succeeds again."""

    def __init__(self, location: Location, holder: str, window: SharedWindow, *,
                 every: float = BEAT, lapse: float = LAPSE) -> None:
        self._board = PresenceBoard(location, holder)
        self._window = window
        self._every = every
        self._lapse = lapse
        self._join_wait = 1.5 * every  # JOIN_WAIT as shipped
        self._counted_since = -math.inf  # the last beat that reached the store
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Join the board; when others are there already, wait to be counted by them."""
        if await self._beat() > 1:
            self._window.close_for(self._join_wait, time.monotonic())
        self._task = asyncio.create_task(self._run(), name="replica-presence")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            await self._beat()

    async def _beat(self) -> int:
        """One beat; the window's share from its count.  The replicas counted (0: the beat
        did not reach the store)."""
        try:
            replicas = await self._board.beat()
        except Exception as exc:
            if time.monotonic() - self._counted_since >= self._lapse - self._every:
                if self._window.limit > 1:  # the others may have stopped counting this one
                    log.warning("this replica's presence could not be renewed (%s): it sends "
                                "at most one message a second until it is", exc)
                self._window.share(self._window.whole)
            else:
                log.warning("could not renew this replica's presence: %s", exc)
            return 0
        self._counted_since = time.monotonic()
        share = max(1, self._window.whole // max(1, replicas))
        if share != self._window.limit:
            log.info("%d replica(s) share the bot: this one sends at most %d a second",
                     replicas, share)
        self._window.share(replicas)
        return replicas

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
