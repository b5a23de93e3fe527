"""`wardwatch run` as a real process: polling the fake Bot API, and as a webhook that the test
posts updates to (as Telegram would), both on 127.0.0.1; stopped with SIGINT like Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from tests.fake_bot_api import FakeBotApi, parse_html


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def wardwatch_run(config: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH_")}
    env["WARDWATCH_CONFIG"] = str(config)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        _stdout, stderr = await proc.communicate()
        assert proc.returncode == 0, stderr.decode()


def write_config(tmp_path: Path, db: Path, api: FakeBotApi, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[telegram]\ntoken = "{api.token}"\nbase_url = "{api.base_url}"\n{extra}'
        f'[storage]\npath = "{db.as_posix()}"\n[postcodes]\nbase_url = ""\n', encoding="utf-8")
    return path


async def post_when_listening(client: httpx.AsyncClient, url: str,
                              update: dict[str, object]) -> httpx.Response:
    """POST with a wrong secret once the webhook server accepts connections (bounded wait)."""
    for _ in range(100):
        try:
            return await client.post(url, json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": "no"})
        except httpx.ConnectError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"nothing listened at {url}")


async def test_run_polling(tmp_path: Path, db_copy: Path) -> None:
    async with FakeBotApi() as api:
        async with wardwatch_run(write_config(tmp_path, db_copy, api)):
            await api.wait_for("getUpdates", timeout=30)
            api.push_update(api.message("N1 9AA"))
            [reply] = await api.wait_for("sendMessage", timeout=15)
        assert "Caledonian" in parse_html(reply.text or "")[0]
        assert api.sent("setMyCommands")


async def test_run_webhook(tmp_path: Path, db_copy: Path) -> None:
    # Telegram posts to the public https URL; a reverse proxy ends TLS and forwards to the
    # port the bot listens on locally, under the same path.
    port = free_port()
    public = "https://wardwatch.example.org/wardwatch-hook"
    url = f"http://127.0.0.1:{port}/wardwatch-hook"
    extra = (f'mode = "webhook"\nwebhook_url = "{public}"\nwebhook_secret = "s3cret-value"\n'
             f'listen = "127.0.0.1"\nport = {port}\n')
    async with FakeBotApi() as api:
        async with wardwatch_run(write_config(tmp_path, db_copy, api, extra)):
            [hook] = await api.wait_for("setWebhook", timeout=30)
            assert hook.params["url"] == public
            assert hook.params["secret_token"] == "s3cret-value"
            update = {"update_id": 1, **api.message("BR1 1AA")}
            async with httpx.AsyncClient() as client:
                wrong = await post_when_listening(client, url, update)
                assert wrong.status_code == 403
                ok = await client.post(url, content=json.dumps(update), headers={
                    "X-Telegram-Bot-Api-Secret-Token": "s3cret-value",
                    "Content-Type": "application/json"})
                assert ok.status_code == 200
            [reply] = await api.wait_for("sendMessage", timeout=15)
        assert "Bromley Town" in parse_html(reply.text or "")[0]


@pytest.mark.parametrize("mode_line", ['mode = "webhook"\n'])
def test_webhook_without_url_is_a_clear_error(tmp_path: Path, db_copy: Path,
                                              mode_line: str) -> None:
    import subprocess

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[telegram]\ntoken = "1:x"\n{mode_line}'
                   f'[storage]\npath = "{db_copy.as_posix()}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH_")}
    done = subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg), "run"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and "webhook_url" in done.stderr
