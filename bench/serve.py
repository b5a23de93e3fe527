"""Benchmark: peak memory of `wardwatch run` serving chats, pictures and downloads included.

Run: python bench/serve.py [CHATS]   (default 300; target: peak RSS <= 150 MB)

The real `wardwatch run` process polls the fake Bot API (tests/fake_bot_api.py, a real HTTP
server on 127.0.0.1) on a store built beforehand from the bundled snapshot. Each of CHATS
private chats sends a postcode; after every 30th answer that chat also asks for the ward's
/trend chart, its borough's /map and the /export downloads (`/export POSTCODE csv`, json and
xlsx: three documents). When every
reply has arrived the bot's peak resident set (VmHWM in /proc/PID/status) is read, and that
of each process it started (its render process: charts, maps and workbooks are drawn there),
then it is stopped. The start-up check (publishers off: the bundled extracts, unchanged) runs
too, as it does on any start.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fake Bot API lives with the tests

from _store import snapshot_store  # noqa: E402

from tests.fake_bot_api import FakeBotApi  # noqa: E402


def status(pid: int, field: str) -> int:
    """A /proc/PID/status size in kB (VmHWM, VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def children(pid: int) -> list[int]:
    """The processes `pid` started (the render process, multiprocessing's resource tracker)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def command_line(pid: int) -> str:
    """What a process runs, shortened."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    text = " ".join(a.decode(errors="replace") for a in argv if a)
    return text if len(text) <= 70 else text[:69] + "…"


def config(api: FakeBotApi, db: Path, folder: Path) -> Path:
    path = folder / "config.toml"
    path.write_text(
        f'[telegram]\ntoken = "{api.token}"\nbase_url = "{api.base_url}"\n'
        f'[storage]\npath = "{db}"\n[postcodes]\nbase_url = ""\n'
        "[publishers]\nenabled = false\n")
    return path


async def serve(chats: int, db: Path, folder: Path) -> None:
    conn = sqlite3.connect(db)
    postcodes = [r[0] for r in conn.execute("SELECT postcode FROM postcodes")]
    conn.close()
    rng = random.Random(2026)
    async with FakeBotApi(long_poll_cap=0.5) as api:
        env = dict(os.environ, WARDWATCH_CONFIG=str(config(api, db, folder)))
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env)  # noqa: ASYNC220
        try:
            await api.wait_for("getUpdates", 1, timeout=60)
            started = time.perf_counter()
            media = 0
            for i in range(chats):
                chat = 100_000 + i
                postcode = rng.choice(postcodes)
                api.push_update(api.message(postcode, user_id=chat))
                await api.wait_for("sendMessage", i + 1, timeout=30)
                if (i + 1) % 30 == 0:
                    for command in ("/trend", "/map", "/export csv", "/export json",
                                    "/export xlsx"):
                        name, *fmt = command.split()
                        api.push_update(api.message(f"{name} {postcode} {' '.join(fmt)}".strip(),
                                                    user_id=chat))
                    media += 1
                    await api.wait_for("sendPhoto", 2 * media, timeout=60)
                    await api.wait_for("sendDocument", 3 * media, timeout=60)
            elapsed = time.perf_counter() - started
            peak, rss = status(bot.pid, "VmHWM"), status(bot.pid, "VmRSS")
            helpers = []
            for pid in children(bot.pid):
                with contextlib.suppress(OSError):  # it ended meanwhile
                    helpers.append((pid, command_line(pid), status(pid, "VmHWM")))
        finally:
            bot.send_signal(signal.SIGINT)
            await asyncio.to_thread(bot.wait, 30)
    print(f"wardwatch run: {chats} chats answered, {media} × (chart, map, download) in "
          f"{elapsed:.1f} s; peak RSS (VmHWM) {peak / 1024:.0f} MB, RSS at the end "
          f"{rss / 1024:.0f} MB")
    for pid, line, hwm in helpers:
        print(f"  its child {pid} ({line}): peak RSS {hwm / 1024:.0f} MB")


def main() -> None:
    chats = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    with snapshot_store() as db, tempfile.TemporaryDirectory() as tmp:
        asyncio.run(serve(chats, db, Path(tmp)))


if __name__ == "__main__":
    main()
