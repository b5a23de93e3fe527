"""Kill the bot mid-fan-out (SIGKILL: no clean-up at all), start it again: every remaining digest
is sent and none twice, except at most the one on its way at the kill.  The bot is the real
`wardwatch run` in a child process, talking to the fake Bot API in this one."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from datastore.ingest import sources
from datastore.storage import store, subscriptions
from tests.conftest import NEW_WARD_CRIME
from tests.fake_bot_api import Call, FakeBotApi, parse_html

ROOT = Path(__file__).resolve().parent.parent
CHATS = range(3001, 3041)
WARDS = ("E05013806", "E05013746")  # St James's; Ravenscourt
NAMES = {"St James's": WARDS[0], "Ravenscourt": WARDS[1]}


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


def prepare(db: Path) -> int:
    """The newer extract loaded over the older one (digests for March 2026 are due), and 60
    subscriptions: 40 chats, half of them following two wards."""
    conn = store.connect(db)
    store.write_versions(conn, sources.read_sources([str(NEW_WARD_CRIME)]))
    count = 0
    for chat in CHATS:
        for ward in WARDS[: 1 + chat % 2]:
            subscriptions.subscribe(conn, chat, "private", ward, "SW1A")
            count += 1
    conn.close()
    return count


def config(tmp_path: Path, api: FakeBotApi, db: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
[telegram]
token = "{api.token}"
base_url = "{api.base_url}"
[storage]
path = "{db}"
[postcodes]
base_url = ""
[limits]
global_per_s = 1000
per_group_per_min = 1000
per_chat_per_s = 100
in_flight = 1
timeout = 5.0
""", encoding="utf-8")
    return path


async def start_bot(cfg: Path, log: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "PTB_TIMEDELTA": "1"}
    env.pop("WARDWATCH_TOKEN", None)
    with log.open("ab") as err:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(cfg), "run",
            cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=err)


def delivered(api: FakeBotApi) -> Counter[tuple[object, str]]:
    """Digests per (chat, ward) that reached Telegram: answered OK, or abandoned by a killed
    client after the fake had processed them (counted as delivered: Telegram would have)."""

    def ward(call: Call) -> str:
        head = parse_html(call.text or "")[0].split(" ward,")[0]
        return NAMES[head]

    return Counter((c.chat_id, ward(c)) for c in api.sent("sendMessage")
                   if c.ok or c.abandoned)


async def test_a_killed_fanout_resumes_without_losing_or_repeating_digests(
        api: FakeBotApi, behind_copy: Path, tmp_path: Path) -> None:
    expected = prepare(behind_copy)
    assert expected == 60
    cfg, log = config(tmp_path, api, behind_copy), tmp_path / "bot.log"
    api.delay(0.03)  # every answer takes 30 ms, so the kill lands mid-fan-out

    first = await start_bot(cfg, log)
    try:
        await api.wait_for("sendMessage", count=15, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    before_restart = sum(delivered(api).values())
    assert 15 <= before_restart < expected, log.read_text()

    second = await start_bot(cfg, log)
    try:
        for _ in range(200):
            if len(delivered(api)) == expected:
                break
            await api.wait_for("sendMessage", count=len(api.sent("sendMessage")) + 1,
                               timeout=60)
    finally:
        second.send_signal(signal.SIGINT)  # a clean stop this time
        await asyncio.wait_for(second.wait(), 60)
    counts = delivered(api)
    assert set(counts) == {(chat, ward) for chat in CHATS for ward in WARDS[: 1 + chat % 2]}
    assert sum(counts.values()) - expected <= 1, counts  # at most the one in flight
    assert [k for k, n in counts.items() if n > 2] == []
    conn = store.connect(behind_copy)
    final = subscriptions.delivery_counts(conn, 202603)
    assert (final.sent, final.pending, final.failed) == (expected, 0, 0)
    conn.close()
