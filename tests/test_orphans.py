"""Children die with their parent (issue 20, item 7): real processes killed with SIGKILL.

The loading child of `wardwatch update`, the bot's render process and multiprocessing's
resource tracker outlived a killed parent (one loading child for 14 minutes, and it still
committed its version with the feed's state never saved).  Now each child asks the kernel
for SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG), the tracker ends when no process
holds its pipe, and a load records its feed's state in the same transaction as its version.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from datastore.ingest.state import FeedState, feed_states
from datastore.ingest.worker import LoadJob, run_loads
from datastore.storage import store
from tests.conftest import NEW_WARD_CRIME
from tests.fake_bot_api import FakeBotApi
from tests.publishers_fake import FakeLondonDatastore, FakePoliceUk, exy3m_catalogue


def _status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def alive(pid: int) -> bool:
    """Running (a zombie, dead and waiting to be reaped, is not)."""
    state = _status(pid).get("State", "")
    return bool(state) and not state.startswith("Z")


def children(pid: int) -> list[tuple[int, str]]:
    """The live processes whose parent is `pid`, with their command lines."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _status(int(entry.name)).get("PPid", "").strip() == str(pid):
            with contextlib.suppress(OSError):
                line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if alive(int(entry.name)):
                    found.append((int(entry.name), line))
    return found


async def wait_for_child(pid: int, marker: str, within: float = 90) -> list[tuple[int, str]]:
    """Poll until `pid` has a child whose command line holds `marker` (bounded)."""
    async with asyncio.timeout(within):
        while True:
            found = children(pid)
            if any(marker in line for _, line in found):
                return found
            await asyncio.sleep(0.02)


async def all_gone(pids: list[int], within: float = 20) -> list[int]:
    """The pids still alive after waiting up to `within` seconds for them to end."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while True:
                if not any(alive(p) for p in pids):
                    break
                await asyncio.sleep(0.05)
    return [p for p in pids if alive(p)]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("WARDWATCH_")}


@pytest.fixture
async def publishers(london_datastore_fake: FakeLondonDatastore,
                     police_uk_fake: FakePoliceUk) -> AsyncIterator[str]:
    london_datastore_fake.publish("exy3m", *exy3m_catalogue())
    police_uk_fake.publish_snapshot()
    yield (f'[publishers]\nlondon_datastore = "{london_datastore_fake.base_url}"\n'
           f'police_uk = "{police_uk_fake.base_url}"\ntimeout = 5\n')


async def test_a_killed_update_takes_its_loading_child_and_the_tracker_with_it(
        behind_copy: Path, tmp_path: Path, publishers: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{behind_copy.as_posix()}"\n[postcodes]\n'
                      f'base_url = ""\n{publishers}', encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "update", env=_env(),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        found = await wait_for_child(proc.pid, "spawn_main")  # the loading child, started
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    pids = [pid for pid, _ in found]
    assert any("resource_tracker" in line for _, line in found), found
    assert await all_gone(pids) == []
    # Whatever the child had done when it died, the feed's state agrees with the data.
    conn = store.connect(behind_copy)
    try:
        current = store.versions(conn)["ward_crime"]
        state = feed_states(conn).get("ward_crime")
    finally:
        conn.close()
    loaded = current.last_month == 202603
    assert loaded == (state is not None and state.fingerprint is not None)


async def test_a_killed_bot_takes_its_render_process_and_the_tracker_with_it(
        db_copy: Path, tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[telegram]\ntoken = "{api.token}"\nbase_url = "{api.base_url}"\n'
            f'[storage]\npath = "{db_copy.as_posix()}"\n[postcodes]\nbase_url = ""\n'
            '[publishers]\nenabled = false\n', encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", str(config), "run", env=_env(),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            await api.wait_for("getUpdates", timeout=60)
            api.push_update(api.message("/trend SW1A 1AA"))
            await api.wait_for("sendPhoto", timeout=90)
            found = children(proc.pid)
        finally:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
    assert any("spawn_main" in line for _, line in found), found  # the render process
    assert any("resource_tracker" in line for _, line in found), found
    assert await all_gone([pid for pid, _ in found]) == []


async def test_a_process_whose_parent_is_killed_mid_load_dies_too(
        behind_copy: Path, tmp_path: Path) -> None:
    """run_loads in a small parent process of its own, killed once its child is loading."""
    path = tmp_path / "ward.csv"
    shutil.copy(NEW_WARD_CRIME, path)
    code = (
        "import asyncio, sys\n"
        "from datastore.ingest.worker import LoadJob, run_loads\n"
        f"job = LoadJob('ward_crime', ({str(path)!r},), ('w.csv',))\n"
        f"asyncio.run(run_loads({str(behind_copy)!r}, [job]))\n")
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", code, env=_env())
    try:
        found = await wait_for_child(proc.pid, "spawn_main")
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert await all_gone([pid for pid, _ in found]) == []


async def test_a_load_records_its_feeds_state_in_its_own_transaction(
        behind_copy: Path, tmp_path: Path) -> None:
    """The child writes the version and the feed's state together: a parent that died (or
    was never told) leaves no state behind the data."""
    path = tmp_path / "ward.csv"
    shutil.copy(NEW_WARD_CRIME, path)
    state = FeedState("ward_crime", "London Datastore", last_success="2026-12-07T07:00:00",
                      release_title="MPS Ward Level Crime.csv", fingerprint='["w2603"]',
                      url="https://data.london.gov.uk/download/exy3m/w2603/x.csv")
    job = LoadJob("ward_crime", (str(path),), ("MPS Ward Level Crime.csv",), states=(state,))
    [outcome] = await run_loads(behind_copy, [job])  # in a child process; nothing else saved
    assert outcome.result == "loaded"
    conn = store.connect(behind_copy)
    try:
        assert store.versions(conn)["ward_crime"].last_month == 202603
        assert feed_states(conn)["ward_crime"] == state
    finally:
        conn.close()
