"""Sending one month's digests: every pending (chat, ward) once, within Telegram's limits, each
outcome written to the delivery table as it happens, so a restart resumes where this stopped.

The limits are ours (bot/ratelimit.py), not PTB's AIORateLimiter: digests go through a plain
`telegram.Bot` of their own.  Each digest is claimed in the delivery table just before it is
sent (skipped if its chat unsubscribed or was paused since it was queued); what Telegram
answers decides what happens next:

* sent: marked `sent` at once;
* 429 "retry after N": nothing at all is sent for N seconds, then the same message again;
* 403 (blocked, removed) or 400 "chat not found": failed, and the chat's subscriptions paused;
* "group upgraded to a supergroup": the chat's subscriptions move to the new id, and the
  message goes there;
* timed out or another network error: tried again after a backoff that doubles, up to
  `max_attempts`; then failed.  (Telegram may have delivered a message whose answer timed out:
  the retry can then show it twice.  The Bot API offers no way to tell.)
* any other refusal: failed, with Telegram's reason.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.ratelimit import Limiter, Limits, Window
from datastore.ingest.check import Baseline
from datastore.query.digest import ward_digest
from datastore.query.freshness import Freshness
from datastore.query.view import DataView
from datastore.storage import subscriptions
from datastore.storage.subscriptions import ChatStore, Pending
from handlers import keyboards
from handlers.present import digest_text

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_LONGEST_WINDOW = 60.0  # seconds: a group's per-minute window

Message = tuple[str, InlineKeyboardMarkup | None]  # HTML text and buttons


@dataclass(frozen=True)
class SendSettings:
    """The limits and the patience of the sender ([limits] in the config)."""

    limits: Limits = field(default_factory=Limits)
    in_flight: int = 8
    timeout: float = 10.0
    retry_backoff: float = 1.0
    max_attempts: int = 5


@dataclass
class FanoutReport:
    """What one run of the sender did."""

    month: int
    queued: int = 0
    sent: int = 0
    failed: int = 0
    paused_chats: int = 0
    migrated_chats: int = 0
    retries: int = 0
    rate_limited: int = 0  # 429 answers received
    skipped: int = 0  # no longer to send when their turn came (unsubscribed, paused)
    seconds: float = 0.0
    stopped: bool = False  # stopped before the end (shutdown); the rest stays pending


@dataclass
class _Item:
    chat_id: int
    ward_code: str
    failures: int = 0  # network failures in this run


def prepare_messages(view: DataView, month: int, wards: Iterable[str],
                     baseline: Baseline | None, fresh: Freshness | None) -> dict[str, Message]:
    """Each ward's digest for the month, rendered once (every chat following a ward gets the
    same message), saying how old the month is at `fresh.now`.  Wards the data no longer has
    are left out."""
    base = (baseline.month, baseline.totals) if baseline is not None else None
    out: dict[str, Message] = {}
    for ward in sorted(set(wards)):
        if ward not in view.wards:
            continue
        text = digest_text.digest_html(ward_digest(view, ward, month, base), fresh)
        out[ward] = (text, keyboards.unfollow_keyboard([(ward, view.wards[ward].name)]))
    return out


def retry_seconds(value: int | float | timedelta) -> float:
    """RetryAfter.retry_after is seconds in PTB 22, a timedelta with PTB_TIMEDELTA (and 23)."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Fanout:
    """One month's digests to the chats of `pending`, through `bot`, as fast as the limits
    allow and never faster.  Use once: `await Fanout(...).run(pending)`."""

    def __init__(self, chats: ChatStore, bot: Bot, settings: SendSettings, month: int,
                 messages: Mapping[str, Message], *,
                 clock: Callable[[], float] = time.monotonic, lease: str | None = None,
                 overall: Window | None = None) -> None:
        self._chats = chats
        self._lease = lease  # the leader's token: every claim checks it is still ours
        self._bot = bot
        self._settings = settings
        self._month = month
        self._messages = messages
        self._clock = clock
        # `overall`: the bot's shared window (bot/budget.py; on time.monotonic's clock).
        self._limiter = Limiter(settings.limits, overall)
        self._queues: dict[int, deque[_Item]] = {}
        self._ready: list[tuple[float, int, int]] = []  # heap of (not before, seq, chat id)
        self._scheduled: set[int] = set()  # chats in _ready
        self._busy: set[int] = set()  # chats with a message on its way
        self._seq = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._stopping = False
        self._error: BaseException | None = None
        self.report = FanoutReport(month)

    # -- control ----------------------------------------------------------------------------

    def stop(self) -> None:
        """Send nothing more; the messages on their way finish and are recorded."""
        self._stopping = True
        self._wake.set()

    async def run(self, pending: Sequence[Pending]) -> FanoutReport:
        """Send every pending digest (or until stopped); return what happened.  Raises
        LeaseLost, once the messages on their way are recorded, if another process has
        taken the leader lease."""
        await self._count_earlier_sends()
        start = self._clock()
        for p in pending:
            self._queues.setdefault(p.chat_id, deque()).append(_Item(p.chat_id, p.ward_code))
        for chat_id in self._queues:
            self._schedule(chat_id, start)
        self.report.queued = len(pending)
        while True:
            if self._stopping or self._error is not None or not self._ready:
                if not self._tasks:
                    break
                await self._sleep(None)
                continue
            if len(self._tasks) >= self._settings.in_flight:
                await self._sleep(None)
                continue
            now = self._clock()
            not_before, _, chat_id = self._ready[0]
            if not_before > now:
                await self._sleep(not_before - now)
                continue
            wait = self._limiter.overall_wait(now)
            if wait is None or wait > 0:
                await self._sleep(wait)
                continue
            wait = self._limiter.chat_wait(chat_id, now)
            if wait is None or wait > 0:  # None: only possible while its answer is on its way
                heapq.heapreplace(self._ready, (now + (wait or 0.01), next(self._seq), chat_id))
                continue
            heapq.heappop(self._ready)
            self._scheduled.discard(chat_id)
            item = self._queues[chat_id].popleft()
            self._limiter.take(chat_id, now)
            self._busy.add(chat_id)
            task = asyncio.create_task(self._send(item))
            self._tasks.add(task)
            task.add_done_callback(self._finished)
        self.report.seconds = self._clock() - start
        self.report.stopped = self._stopping and any(self._queues.values())
        if self._error is not None:
            raise self._error
        return self.report

    async def _count_earlier_sends(self) -> None:
        """The month's digests sent in the last minute by whoever sent before (this process
        before a restart of the sender, or a leader that died) count in the windows, so the
        limits hold across the change of sender.  Stamps are whole seconds: a digest stamped
        S was answered before S + 1; one claimed and never answered counts as answered now."""
        wall, now = datetime.now(UTC), self._clock()
        since = wall - timedelta(seconds=_LONGEST_WINDOW + 2)
        for chat_id, stamp, answered in await self._chats.run(
                subscriptions.recent_sends, self._month, since):
            ago = (wall - datetime.fromisoformat(stamp)).total_seconds() - 1.0
            self._limiter.sent_before(chat_id, now - max(ago, 0.0) if answered else now)

    # -- scheduling -------------------------------------------------------------------------

    async def _sleep(self, seconds: float | None) -> None:
        """Until a message's answer comes back, or `seconds` pass."""
        try:
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        except TimeoutError:
            pass
        self._wake.clear()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self._error is None:
            self._error = task.exception()  # the store failed: stop rather than send twice
        self._wake.set()

    def _schedule(self, chat_id: int, not_before: float) -> None:
        if chat_id in self._scheduled or chat_id in self._busy:
            return
        if not self._queues.get(chat_id):
            self._queues.pop(chat_id, None)
            return
        self._scheduled.add(chat_id)
        heapq.heappush(self._ready, (not_before, next(self._seq), chat_id))

    def _done_with(self, chat_id: int, not_before: float | None = None) -> None:
        """The chat's message is answered: schedule its next one, if any."""
        self._busy.discard(chat_id)
        self._schedule(chat_id, self._clock() if not_before is None else not_before)

    # -- one message ------------------------------------------------------------------------

    async def _send(self, item: _Item) -> None:
        chat_id = item.chat_id
        text, markup = self._messages[item.ward_code]
        s = self._settings
        if not await self._chats.run(subscriptions.claim, chat_id, item.ward_code,
                                     self._month, lease=self._lease):
            # Unsubscribed, paused or forgotten since it was queued: not ours to send.
            self._limiter.done(chat_id, self._clock())
            self.report.skipped += 1
            self._done_with(chat_id)
            return
        try:
            try:
                await self._bot.send_message(
                    chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup,
                    link_preview_options=NO_PREVIEW, read_timeout=s.timeout,
                    write_timeout=s.timeout, connect_timeout=s.timeout, pool_timeout=s.timeout)
            finally:
                self._limiter.done(chat_id, self._clock())
        except RetryAfter as exc:
            seconds = retry_seconds(exc.retry_after)
            self.report.rate_limited += 1
            log.warning("Telegram asked to wait %.0f s before sending more", seconds)
            self._limiter.pause(seconds, self._clock())
            await self._record(item, "pending", "retry after")
            self._again(item, seconds)
        except ChatMigrated as exc:
            await self._migrated(item, exc.new_chat_id)
        except Forbidden:
            await self._unreachable(item, "blocked or removed")
        except BadRequest as exc:
            if "chat not found" in exc.message.lower():
                await self._unreachable(item, "chat not found")
            else:
                await self._failed(item, f"refused: {exc.message}"[:200])
        except NetworkError as exc:  # TimedOut, 5xx, connection errors
            item.failures += 1
            if item.failures >= s.max_attempts:
                await self._failed(item, type(exc).__name__)
                return
            self.report.retries += 1
            await self._record(item, "pending", type(exc).__name__)
            self._again(item, s.retry_backoff * 2 ** (item.failures - 1))
        except TelegramError as exc:
            await self._failed(item, f"{type(exc).__name__}: {exc.message}"[:200])
        else:
            await self._record(item, "sent")
            self.report.sent += 1
            self._done_with(chat_id)

    async def _record(self, item: _Item, status: str, error: str | None = None) -> None:
        await self._chats.run(subscriptions.mark, item.chat_id, item.ward_code, self._month,
                              status, error=error)

    def _again(self, item: _Item, delay: float) -> None:
        self._queues.setdefault(item.chat_id, deque()).appendleft(item)
        self._done_with(item.chat_id, self._clock() + delay)

    async def _failed(self, item: _Item, error: str) -> None:
        await self._record(item, "failed", error)
        self.report.failed += 1
        self._done_with(item.chat_id)

    async def _unreachable(self, item: _Item, error: str) -> None:
        """The chat blocked us, removed us or is gone: pause it; its other digests fail."""
        await self._chats.run(subscriptions.fail_chat, item.chat_id, item.ward_code,
                              self._month, error)
        dropped = self._queues.pop(item.chat_id, deque())
        self.report.failed += 1 + len(dropped)
        self.report.paused_chats += 1
        self._done_with(item.chat_id)

    async def _migrated(self, item: _Item, new_chat_id: int) -> None:
        """The group is a supergroup now: move its subscriptions, then send there."""
        old = item.chat_id
        await self._chats.run(subscriptions.migrate_chat, old, new_chat_id)
        self.report.migrated_chats += 1
        waiting = [item, *self._queues.pop(old, deque())]
        pending = await self._chats.run(subscriptions.pending_wards, new_chat_id, self._month)
        queue = self._queues.setdefault(new_chat_id, deque())
        queued = {i.ward_code for i in queue}
        for moved in waiting:
            if moved.ward_code in pending and moved.ward_code not in queued:
                moved.chat_id = new_chat_id
                queue.append(moved)
                queued.add(moved.ward_code)
        self._busy.discard(old)
        self._schedule(new_chat_id, self._clock())
