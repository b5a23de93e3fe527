"""Benchmark: Telegram updates per second through the real PTB dispatch, fake transport.

Run: python bench/dispatch.py [N]   (default N = 20,000; target >= 1,000 updates/s on 2 cores)

The real Application (every handler, the flood gate, the error handler, HTML rendering) with
bot/console.py's in-process Bot API as transport, so no network time is counted. Updates go
through `application.update_queue` exactly as polling delivers them. The mix: 80 % postcodes
from the bundled table, 10 % button presses, 10 % commands, from 5,000 distinct private chats
(so the per-chat flood limit is not what is measured). The outgoing rate limiter is off: it
would cap replies at Telegram's 30 messages/s, which is Telegram's limit, not this machine's.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from pathlib import Path
from typing import Any

from _store import snapshot_store
from telegram import Update

from bot.app import build_application, running
from bot.config import Config
from bot.console import CONSOLE_TOKEN, LocalBotApi
from datastore.query.view import DataView


def updates(n: int, postcodes: list[str], wards: list[str], version: int) -> list[dict[str, Any]]:
    rng = random.Random(2026)
    out: list[dict[str, Any]] = []
    for i in range(1, n + 1):
        user = 10_000 + rng.randrange(5_000)
        chat = {"id": user, "type": "private", "first_name": "R"}
        sender = {"id": user, "is_bot": False, "first_name": "R"}
        roll = rng.random()
        if roll < 0.8:
            message = {"message_id": i, "date": 1, "chat": chat, "from": sender,
                       "text": rng.choice(postcodes)}
            out.append({"update_id": i, "message": message})
        elif roll < 0.9:
            data = f"{rng.choice('mst')}:{rng.choice(wards)}:{version}"
            out.append({"update_id": i, "callback_query": {
                "id": str(i), "from": sender, "chat_instance": "b", "data": data,
                "message": {"message_id": 1, "date": 1, "chat": chat, "text": "…"}}})
        else:
            text = rng.choice(["/help", "/start", "/postcode E1", "/about"])
            message = {"message_id": i, "date": 1, "chat": chat, "from": sender, "text": text,
                       "entities": [{"type": "bot_command", "offset": 0,
                                     "length": len(text.split()[0])}]}
            out.append({"update_id": i, "message": message})
    return out


async def run(n: int, db: Path) -> None:
    sent = 0

    def count(method: str, params: dict[str, Any]) -> None:
        nonlocal sent
        sent += 1

    app = build_application(Config(storage_path=db), token=CONSOLE_TOKEN,
                            request=LocalBotApi(count), rate_limit=False)
    async with running(app):
        view: DataView = app.bot_data["services"].view
        raw = updates(n, view.postcodes.postcodes(), list(view.wards), view.crime_version)
        objects = [Update.de_json(u, app.bot) for u in raw]
        for u in objects[:500]:  # warm the per-view caches
            await app.process_update(u)
        before = sent
        done = asyncio.Event()
        last = objects[-1].update_id

        async def mark(update: object, _context: object) -> None:
            if isinstance(update, Update) and update.update_id == last:
                done.set()

        from telegram.ext import TypeHandler

        app.add_handler(TypeHandler(Update, mark), group=99)
        started = time.perf_counter()
        for u in objects:
            await app.update_queue.put(u)
        await done.wait()
        elapsed = time.perf_counter() - started
    print(f"{n:,} updates in {elapsed:.2f} s: {n / elapsed:,.0f} updates/s "
          f"({sent - before:,} messages sent)")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with snapshot_store() as db:
        asyncio.run(run(n, db))


if __name__ == "__main__":
    main()
