"""Following the publishers (issue 9), at the datastore: the real httpx client against the
fake London Datastore and data.police.uk on 127.0.0.1, serving real files; a store one ward
month behind.  Each feed on its own; nothing downloaded twice; faults leave the data as it was.
Loads run in this process (tests/test_worker.py runs the child process)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from datastore.ingest import sources
from datastore.ingest.check import CheckResult, check_publishers
from datastore.ingest.follow import Publishers
from datastore.ingest.publishers import make_client
from datastore.ingest.worker import LoadJob, LoadOutcome, load_jobs
from datastore.services import Services, open_services
from datastore.storage import store
from tests import raw
from tests.gov_uk_fake import FakeGovUk
from tests.publishers_fake import (
    GARBAGE,
    STOP_SEARCH_SAMPLE,
    WARD_OLD,
    Answer,
    FakeLondonDatastore,
    FakePoliceUk,
    Request,
    exy3m_catalogue,
    release,
    snapshot_months,
)

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


async def inline(path: Path, jobs: Sequence[LoadJob]) -> list[LoadOutcome]:
    return await asyncio.to_thread(load_jobs, str(path), jobs)


@pytest.fixture
async def svc(behind_copy: Path) -> AsyncIterator[Services]:
    async with open_services(behind_copy, postcodes_url=None) as services:
        services.following = True
        yield services


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


def where(datastore: FakeLondonDatastore, police: FakePoliceUk, gov: FakeGovUk) -> Publishers:
    return Publishers(datastore.base_url, police.base_url, gov_uk=gov.base_url)


async def check(svc: Services, http: httpx.AsyncClient, datastore: FakeLondonDatastore,
                police: FakePoliceUk, gov: FakeGovUk, now: datetime = NOW) -> CheckResult:
    return await check_publishers(svc, http, where(datastore, police, gov), trigger="admin",
                                  now=now, load=inline)


def outcome(result: CheckResult, feed: str) -> tuple[str, str]:
    assert result.feeds is not None
    found = result.feeds.of(feed)  # type: ignore[arg-type]
    assert found is not None, feed
    return found.result, found.detail


def downloads(fake: FakeLondonDatastore) -> list[str]:
    return [r.path for r in fake.requests if r.path.startswith("/download/")]


async def test_a_newer_release_is_loaded_and_nothing_is_downloaded_twice(
        svc: Services, publishers_http: httpx.AsyncClient, datastore: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk) -> None:
    assert svc.view.latest_month == 202601
    result = await check(svc, publishers_http, datastore, police, gov)
    assert outcome(result, "ward_crime")[0] == "loaded"
    assert result.result == "loaded" and result.new_ward_month == 202603
    assert svc.view.latest_month == 202603  # answers use it at once
    answer = await svc.answer("SW1A 1AA", now=NOW)
    ward = raw.postcode_row("SW1A 1AA")["Admin_ward_code"]
    assert answer.crime is not None
    assert answer.crime.total == raw.ward_month_total(ward, "202603")
    # The borough release is the bundled one: downloaded once, found the same, unchanged.
    assert outcome(result, "borough_crime")[0] == "unchanged"
    assert outcome(result, "stop_search_police_uk") == (
        "unchanged", "no month later than the current data")
    assert all(r.user_agent and r.user_agent.startswith("WardWatch/")
               for r in datastore.requests + police.requests)
    first = downloads(datastore)
    assert len(first) == 2
    again = await check(svc, publishers_http, datastore, police, gov)
    assert {outcome(again, f)[0] for f in ("ward_crime", "borough_crime")} == {"unchanged"}
    # The fake lists no stop-and-search or use-of-force dataset: those fail, on their own.
    assert outcome(again, "stop_search_mps")[0] == "failed"
    assert downloads(datastore) == first  # nothing downloaded the second time
    assert outcome(again, "ward_crime")[1].endswith("already loaded")
    state = svc.feeds["ward_crime"]
    assert state.release_title == "MPS Ward Level Crime.csv"
    assert state.last_success == NOW.isoformat(timespec="microseconds")


async def test_a_release_seen_before_is_fetched_conditionally(
        svc: Services, publishers_http: httpx.AsyncClient, datastore: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk) -> None:
    """The same file re-listed under a new id (a new fingerprint) is asked with If-None-Match:
    304, nothing downloaded, nothing loaded."""
    await check(svc, publishers_http, datastore, police, gov)
    newest = datastore.resource("exy3m", "w2603")
    datastore.replace_resource("exy3m", "w2603", None)
    datastore.add("exy3m", release(raw.WARD_CRIME, "w2603b", newest.title,
                                   "2026-04-15T09:30:00+00:00", file_name=newest.name))
    result = await check(svc, publishers_http, datastore, police, gov)
    last = [r for r in datastore.requests if r.path.startswith("/download/")][-1]
    assert last.headers.get("if-none-match") is None  # another URL: no validator to send
    assert outcome(result, "ward_crime")[0] == "unchanged"


def ward_downloads(fake: FakeLondonDatastore) -> list[Request]:
    """The requests for the newest ward release's file (w2603, to March 2026)."""
    return [r for r in fake.requests if r.path.startswith("/download/exy3m/w2603/")]


@pytest.mark.parametrize("relisted", [False, True], ids=["same-listing", "relisted"])
async def test_a_forced_older_load_is_caught_up_at_the_next_check(
        svc: Services, publishers_http: httpx.AsyncClient, datastore: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk, relisted: bool) -> None:
    """Issue 18 (3): March 2026 loaded from the publisher, then an older extract (January
    2026) loaded with force by another process: the next check must not believe the store
    holds the March release (skipping it as already loaded, or asking conditionally and
    taking the 304).  It downloads the release once, unconditionally, and loads it."""
    await check(svc, publishers_http, datastore, police, gov)
    assert svc.view.latest_month == 202603 and len(ward_downloads(datastore)) == 1
    conn = store.connect(svc.store.path)  # `wardwatch load --force` of the older extract
    store.write_versions(conn, sources.read_sources([str(WARD_OLD)]), force=True)
    conn.close()
    await svc.refresh_view()
    assert svc.view.latest_month == 202601
    if relisted:  # the Datastore re-checked the same file: a new timestamp, the same URL
        newest = datastore.resource("exy3m", "w2603")
        datastore.replace_resource("exy3m", "w2603",
                                   replace(newest, timestamp="2026-04-20T09:30:00+00:00"))
    result = await check(svc, publishers_http, datastore, police, gov)
    assert outcome(result, "ward_crime")[0] == "loaded", outcome(result, "ward_crime")
    assert svc.view.latest_month == 202603
    assert svc.view.versions["ward_crime"].last_month == 202603
    again = ward_downloads(datastore)[1:]
    assert len(again) == 1  # one download: the release, whole
    assert "if-none-match" not in again[0].headers
    assert "if-modified-since" not in again[0].headers
    # Now the current data is that release again: nothing more is downloaded, and a
    # re-listing of it is asked for conditionally (304) again.
    assert outcome(await check(svc, publishers_http, datastore, police, gov),
                   "ward_crime") == ("unchanged", "MPS Ward Level Crime.csv: already loaded")
    assert len(ward_downloads(datastore)) == 2
    newest = datastore.resource("exy3m", "w2603")
    datastore.replace_resource("exy3m", "w2603",
                               replace(newest, timestamp="2026-05-01T09:30:00+00:00"))
    assert outcome(await check(svc, publishers_http, datastore, police, gov),
                   "ward_crime") == ("unchanged", "MPS Ward Level Crime.csv: not modified")
    asked = ward_downloads(datastore)[2:]
    assert len(asked) == 1 and asked[0].headers.get("if-none-match") == newest.etag


@pytest.mark.parametrize(("fault", "said"), [
    ("403", "HTTP 403"),
    ("500", "500"),
    ("garbage", "expected"),
    ("missing", "lists no ward_crime release"),
    ("truncated", "truncated"),
    ("timeout", "time"),
])
async def test_a_fault_leaves_the_data_as_it_was_and_says_why(
        svc: Services, datastore: FakeLondonDatastore, police: FakePoliceUk, gov: FakeGovUk,
        fault: str, said: str) -> None:
    if fault in ("403", "500", "garbage", "timeout"):
        answer = {"403": Answer(403, "Forbidden"), "500": Answer(500, "oops"),
                  "garbage": GARBAGE, "timeout": Answer(200, {}, delay=3)}[fault]
        datastore.set(datastore.dataset_path("exy3m"), answer)
        datastore.set(datastore.package_path("exy3m"), answer)
    elif fault == "missing":
        for rid in ("w2601", "w2603"):
            datastore.replace_resource("exy3m", rid, None)
    else:
        newest = datastore.resource("exy3m", "w2603")
        datastore.set(datastore.download_path("exy3m", newest),
                      Answer(200, newest.body[:5000], content_length=len(newest.body)))
    async with httpx.AsyncClient(timeout=0.5) as http:
        result = await check(svc, http, datastore, police, gov)
    got, detail = outcome(result, "ward_crime")
    assert got == "failed" and said in detail, detail
    assert svc.view.latest_month == 202601  # the data being served is unchanged
    assert svc.feeds["ward_crime"].failing()
    assert svc.feeds["ward_crime"].failure == detail
    # Each feed on its own: police.uk was still asked, and answered.
    assert outcome(result, "stop_search_police_uk")[0] == "unchanged"
    assert result.result in ("failed", "rejected")
    assert (await svc.answer("SW1A 1AA")).status == "ok"


async def test_a_renamed_newest_title_is_not_taken_for_the_extract(
        svc: Services, publishers_http: httpx.AsyncClient, datastore: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk) -> None:
    newest = datastore.resource("exy3m", "w2603")
    datastore.replace_resource("exy3m", "w2603", newest.renamed("Ward crime, March 2026.xls"))
    result = await check(svc, publishers_http, datastore, police, gov)
    assert outcome(result, "ward_crime")[0] == "unchanged"  # the older release: no newer month
    assert svc.feeds["ward_crime"].release_title == (
        "MPS Ward Level Crime (most recent 24 months).csv")
    assert svc.view.latest_month == 202601


async def test_a_police_uk_month_is_added_and_an_empty_month_is_not_published_yet(
        db_copy: Path, publishers_http: httpx.AsyncClient, datastore: FakeLondonDatastore,
        police_uk_fake: FakePoliceUk, gov: FakeGovUk) -> None:
    files = snapshot_months()
    conn = store.connect(db_copy)
    store.write_versions(conn, sources.read_sources([str(p) for p in files[:-1]]), force=True)
    conn.close()
    police_uk_fake.publish_snapshot()
    police_uk_fake.publish(202505, [])  # listed in crimes-street-dates, no records yet
    async with open_services(db_copy, postcodes_url=None) as svc:
        result = await check(svc, publishers_http, datastore, police_uk_fake, gov)
        got, detail = outcome(result, "stop_search_police_uk")
        assert got == "loaded", detail
        version = svc.view.versions["stop_search"]
        assert (version.first_month, version.last_month) == (202409, 202504)
        assert version.rows == sum(len(v) for v in raw.stop_search_by_month().values())
        assert svc.view.stop_search_month == 202504  # not 2025-05: "not published yet"
        again = await check(svc, publishers_http, datastore, police_uk_fake, gov)
        assert outcome(again, "stop_search_police_uk") == (
            "unchanged", "2025-05 listed but not published yet")


async def test_the_mets_own_extract_is_loaded_and_wins_its_months(
        svc: Services, publishers_http: httpx.AsyncClient, datastore: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk) -> None:
    datastore.publish("e6yjz", release(STOP_SEARCH_SAMPLE, "lds", "LDS_Extract_2026-09.csv",
                                       "2026-10-02T09:00:00+00:00", coverage_to="2026-09-30"))
    result = await check(svc, publishers_http, datastore, police, gov)
    assert outcome(result, "stop_search_mps")[0] == "loaded"
    ss = svc.view.stop_search_summary("Hackney")
    assert ss is not None and ss.month == 202609 and ss.source == "mps" and ss.complete
    assert svc.view.versions["stop_search"].first_month == 202409  # police.uk months kept


async def test_a_dataset_that_needs_a_login_is_asked_once_a_month(
        svc: Services, publishers_http: httpx.AsyncClient, datastore: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk) -> None:
    datastore.publish("use-of-force", release(STOP_SEARCH_SAMPLE, "uof", "MPS Use of Force.csv",
                                              None), private=True)
    result = await check(svc, publishers_http, datastore, police, gov)
    assert outcome(result, "taser")[0] == "not_public"
    asked = len([r for r in datastore.requests if "use-of-force" in r.target])
    assert asked > 0
    later = await check(svc, publishers_http, datastore, police, gov, NOW + timedelta(days=1))
    assert outcome(later, "taser")[0] == "resting"
    assert len([r for r in datastore.requests if "use-of-force" in r.target]) == asked
    month = await check(svc, publishers_http, datastore, police, gov, NOW + timedelta(days=31))
    assert outcome(month, "taser")[0] == "not_public"


async def test_freshness_follows_the_checks(
        svc: Services, publishers_http: httpx.AsyncClient, datastore: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk) -> None:
    fresh = svc.freshness(NOW)
    assert fresh.unchecked and fresh.last_checked is None  # never reached yet
    await check(svc, publishers_http, datastore, police, gov)
    after = svc.freshness(NOW + timedelta(hours=1))
    assert not after.unchecked and after.last_checked == NOW
    assert after.behind  # March 2026 is long past the Met's cycle on 1 December 2026
    late = svc.freshness(NOW + timedelta(days=4))
    assert late.unchecked


def test_a_failure_in_the_same_second_as_the_success_before_it_is_failing() -> None:
    """A check that reached a feed, then another in the same second that failed: the feed
    is failing now (seen in /status as "Last failure" instead of "Failing since")."""
    from datastore.ingest.state import FeedState, failed, succeeded

    t = datetime(2026, 12, 2, 4, 0, 46, 100, tzinfo=UTC)
    ok = succeeded(FeedState("stop_search_mps", "london_datastore"), t)
    bad = failed(ok, t + timedelta(microseconds=500), "HTTP 404")
    assert bad.failing()
    assert not succeeded(bad, t + timedelta(microseconds=900)).failing()


# -- what the catalogue states, and where it points (issue 20, items 10 and 11) ---------------

async def test_a_short_body_served_as_whole_fails_by_the_listed_size(
        svc: Services, publishers_http: httpx.AsyncClient, datastore: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk) -> None:
    """A 100-byte prefix with a Content-Length of 100: the catalogue's check_size says the
    file is larger. Not "unchanged — ends in ...": failed, and tried again next time."""
    newest = datastore.resource("exy3m", "w2603")
    datastore.set(datastore.download_path("exy3m", newest), Answer(200, newest.body[:100]))
    result = await check(svc, publishers_http, datastore, police, gov)
    got, detail = outcome(result, "ward_crime")
    assert got == "failed" and "cut short" in detail and f"{len(newest.body):,}" in detail
    assert svc.view.latest_month == 202601
    assert svc.feeds["ward_crime"].failing()  # and its release not taken as loaded
    datastore.clear(datastore.download_path("exy3m", newest))
    again = await check(svc, publishers_http, datastore, police, gov)
    assert outcome(again, "ward_crime")[0] == "loaded"


async def test_a_release_that_is_not_an_extract_fails_rather_than_being_unchanged(
        svc: Services, publishers_http: httpx.AsyncClient, datastore: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk) -> None:
    """The catalogue itself lists the 100-byte prefix (its size and hash match): the header
    is cut off, there are no rows. A failure, never "unchanged"."""
    newest = datastore.resource("exy3m", "w2603")
    datastore.replace_resource("exy3m", "w2603", replace(newest, body=newest.body[:100]))
    result = await check(svc, publishers_http, datastore, police, gov)
    got, detail = outcome(result, "ward_crime")
    assert got == "failed" and "cut short" in detail, detail
    assert result.result == "failed"


async def test_a_resource_on_another_host_is_refused_by_name(
        svc: Services, datastore: FakeLondonDatastore, police: FakePoliceUk,
        gov: FakeGovUk) -> None:
    newest = datastore.resource("exy3m", "w2603")
    port = datastore.base_url.rsplit(":", 1)[1]
    elsewhere = f"http://localhost:{port}{datastore.download_path('exy3m', newest)}"
    datastore.replace_resource("exy3m", "w2603", replace(newest, url=elsewhere))
    async with make_client(timeout=5, hosts=["127.0.0.1"]) as http:
        result = await check(svc, http, datastore, police, gov)
    got, detail = outcome(result, "ward_crime")
    assert got == "failed" and "its host localhost is not one of the publishers'" in detail
    assert not downloads(datastore) or all("w2603" not in p for p in downloads(datastore))


async def test_a_catalogue_redirect_to_another_host_is_refused_by_name(
        svc: Services, datastore: FakeLondonDatastore, police: FakePoliceUk,
        gov: FakeGovUk) -> None:
    port = datastore.base_url.rsplit(":", 1)[1]
    moved = Answer(301, headers={"Location": f"http://localhost:{port}/api/dataset/exy3m"})
    datastore.set(datastore.dataset_path("exy3m"), moved)
    datastore.set(datastore.package_path("exy3m"), moved)
    async with make_client(timeout=5, hosts=["127.0.0.1"]) as http:
        result = await check(svc, http, datastore, police, gov)
    got, detail = outcome(result, "ward_crime")
    assert got == "failed" and "redirected to http://localhost" in detail
    assert "its host localhost is not one of the publishers' (127.0.0.1)" in detail
