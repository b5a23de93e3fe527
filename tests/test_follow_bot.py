"""Following the publishers, end to end: the real Application and its jobs against the fake
Bot API and the fake publishers; `wardwatch update` as a real process on a fresh clone.

"A month newer than the bundle" is a test release made here from the bundled ward extract:
its month columns relabelled one month later (to April 2026), so expected figures are the
bundled ones under the new labels, computed in the test from the file it serves."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from bot.config import PublishersConfig
from bot.jobs import CHECK_JOB, START_JOB, DigestService
from datastore.ingest.state import FEEDS, PUBLISHER, FeedState, save_states
from datastore.storage import store
from handlers.context import DIGESTS_KEY, WardApp
from handlers.present import texts
from tests import raw
from tests.bot_harness import ask, polling_bot, shown
from tests.fake_bot_api import FakeBotApi
from tests.gov_uk_fake import FakeGovUk
from tests.publishers_fake import (
    WARD_OLD,
    Answer,
    FakeLondonDatastore,
    FakePoliceUk,
    FakeResource,
    exy3m_catalogue,
)
from tests.test_cli import run, write_config

ADMIN = 999_001


def shifted_release() -> tuple[FakeResource, pd.DataFrame]:
    """The bundled ward extract relabelled a month later, as a release of April 2026."""
    frame = pd.read_csv(raw.WARD_CRIME, dtype=str)
    months = [c for c in frame.columns if c.isdigit()]
    later = {m: f"{int(m) + 1 if m[4:] != '12' else (int(m[:4]) + 1) * 100 + 1}"
             for m in months}
    frame = frame.rename(columns=later)
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    body = buf.getvalue().encode("utf-8")
    resource = FakeResource("w2604", "MPS Ward Level Crime (most recent 24 months).csv", body,
                            "2026-05-14T09:30:00+00:00", coverage_to="2026-04-30")
    return resource, frame


def april_total(frame: pd.DataFrame, ward: str) -> int:
    return int(frame.loc[frame["WardCode"] == ward, "202604"].astype(int).sum())


@pytest.fixture
def datastore(london_datastore_fake: FakeLondonDatastore) -> FakeLondonDatastore:
    london_datastore_fake.publish("exy3m", *exy3m_catalogue())
    return london_datastore_fake


@pytest.fixture
def police(police_uk_fake: FakePoliceUk) -> FakePoliceUk:
    police_uk_fake.publish_snapshot()
    return police_uk_fake


@pytest.fixture
def gov(gov_uk_fake: FakeGovUk) -> FakeGovUk:
    """GOV.UK, listing the Home Office's collection (the 2019/20 tables: the bundled ODS)."""
    return gov_uk_fake


def following(datastore: FakeLondonDatastore, police: FakePoliceUk,
              gov: FakeGovUk) -> PublishersConfig:
    return PublishersConfig(london_datastore=datastore.base_url, police_uk=police.base_url,
                            gov_uk=gov.base_url, timeout=5.0)


def update_config(tmp_path: Path, store_path: Path, datastore: FakeLondonDatastore,
                  police: FakePoliceUk, gov: FakeGovUk) -> Path:
    """A config following the fake publishers, for `wardwatch update`."""
    return write_config(tmp_path, store_path, f'[publishers]\nlondon_datastore = '
                        f'"{datastore.base_url}"\npolice_uk = "{police.base_url}"\n'
                        f'gov_uk = "{gov.base_url}"\ntimeout = 5\n')


def reached_now(db: Path) -> None:
    """Every feed reached just now: no start-up check (the tests start one when they want)."""
    stamp = datetime.now(UTC).isoformat(timespec="microseconds")
    conn = store.connect(db)
    save_states(conn, [FeedState(f, PUBLISHER[f], last_success=stamp) for f in FEEDS])
    conn.close()


@pytest.fixture
async def bot(api: FakeBotApi, behind_copy: Path, datastore: FakeLondonDatastore,
              police: FakePoliceUk, gov: FakeGovUk) -> AsyncIterator[WardApp]:
    reached_now(behind_copy)
    async with polling_bot(api, behind_copy, admin_ids=[ADMIN],
                           publishers=following(datastore, police, gov)) as app:
        yield app


def service(app: WardApp) -> DigestService:
    digests: DigestService = app.bot_data[DIGESTS_KEY]
    return digests


async def test_reload_follows_the_publishers_loads_the_newer_month_and_sends_digests(
        api: FakeBotApi, bot: WardApp, datastore: FakeLondonDatastore) -> None:
    [done] = await ask(api, api.message("/subscribe SW1A 1AA"))
    assert "Done" in shown(done)
    [checking, result] = await ask(api, api.message("/reload", chat_id=ADMIN, user_id=ADMIN),
                                   count=2, timeout=60)
    assert shown(checking) == texts.CHECKING
    text = shown(result)
    assert text.startswith("New data loaded; answers now use it:")
    assert "Ward crime: to March 2026" in text
    assert "• Ward crime (London Datastore): loaded" in text
    assert "Digests for March 2026: 1 message queued." in text
    digest = await api.wait_for("sendMessage", count=4, timeout=30)
    assert texts.DIGEST_FOOTER in shown(digest[-1]) and "March 2026" in shown(digest[-1])
    [answer] = await ask(api, api.message("SW1A 1AA"))
    ward = raw.postcode_row("SW1A 1AA")["Admin_ward_code"]
    assert f"March 2026: {raw.ward_month_total(ward, '202603'):,} crimes recorded" \
        in shown(answer)
    [status] = await ask(api, api.message("/status", chat_id=ADMIN, user_id=ADMIN))
    lines = shown(status)
    assert "Publishers" in lines
    assert ("• Ward crime (London Datastore): last reached" in lines
            and "newest listed: MPS Ward Level Crime.csv (2026-03-31); here: to March 2026"
            in lines)
    assert "• Stop and search, the Met's extract (London Datastore): last reached" in lines
    assert "Failing since" in lines  # the fake lists no e6yjz dataset: said, not hidden
    assert datastore.requests


async def test_the_bot_answers_while_a_check_downloads(
        api: FakeBotApi, bot: WardApp, datastore: FakeLondonDatastore) -> None:
    newest = datastore.resource("exy3m", "w2603")
    released = asyncio.Event()
    loop = asyncio.get_running_loop()

    def slowly() -> Iterator[bytes]:
        for i in range(0, len(newest.body), 64 * 1024):
            if i == 0:
                yield newest.body[:64 * 1024]
                deadline = time.monotonic() + 20
                while not released.is_set() and time.monotonic() < deadline:
                    time.sleep(0.05)
                continue
            yield newest.body[i:i + 64 * 1024]

    datastore.set(datastore.download_path("exy3m", newest),
                  Answer(200, b"", stream=slowly, content_length=len(newest.body)))
    [checking] = await ask(api, api.message("/reload", chat_id=ADMIN, user_id=ADMIN))
    assert shown(checking) == texts.CHECKING
    path = datastore.download_path("exy3m", newest)
    for _ in range(600):  # until the download has begun (at most 30 s)
        if any(r.path == path.split("?")[0] for r in datastore.requests):
            break
        await asyncio.sleep(0.05)
    assert service(bot).checking
    [answer] = await ask(api, api.message("BR1 1AA"))
    assert "ward" in shown(answer) and service(bot).checking  # answered mid-download
    loop.call_soon_threadsafe(released.set)
    calls = await api.wait_for("sendMessage", chat_id=ADMIN, count=2, timeout=60)
    assert shown(calls[-1]).startswith("New data loaded")


async def test_the_daily_check_on_a_fresh_store_picks_up_a_month_newer_than_the_bundle(
        api: FakeBotApi, db_copy: Path, datastore: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk) -> None:
    resource, frame = shifted_release()
    datastore.add("exy3m", resource)
    reached_now(db_copy)
    async with polling_bot(api, db_copy, admin_ids=[ADMIN],
                           publishers=following(datastore, police, gov)) as app:
        assert app.job_queue is not None
        [job] = app.job_queue.get_jobs_by_name(CHECK_JOB)
        assert not app.job_queue.get_jobs_by_name(START_JOB)  # reached just now
        await job.run(app)
        [told] = await api.wait_for("sendMessage", chat_id=ADMIN, timeout=30)
        assert "Ward crime: to April 2026" in shown(told)
        [answer] = await ask(api, api.message("E8 1DY"))
        ward = raw.postcode_row("E8 1DY")["Admin_ward_code"]
        assert f"April 2026: {april_total(frame, ward):,} crimes recorded" in shown(answer)


async def test_a_start_up_check_runs_when_no_feed_was_reached_lately(
        api: FakeBotApi, behind_copy: Path, datastore: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk) -> None:
    async with polling_bot(api, behind_copy, admin_ids=[ADMIN],
                           publishers=following(datastore, police, gov)) as app:
        assert app.job_queue is not None
        assert app.job_queue.get_jobs_by_name(START_JOB)
        [told] = await api.wait_for("sendMessage", chat_id=ADMIN, timeout=60)
        assert shown(told).startswith("New data loaded")


def test_wardwatch_update_on_a_fresh_clone(tmp_path: Path, datastore: FakeLondonDatastore,
                                           police: FakePoliceUk, gov: FakeGovUk) -> None:
    resource, frame = shifted_release()
    datastore.add("exy3m", resource)
    fresh = tmp_path / "fresh" / "store.sqlite3"
    cfg = update_config(tmp_path, fresh, datastore, police, gov)
    done = run(cfg, "update", timeout=240)
    assert done.returncode == 1, done.stderr  # the fake lists no e6yjz / use-of-force dataset
    out = done.stdout
    assert "Ward crime (London Datastore): loaded" in out
    assert "Borough crime (London Datastore): unchanged" in out
    assert "Stop and search (data.police.uk): unchanged — no month later than the current data" \
        in out
    assert "Stop and search, the Met's extract (London Datastore): failed" in out
    # The Home Office's newest tables are the bundled file: fetched, found the same, kept.
    assert ("Taser, Met-wide (Home Office, GOV.UK): unchanged — the same files as the current "
            "data") in out
    assert "ward_crime          2024-04 to 2026-04" in out
    asked = run(cfg, "ask", "--json", "E8 1DY")
    data = json.loads(asked.stdout)
    ward = raw.postcode_row("E8 1DY")["Admin_ward_code"]
    assert data["crime"]["month"] == "2026-04"
    assert data["crime"]["total"] == april_total(frame, ward)
    again = run(cfg, "update", timeout=240)
    assert "Ward crime (London Datastore): unchanged" in again.stdout
    downloads = [r for r in datastore.requests if r.path.startswith("/download/")]
    assert len([r for r in downloads if "w2604" in r.path]) == 1  # downloaded once only


def test_wardwatch_update_catches_up_after_a_forced_older_load(
        tmp_path: Path, behind_copy: Path, datastore: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk) -> None:
    """Issue 18 (3), as it was found: follow the publishers (ward crime to March 2026), then
    `wardwatch load --force` the older extract (to January 2026), then `wardwatch update`:
    the release is downloaded once more, whole, and the store is back on March 2026."""
    cfg = update_config(tmp_path, behind_copy, datastore, police, gov)
    followed = run(cfg, "update", timeout=240)
    assert "Ward crime (London Datastore): loaded" in followed.stdout, followed.stderr
    forced = run(cfg, "load", "--force", str(WARD_OLD), timeout=240)
    assert forced.returncode == 0, forced.stderr
    assert "2024-02 to 2026-01" in forced.stdout
    caught_up = run(cfg, "update", timeout=240)
    assert "Ward crime (London Datastore): loaded" in caught_up.stdout, caught_up.stdout
    assert "ward_crime          2024-03 to 2026-03" in caught_up.stdout
    ward = [r for r in datastore.requests if r.path.startswith("/download/exy3m/w2603/")]
    assert len(ward) == 2  # once per update: the second whole, not asked conditionally
    assert "if-none-match" not in ward[1].headers
    assert "if-modified-since" not in ward[1].headers
    data = json.loads(run(cfg, "ask", "--json", "E8 1DY").stdout)
    assert data["crime"]["month"] == "2026-03"
