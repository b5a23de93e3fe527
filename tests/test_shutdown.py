"""A download under way does not hold up a shutdown (issue 20, item 2): SIGTERM of
`wardwatch run` and of `wardwatch update`, real processes, while the fake London Datastore on
127.0.0.1 drips the new ward extract one byte at a time (bounded: a minute at most)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_bot_api import FakeBotApi
from tests.publishers_fake import Answer, FakeLondonDatastore, FakePoliceUk, exy3m_catalogue

DRIP_BYTES = 1200  # one every 50 ms: a minute


class Drip:
    """A body of one byte every 50 ms; `sent` counts the bytes the client took."""

    def __init__(self) -> None:
        self.sent = 0

    def __call__(self) -> Iterator[bytes]:
        for _ in range(DRIP_BYTES):
            time.sleep(0.05)
            yield b"x"
            self.sent += 1


@pytest.fixture
def drip(london_datastore_fake: FakeLondonDatastore, police_uk_fake: FakePoliceUk) -> Drip:
    london_datastore_fake.publish("exy3m", *exy3m_catalogue())
    police_uk_fake.publish_snapshot()
    newest = london_datastore_fake.resource("exy3m", "w2603")
    body = Drip()
    london_datastore_fake.set(london_datastore_fake.download_path("exy3m", newest),
                              Answer(200, content_length=len(newest.body), stream=body))
    return body


def _config(tmp_path: Path, db: Path, datastore: FakeLondonDatastore, police: FakePoliceUk,
            extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'{extra}[storage]\npath = "{db.as_posix()}"\n[postcodes]\nbase_url = ""\n'
                    f'[publishers]\nlondon_datastore = "{datastore.base_url}"\n'
                    f'police_uk = "{police.base_url}"\ntimeout = 5\n', encoding="utf-8")
    return path


async def _started_download(datastore: FakeLondonDatastore) -> None:
    """Until the new ward extract has been asked for (bounded)."""
    async with asyncio.timeout(60):
        while True:
            if any(r.path.startswith("/download/exy3m/w2603") for r in datastore.requests):
                return
            await asyncio.sleep(0.05)


async def _exit(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    """The process's status and stderr, waiting at most 45 s (then killed: a failure)."""
    try:
        _out, err = await asyncio.wait_for(proc.communicate(), 45)
    except TimeoutError:
        proc.kill()
        _out, err = await proc.communicate()
        raise AssertionError("still running 45 s after SIGTERM") from None
    assert proc.returncode is not None
    return proc.returncode, err.decode()


def _env(temp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH_")}
    env["TMPDIR"] = str(temp)
    return env


async def test_sigterm_stops_wardwatch_update_mid_download(
        tmp_path: Path, behind_copy: Path, drip: Drip,
        london_datastore_fake: FakeLondonDatastore, police_uk_fake: FakePoliceUk) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    config = _config(tmp_path, behind_copy, london_datastore_fake, police_uk_fake)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "update", env=_env(temp),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    await _started_download(london_datastore_fake)
    proc.send_signal(signal.SIGTERM)
    code, err = await _exit(proc)
    assert code == 143 and "stopped (SIGTERM)" in err and "Traceback" not in err
    assert drip.sent < DRIP_BYTES
    assert list(temp.iterdir()) == []  # the part file and the folder went with it


async def test_sigterm_stops_the_bot_mid_download(
        tmp_path: Path, behind_copy: Path, drip: Drip,
        london_datastore_fake: FakeLondonDatastore, police_uk_fake: FakePoliceUk) -> None:
    """The start-up check (no feed reached yet) is downloading when SIGTERM comes."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    async with FakeBotApi() as api:
        telegram = f'[telegram]\ntoken = "{api.token}"\nbase_url = "{api.base_url}"\n'
        config = _config(tmp_path, behind_copy, london_datastore_fake, police_uk_fake,
                         telegram)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(config), "run", env=_env(temp),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        await _started_download(london_datastore_fake)
        proc.send_signal(signal.SIGTERM)
        code, err = await _exit(proc)
    assert code == 0, err
    assert "Traceback" not in err
    assert drip.sent < DRIP_BYTES
    assert list(temp.iterdir()) == []
