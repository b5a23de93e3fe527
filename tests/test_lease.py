"""The leader lease (datastore/storage/lease.py) on both backends: one holder at a time, a new
epoch with each new leader, claims fenced by the token, a lapsed SQLite lease (the clock passed
in) and a killed PostgreSQL holder's lock taken over."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import Config, PostcodesConfig
from bot.console import run_console
from datastore.ingest import sources
from datastore.storage import lease, store, subscriptions
from datastore.storage.db import Db, Location
from tests.conftest import NEW_WARD_CRIME

ROOT = Path(__file__).resolve().parent.parent
W1 = "E05000001"


async def test_one_holder_at_a_time_and_a_new_epoch_for_each(
        store_at: Location, open_store: Callable[[], Db]) -> None:
    open_store()  # the store exists
    first = lease.lease_for(store_at, "first", ttl=30)
    second = lease.lease_for(store_at, "second", ttl=30)
    try:
        assert await first.acquire() and first.token == "1 first"
        assert not await second.acquire() and second.token is None
        assert await first.renew() and await first.acquire()  # its own: kept, same epoch
        assert first.token == "1 first"
        await first.release()
        assert await second.acquire() and second.token == "2 second"
        assert not await first.renew()  # it gave it up
        assert not await first.acquire()
    finally:
        for held in (first, second):
            await held.release()
            await held.close()


def test_a_claim_is_fenced_by_the_leaders_token(open_store: Callable[[], Db]) -> None:
    """A sender that lost the lease without knowing (paused, cut off) claims nothing once
    another has taken it: its claim raises LeaseLost and leaves the digest as it was."""
    conn = open_store()
    subscriptions.subscribe(conn, 5, "private", W1, "E1")
    subscriptions.open_fanout(conn, 202603)
    with conn.transaction():
        old = lease._next_token(conn, "old")
    with conn.transaction():
        new = lease._next_token(conn, "new")
    assert (old, new) == ("1 old", "2 new")
    with pytest.raises(lease.LeaseLost):
        subscriptions.claim(conn, 5, W1, 202603, lease=old)
    assert subscriptions.take_pending(conn, 202603)[0].attempts == 0
    assert subscriptions.claim(conn, 5, W1, 202603, lease=new)
    assert subscriptions.take_pending(conn, 202603)[0].attempts == 1


def test_a_sqlite_lease_lapses_when_not_renewed(tmp_path: Path) -> None:
    conn = store.connect(tmp_path / "s.sqlite3")
    try:
        assert lease._sqlite_take(conn, "a", 15, now=1000.0) == "1 a"
        assert lease._sqlite_take(conn, "b", 15, now=1014.9) is None  # a's, still alive
        assert lease._sqlite_renew(conn, "1 a", 15, now=1010.0)  # now good to 1025
        assert lease._sqlite_take(conn, "b", 15, now=1024.9) is None
        assert lease._sqlite_take(conn, "b", 15, now=1025.1) == "2 b"  # lapsed: b's now
        assert not lease._sqlite_renew(conn, "1 a", 15, now=1026.0)  # a learns it lost it
        lease._sqlite_release(conn, "1 a")  # a release of a lease lost changes nothing
        assert lease._sqlite_take(conn, "a", 15, now=1027.0) is None
        lease._sqlite_release(conn, "2 b")
        assert lease._sqlite_take(conn, "a", 15, now=1027.0) == "3 a"
    finally:
        conn.close()


HOLD = """
import asyncio, json, sys
from datastore.storage import lease
from datastore.storage.db import Location

async def main():
    url, password = json.loads(sys.argv[1])
    held = lease.lease_for(Location(url=url, password=password), "doomed")
    assert await held.acquire()
    print(held.token, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_a_killed_holders_postgresql_lock_is_taken_over(pg_url: str) -> None:
    from tests.pg_server import PASSWORD

    where = Location(url=pg_url, password=PASSWORD)
    store.connect(where).close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD, json.dumps([pg_url, PASSWORD]), cwd=ROOT, env=env,
        stdout=subprocess.PIPE)
    waiting = lease.lease_for(where, "survivor")
    try:
        assert holder.stdout is not None
        token = (await asyncio.wait_for(holder.stdout.readline(), 30)).decode().strip()
        assert token == "1 doomed"
        assert not await waiting.acquire()
        holder.send_signal(signal.SIGKILL)  # no clean-up: the server notices the socket close
        await holder.wait()
        for _ in range(50):  # bounded: at most 50 tries 0.2 s apart
            if await waiting.acquire():
                break
            await asyncio.sleep(0.2)
        assert waiting.token == "2 survivor"
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()
        await waiting.release()
        await waiting.close()


async def test_the_console_never_leads_nor_sends_subscribers_digests(
        behind_copy: Path) -> None:
    """`wardwatch console` on the bot's store: a newer month is due, but the digests of the
    store's subscribers are the bot's to send, not the terminal's."""
    conn = store.connect(behind_copy)
    subscriptions.subscribe(conn, 4242, "private", "E05013806", "SW1A")
    store.write_versions(conn, sources.read_sources([str(NEW_WARD_CRIME)]))
    conn.close()
    out = io.StringIO()
    cfg = Config(storage_path=behind_copy, postcodes=PostcodesConfig(base_url=""))
    assert await run_console(cfg, io.StringIO("/help\n"), out) == 0
    assert "Crimes recorded" not in out.getvalue()
    conn = store.connect(behind_copy)
    try:
        assert lease.current_token(conn) is None
        assert subscriptions.delivery_counts(conn, 202603).sent == 0
    finally:
        conn.close()
