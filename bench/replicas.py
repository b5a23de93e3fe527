"""Benchmark: answers per second through 1, 2 and 3 `wardwatch run` replicas on one PostgreSQL
database against 1 process on SQLite, side by side in one run; and how long the survivor takes
to take over when the leader is SIGKILLed mid-fan-out, on both.

Run: python bench/replicas.py [UPDATES]   (default 3,000 updates per configuration, in
three rounds: the configurations interleaved, so a machine slowing down meets all of them)

Everything runs on this machine: a PostgreSQL server the script starts (tests/pg_server.py:
Debian's package, a temporary folder, 127.0.0.1), the fake Bot API (tests/fake_bot_api.py) in
a child process of its own, and the replicas as real processes in webhook mode.  The script
posts each update to the replicas in turn, as a round-robin load balancer would, 32 at a time,
each a private message with a random real postcode from a chat of its own (so no chat meets
the flood gate); the figure is updates answered per second from the first post to the fake
receiving the last reply.  The bot's overall limit ([limits] global_per_s, 30 a second for
the whole bot as shipped, shared out among the replicas) is set out of the way (100,000): this
measures what the processes can do, not the limiter.  On a 2-core machine the replicas, the
fake and this script share the two cores: more replicas add processes, not cores.

Twice: with the fake answering at once (what the processes' CPU can do), and with every answer
held 50 ms, about Telegram's round trip (UPDATES / 3 updates).  A process handles one update
at a time (python-telegram-bot's default), so against a real Bot API its answers per second
are bound by that round trip, and replicas multiply them.

The takeover: 2 replicas, 600 subscriptions (one ward each, private chats), a newer month
loaded by `wardwatch load` (a third process); the leader (found by its lease token) is killed
once 150 digests have reached the fake; reported: seconds from the kill to the first digest
the survivor sends, digests sent twice, and any never sent.  [storage] lease_seconds is the
shipped 15 (it matters on SQLite only).
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.*
os.environ.setdefault("PTB_TIMEDELTA", "1")

from datastore.ingest import sources
from datastore.storage import store, subscriptions
from datastore.storage.db import Location
from tests.fake_bot_api import FakeBotApi
from tests.pg_server import PASSWORD, PgServer
from tests.replica_harness import ROOT, Replica, leader_pid, start_replica, wardwatch_load

SNAPSHOT = ROOT / "datastore" / "snapshot"
OLD_WARD_CRIME = ROOT / "tests" / "data" / "mps_ward_crime_recent24m_202402-202601.csv.gz"
NEW_WARD_CRIME = SNAPSHOT / "mps_ward_crime_recent24m_202404-202603.csv.gz"
CONCURRENCY = 32
SUBSCRIBERS = 600
KILL_AFTER = 150
FAST = "global_per_s = 100000\n"
ROUNDS = 3


# -- the fake Bot API, in a child process -------------------------------------------------

def serve(conn: Connection) -> None:
    """Run the fake; on "count", answer how many replies it has answered so far and every
    digest's (arrival, chat id); on "clear", forget them; on "stop", stop."""

    async def main() -> None:
        api = FakeBotApi()
        await api.start()
        conn.send(api.base_url)
        while True:
            while not conn.poll(0):  # noqa: ASYNC110 - a pipe from another process
                await asyncio.sleep(0.02)
            command = conn.recv()
            if command == "stop":
                break
            if command == "clear":
                api.clear_calls()
                api._messages.clear()
                conn.send(None)
                continue
            if command.startswith("delay "):
                api.delay(float(command.split()[1]))
                conn.send(None)
                continue
            sent = [c for c in api.calls if c.method == "sendMessage" and c.finished
                    and (c.ok or c.abandoned)]
            digests = [(c.arrived, c.chat_id) for c in sent if "Crimes recorded" in (c.text or "")]
            conn.send((len(sent), digests))
        await api.stop()

    asyncio.run(main())


class Fake:
    def __init__(self) -> None:
        self._parent, child = mp.Pipe()
        self._proc = mp.get_context("spawn").Process(target=serve, args=(child,))
        self._proc.start()
        self.base_url: str = self._parent.recv()

    def ask(self, command: str) -> Any:
        self._parent.send(command)
        return self._parent.recv()

    def stop(self) -> None:
        self._parent.send("stop")
        self._proc.join(30)


# -- stores -----------------------------------------------------------------------------------

def build(where: Location) -> None:
    conn = store.connect(where)
    store.write_versions(conn, sources.read_sources(()))
    conn.close()


def behind(where: Location) -> None:
    """The older ward extract over the snapshot, and SUBSCRIBERS private chats following one
    ward each (random wards, fixed seed): the newer month's digests are then due."""
    conn = store.connect(where)
    store.write_versions(conn, sources.read_sources([str(OLD_WARD_CRIME)]), force=True)
    wards = sorted({r[0] for r in conn.execute("SELECT ward_code FROM ward_population")})
    rng = random.Random(22)
    for chat in range(SUBSCRIBERS):
        subscriptions.subscribe(conn, 700_000 + chat, "private", rng.choice(wards), "E1")
    conn.close()


def in_child(fn: Any, where: Location) -> None:
    """Build in a child process (its memory and imports are not the bench's)."""
    proc = mp.get_context("spawn").Process(target=fn, args=(where,))
    proc.start()
    proc.join()
    assert proc.exitcode == 0


# -- answers per second ----------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def answers_per_second(folder: Path, fake: Fake, where: Location, replicas: int,
                             updates: int, postcodes: list[str]) -> tuple[float, float]:
    """Updates answered per second, and the replicas' CPU milliseconds per answer."""
    running = [await start_replica(folder, fake.base_url, where, limits=FAST)
               for _ in range(replicas)]
    try:
        for replica in running:
            await replica.ready()
        chats = itertools.count(10_000_000)
        warm = [message(next(chats), pc) for pc in postcodes[:100]]
        await post_all(running, warm)
        await until_answered(fake, len(warm))
        fake.ask("clear")
        batch = [message(next(chats), pc) for pc in random.Random(replicas).choices(
            postcodes, k=updates)]
        cpu = sum(cpu_seconds(r.proc.pid) for r in running)
        start = time.perf_counter()
        await post_all(running, batch)
        await until_answered(fake, updates)
        rate = updates / (time.perf_counter() - start)
        cpu = sum(cpu_seconds(r.proc.pid) for r in running) - cpu
        return rate, cpu / updates * 1000
    finally:
        for replica in running:
            await replica.stop()
        fake.ask("clear")


def message(chat: int, text: str) -> dict[str, Any]:
    return {"update_id": chat, "message": {
        "message_id": 1, "date": int(time.time()), "text": text,
        "chat": {"id": chat, "type": "private", "first_name": "R"},
        "from": {"id": chat, "is_bot": False, "first_name": "R"}}}


async def post_all(replicas: list[Replica], updates: list[dict[str, Any]]) -> None:
    """Post every update, to the replicas in turn, CONCURRENCY at a time."""
    turn = itertools.cycle(replicas)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(replica: Replica, update: dict[str, Any]) -> None:
        async with gate:
            assert await replica.post(update) == 200

    await asyncio.gather(*(one(next(turn), u) for u in updates))


async def until_answered(fake: Fake, count: int, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while fake.ask("count")[0] < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {count} replies in {seconds} s")
        await asyncio.sleep(0.05)


# -- the takeover -----------------------------------------------------------------------------

async def takeover(folder: Path, fake: Fake, where: Location) -> dict[str, float]:
    running = [await start_replica(folder, fake.base_url, where, lease_seconds=15)
               for _ in range(2)]
    try:
        for replica in running:
            await replica.ready()
        while leader_pid(where) is None:  # noqa: ASYNC110 - the store, read by polling
            await asyncio.sleep(0.1)
        by_pid = {r.proc.pid: r for r in running}
        leader = by_pid[leader_pid(where)]  # type: ignore[index]
        loaded = await asyncio.to_thread(wardwatch_load, folder, where, NEW_WARD_CRIME)
        loaded.check_returncode()
        while len(fake.ask("count")[1]) < KILL_AFTER:  # noqa: ASYNC110 - another process
            await asyncio.sleep(0.02)
        await leader.kill()
        killed = time.monotonic()
        while len(fake.ask("count")[1]) < SUBSCRIBERS:
            if time.monotonic() - killed > 300:
                break
            await asyncio.sleep(0.1)
        digests = fake.ask("count")[1]
        after = [at for at, _ in digests if at > killed]
        per_chat = Counter(chat for _, chat in digests)
        return {"takeover": min(after) - killed if after else float("nan"),
                "repeated": sum(n - 1 for n in per_chat.values()),
                "missed": SUBSCRIBERS - len(per_chat)}
    finally:
        for replica in running:
            await replica.stop()
        fake.ask("clear")


# -- the run ----------------------------------------------------------------------------------

async def run(updates: int) -> None:
    with tempfile.TemporaryDirectory(prefix="wardwatch-bench-") as tmp:
        folder = Path(tmp)
        server = PgServer().start()
        fake = Fake()
        try:
            pg = Location(url=server.url(server.create_database()), password=PASSWORD)
            lite = Location(path=folder / "bench.sqlite3")
            t = time.perf_counter()
            in_child(build, pg)
            in_child(build, lite)
            print(f"stores built in {time.perf_counter() - t:.1f} s")
            conn = store.connect(lite)
            postcodes = [r[0] for r in conn.execute("SELECT postcode FROM postcodes")]
            conn.close()
            configs = (("SQLite, 1 process", lite, 1), ("PostgreSQL, 1 replica", pg, 1),
                       ("PostgreSQL, 2 replicas", pg, 2), ("PostgreSQL, 3 replicas", pg, 3))
            for delay, count in ((0.0, updates), (0.05, updates // 3)):
                fake.ask(f"delay {delay}")
                runs: dict[str, list[tuple[float, float]]] = {name: [] for name, *_ in configs}
                for turn in range(ROUNDS):  # interleaved, each round in another order
                    for name, where, n in configs[turn:] + configs[:turn]:
                        runs[name].append(await answers_per_second(
                            folder, fake, where, n, count // ROUNDS, postcodes))
                base = statistics.median(rate for rate, _ in runs["SQLite, 1 process"])
                how = "at once" if not delay else f"after {delay * 1000:.0f} ms"
                print(f"answers per second, {ROUNDS} rounds of {count // ROUNDS:,} updates, "
                      f"{CONCURRENCY} at a time, the fake answering {how} (median, range):")
                for name, got in runs.items():
                    rate = statistics.median(r for r, _ in got)
                    cpu = statistics.median(c for _, c in got)
                    print(f"  {name:<24} {rate:7.1f}/s ({min(r for r, _ in got):.0f}-"
                          f"{max(r for r, _ in got):.0f})  {rate / base:5.2f}x SQLite  "
                          f"{cpu:5.2f} ms of the replicas' CPU an answer")
            fake.ask("delay 0")
            for name, where in (("PostgreSQL", pg), ("SQLite", lite)):
                in_child(behind, where)
                got = await takeover(folder, fake, where)
                print(f"takeover on {name}: the survivor's first digest {got['takeover']:.1f} s "
                      f"after the SIGKILL; {got['repeated']:.0f} digests sent twice, "
                      f"{got['missed']:.0f} never sent (of {SUBSCRIBERS})")
        finally:
            fake.stop()
            server.stop()


if __name__ == "__main__":
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 3000))
