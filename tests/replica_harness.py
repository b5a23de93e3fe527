"""Several real `wardwatch run` processes in webhook mode on one store, as behind a load
balancer: the test posts each update to the replica of its choice (as the balancer would),
and the replicas answer through the fake Bot API on 127.0.0.1 (tests only)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from datastore.storage import lease, store
from datastore.storage.db import Location
from tests.fake_bot_api import TOKEN, Call, FakeBotApi, parse_html
from tests.pg_server import free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "replica-test-secret"
HOOK = "https://wardwatch.example.org/hook"


def replica_config(folder: Path, api: FakeBotApi | str, where: Location, *, port: int,
                   limits: str = "", admins: tuple[int, ...] = (),
                   lease_seconds: float = 3) -> Path:
    """A replica's config: the same for every replica but its port (the one thing a real
    deployment might also vary, or not, when each runs on a machine of its own)."""
    storage = (f'url = "{where.url}"' if where.url else f'path = "{where.path}"')
    base_url = api if isinstance(api, str) else api.base_url
    path = folder / f"replica-{port}.toml"
    path.write_text(f"""
[telegram]
token = "{TOKEN}"
base_url = "{base_url}"
mode = "webhook"
webhook_url = "{HOOK}"
webhook_secret = "{SECRET}"
listen = "127.0.0.1"
port = {port}
[storage]
{storage}
lease_seconds = {lease_seconds}
[postcodes]
base_url = ""
[publishers]
enabled = false
[admins]
ids = {list(admins)}
[limits]
{limits}
""", encoding="utf-8")
    return path


@dataclass
class Replica:
    """One `wardwatch run` process."""

    port: int
    proc: asyncio.subprocess.Process
    log: Path
    client: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=10))

    async def post(self, update: dict[str, Any]) -> int:
        """Post an update as Telegram (through the balancer) would; the HTTP status."""
        answer = await self.client.post(
            f"http://127.0.0.1:{self.port}/hook", content=json.dumps(update),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET,
                     "Content-Type": "application/json"})
        return answer.status_code

    async def ready(self) -> None:
        """Wait (bounded) until the replica's webhook server answers."""
        for _ in range(300):
            if self.proc.returncode is not None:
                raise AssertionError(f"the replica exited: {self.log.read_text()}")
            try:
                await self.client.post(f"http://127.0.0.1:{self.port}/hook", content=b"{}")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        raise AssertionError(f"the replica on port {self.port} never listened")

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as a crash or the OOM killer."""
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> int:
        """SIGTERM, as a service manager stops it; its exit status."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        await self.client.aclose()
        assert self.proc.returncode is not None
        return self.proc.returncode


async def start_replica(folder: Path, api: FakeBotApi | str, where: Location, **kwargs: Any
                        ) -> Replica:
    """Start one replica (`api`: the fake, or its base URL when it runs in another
    process)."""
    port = free_port()
    config = replica_config(folder, api, where, port=port, **kwargs)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH_")}
    env["PTB_TIMEDELTA"] = "1"
    if where.password:
        env["WARDWATCH_DB_PASSWORD"] = where.password
    log = folder / f"replica-{port}.log"
    with log.open("ab") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(config), "-v", "run", cwd=ROOT,
            env=env, stdout=asyncio.subprocess.DEVNULL, stderr=err)
    return Replica(port, proc, log)


def digest_calls(api: FakeBotApi, names: dict[str, str]) -> list[tuple[Call, str]]:
    """The digests that reached Telegram, with their ward: answered OK, or abandoned by a
    killed client after the fake had processed them (Telegram would have delivered those)."""
    found = []
    for call in api.sent("sendMessage"):
        head = parse_html(call.text or "")[0].split(" ward,")[0]
        if head in names and (call.ok or call.abandoned) and "Crimes recorded" in (
                call.text or ""):
            found.append((call, names[head]))
    return found


def digests(api: FakeBotApi, names: dict[str, str]) -> Counter[tuple[object, str]]:
    """Digests per (chat, ward) that reached Telegram."""
    return Counter((call.chat_id, ward) for call, ward in digest_calls(api, names))


def most_in_a_window(times: list[float], seconds: float) -> int:
    """The most of `times` in any window of `seconds` (as the fake's and Telegram's sliding
    windows count them)."""
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


def wardwatch_load(folder: Path, where: Location, *paths: Path | str
                   ) -> subprocess.CompletedProcess[str]:
    """`wardwatch load [--force] [PATH…]` by a process of its own, on the replicas' store (by
    URL on PostgreSQL, the password from the environment, as an operator would)."""
    config = folder / "load.toml"
    storage = f'url = "{where.url}"' if where.url else f'path = "{where.path}"'
    config.write_text(f"[storage]\n{storage}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH_")}
    if where.password:
        env["WARDWATCH_DB_PASSWORD"] = where.password
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(config), "load",
                           *map(str, paths)], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, env=env)


def leader_pid(where: Location) -> int | None:
    """The process holding the leader lease (its token: "<epoch> <host>:<pid>:<random>")."""
    conn = store.connect(where)
    try:
        token = lease.current_token(conn)
    finally:
        conn.close()
    return int(token.split(" ", 1)[1].split(":")[1]) if token else None
