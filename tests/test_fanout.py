"""The digest sender on its own, against the fake Bot API enforcing Telegram's limits: none
refused, each digest once, every outcome recorded; and a graceful stop."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.fanout import Fanout, SendSettings, retry_seconds
from bot.ratelimit import Limits
from datastore.storage import store, subscriptions
from datastore.storage.subscriptions import ChatStore, open_chat_store
from tests.fake_bot_api import FakeBotApi

MONTH = 202603
WARDS = ("E05000001", "E05000002", "E05000003")
MESSAGES = {w: (f"<b>Digest</b> for {w}", None) for w in WARDS}


@pytest.fixture
async def chats(tmp_path: Path) -> AsyncIterator[ChatStore]:
    store.connect(tmp_path / "s.sqlite3").close()
    async with open_chat_store(tmp_path / "s.sqlite3") as chat_store:
        yield chat_store


async def queue(chats: ChatStore, plan: dict[int, int]) -> list[subscriptions.Pending]:
    """Subscribe each chat to its number of wards, queue the month, return what is pending."""
    for chat, wards in plan.items():
        for ward in WARDS[:wards]:
            await chats.run(subscriptions.subscribe, chat, "group" if chat < 0 else "private",
                            ward, "E1")
    await chats.run(subscriptions.open_fanout, MONTH)
    return await chats.run(subscriptions.take_pending, MONTH)


def digest_bot(api: FakeBotApi) -> Bot:
    return Bot(api.token, base_url=api.base_url, request=HTTPXRequest(connection_pool_size=8))


async def test_the_limits_hold_and_every_digest_goes_once(chats: ChatStore) -> None:
    limits = Limits(global_per_s=8, per_group_per_min=20, per_chat_per_s=1)
    plan = {chat: 1 + chat % 3 for chat in range(1, 9)} | {-5: 3, -6: 2}
    pending = await queue(chats, plan)
    async with FakeBotApi(enforce_limits=True, global_per_s=8, per_chat_per_s=1,
                          per_group_per_min=20) as api:
        bot = digest_bot(api)
        report = await Fanout(chats, bot, SendSettings(limits, in_flight=4), MONTH,
                              MESSAGES).run(pending)
        await bot.request.shutdown()
        assert api.limit_hits == 0
        calls = api.sent("sendMessage")
    assert all(c.ok for c in calls) and len(calls) == len(pending) == sum(plan.values())
    assert Counter((c.chat_id, c.text) for c in calls) == Counter(
        (p.chat_id, f"<b>Digest</b> for {p.ward_code}") for p in pending)
    assert (report.sent, report.failed, report.rate_limited) == (len(pending), 0, 0)
    counts = await chats.run(subscriptions.delivery_counts, MONTH)
    assert (counts.sent, counts.pending, counts.failed) == (len(pending), 0, 0)


async def test_a_stop_lets_messages_on_their_way_finish_and_leaves_the_rest_pending(
        chats: ChatStore) -> None:
    pending = await queue(chats, {chat: 1 for chat in range(1, 41)})
    async with FakeBotApi() as api:
        api.delay(0.02)
        bot = digest_bot(api)
        fanout = Fanout(chats, bot, SendSettings(Limits(1000, 1000, 100), in_flight=3), MONTH,
                        MESSAGES)
        task = asyncio.ensure_future(fanout.run(pending))
        await api.wait_for("sendMessage", count=10)
        fanout.stop()
        report = await task
        await bot.request.shutdown()
        delivered = [c for c in api.sent("sendMessage") if c.ok]
    assert report.stopped and 10 <= report.sent < 40
    counts = await chats.run(subscriptions.delivery_counts, MONTH)
    # Every message Telegram accepted is recorded as sent; the rest wait for the next run.
    assert counts.sent == len(delivered) == report.sent
    assert counts.pending == 40 - report.sent and counts.failed == 0


async def test_a_digest_unsubscribed_after_queueing_is_not_sent(chats: ChatStore) -> None:
    pending = await queue(chats, {1: 2, 2: 1, 3: 1})
    await chats.run(subscriptions.unsubscribe, 1, WARDS[1])  # while the fan-out is under way
    await chats.run(subscriptions.set_chat_state, 2, "paused")  # chat 2 blocked the bot
    async with FakeBotApi() as api:
        bot = digest_bot(api)
        report = await Fanout(chats, bot, SendSettings(Limits(1000, 1000, 100)), MONTH,
                              MESSAGES).run(pending)
        await bot.request.shutdown()
        sent = sorted((c.chat_id, c.text) for c in api.sent("sendMessage"))
    assert sent == [(1, f"<b>Digest</b> for {WARDS[0]}"), (3, f"<b>Digest</b> for {WARDS[0]}")]
    assert (report.sent, report.skipped) == (2, 2)


@pytest.mark.parametrize(("value", "seconds"), [
    (3, 3.0), (1.5, 1.5), (timedelta(seconds=7), 7.0), (timedelta(milliseconds=250), 0.25),
])
def test_retry_after_is_seconds_whichever_way_ptb_gives_it(value: int | float | timedelta,
                                                           seconds: float) -> None:
    assert retry_seconds(value) == seconds


async def test_a_store_that_cannot_be_written_pauses_the_digests_plainly(
        db_copy: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A full disk (here: the chat store turned read-only) while digests are due: nothing is
    sent (a digest is claimed in the store before it is sent, so none goes twice), every
    digest stays pending for the next check or start, and the operators are told in words,
    with no traceback in the log."""
    from bot.jobs import DigestService
    from datastore.services import open_services

    told: list[str] = []

    async def notify(text: str) -> None:
        told.append(text)

    async with open_services(db_copy, postcodes_url=None) as services, \
            open_chat_store(db_copy) as chat_store, FakeBotApi() as api:
        month = services.view.latest_month
        ward = next(iter(services.view.wards))
        await chat_store.run(subscriptions.subscribe, 7, "private", ward, "E1")
        await chat_store.run(subscriptions.open_fanout, month)
        await chat_store.run(lambda conn: conn.execute("PRAGMA query_only = ON"))
        bot = digest_bot(api)
        service = DigestService(services, chat_store, bot, SendSettings(Limits(1000, 1000, 100)),
                                (), notify)
        service.start()
        assert service._task is not None
        await service._task  # ends, does not raise
        await bot.request.shutdown()
        assert api.sent("sendMessage") == []
        await chat_store.run(lambda conn: conn.execute("PRAGMA query_only = OFF"))
        counts = await chat_store.run(subscriptions.delivery_counts, month)
    assert (counts.pending, counts.sent, counts.failed) == (1, 0, 0)
    [note] = told
    assert "Digests paused: the store cannot be written (it is read-only to this user)" in note
    assert "1 digest" in note and "stays pending" in note
    records = [r for r in caplog.records if r.name == "bot.jobs"]
    assert records and all(r.exc_info is None for r in records)
