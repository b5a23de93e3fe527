"""Two `wardwatch run` replicas in webhook mode on one store, on each backend: one bot.

What one replica stores the other answers from; a newer month loaded by a third process
(`wardwatch load`) becomes both replicas' answers without a restart; one of them leads and
sends each digest once; SIGKILLed mid-fan-out, it is replaced by the other, which sends
what is left: every subscriber gets the month's digest, at most `in_flight` of them twice,
and what the two send together keeps to [limits]: never more than global_per_s in any second,
replies to a crowd of users asking during the fan-out included, and never two digests to one
chat within a second (counted from what the fake Bot API received)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from datastore.storage import store, subscriptions
from datastore.storage.db import Location
from tests.conftest import NEW_WARD_CRIME, OLD_WARD_CRIME
from tests.fake_bot_api import FakeBotApi, parse_html
from tests.pg_server import PASSWORD, PgServer
from tests.replica_harness import (
    Replica,
    digest_calls,
    digests,
    leader_pid,
    most_in_a_window,
    start_replica,
    wardwatch_load,
)

CHATS = range(3001, 3041)
WARDS = ("E05013806", "E05013746")  # St James's; Ravenscourt
NAMES = {"St James's": WARDS[0], "Ravenscourt": WARDS[1]}
EXPECTED = {(chat, ward) for chat in CHATS for ward in WARDS[: 1 + chat % 2]}  # 60
IN_FLIGHT = 2
GLOBAL_PER_S = 20
LIMITS = (f"global_per_s = {GLOBAL_PER_S}\nper_group_per_min = 20\nper_chat_per_s = 1\n"
          f"in_flight = {IN_FLIGHT}\ntimeout = 5.0\n")
ADMIN = 999_001


@pytest.fixture(params=["sqlite", "postgresql"])
def behind(request: pytest.FixtureRequest, behind_db: Path, tmp_path: Path) -> Location:
    """A store one month behind the bundled extract (to January 2026), subscribed to: on
    SQLite a copy of `behind_db`; on PostgreSQL a new database given the bundled data and
    then the older extract by `wardwatch load`."""
    if request.param == "sqlite":
        import shutil

        where = Location(path=tmp_path / "wardwatch.sqlite3")
        shutil.copy(behind_db, where.path)  # type: ignore[arg-type]
    else:  # an empty database, loaded by `wardwatch load` by URL, as an operator would
        server: PgServer = request.getfixturevalue("pg_server")
        name = server.create_database()
        request.addfinalizer(lambda: server.drop_database(name))
        where = Location(url=server.url(name), password=PASSWORD)
        for args in ((), ("--force", OLD_WARD_CRIME)):
            done = wardwatch_load(tmp_path, where, *args)
            assert done.returncode == 0, done.stderr
            assert PASSWORD not in done.stdout + done.stderr
    conn = store.connect(where)
    for chat in CHATS:
        for ward in WARDS[: 1 + chat % 2]:
            subscriptions.subscribe(conn, chat, "private", ward, "SW1A")
    conn.close()
    return where


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


def assert_within_limits(api: FakeBotApi) -> None:
    """Everything the two replicas sent to a chat (replies and digests) counted in the
    windows Telegram counts them in: never more than global_per_s a second for the bot as a
    whole; and each digest's chat never twice in a second."""
    to_chats = [c.arrived for c in api.calls if c.chat_id is not None]
    assert most_in_a_window(to_chats, 1.0) <= GLOBAL_PER_S
    sent = digest_calls(api, NAMES)
    for chat in CHATS:
        assert most_in_a_window([c.arrived for c, _ in sent if c.chat_id == chat], 1.0) <= 1


async def two_replicas(tmp_path: Path, api: FakeBotApi, where: Location) -> list[Replica]:
    replicas = [await start_replica(tmp_path, api, where, limits=LIMITS, admins=(ADMIN,))
                for _ in range(2)]
    for replica in replicas:
        await replica.ready()
    return replicas


def load_newer(tmp_path: Path, where: Location) -> None:
    """`wardwatch load` of the extract to March 2026, by a process of its own."""
    done = wardwatch_load(tmp_path, where, NEW_WARD_CRIME)
    assert done.returncode == 0, done.stderr
    assert where.password is None or where.password not in done.stdout + done.stderr


async def ask(api: FakeBotApi, replica: Replica, text: str, chat: int, replies: int = 1
              ) -> str:
    """One private message to one replica; the text of its last reply."""
    before = len(api.sent("sendMessage", chat))
    update = api.push_update(api.message(text, chat_id=chat, user_id=chat))
    assert await replica.post(update) == 200
    calls = await api.wait_for("sendMessage", count=before + replies, chat_id=chat,
                               timeout=60)
    return parse_html(calls[before + replies - 1].text or "")[0]


async def many_ask(api: FakeBotApi, replicas: list[Replica], first_chat: int,
                   each: int = 10) -> None:
    """`each` users ask each replica at once (while digests are on their way): every one is
    answered, and what the bot sends in all keeps to the overall limit."""
    chats = [first_chat + n for n in range(each * len(replicas))]
    updates = [api.push_update(api.message("SW1A 1AA", chat_id=chat, user_id=chat))
               for chat in chats]
    statuses = await asyncio.gather(*(replicas[n % len(replicas)].post(update)
                                      for n, update in enumerate(updates)))
    assert statuses == [200] * len(chats)
    for chat in chats:
        await api.wait_for("sendMessage", count=1, chat_id=chat, timeout=60)


async def until(condition: object, seconds: float, what: str) -> None:
    """Wait (bounded) for `condition()` to hold."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        await asyncio.sleep(0.1)


async def test_two_replicas_are_one_bot_and_send_each_digest_once(
        api: FakeBotApi, behind: Location, tmp_path: Path) -> None:
    replicas = await two_replicas(tmp_path, api, behind)
    first, second = replicas
    try:
        # What one replica stores, the other answers from.
        assert "Done" in await ask(api, first, "/subscribe BR1 1AA", 5001)
        assert "Bromley Town" in await ask(api, second, "/subscriptions", 5001)
        assert "January 2026" in await ask(api, second, "SW1A 1AA", 5002)
        api.delay(0.02)
        await asyncio.to_thread(load_newer, tmp_path, behind)
        await until(lambda: len(digests(api, NAMES)) > 0, 60, "digests begin")
        await many_ask(api, replicas, 7000)  # replies and digests share the limit
        # Both replicas answer from the new month within seconds, without a restart (on
        # SQLite each reads the store's data serial every second: asked at once, one may
        # not have yet; at most 20 asks, half a second apart, each from a chat of its own).
        for n, replica in enumerate(replicas):
            for attempt in range(20):
                if "March 2026" in await ask(api, replica, "SW1A 1AA", 5100 + 100 * n + attempt):
                    break
                await asyncio.sleep(0.5)
            else:
                raise AssertionError(f"replica {n} still answers from January 2026")
        await until(lambda: set(digests(api, NAMES)) == EXPECTED, 60, "every digest sent")
        await asyncio.sleep(1.0)  # a second sender, were there one, would show itself here
        assert digests(api, NAMES) == dict.fromkeys(EXPECTED, 1)  # each exactly once
        assert_within_limits(api)
    finally:
        statuses = [await replica.stop() for replica in replicas]
    assert statuses == [0, 0], [r.log.read_text()[-3000:] for r in replicas]
    conn = store.connect(behind)
    try:
        done = subscriptions.delivery_counts(conn, 202603)
    finally:
        conn.close()
    assert (done.sent, done.pending, done.failed) == (61, 0, 0)  # and 5001's Bromley Town


async def test_a_killed_leader_is_replaced_and_no_subscriber_is_missed(
        api: FakeBotApi, behind: Location, tmp_path: Path) -> None:
    replicas = await two_replicas(tmp_path, api, behind)
    by_pid = {r.proc.pid: r for r in replicas}
    try:
        await until(lambda: leader_pid(behind) is not None, 30, "a leader")
        leader = by_pid[leader_pid(behind) or 0]
        survivor = next(r for r in replicas if r is not leader)
        api.delay(0.05)  # every answer takes 50 ms: the kill lands mid-fan-out
        await asyncio.to_thread(load_newer, tmp_path, behind)
        await until(lambda: sum(digests(api, NAMES).values()) >= 10, 60, "10 digests")
        await many_ask(api, replicas, 8000, each=5)
        await leader.kill()
        killed_at, sent_at_kill = time.monotonic(), sum(digests(api, NAMES).values())
        assert sent_at_kill < len(EXPECTED), "the kill came after the fan-out ended"
        await until(lambda: sum(digests(api, NAMES).values()) > sent_at_kill + IN_FLIGHT,
                    30, "the survivor sends")  # the bound for a takeover
        took_over = time.monotonic() - killed_at
        await until(lambda: set(digests(api, NAMES)) == EXPECTED, 60, "every digest sent")
        await asyncio.sleep(1.0)
        counts = digests(api, NAMES)
        assert sum(counts.values()) - len(EXPECTED) <= IN_FLIGHT, counts
        assert max(counts.values()) <= 2
        assert_within_limits(api)  # the limits held across the two senders
        assert leader_pid(behind) == survivor.proc.pid
        # An operator's /reload on the survivor: nothing newer in the sources.
        reply = await ask(api, survivor, "/reload", ADMIN, replies=2)
        assert "March 2026" in reply, reply
        print(f"took over in {took_over:.1f} s; {sum(counts.values()) - len(EXPECTED)} repeated")
    finally:
        statuses = [await replica.stop() for replica in replicas]
    assert statuses[replicas.index(survivor)] == 0, survivor.log.read_text()[-3000:]
    conn = store.connect(behind)
    try:
        done = subscriptions.delivery_counts(conn, 202603)
    finally:
        conn.close()
    assert (done.sent, done.pending, done.failed) == (len(EXPECTED), 0, 0)

