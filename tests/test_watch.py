"""A load by any process reaches every running process within seconds, without a restart: the
data serial and NOTIFY (datastore/storage/watch.py), on both backends, and the real bot
answering from a newer month that another process (`wardwatch load`) loaded."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from datastore.ingest.state import FeedState, save_states
from datastore.storage import store, subscriptions, watch
from datastore.storage.db import Db, Location
from datastore.storage.kinds import COLUMNS, Loaded
from datastore.storage.store import LoadInput, SourceFile
from tests.bot_harness import ask, polling_bot, shown
from tests.conftest import NEW_WARD_CRIME
from tests.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent


def crime(month: int, count: int) -> LoadInput:
    frame = pd.DataFrame([("E05000001", "W", "B", "THEFT", "SHOPLIFTING", month, count)],
                         columns=list(COLUMNS["ward_crime"]))
    return LoadInput(Loaded("ward_crime", "c.csv", frame, (month,)), (SourceFile("c.csv", "0"),))


async def test_every_watcher_hears_of_a_load_and_of_a_check(
        store_at: Location, open_store: Callable[[], Db]) -> None:
    writer = open_store()
    store.write_versions(writer, {"ward_crime": crime(202401, 1)})
    calls: asyncio.Queue[int] = asyncio.Queue()
    watchers = []
    for n in range(2):  # two processes' watches, as two replicas have
        async def changed(n: int = n) -> None:
            calls.put_nowait(n)

        watchers.append(watch.DataWatch(store_at, changed, poll=0.1))
    for w in watchers:
        await w.start()
    try:
        first = {await asyncio.wait_for(calls.get(), 10) for _ in watchers}
        assert first == {0, 1}  # each caught up once at start
        store.write_versions(writer, {"ward_crime": crime(202402, 2)})
        assert {await asyncio.wait_for(calls.get(), 10) for _ in watchers} == {0, 1}
        save_states(writer, [FeedState("ward_crime", "London Datastore",
                                       last_success="2026-12-07T07:00:00+00:00")])
        assert {await asyncio.wait_for(calls.get(), 10) for _ in watchers} == {0, 1}
        # A write that changes nothing answers read (a subscription) is not announced.
        subscriptions.subscribe(writer, 5, "private", "E05000001", "E1")
        store.write_versions(writer, {"ward_crime": crime(202403, 3)})
        assert {await asyncio.wait_for(calls.get(), 10) for _ in watchers} == {0, 1}
        assert calls.empty() and [w.changes for w in watchers] == [4, 4]
    finally:
        for w in watchers:
            await w.stop()


async def test_a_failed_load_is_not_announced(store_at: Location,
                                              open_store: Callable[[], Db]) -> None:
    writer = open_store()
    store.write_versions(writer, {"ward_crime": crime(202402, 2)})
    before = watch.data_serial(writer)

    def boom(kind: str) -> None:
        raise RuntimeError("killed mid-load")

    with pytest.raises(RuntimeError):
        store.write_versions(writer, {"ward_crime": crime(202403, 3)}, after_insert=boom)
    assert watch.data_serial(writer) == before


async def test_the_bot_answers_from_a_month_another_process_loaded(
        api: FakeBotApi, behind_copy: Path, tmp_path: Path) -> None:
    """The bot runs on the store to January 2026; `wardwatch load` of the extract to March
    2026, a process of its own, makes the bot answer with March within seconds, and the
    month's digest goes to the chat following the ward, with no check and no restart."""
    conn = store.connect(behind_copy)
    subscriptions.subscribe(conn, 4242, "private", "E05013806", "SW1A")  # St James's
    conn.close()
    async with polling_bot(api, behind_copy) as app:
        [before] = await ask(api, api.message("SW1A 1AA"))
        assert "January 2026" in shown(before)
        config = tmp_path / "config.toml"
        config.write_text(f'[storage]\npath = "{behind_copy}"\n', encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH")}
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "bot", "--config", str(config), "load",
                             str(NEW_WARD_CRIME)], capture_output=True, text=True, timeout=120,
            cwd=ROOT, env=env)
        assert done.returncode == 0, done.stderr
        digest = (await api.wait_for("sendMessage", count=2, timeout=30))[1]
        assert digest.chat_id == 4242 and "March 2026" in shown(digest)
        [after] = await ask(api, api.message("SW1A 1AA"))
        assert "March 2026" in shown(after)
        assert app.bot_data["services"].view.latest_month == 202603
