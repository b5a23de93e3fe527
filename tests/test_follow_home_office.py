"""Following the Home Office's yearly use-of-force tables on GOV.UK (the `taser_home_office`
feed), at the datastore: the real httpx client against the fake GOV.UK on 127.0.0.1, beside a
fake London Datastore that lists nothing and a police.uk with no newer month (so the check's
time is this feed's); loads in this process, on a copy of the snapshot store.

"A newer year" is a release made here from the real 2019/20 tables with each financial year
relabelled one year later and the publication date moved on, so its figures are computed in
the test from the cleaned CSV of the year it was made from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from datastore.ingest.state import GOV_UK
from datastore.services import Services, open_services
from tests.gov_uk_fake import (
    FakeGovUk,
    edited_tables,
    newest_tables,
    release_of,
    republished,
    with_tables,
)
from tests.publishers_fake import GARBAGE, Answer, FakeLondonDatastore, FakePoliceUk
from tests.test_follow import NOW, check, outcome
from tests.test_home_office_tables import DERIVED_2019_20, KINDS, met_row


@pytest.fixture
async def svc(db_copy: Path) -> AsyncIterator[Services]:
    async with open_services(db_copy, postcodes_url=None) as services:
        services.following = True
        yield services


@pytest.fixture
def police(police_uk_fake: FakePoliceUk) -> FakePoliceUk:
    police_uk_fake.publish_snapshot()
    return police_uk_fake


@pytest.fixture
def lds(london_datastore_fake: FakeLondonDatastore) -> FakeLondonDatastore:
    return london_datastore_fake  # listing nothing: the London Datastore's feeds fail at once


@pytest.fixture
def gov(gov_uk_fake: FakeGovUk) -> FakeGovUk:
    return gov_uk_fake


FEED = "taser_home_office"
LATEST_SLUG = "police-use-of-force-statistics-england-and-wales-april-2019-to-march-2020"


def a_year_later() -> bytes:
    """The real tables relabelled a year on: 2018/19 to 2020/21, published 16 December 2021."""
    body = edited_tables(("2019/20</text:p>", "2020/21</text:p>"),
                         ("2018/19</text:p>", "2019/20</text:p>"),
                         ("2017/18</text:p>", "2018/19</text:p>"),
                         ("1 April 2017 to 31 March 2020", "1 April 2018 to 31 March 2021"),
                         count=-1)
    return republished("16 December 2021", body)


async def test_the_bundled_tables_are_the_newest_release_and_are_fetched_once(
        svc: Services, publishers_http: httpx.AsyncClient, lds: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk) -> None:
    before = svc.view.versions["taser"]
    result = await check(svc, publishers_http, lds, police, gov)
    assert outcome(result, FEED) == ("unchanged", "the same files as the current data")
    assert svc.view.versions["taser"].id == before.id  # the same file: nothing reloaded
    state = svc.feeds[FEED]
    assert state.publisher == GOV_UK and not state.failing()
    assert state.release_title == ("Police use of force statistics, England and Wales: "
                                   "April 2019 to March 2020")
    assert state.release_period == "published 2020-12-17"
    assert state.holds_release(svc.view.versions["taser"])
    assert len(gov.downloads()) == 1
    again = await check(svc, publishers_http, lds, police, gov)
    assert outcome(again, FEED)[0] == "unchanged"
    assert outcome(again, FEED)[1].endswith("already loaded")
    assert len(gov.downloads()) == 1  # nothing downloaded the second time
    # The London Datastore's own use-of-force dataset is a feed of its own, still asked.
    assert outcome(again, "taser")[0] == "failed"


async def test_a_new_years_release_is_loaded_beside_the_earlier_periods(
        svc: Services, publishers_http: httpx.AsyncClient, lds: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk) -> None:
    periods_before = {(s.period_start, s.period_end) for s in svc.view.taser_history()}
    gov.add_release(release_of("April 2020 to March 2021", "2021-12-16", a_year_later()))
    result = await check(svc, publishers_http, lds, police, gov)
    assert outcome(result, FEED)[0] == "loaded", outcome(result, FEED)
    latest = svc.view.taser_summary()
    assert latest is not None
    made_from = met_row(DERIVED_2019_20)
    assert (latest.period_start, latest.period_end, latest.period_label) == (
        "2020-04", "2021-03", "April 2020 to March 2021")
    assert dict(latest.by_type) == {k: made_from[k] for k in KINDS}
    assert latest.deployments == made_from["total"]
    assert latest.published == "2021-12-16"
    history = {(s.period_start, s.period_end) for s in svc.view.taser_history()}
    assert history == periods_before | {("2020-04", "2021-03")}  # earlier years kept
    answer = await svc.answer("SW1A 1AA", now=NOW)
    assert answer.taser is not None and answer.taser.period_end == "2021-03"
    assert svc.feeds[FEED].release_period == "published 2021-12-16"


@pytest.mark.parametrize(("edits", "said"), [
    ((("Use of CED by type and police force", "Use of batons by police force"),),
     "no sheet holds the table of conducted energy device (taser) use"),
    ((("<text:p>Red-dot</text:p>", "<text:p>Red dot</text:p>"),),
     "its layout changed, so it is not read"),
], ids=["renamed-table", "changed-columns"])
async def test_a_changed_table_is_refused_and_the_figures_stay(
        svc: Services, publishers_http: httpx.AsyncClient, lds: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk, edits: tuple[tuple[str, str], ...],
        said: str) -> None:
    before = svc.view.versions["taser"]
    gov.add_release(release_of("April 2020 to March 2021", "2021-12-16",
                               edited_tables(*edits, source=a_year_later())))
    result = await check(svc, publishers_http, lds, police, gov)
    got, detail = outcome(result, FEED)
    assert got == "rejected" and said in detail, detail
    assert svc.view.versions["taser"].id == before.id
    assert svc.view.taser_summary() is not None
    assert svc.view.taser_summary().period_end == "2020-03"  # type: ignore[union-attr]
    assert svc.feeds[FEED].failing() and said in (svc.feeds[FEED].failure or "")
    # Refused, so asked again at the next check (not taken as loaded).
    await check(svc, publishers_http, lds, police, gov, NOW + timedelta(days=1))
    assert len([r for r in gov.downloads() if "2020-to-march-2021" in r.path]) == 2


@pytest.mark.parametrize(("fault", "said"), [
    ("403", "HTTP 403"),
    ("500", "HTTP 500"),
    ("garbage", "expected a content item"),
    ("timeout", "timed out"),
    ("truncated", "truncated"),
], ids=["403", "500", "garbage", "timeout", "truncated"])
async def test_a_fault_at_gov_uk_leaves_the_figures_and_the_other_feeds(
        svc: Services, lds: FakeLondonDatastore, police: FakePoliceUk, gov: FakeGovUk,
        fault: str, said: str) -> None:
    if fault == "truncated":
        tables = newest_tables(gov)
        gov.set(gov.file_path(tables), Answer(200, tables.body[:50_000],
                                              content_length=len(tables.body)))
    else:
        gov.set(gov.collection_path(), {
            "403": Answer(403, "Forbidden", content_type="text/plain"),
            "500": Answer(500, "oops", content_type="text/plain"),
            "garbage": GARBAGE, "timeout": Answer(200, {}, delay=3)}[fault])
    before = svc.view.versions["taser"]
    async with httpx.AsyncClient(timeout=0.5) as http:
        result = await check(svc, http, lds, police, gov)
    got, detail = outcome(result, FEED)
    assert got == "failed" and said in detail, detail
    assert svc.view.versions["taser"].id == before.id
    assert svc.feeds[FEED].failing()
    assert outcome(result, "stop_search_police_uk")[0] == "unchanged"  # each on its own


async def test_a_re_uploaded_table_is_fetched_again_and_loaded(
        svc: Services, publishers_http: httpx.AsyncClient, lds: FakeLondonDatastore,
        police: FakePoliceUk, gov: FakeGovUk) -> None:
    """The release's tables replaced in place (the same URL, a new file; GOV.UK moves the
    release's public_updated_at on): asked for with the ETag of the file held, the new one
    arrives and is loaded."""
    await check(svc, publishers_http, lds, police, gov)
    held = newest_tables(gov)
    fixed = republished("21 January 2021")
    release = with_tables(gov.release(LATEST_SLUG), fixed)
    gov.replace_release(LATEST_SLUG, replace(release,
                                             public_updated_at="2021-01-21T09:30:00+00:00"))
    result = await check(svc, publishers_http, lds, police, gov)
    assert outcome(result, FEED)[0] == "loaded", outcome(result, FEED)
    asked = gov.downloads()[-1]
    assert asked.headers.get("if-none-match") == held.etag
    latest = svc.view.taser_summary()
    assert latest is not None and latest.published == "2021-01-21"
