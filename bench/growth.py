"""Benchmark: does the bot's memory grow with what it serves? RSS over 100,000 fuzzed updates.

Run: python bench/growth.py [N]   (default N = 100,000; bound: RSS grows <= 16 MB from the
first 10,000 updates to the last, peak RSS <= 150 MB)

The real Application (every handler, the flood gate, the caches) with bot/console.py's
in-process Bot API as transport, on a store built from the bundled snapshot, fed N updates
from 30,000 private chats (more than the flood gate's 10,000): real postcodes, near-miss and
garbled ones, typed place names, random text and emoji, edited messages, shared locations,
commands with and without arguments, drill-down buttons (valid, stale and forged), and one
update in 1,000 asking for a chart, a map or a download. The bench holds no more than the
update it sends (postcodes are read from the store one at a time), so what it measures is the
bot's. RSS (VmRSS) is read after the first
10,000 updates, when every cache has met most of what it will hold, and at the end; VmHWM is
the peak.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import string
import sys
from pathlib import Path
from typing import Any

from _store import snapshot_store
from telegram import Update

from bot.app import build_application, running
from bot.config import Config, PostcodesConfig
from bot.console import CONSOLE_TOKEN, LocalBotApi
from datastore.query.view import DataView

WARM = 10_000


def status(field: str) -> int:
    """This process's /proc/self/status size in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class Postcodes:
    """Real postcodes drawn at random from the store, one indexed read each: a list of all
    180,792 would add some 10 MB of the bench's own to the bot's memory it measures."""

    def __init__(self, db: Path) -> None:
        self._conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        self._conn.execute("PRAGMA cache_size = -256")
        self._low, self._high = self._conn.execute(
            "SELECT MIN(rowid), MAX(rowid) FROM postcodes").fetchone()

    def choice(self, rng: random.Random) -> str:
        while True:
            row = self._conn.execute("SELECT postcode FROM postcodes WHERE rowid=?",
                                     (rng.randint(self._low, self._high),)).fetchone()
            if row is not None:
                return str(row[0])

    def close(self) -> None:
        self._conn.close()


def fuzzed(rng: random.Random, i: int, postcodes: Postcodes, wards: list[str],
           version: int) -> dict[str, Any]:
    user = 10_000 + rng.randrange(30_000)
    chat = {"id": user, "type": "private", "first_name": "R"}
    sender = {"id": user, "is_bot": False, "first_name": "R"}
    base: dict[str, Any] = {"message_id": i, "date": 1, "chat": chat, "from": sender}
    roll = rng.random()
    pc = postcodes.choice(rng)
    if roll < 0.001:
        text = f"{rng.choice(['/trend', '/map', '/export'])} {pc}"
        return {"update_id": i, "message": {**base, "text": text, "entities": [
            {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}}
    if roll < 0.15:
        action = rng.choice("mstb")
        ward = rng.choice(wards)
        data = rng.choice([f"{action}:{ward}:{version}", f"{action}:{ward}:{version - 1}",
                           f"{action}:E05{rng.randrange(10**6):06d}:{version}",
                           "".join(rng.choices(string.printable, k=rng.randrange(1, 64)))])
        return {"update_id": i, "callback_query": {
            "id": str(i), "from": sender, "chat_instance": "b", "data": data,
            "message": {"message_id": 1, "date": 1, "chat": chat, "text": "…"}}}
    if roll < 0.2:
        return {"update_id": i, "message": {**base, "location": {
            "latitude": 51.28 + rng.random() * 0.42, "longitude": -0.51 + rng.random() * 0.85}}}
    if roll < 0.3:
        text = rng.choice(["/help", "/start", "/about", "/types", "/postcode",
                           f"/postcode {pc[:-1]}", f"/postcode {pc.split()[0]}", "/nothing"])
        return {"update_id": i, "message": {**base, "text": text, "entities": [
            {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}}
    if roll < 0.5:
        chars = list(pc)
        chars[rng.randrange(len(chars))] = rng.choice(string.ascii_uppercase + string.digits)
        text = rng.choice(["".join(chars), pc.lower().replace(" ", ""), f"near {pc} please",
                           f"{pc} vs {postcodes.choice(rng)}"])
    elif roll < 0.6:
        text = "".join(rng.choices(string.ascii_letters + " éü😀-'", k=rng.randrange(1, 80)))
    else:
        text = pc
    key = "edited_message" if rng.random() < 0.05 else "message"
    return {"update_id": i, key: {**base, "text": text}}


async def run(n: int, db: Path) -> None:
    app = build_application(Config(storage_path=db, postcodes=PostcodesConfig(base_url="")),
                            token=CONSOLE_TOKEN,
                            request=LocalBotApi(lambda _m, _p: None), rate_limit=False)
    rng = random.Random(2026)
    async with running(app):
        view: DataView = app.bot_data["services"].view
        postcodes = Postcodes(db)
        wards = list(view.wards)
        warm = 0
        steps: list[str] = []
        for i in range(1, n + 1):
            update = Update.de_json(fuzzed(rng, i, postcodes, wards, view.crime_version),
                                    app.bot)
            await app.process_update(update)
            if i == WARM:
                warm = status("VmRSS")
            if i % (n // 10 or 1) == 0:
                steps.append(f"{i // 1000:,}k {status('VmRSS') / 1024:.0f}")
        postcodes.close()
        end, peak = status("VmRSS"), status("VmHWM")
        media = app.bot_data["settings"].media
    print(f"{n:,} fuzzed updates: RSS {warm / 1024:.0f} MB after {WARM:,}, {end / 1024:.0f} MB "
          f"at the end (growth {(end - warm) / 1024:+.1f} MB); peak RSS {peak / 1024:.0f} MB; "
          f"picture and download cache: {len(media)} files, {media.nbytes:,} bytes")
    print(f"RSS (MB) along the way: {', '.join(steps)}")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with snapshot_store() as db:
        asyncio.run(run(n, db))


if __name__ == "__main__":
    main()
