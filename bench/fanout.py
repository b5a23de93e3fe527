"""Benchmark: one month's digests to 100,000 subscriptions, against a fake Bot API that enforces
Telegram's flood limits.

Run: python bench/fanout.py [SUBSCRIPTIONS] [SCALE]   (defaults 100,000 and 10)

Goals: achieved rate >= 95 % of the ceiling, 0 answers 429, 0 digests lost or sent twice.

At Telegram's own limits (30 messages/s overall, 20/min per group, 1/s per chat) 100,000
digests take about 56 minutes, so every limit (the fake's and the sender's alike) is multiplied by
SCALE (10: 300/s, about 6 minutes); the windows stay 1 s and 60 s.  On a 2-core machine the
sender itself (PTB, httpx and SQLite, about 2 ms of CPU a message) tops out near 500/s, so a
SCALE of 20 measures the machine, not the limiter.

The fake Bot API (tests/fake_bot_api.py, its sliding windows stricter than Telegram, which
tolerates bursts) runs in a child process so that it does not share a core with the sender.
The sender is the bot's own: bot/jobs.py's DigestService queues the month, computes each
ward's digest once, and bot/fanout.py sends them through its rate limiter, recording each
outcome in SQLite as it happens.

The store is a temporary one built from the bundled snapshot; the subscriptions are 60 %
private chats following 1 to 3 wards and 40 % groups following 1 to 5 (random wards, fixed
seed).  Reported: the rate over the sending (first request to last answer) as a share of the
overall ceiling; the 429s; and, counted by the fake from what it accepted, the digests lost
and the duplicates.
"""


from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.fake_bot_api
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.config import LimitsConfig
from bot.fanout import SendSettings
from bot.jobs import DigestService
from bot.ratelimit import Limits
from datastore.ingest import sources
from datastore.services import open_services
from datastore.storage import blobs, store, subscriptions
from datastore.storage.subscriptions import open_chat_store
from tests.fake_bot_api import FakeBotApi, parse_html

MONTH = 202603  # the latest month of the bundled ward extract
TELEGRAM = Limits(global_per_s=30, per_group_per_min=20, per_chat_per_s=1)


# -- the fake Bot API, in a child process -----------------------------------------------------

def serve(limits: Limits, conn: Connection) -> None:
    """Run the fake until told to stop; tally what it accepted as it goes (and forget the
    calls, so memory stays flat), then send the tally back."""

    async def main() -> None:
        api = FakeBotApi(enforce_limits=True, global_per_s=limits.global_per_s,
                         per_chat_per_s=limits.per_chat_per_s,
                         per_group_per_min=limits.per_group_per_min)
        await api.start()
        conn.send(api.base_url)
        accepted: Counter[tuple[int, str]] = Counter()
        statuses: Counter[str] = Counter()

        def tally() -> None:
            done = [c for c in api.calls if c.finished]
            api.calls[:] = [c for c in api.calls if not c.finished]
            api._messages.clear()  # kept by the fake for later edits: none come here
            for call in done:
                if call.method != "sendMessage":
                    continue
                statuses[str(call.status)] += 1
                if call.ok:
                    head = parse_html(call.text or "")[0].split("\n", 1)[0]
                    accepted[(int(call.params["chat_id"]), head)] += 1

        while not conn.poll(0):
            tally()
            await asyncio.sleep(0.2)
        conn.recv()
        tally()
        await api.stop()
        conn.send({"accepted": accepted, "statuses": statuses, "limit_hits": api.limit_hits})

    asyncio.run(main())


# -- the store and its subscriptions ----------------------------------------------------------

def build_store(path: Path, count: int) -> tuple[dict[tuple[int, str], str], dict[str, str]]:
    """The bundled snapshot and `count` subscriptions.  Returns the expected digests as
    (chat, ward name line) -> ward code, and each ward's digest first line."""
    conn = store.connect(path)
    store.write_versions(conn, sources.read_sources(()))
    rows = blobs.stored_matrix(conn, store.versions(conn)["ward_crime"].id).areas
    lad = dict(conn.execute("SELECT ward_code, lad_name FROM postcodes GROUP BY ward_code"
                            ).fetchall())
    heads = {code: f"{name} ward, {lad.get(code, borough)}: March 2026"
             for code, name, borough in rows}
    wards = sorted(heads)
    rng = random.Random(2026)
    subs: list[tuple[int, str, str, str, str, str]] = []
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    chat = 0
    while len(subs) < count:
        chat += 1
        group = rng.random() < 0.4
        chat_id = -(10_000_000 + chat) if group else 100_000 + chat
        for ward in rng.sample(wards, min(rng.randint(1, 5 if group else 3), count - len(subs))):
            subs.append((chat_id, "group" if group else "private", ward, "E1", "active", stamp))
    with conn.transaction():
        conn.executemany("INSERT INTO subscription (chat_id, chat_type, ward_code, district, "
                         "state, created_at) VALUES (?, ?, ?, ?, ?, ?)", subs)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return {(c, heads[w]): w for c, _, w, *_ in subs}, heads


# -- the run ----------------------------------------------------------------------------------

async def fan_out(db: Path, base_url: str, limits: Limits) -> dict[str, Any]:
    """Queue the month's digests and send them as the bot does; return what happened."""
    defaults = LimitsConfig()  # the shipped in_flight, timeout and retries
    send = SendSettings(limits, defaults.in_flight, defaults.timeout, defaults.retry_backoff,
                        defaults.max_attempts)
    request = HTTPXRequest(connection_pool_size=send.in_flight + 2)
    await request.initialize()
    bot = Bot("123456:TEST-TOKEN", base_url=base_url, request=request,
              get_updates_request=request)

    async def notify(text: str) -> None:
        return None

    async with open_services(db, postcodes_url=None) as services, \
            open_chat_store(db) as chats:
        service = DigestService(services, chats, bot, send, (), notify)
        queued = await chats.run(subscriptions.open_fanout, MONTH)
        start = time.perf_counter()
        service.start()
        assert service._task is not None
        await service._task
        wall = time.perf_counter() - start
        counts = await chats.run(subscriptions.delivery_counts, MONTH)
    await request.shutdown()
    [report] = service.reports
    return {"queued": queued, "report": report, "wall": wall, "counts": counts,
            "in_flight": send.in_flight}


def main(argv: list[str]) -> None:
    count = int(argv[1]) if len(argv) > 1 else 100_000
    scale = int(argv[2]) if len(argv) > 2 else 10
    limits = TELEGRAM.scaled(scale)
    print(f"{count:,} subscriptions; every limit x{scale}: {limits.global_per_s}/s overall, "
          f"{limits.per_group_per_min}/min per group, {limits.per_chat_per_s}/s per chat "
          f"(the fake enforces the same)")
    with tempfile.TemporaryDirectory(prefix="wardwatch-bench-") as tmp:
        db = Path(tmp) / "bench.sqlite3"
        t = time.perf_counter()
        expected, _ = build_store(db, count)
        chats = len({c for c, _ in expected})
        print(f"store built in {time.perf_counter() - t:.1f} s: {len(expected):,} "
              f"subscriptions in {chats:,} chats")
        parent, child = mp.Pipe()
        server = mp.get_context("spawn").Process(target=serve, args=(limits, child))
        server.start()
        base_url = parent.recv()
        result = asyncio.run(fan_out(db, base_url, limits))
        parent.send("stop")
        tally = parent.recv()
        server.join(30)
    report, counts = result["report"], result["counts"]
    accepted: Counter[tuple[int, str]] = tally["accepted"]
    lost = sum(1 for key in expected if accepted[key] == 0)
    duplicates = sum(n - 1 for n in accepted.values() if n > 1)
    strangers = sum(n for key, n in accepted.items() if key not in expected)
    rate = report.sent / report.seconds
    print(f"sent {report.sent:,} of {result['queued']:,} queued in {report.seconds:.1f} s "
          f"({result['wall']:.1f} s with queueing and computing the 679 digests); "
          f"in flight at most {result['in_flight']}")
    print(f"achieved rate {rate:,.1f}/s = {rate / limits.global_per_s:.1%} of the "
          f"{limits.global_per_s}/s ceiling")
    print(f"429 answers: {tally['limit_hits']} (fake), {report.rate_limited} (sender); "
          f"answers by status: {dict(tally['statuses'])}")
    print(f"lost: {lost}; duplicates: {duplicates}; unexpected: {strangers}; "
          f"store: {counts.sent:,} sent, {counts.pending} pending, {counts.failed} failed")


if __name__ == "__main__":
    main(sys.argv)
