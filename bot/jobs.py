"""Scheduled work: the daily check for a newer month (a named JobQueue job at [schedule]
check_time), the digest fan-out it starts (a task of its own, never inside a handler), and on
start-up the digests a previous run left pending.  Only the leader among the processes on the
store (bot/replicas.py) runs them; any process answers /reload and follows others' loads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Final
from zoneinfo import ZoneInfo

import httpx
from telegram import Bot
from telegram.error import TelegramError
from telegram.request import BaseRequest, HTTPXRequest

from bot.budget import SharedWindow, Sharing
from bot.config import Config
from bot.fanout import Fanout, FanoutReport, SendSettings, prepare_messages
from bot.ratelimit import Limits, Window
from bot.replicas import Follower, Leader, Leadership
from datastore.ingest.check import (
    CheckResult,
    Trigger,
    check_publishers,
    check_sources,
    previous_baseline,
)
from datastore.ingest.follow import Publishers
from datastore.services import Services
from datastore.storage import subscriptions
from datastore.storage.lease import LeaseLost, holder_name, lease_for
from datastore.storage.store import WRITE_FAILURES, StoreWriteError
from datastore.storage.subscriptions import ChatStore, open_chat_store
from datastore.storage.watch import DataWatch
from handlers.context import CHATS_KEY, DIGESTS_KEY, SERVICES_KEY, Reload, WardApp, WardContext
from handlers.present import digest_text

log = logging.getLogger(__name__)

CHECK_JOB: Final = "daily-data-check"
RESUME_JOB: Final = "resume-digests"
START_JOB: Final = "start-up-check"
# A start-up check runs this many seconds after start when no check reached the publishers
# in the last START_CHECK_AFTER.
START_CHECK_DELAY: Final = 5.0
START_CHECK_AFTER: Final = timedelta(hours=20)
# bot_data key: the transport build_application was given (console, tests), for digests too.
DIGEST_REQUEST_KEY: Final = "digest_request"
# bot_data key: False for a process that must never lead (the console).
LEADS_KEY: Final = "leads"
WINDOW_KEY: Final = "overall_window"  # the SharedWindow of build_application
DEFAULT_BASE_URL: Final = "https://api.telegram.org/bot"  # PTB's default

Notify = Callable[[str], Awaitable[None]]


def send_settings(cfg: Config) -> SendSettings:
    lim = cfg.limits
    return SendSettings(Limits(lim.global_per_s, lim.per_group_per_min, lim.per_chat_per_s),
                        lim.in_flight, lim.timeout, lim.retry_backoff, lim.max_attempts)


class DigestService:
    """The monthly check and the digest sender: one check at a time, one fan-out at a time."""

    def __init__(self, services: Services, chats: ChatStore, bot: Bot, settings: SendSettings,
                 sources: Sequence[str], notify: Notify,
                 publishers: tuple[httpx.AsyncClient, Publishers] | None = None,
                 http: httpx.AsyncClient | None = None, leader: Leader | None = None) -> None:
        self._services = services
        self.leader = leader  # None: this process sends whatever happens (benches, tests)
        self._publishers = publishers
        self._http = http  # downloads of [sources] URLs
        self._chats = chats
        self._bot = bot
        self._settings = settings
        self._sources = tuple(sources)
        self._notify = notify
        self._check_lock = asyncio.Lock()
        self._queue_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._fanout: Fanout | None = None
        self._stopping = False
        self._checking: asyncio.Task[object] | None = None  # the task running a check
        self.closing = False  # shutting down: a check is stopped, and none is started
        self.reports: list[FanoutReport] = []
        self.window: Window | None = None  # the bot's shared overall window (bot/budget.py)

    @property
    def checking(self) -> bool:
        return self._check_lock.locked()

    @property
    def sending(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def leading(self) -> bool:
        """Whether this process sends digests (it holds the leader lease)."""
        return self.leader is None or self.leader.leading

    async def check_now(self, trigger: Trigger) -> Reload:
        """Check the sources, load a newer month, and queue and start its digests.  After a
        scheduled check that changed something or failed, the operators are told."""
        async with self._check_lock:
            if self.closing:
                raise asyncio.CancelledError("the bot is shutting down")
            self._checking = asyncio.current_task()
            try:
                check, queued = await self._check(trigger)
            finally:
                self._checking = None
        if trigger in ("schedule", "start") and check.result != "unchanged":
            await self._notify(digest_text.reload_html(check, queued))
        return Reload(check, queued)

    async def _check(self, trigger: Trigger) -> tuple[CheckResult, tuple[int, int] | None]:
        # Data another process loaded (`wardwatch load` or `update`) reaches answers now.
        await self._services.sync_view()
        if self._publishers is not None:
            http, where = self._publishers
            check = await check_publishers(self._services, http, where, trigger=trigger)
        else:
            check = await check_sources(self._services, self._sources, trigger=trigger,
                                        http=self._http)
        return check, await self.queue_due()

    def cancel_check(self) -> None:
        """At shutdown: stop a check under way (its download, and its loading child, which
        is killed: a load not yet committed is rolled back), and start no other."""
        self.closing = True
        if self._checking is not None:
            self._checking.cancel()

    async def queue_due(self) -> tuple[int, int] | None:
        """Queue the digests of a newly current month (loaded by the check or by `wardwatch
        load`), then make sure pending digests are being sent.  Returns (month, queued)."""
        async with self._queue_lock:
            await self._services.sync_view()  # digests are made from the current data
            month = await self._chats.run(subscriptions.digest_due)
            queued = None
            if month is not None:
                await self.stop_sending()  # a newer month supersedes the one being sent
                queued = (month, await self._chats.run(subscriptions.open_fanout, month))
                log.info("queued %d digests for %s", queued[1], month)
            self.start()
            return queued

    async def data_changed(self) -> None:
        """Another process changed what answers read (a load, a check of the publishers):
        answer from it now, and send its digests.  Nothing to do while this process checks:
        the check ends by doing the same (and its own load, made by its loading child, is
        one of these changes)."""
        if self.checking:
            return
        await self._services.refresh_feeds()
        await self.queue_due()

    def start(self) -> None:
        """Send whatever is pending, in a task of its own (no-op if one is running, or if
        another process leads: it sends them)."""
        if self.sending or self._stopping or not self.leading:
            return
        self._task = asyncio.create_task(self._send_pending(), name="digest-fanout")
        self._task.add_done_callback(_log_failure)

    async def _send_pending(self) -> None:
        try:
            await self._send_months()
        except LeaseLost:  # another process leads now, and sends what is still pending
            log.warning("stopped sending digests: another process has taken the lease")
        except StoreWriteError as exc:  # a full disk: stop, keep every digest pending, say so
            counts = await self._chats.run(subscriptions.delivery_counts)
            log.warning("digests paused, %d pending: %s", counts.pending, exc)
            await self._notify(digest_text.digests_paused_html(
                WRITE_FAILURES[exc.code], counts.pending))

    async def _send_months(self) -> None:
        while not self._stopping:
            months = await self._chats.run(subscriptions.pending_months)
            if not months:
                return
            month = months[-1]
            for older in months[:-1]:
                await self._chats.run(subscriptions.drop_pending, older, "superseded")
            view = self._services.view
            if month not in view.months:
                await self._chats.run(subscriptions.drop_pending, month, "data replaced")
                continue
            pending = await self._chats.run(subscriptions.take_pending, month)
            baseline = await self._services.store.run(previous_baseline)
            messages = await asyncio.to_thread(
                prepare_messages, view, month, {p.ward_code for p in pending}, baseline,
                self._services.freshness(month=month))
            for p in pending:
                if p.ward_code not in messages:
                    await self._chats.run(subscriptions.mark, p.chat_id, p.ward_code, month,
                                          "failed", error="ward not in the data")
            if self._stopping:
                return
            lease = self.leader.token if self.leader is not None else None
            if self.leader is not None and lease is None:
                return  # no longer leading
            self._fanout = Fanout(self._chats, self._bot, self._settings, month, messages,
                                  lease=lease, overall=self.window)
            report = await self._fanout.run([p for p in pending if p.ward_code in messages])
            self.reports.append(report)
            log.info("digests for %s: %d sent, %d failed, %d retried, %d rate-limited in %.1f s",
                     month, report.sent, report.failed, report.retries, report.rate_limited,
                     report.seconds)
            if report.stopped:
                return

    async def stop_sending(self, grace: float | None = None) -> None:
        """Stop the fan-out: nothing new is sent, the messages on their way are recorded
        (cancelled after `grace` seconds); the rest stays pending for the next run."""
        task = self._task
        if task is None or task.done():
            return
        self._stopping = True
        try:
            if self._fanout is not None:
                self._fanout.stop()
            try:
                await asyncio.wait_for(asyncio.shield(task), grace)
            except TimeoutError:
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        finally:
            self._stopping = False

    @property
    def grace(self) -> float:
        """How long a stop waits for the messages on their way to be answered."""
        return self._settings.timeout + 5

    async def close(self) -> None:
        await self.stop_sending(grace=self.grace)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the digest sender stopped: %s", type(task.exception()).__name__,
                  exc_info=task.exception())


def _service(context: WardContext) -> DigestService:
    service: DigestService = context.application.bot_data[DIGESTS_KEY]
    return service


async def daily_check(context: WardContext) -> None:
    """The scheduled job: check the sources for a newer month."""
    await _checked(_service(context), "schedule")


async def _checked(service: DigestService, trigger: Trigger) -> None:
    """A check run as a job; stopped by a shutdown, it ends quietly (the next start
    checks again)."""
    try:
        await service.check_now(trigger)
    except asyncio.CancelledError:
        if not service.closing:
            raise
        log.info("the %s check was stopped: the bot is shutting down", trigger)


async def resume_digests(context: WardContext) -> None:
    """At start-up: queue what is due and send what a previous run left pending."""
    await _service(context).queue_due()


async def start_check(context: WardContext) -> None:
    """Soon after start-up, when following the publishers and no check has reached them in
    the last day (a new install, or a bot that was down): catch up now, not at 07:00."""
    await _checked(_service(context), "start")


def due_at_start(services: Services, now: datetime) -> bool:
    """Whether a start-up check is due: following, and no feed reached in START_CHECK_AFTER."""
    if not services.following:
        return False
    times = [datetime.fromisoformat(s.last_success) for s in services.feeds.values()
             if s.last_success]
    return not times or now - max(times) > START_CHECK_AFTER


async def open_digests(app: WardApp, cfg: Config, stack: AsyncExitStack) -> DigestService:
    """Open the chat store and the digest sender for the life of `stack`, follow the data
    other processes load, and (while this process leads) schedule the jobs."""
    chats = await stack.enter_async_context(open_chat_store(cfg.storage))
    given: BaseRequest | None = app.bot_data.get(DIGEST_REQUEST_KEY)
    request = given or HTTPXRequest(connection_pool_size=cfg.limits.in_flight + 2)
    # A plain Bot: digests keep to our limits, not those of the Application's AIORateLimiter.
    bot = Bot(app.bot.token, base_url=cfg.telegram.base_url or DEFAULT_BASE_URL,
              request=request, get_updates_request=request)
    if given is None:
        await request.initialize()
        stack.push_async_callback(request.shutdown)

    async def notify(text: str) -> None:
        for admin in sorted(cfg.admin_ids):
            try:
                await app.bot.send_message(admin, text)
            except TelegramError as exc:
                log.warning("could not tell an operator about the check: %s",
                            type(exc).__name__)

    services: Services = app.bot_data[SERVICES_KEY]
    sources = cfg.sources.ward_crime + cfg.sources.borough_crime
    # Follow the publishers unless [sources] names the crime files to check.
    services.following = cfg.publishers.enabled and not sources
    # Every download goes through this client: the publishers' hosts (and [sources]' own).
    http = await stack.enter_async_context(cfg.publishers.client(also=sources))
    publishers = (http, cfg.publishers.sites()) if services.following else None
    if app.job_queue is None:
        raise RuntimeError("WardWatch needs python-telegram-bot[job-queue]")
    service = DigestService(services, chats, bot, send_settings(cfg), sources, notify,
                            publishers, http)
    stack.push_async_callback(service.close)
    app.bot_data[CHATS_KEY] = chats
    app.bot_data[DIGESTS_KEY] = service

    async def gained() -> None:
        schedule_jobs(app, cfg, services)

    async def lost() -> None:
        if app.running:  # at shutdown the job queue has already stopped
            unschedule_jobs(app)
        await service.stop_sending(grace=service.grace)

    # The leader among the processes on this store runs the jobs (bot/replicas.py); the
    # console never leads.
    holder = holder_name()
    leader = Leadership(lease_for(cfg.storage, holder, cfg.lease_seconds), gained, lost
                        ) if app.bot_data.get(LEADS_KEY, True) else None
    service.leader = leader or Follower()
    window: SharedWindow | None = app.bot_data.get(WINDOW_KEY)
    service.window = window
    if leader is not None and window is not None:
        # The replicas on the store share the bot's overall limit (bot/budget.py).
        sharing = Sharing(cfg.storage, holder, window)
        await sharing.start()
        stack.push_async_callback(sharing.stop)
    # A load by any other process (`wardwatch load`, `update`, another replica) reaches this
    # one's answers within seconds, and (if it leads) its digests go out.
    watch = DataWatch(cfg.storage, service.data_changed)
    await watch.start()
    stack.push_async_callback(watch.stop)
    if leader is not None:
        # A lone process leads from its start: the first try is made here, before the bot
        # takes updates; the others keep trying in the background.
        await leader.start()
        stack.push_async_callback(leader.stop)
    return service


def schedule_jobs(app: WardApp, cfg: Config, services: Services) -> None:
    """The leader's jobs: the daily check, a start-up check when one is due, and the
    digests left pending (sent at once)."""
    assert app.job_queue is not None
    hour, minute = (int(x) for x in cfg.schedule.check_time.split(":"))
    zone = ZoneInfo(cfg.schedule.timezone)
    # Run late rather than never when the loop was busy at the due time (APScheduler's
    # default is to skip a job more than a second late).
    late = {"misfire_grace_time": None, "coalesce": True}
    app.job_queue.run_daily(daily_check, dtime(hour, minute, tzinfo=zone), name=CHECK_JOB,
                            job_kwargs=late)
    app.job_queue.run_once(resume_digests, when=0, name=RESUME_JOB, job_kwargs=late)
    if due_at_start(services, datetime.now(UTC)):
        app.job_queue.run_once(start_check, when=START_CHECK_DELAY, name=START_JOB,
                               job_kwargs=late)


def unschedule_jobs(app: WardApp) -> None:
    """No longer the leader: its jobs go (a check already running finishes)."""
    assert app.job_queue is not None
    for name in (CHECK_JOB, RESUME_JOB, START_JOB):
        for job in app.job_queue.get_jobs_by_name(name):
            job.schedule_removal()
