"""The bot's overall limit held by the bot as a whole (bot/budget.py): replies and digests of
one process draw on one window; replicas on one store (both backends) count each other and
split the limit; one that joins others waits to be counted; one that dies or leaves gives its
share back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from bot import config, jobs
from bot.app import build_application
from bot.budget import JOIN_WAIT, SharedRateLimiter, SharedWindow, Sharing
from bot.ratelimit import Limiter, Limits
from datastore.storage import presence, store
from datastore.storage.db import Db, Location


def test_presence_counts_the_replicas_alive_and_forgets_the_lapsed(
        open_store: Callable[[], Db]) -> None:
    db = open_store()
    assert presence.beat(db, "a", 1000.0) == 1
    assert presence.beat(db, "b", 1001.0) == 2
    assert presence.beat(db, "a", 1002.0) == 2  # a beat renews; it does not add
    # "b" not heard from for more than LAPSE seconds: gone, and its row removed.
    later = 1001.0 + presence.LAPSE + 0.5
    assert presence.beat(db, "a", later) == 1
    assert db.execute("SELECT count(*) FROM meta WHERE key LIKE 'replica:%'").fetchone()[0] == 1
    presence.leave(db, "a")
    assert presence.beat(db, "c", later) == 1


def test_a_window_is_split_by_the_replicas_and_closed_while_joining() -> None:
    window = SharedWindow(30)
    window.share(2)
    assert window.limit == 15
    window.share(4)
    assert window.limit == 7  # rounded down: the whole never exceeds 30
    window.share(100)
    assert window.limit == 1  # never shut out entirely
    window.share(1)
    window.close_for(3.0, now=10.0)
    assert window.wait(10.0) == 3.0
    assert window.wait(13.0) == 0.0
    for _ in range(30):
        window.take(13.0)
    assert window.wait(13.0) is None  # only an answer can make room


def test_the_digests_limiter_draws_on_the_shared_window() -> None:
    window = SharedWindow(4)
    replies = 3
    for _ in range(replies):  # replies to users, on their way
        window.take(5.0)
    digests = Limiter(Limits(global_per_s=4), window)
    assert digests.overall_wait(5.0) == 0
    digests.take(42, 5.0)
    assert digests.overall_wait(5.0) is None  # four in all: the digest waits for an answer
    assert Limiter(Limits(global_per_s=4)).overall_wait(5.0) == 0  # a window of its own


def test_the_replies_limiter_of_the_app_is_the_shared_window(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[limits]\nglobal_per_s = 7\nper_group_per_min = 9\n")
    cfg = config.load(f, env={})
    app = build_application(cfg, token="1:x")
    limiter = app.bot.rate_limiter
    assert isinstance(limiter, SharedRateLimiter)
    assert limiter.window is app.bot_data[jobs.WINDOW_KEY]
    assert limiter.window.whole == 7
    # PTB's own names: its overall limiter is off (ours counts), its group limit is ours.
    assert limiter._base_limiter is None
    assert limiter._group_max_rate == 9


async def test_replies_never_exceed_the_share(tmp_path: Path) -> None:
    """Twelve replies through the limiter with a window of 5 a second: each answer is
    instant, so the window is what paces them; no second holds more than 5."""
    window = SharedWindow(5)
    limiter = SharedRateLimiter(window, group_per_min=20, max_retries=0)
    stamps: list[float] = []

    async def send(*_: object, **__: object) -> bool:
        stamps.append(time.monotonic())
        return True

    await asyncio.gather(*(limiter.process_request(send, (), {}, "sendMessage",
                                                   {"chat_id": 100 + n}, None)
                           for n in range(12)))
    assert len(stamps) == 12
    stamps.sort()
    assert max(sum(1 for s in stamps if t <= s < t + 1.0) for t in stamps) <= 5
    # A request to no chat (getMe, setWebhook) does not count.
    before = window.used(time.monotonic())
    await limiter.process_request(send, (), {}, "getMe", {}, None)
    assert window.used(time.monotonic()) == before


async def next_beat_gives(window: SharedWindow, limit: int) -> None:
    await limit_becomes(window, limit, within=presence.BEAT + 1.0)


async def test_replicas_share_and_a_joiner_waits_to_be_counted(
        store_at: Location, open_store: Callable[[], Db]) -> None:
    open_store()  # the store exists
    first_window, second_window = SharedWindow(30), SharedWindow(30)
    first = Sharing(store_at, "first", first_window)
    second = Sharing(store_at, "second", second_window)
    await first.start()
    try:
        assert first_window.limit == 30 and first_window.wait(time.monotonic()) == 0
        await second.start()
        try:
            now = time.monotonic()
            assert second_window.limit == 15
            assert second_window.wait(now) is not None and second_window.wait(now) > 0
            assert second_window.wait(now + JOIN_WAIT) == 0
            # The first counts the second at its next beat, before the joiner's wait ends.
            await next_beat_gives(first_window, 15)
        finally:
            await second.stop()
        await next_beat_gives(first_window, 30)  # the second left: the whole again
    finally:
        await first.stop()


async def test_a_replica_whose_beats_fail_sends_one_a_second_until_they_succeed(
        tmp_path: Path) -> None:
    """The store refuses its beats (a trigger, as a real refusal would): after as long as the
    others take to forget it, it sends at most one message a second; its next beat that
    reaches the store gives it its share back."""
    where = Location(path=tmp_path / "s.sqlite3")
    db = store.connect(where)
    try:
        window = SharedWindow(30)
        sharing = Sharing(where, "lonely", window, every=0.1, lapse=0.5)
        await sharing.start()
        try:
            assert window.limit == 30
            for event in ("INSERT", "UPDATE"):
                db.execute(f"CREATE TRIGGER no_beats_{event.lower()} BEFORE {event} ON meta "
                           "WHEN NEW.key LIKE 'replica:%' BEGIN SELECT RAISE(ABORT, 'no'); END")
            await limit_becomes(window, 1, within=3.0)
            for event in ("insert", "update"):
                db.execute(f"DROP TRIGGER no_beats_{event}")
            await limit_becomes(window, 30, within=3.0)
        finally:
            await sharing.stop()
    finally:
        db.close()


async def limit_becomes(window: SharedWindow, limit: int, within: float) -> None:
    deadline = time.monotonic() + within
    while window.limit != limit:
        assert time.monotonic() < deadline, f"still {window.limit} a second, not {limit}"
        await asyncio.sleep(0.05)
