"""The publisher adapters against fake publishers on 127.0.0.1 (tests/publishers_fake.py), with
real httpx clients: the London Datastore's catalogues and the choice of a release; police.uk's
months and records, its retries and its rate limit (timed on an injected clock)."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import version

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from datastore.ingest.publishers import (
    USER_AGENT,
    NotPublic,
    PublisherError,
    Unreachable,
    make_client,
    user_agent,
)
from datastore.ingest.publishers.london_datastore import (
    Catalogue,
    Resource,
    ResourceKind,
    candidates,
    choose,
    fetch_catalogue,
    parse_dataset,
    parse_package,
)
from datastore.ingest.publishers.police_uk import (
    MAX_RECORDS,
    PoliceUk,
    month_text,
    parse_dates,
    retry_after,
)
from tests.postcodes_io_fake import unused_base_url
from tests.publishers_fake import (
    API_SHAPES,
    GARBAGE,
    HTML,
    POLICE_UK_FORCES,
    STOP_SEARCH_SAMPLE,
    USE_OF_FORCE_SAMPLE,
    WARD_NEW,
    WRONG_SHAPE,
    Answer,
    FakeLondonDatastore,
    FakePoliceUk,
    exy3m_catalogue,
    placeholder,
    release,
    snapshot_month,
    snapshot_months,
)

CRIME = "exy3m"


class VirtualTime:
    """A clock that moves only when slept on; every sleep recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
async def quick_http() -> AsyncIterator[httpx.AsyncClient]:
    """A client that gives up on a silent server after 0.3 s (the timeout cases)."""
    async with httpx.AsyncClient(headers={"User-Agent": USER_AGENT}, timeout=0.3) as client:
        yield client


@pytest.fixture
def datastore(london_datastore_fake: FakeLondonDatastore) -> FakeLondonDatastore:
    """The fake Datastore publishing a realistic exy3m (old slug recorded_crime_summary)."""
    london_datastore_fake.publish(CRIME, *exy3m_catalogue(),
                                  title="MPS Recorded Crime: Geographic Breakdown",
                                  aliases=("recorded_crime_summary",))
    return london_datastore_fake


def res(title: str, *, rid: str = "r", fmt: str = "csv", timestamp: str | None = None,
        coverage_to: str | None = None, url: str = "https://example.test/f.csv") -> Resource:
    return Resource(id=rid, title=title, url=url, format=fmt, timestamp=timestamp,
                    coverage_to=coverage_to)


# -- the User-Agent --------------------------------------------------------------------------

def test_user_agent_names_wardwatch_its_version_and_a_contact() -> None:
    assert user_agent() == USER_AGENT
    expected = f"WardWatch/{version('wardwatch')} (London crime figures bot)"
    assert expected == USER_AGENT
    assert user_agent("https://example.org/wardwatch") == (
        f"WardWatch/{version('wardwatch')} (London crime figures bot; "
        "+https://example.org/wardwatch)")
    assert user_agent("  ") == USER_AGENT


async def test_make_client_sends_the_user_agent(datastore: FakeLondonDatastore) -> None:
    async with make_client("ops@example.org", timeout=5) as http:
        await fetch_catalogue(http, datastore.base_url, CRIME)
    assert [r.user_agent for r in datastore.requests] == [user_agent("ops@example.org")]


# -- the London Datastore: catalogues ---------------------------------------------------------

async def test_catalogue_from_the_dataset_api(
        datastore: FakeLondonDatastore, publishers_http: httpx.AsyncClient) -> None:
    catalogue = await fetch_catalogue(publishers_http, datastore.base_url, CRIME)
    assert catalogue.endpoint == "dataset"
    assert catalogue.dataset == CRIME
    assert catalogue.url == f"{datastore.base_url}/api/dataset/{CRIME}"
    assert [r.id for r in catalogue.resources] == [r.id for r in exy3m_catalogue()]
    ward = next(r for r in catalogue.resources if r.id == "w2603")
    served = datastore.resource(CRIME, "w2603")
    assert (ward.title, ward.format, ward.hash, ward.size, ward.coverage_to) == (
        "MPS Ward Level Crime.csv", "csv", served.md5, len(served.body), "2026-03-31")
    assert ward.timestamp == "2026-04-14T09:30:00+00:00"
    assert ward.url == datastore.url(CRIME, served)
    assert [(r.path, r.user_agent) for r in datastore.requests] == [
        (f"/api/dataset/{CRIME}", USER_AGENT)]


async def test_the_newest_ward_and_borough_releases_are_chosen(
        datastore: FakeLondonDatastore, publishers_http: httpx.AsyncClient) -> None:
    catalogue = await fetch_catalogue(publishers_http, datastore.base_url, CRIME)
    # The Historical and LSOA extracts are listed as newer still, and never chosen.
    assert catalogue.choose("ward_crime") == next(
        r for r in catalogue.resources if r.id == "w2603")
    borough = catalogue.choose("borough_crime")
    assert borough is not None and borough.id == "4jc"
    assert [r.id for r in candidates(catalogue.resources, "ward_crime")] == ["w2603", "w2601"]
    assert catalogue.choose("stop_search") is None
    assert catalogue.choose("taser") is None


async def test_a_newer_release_changes_the_choice_and_the_fingerprint(
        datastore: FakeLondonDatastore, publishers_http: httpx.AsyncClient) -> None:
    before = await fetch_catalogue(publishers_http, datastore.base_url, CRIME)
    again = await fetch_catalogue(publishers_http, datastore.base_url, CRIME)
    chosen = before.choose("ward_crime")
    assert chosen is not None
    same = again.choose("ward_crime")
    assert same is not None and same.fingerprint() == chosen.fingerprint()
    datastore.add(CRIME, release(WARD_NEW, "b3t", "MPS Ward Level Crime (most recent 24 months)"
                                 ".csv", "2026-09-15T10:00:00+00:00", coverage_to="2026-08-31"))
    after = await fetch_catalogue(publishers_http, datastore.base_url, CRIME)
    newest = after.choose("ward_crime")
    assert newest is not None and newest.id == "b3t"
    assert newest.fingerprint() != chosen.fingerprint()
    # The borough extract was not re-released: the same fingerprint as before.
    old_borough, new_borough = before.choose("borough_crime"), after.choose("borough_crime")
    assert old_borough is not None and new_borough is not None
    assert old_borough.fingerprint() == new_borough.fingerprint()


async def test_the_old_slug_redirects_to_the_dataset(
        datastore: FakeLondonDatastore, publishers_http: httpx.AsyncClient) -> None:
    catalogue = await fetch_catalogue(publishers_http, datastore.base_url,
                                      "recorded_crime_summary")
    assert (catalogue.dataset, catalogue.endpoint) == (CRIME, "dataset")
    assert catalogue.url.endswith(f"/api/dataset/{CRIME}")
    assert [r.path for r in datastore.requests] == [
        "/api/dataset/recorded_crime_summary", f"/api/dataset/{CRIME}"]
    assert {r.user_agent for r in datastore.requests} == {USER_AGENT}


DATASET_FAULTS = {
    "500": Answer(500, b"Internal Server Error", content_type="text/plain"),
    "404": Answer(404, {"error": "Dataset not found"}),
    "502": Answer(502, b"Bad Gateway", content_type="text/plain"),
    "garbage": GARBAGE,
    "html": HTML,
    "wrong shape": WRONG_SHAPE,
    "resources a list": Answer(200, {"resources": [{"title": "MPS Ward Level Crime.csv"}]}),
    "a resource not an object": Answer(200, {"resources": {"w": "MPS Ward Level Crime.csv"}}),
    "a url not text": Answer(200, {"resources": {"w": {"title": "x.csv", "url": 42}}}),
    "empty": Answer(200, b""),
    "deep nesting": Answer(200, b"[" * 100_000 + b"]" * 100_000),
    "json null": Answer(200, b"null"),
    "dropped": Answer(drop=True),
}


@pytest.mark.parametrize("fault", list(DATASET_FAULTS), ids=list(DATASET_FAULTS))
async def test_a_failing_dataset_api_falls_back_on_ckan(
        fault: str, datastore: FakeLondonDatastore,
        publishers_http: httpx.AsyncClient) -> None:
    datastore.set(datastore.dataset_path(CRIME), DATASET_FAULTS[fault])
    catalogue = await fetch_catalogue(publishers_http, datastore.base_url, CRIME)
    assert catalogue.endpoint == "ckan"
    assert catalogue.url == f"{datastore.base_url}/api/action/package_show?id={CRIME}"
    ward, borough = catalogue.choose("ward_crime"), catalogue.choose("borough_crime")
    assert ward is not None and borough is not None
    assert (ward.id, borough.id) == ("w2603", "4jc")
    assert ward.url == datastore.url(CRIME, datastore.resource(CRIME, "w2603"))
    assert datastore.paths() == [f"/api/dataset/{CRIME}",
                                 f"/api/action/package_show?id={CRIME}"]


async def test_a_silent_dataset_api_falls_back_on_ckan(
        datastore: FakeLondonDatastore, quick_http: httpx.AsyncClient) -> None:
    datastore.set(datastore.dataset_path(CRIME), Answer(200, b"{}", delay=30))
    catalogue = await fetch_catalogue(quick_http, datastore.base_url, CRIME)
    assert catalogue.endpoint == "ckan"
    chosen = catalogue.choose("ward_crime")
    assert chosen is not None and chosen.id == "w2603"


BOTH_FAULTS = {
    "garbage, html": (GARBAGE, HTML),
    "wrong shapes": (WRONG_SHAPE, Answer(200, {"success": True, "result": {"resources": {}}})),
    "404s": (Answer(404, {"error": "no"}), Answer(404, {"success": False, "error": {
        "__type": "Not Found Error"}})),
    "500 then garbage": (Answer(500), GARBAGE),
    "resources without objects": (
        Answer(200, {"resources": {"a": ["x"]}}),
        Answer(200, {"success": True, "result": {"resources": ["MPS Ward Level Crime.csv"]}})),
    "success false": (HTML, Answer(200, {"success": False})),
    "sizes not numbers": (
        Answer(200, {"resources": {"a": {"title": "t.csv", "url": "/f.csv", "check_size": "big"}}}),
        Answer(200, {"success": True, "result": {"resources": [
            {"name": "t.csv", "url": "/f.csv", "size": [1]}]}})),
    "a url not http": (
        Answer(200, {"resources": {"a": {"title": "t.csv", "url": "file:///etc/passwd"}}}),
        Answer(200, {"success": True, "result": {"resources": [
            {"name": "t.csv", "url": "javascript:alert(1)"}]}})),
}


@pytest.mark.parametrize("fault", list(BOTH_FAULTS), ids=list(BOTH_FAULTS))
async def test_both_endpoints_failing_is_an_error_naming_both_urls(
        fault: str, datastore: FakeLondonDatastore,
        publishers_http: httpx.AsyncClient) -> None:
    first, second = BOTH_FAULTS[fault]
    datastore.set(datastore.dataset_path(CRIME), first)
    datastore.set(datastore.package_path(CRIME), second)
    with pytest.raises(PublisherError) as caught:
        await fetch_catalogue(publishers_http, datastore.base_url, CRIME)
    error = caught.value
    assert not isinstance(error, NotPublic | Unreachable)
    text = str(error)
    assert f"{datastore.base_url}/api/dataset/{CRIME}" in text
    assert f"{datastore.base_url}/api/action/package_show?id={CRIME}" in text
    assert "expected" in text and "London Datastore" in text
    assert error.url == f"{datastore.base_url}/api/dataset/{CRIME}"


async def test_both_endpoints_down_is_unreachable(
        datastore: FakeLondonDatastore, publishers_http: httpx.AsyncClient) -> None:
    datastore.set(datastore.dataset_path(CRIME), Answer(503))
    datastore.set(datastore.package_path(CRIME), Answer(500))
    with pytest.raises(Unreachable) as caught:
        await fetch_catalogue(publishers_http, datastore.base_url, CRIME)
    assert "HTTP 503" in str(caught.value) and "HTTP 500" in str(caught.value)


async def test_both_endpoints_silent_is_unreachable(
        datastore: FakeLondonDatastore, quick_http: httpx.AsyncClient) -> None:
    datastore.set(datastore.dataset_path(CRIME), Answer(200, b"{}", delay=30))
    datastore.set(datastore.package_path(CRIME), Answer(200, b"{}", delay=30))
    with pytest.raises(Unreachable) as caught:
        await fetch_catalogue(quick_http, datastore.base_url, CRIME)
    assert "timed out" in str(caught.value)


async def test_no_server_is_unreachable(publishers_http: httpx.AsyncClient) -> None:
    base = unused_base_url()
    with pytest.raises(Unreachable) as caught:
        await fetch_catalogue(publishers_http, base, CRIME)
    assert "could not connect" in str(caught.value) and base in str(caught.value)


@pytest.mark.parametrize("endpoint", ["dataset", "ckan"])
async def test_a_403_is_reported_as_a_403(
        endpoint: str, datastore: FakeLondonDatastore,
        publishers_http: httpx.AsyncClient) -> None:
    if endpoint == "ckan":
        datastore.set(datastore.dataset_path(CRIME), Answer(404))
    path = datastore.dataset_path(CRIME) if endpoint == "dataset" else datastore.package_path(
        CRIME)
    datastore.set(path, Answer(403, "<html>Forbidden</html>", content_type="text/html"))
    with pytest.raises(PublisherError) as caught:
        await fetch_catalogue(publishers_http, datastore.base_url, CRIME)
    error = caught.value
    assert not isinstance(error, NotPublic | Unreachable)
    assert error.status == 403
    url = f"{datastore.base_url}{path}"
    assert str(error) == (
        f"the London Datastore refused the request (HTTP 403) at {url}; it refuses some "
        "clients: check the User-Agent or the network")
    assert len(datastore.requests) == (1 if endpoint == "dataset" else 2)


async def test_a_401_is_not_public_and_ckan_is_not_asked(
        datastore: FakeLondonDatastore, publishers_http: httpx.AsyncClient) -> None:
    datastore.set(datastore.dataset_path(CRIME), Answer(401, {"error": "login required"}))
    with pytest.raises(NotPublic) as caught:
        await fetch_catalogue(publishers_http, datastore.base_url, CRIME)
    assert caught.value.status == 401 and "not public" in str(caught.value)
    assert len(datastore.requests) == 1


async def test_a_private_dataset_is_not_public(
        london_datastore_fake: FakeLondonDatastore,
        publishers_http: httpx.AsyncClient) -> None:
    london_datastore_fake.publish("use-of-force", release(
        USE_OF_FORCE_SAMPLE, "uof24", "MPS Use of Force - FY23-24.csv",
        "2024-06-01T00:00:00+00:00"), private=True)
    with pytest.raises(NotPublic) as caught:
        await fetch_catalogue(publishers_http, london_datastore_fake.base_url, "use-of-force")
    assert "/api/dataset/use-of-force" in str(caught.value)
    # The same through CKAN, when the dataset API is away.
    london_datastore_fake.set(london_datastore_fake.dataset_path("use-of-force"), Answer(500))
    with pytest.raises(NotPublic) as caught:
        await fetch_catalogue(publishers_http, london_datastore_fake.base_url, "use-of-force")
    assert "package_show" in str(caught.value)


async def test_a_ckan_authorization_error_is_not_public(
        datastore: FakeLondonDatastore, publishers_http: httpx.AsyncClient) -> None:
    datastore.set(datastore.dataset_path(CRIME), Answer(404))
    datastore.set(datastore.package_path(CRIME), Answer(200, {"success": False, "error": {
        "__type": "Authorization Error", "message": "Access denied"}}))
    with pytest.raises(NotPublic):
        await fetch_catalogue(publishers_http, datastore.base_url, CRIME)


async def test_resources_without_urls_are_not_public_for_their_kind_only(
        datastore: FakeLondonDatastore, publishers_http: httpx.AsyncClient) -> None:
    for rid in ("w2601", "w2603"):
        datastore.replace_resource(CRIME, rid, replace(datastore.resource(CRIME, rid), url=""))
    catalogue = await fetch_catalogue(publishers_http, datastore.base_url, CRIME)
    with pytest.raises(NotPublic) as caught:
        catalogue.choose("ward_crime")
    assert catalogue.url in str(caught.value) and "ward_crime" in str(caught.value)
    borough = catalogue.choose("borough_crime")
    assert borough is not None and borough.id == "4jc"


async def test_a_missing_resource_is_none_and_the_others_still_chosen(
        datastore: FakeLondonDatastore, publishers_http: httpx.AsyncClient) -> None:
    datastore.replace_resource(CRIME, "w2601", None)
    datastore.replace_resource(CRIME, "w2603", None)
    catalogue = await fetch_catalogue(publishers_http, datastore.base_url, CRIME)
    assert catalogue.choose("ward_crime") is None
    borough = catalogue.choose("borough_crime")
    assert borough is not None and borough.id == "4jc"


async def test_a_renamed_title_is_followed_when_it_is_a_known_variant(
        datastore: FakeLondonDatastore, publishers_http: httpx.AsyncClient) -> None:
    newest = datastore.resource(CRIME, "w2603")
    datastore.replace_resource(CRIME, "w2603", newest.renamed(
        "MPS_Ward_Level_Crime_(most_recent_24_months).CSV"))
    chosen = (await fetch_catalogue(publishers_http, datastore.base_url, CRIME)).choose(
        "ward_crime")
    assert chosen is not None and chosen.id == "w2603"


@pytest.mark.parametrize("title", [
    "MPS Ward Level Crime (Historical).csv",
    "MPS LSOA Level Crime (most recent 24 months).csv",
    "MPS Ward Level Crime - data dictionary.csv",
    "Ward crime.csv",
])
async def test_a_title_renamed_into_another_file_is_not_chosen(
        title: str, datastore: FakeLondonDatastore,
        publishers_http: httpx.AsyncClient) -> None:
    datastore.replace_resource(CRIME, "w2603", datastore.resource(CRIME, "w2603").renamed(title))
    chosen = (await fetch_catalogue(publishers_http, datastore.base_url, CRIME)).choose(
        "ward_crime")
    assert chosen is not None and chosen.id == "w2601"  # the older release, not the renamed


async def test_stop_search_and_use_of_force_datasets(
        london_datastore_fake: FakeLondonDatastore,
        publishers_http: httpx.AsyncClient) -> None:
    fake = london_datastore_fake
    fake.publish("e6yjz", release(STOP_SEARCH_SAMPLE, "ss2608", "LDS_Extract_02092026.csv",
                                  "2026-09-02T08:00:00+00:00", coverage_to="2026-08-31"),
                 release(STOP_SEARCH_SAMPLE, "ss2609", "LDS_Extract_02102026.csv",
                         "2026-10-02T08:00:00+00:00", coverage_to="2026-09-30"),
                 placeholder("dict", "Stop and Search Data Dictionary.xlsx",
                             "2026-10-02T09:00:00+00:00", format="xlsx"),
                 placeholder("mtips", "MPS Stop and Search More Thorough Searches.csv",
                             "2026-10-03T09:00:00+00:00"))
    fake.publish("use-of-force",
                 release(USE_OF_FORCE_SAMPLE, "fy22", "MPS Use of Force - FY22-23.xlsx",
                         "2023-06-01T00:00:00+00:00", format="xlsx"),
                 release(USE_OF_FORCE_SAMPLE, "fy23", "MPS Use of Force - FY23-24.csv",
                         "2024-06-01T00:00:00+00:00"),
                 placeholder("notes", "Use of Force guidance.pdf", "2024-07-01T00:00:00+00:00",
                             format="pdf"))
    stop_search = await fetch_catalogue(publishers_http, fake.base_url, "e6yjz")
    chosen = stop_search.choose("stop_search")
    assert chosen is not None and chosen.id == "ss2609"
    assert stop_search.choose("ward_crime") is None
    force = await fetch_catalogue(publishers_http, fake.base_url, "use-of-force")
    taser = force.choose("taser")
    assert taser is not None and taser.id == "fy23"
    assert [r.id for r in candidates(force.resources, "taser")] == ["fy23", "fy22"]


# -- the London Datastore: parsing and choosing, without a server ----------------------------

URL = "https://data.london.gov.uk/api/dataset/exy3m"


def test_parse_dataset_reads_every_field_and_resolves_relative_urls() -> None:
    payload = {"id": "exy3m", "resources": {
        "b3t": {"title": "MPS Ward Level Crime.csv", "url": "/download/exy3m/b3t/w.csv",
                "format": "CSV", "check_timestamp": "2026-09-15T09:00:00Z",
                "check_hash": "abc", "check_size": "123", "temporal_coverage_to": "2026-08-31"},
        "x": {"title": None, "url": None, "format": None, "check_size": 5.0},
    }}
    assert parse_dataset(payload, URL) == (
        Resource("b3t", "MPS Ward Level Crime.csv",
                 "https://data.london.gov.uk/download/exy3m/b3t/w.csv", "csv",
                 "2026-09-15T09:00:00Z", "abc", 123, "2026-08-31"),
        Resource("x", "", "", "", None, None, 5, None),
    )


@pytest.mark.parametrize("payload", [
    [], "resources", {"resources": None}, {"resources": []}, {"result": {"resources": {}}},
    {"resources": {"a": 1}}, {"resources": {"a": {"title": 3}}},
    {"resources": {"a": {"title": "t", "check_size": -1}}},
    {"resources": {"a": {"title": "t", "check_size": True}}},
    {"resources": {"a": {"title": "t", "check_timestamp": {"when": "now"}}}},
], ids=repr)
def test_parse_dataset_refuses_other_shapes(payload: object) -> None:
    with pytest.raises(PublisherError) as caught:
        parse_dataset(payload, URL)
    assert not isinstance(caught.value, NotPublic)
    assert URL in str(caught.value) and "expected" in str(caught.value)


@pytest.mark.parametrize("flag", [{"sharing": "private"}, {"sharing": "Restricted"},
                                  {"private": True}, {"requires_login": True}])
def test_parse_dataset_flagged_private_is_not_public(flag: dict[str, object]) -> None:
    with pytest.raises(NotPublic):
        parse_dataset({"resources": {}, **flag}, URL)


def test_a_resource_flagged_private_has_no_url() -> None:
    (resource,) = parse_dataset({"resources": {"a": {
        "title": "MPS Ward Level Crime.csv", "url": "https://x.test/w.csv",
        "restricted": True}}}, URL)
    assert resource.url == ""
    with pytest.raises(NotPublic):
        choose([resource], "ward_crime", url=URL)


def test_parse_package_keeps_ckan_order_and_fields() -> None:
    url = "https://data.london.gov.uk/api/action/package_show?id=exy3m"
    payload = {"success": True, "result": {"resources": [
        {"id": "n", "name": "MPS Ward Level Crime.csv", "url": "https://x.test/n.csv",
         "format": "CSV", "last_modified": None, "created": "2026-09-15", "hash": "",
         "size": 9},
        {"name": "MPS Ward Level Crime.csv", "url": "https://x.test/o.csv", "format": "csv",
         "last_modified": "2026-08-15T00:00:00", "size": None},
    ]}}
    assert parse_package(payload, url) == (
        Resource("n", "MPS Ward Level Crime.csv", "https://x.test/n.csv", "csv", "2026-09-15",
                 None, 9, None),
        Resource("#1", "MPS Ward Level Crime.csv", "https://x.test/o.csv", "csv",
                 "2026-08-15T00:00:00", None, None, None),
    )


@pytest.mark.parametrize("payload", [
    {}, {"success": True}, {"success": True, "result": []},
    {"success": True, "result": {"resources": {"a": {}}}},
    {"success": "true", "result": {"resources": []}},
    {"success": True, "result": {"resources": [{"name": 1}]}},
], ids=repr)
def test_parse_package_refuses_other_shapes(payload: object) -> None:
    with pytest.raises(PublisherError) as caught:
        parse_package(payload, URL)
    assert not isinstance(caught.value, NotPublic) and "expected" in str(caught.value)


TITLES: dict[ResourceKind, tuple[list[tuple[str, str]], list[tuple[str, str]]]] = {
    # (accepted (title, format)), (rejected (title, format))
    "ward_crime": ([
        ("MPS Ward Level Crime (most recent 24 months).csv", "csv"),
        ("MPS Ward Level Crime.csv", "csv"),
        ("mps ward level crime (MOST RECENT 24 MONTHS).CSV", "CSV"),
        ("  MPS   Ward  Level Crime (most recent 24 months) .csv ", "csv"),
        ("MPS_Ward_Level_Crime_most_recent_24_months.csv", ""),
        ("MPS Ward-Level Crime (most recent 24 months)", "text/csv"),
        ("MPS Ward Level Crime\t(most recent 24 months).csv", "csv"),
    ], [
        ("MPS Ward Level Crime (Historical).csv", "csv"),
        ("MPS Ward Level Crime (historic).csv", "csv"),
        ("MPS Ward Level Crime HISTORICAL 2010-2022.csv", "csv"),
        ("MPS LSOA Level Crime (most recent 24 months).csv", "csv"),
        ("MPS LSOA Level Crime (Historical).csv", "csv"),
        ("MPS Ward Level Crime by LSOA.csv", "csv"),
        ("MPS Borough Level Crime (most recent 24 months).csv", "csv"),
        ("MPS Ward Level Crime (most recent 24 months).pdf", "pdf"),
        ("MPS Ward Level Crime (most recent 24 months).xlsx", "xlsx"),
        ("MPS Ward Level Crime data dictionary.csv", "csv"),
        ("Ward profiles.csv", "csv"),
        ("", "csv"),
    ]),
    "borough_crime": ([
        ("MPS Borough Level Crime (most recent 24 months).csv", "csv"),
        ("MPS Borough Level Crime.csv", "csv"),
        ("mps borough level crime (most recent 24 months).csv", ""),
    ], [
        ("MPS Borough Level Crime (Historical).csv", "csv"),
        ("MPS Ward Level Crime (most recent 24 months).csv", "csv"),
        ("MPS LSOA Level Crime.csv", "csv"),
        ("MPS Borough and Ward Level Crime.csv", "csv"),
    ]),
    "stop_search": ([
        ("LDS_Extract_02102026.csv", "csv"),
        ("LDS Extract October 2026.csv", "csv"),
        ("MPS Stop and Search Dashboard Data.csv", "csv"),
        ("Stop & Search public data.csv", "csv"),
    ], [
        ("Stop and Search Data Dictionary.xlsx", "xlsx"),
        ("LDS_Extract_02102026.xlsx", "xlsx"),
        ("MPS Stop and Search More Thorough and Intimate Part Searches.csv", "csv"),
        ("MPS Stop and Search (Historical).csv", "csv"),
        ("MPS Ward Level Crime.csv", "csv"),
    ]),
    "taser": ([
        ("MPS Use of Force - FY23-24.xlsx", "xlsx"),
        ("MPS Use of Force - FY24-25.csv", "csv"),
        ("mps use of force fy 2025-26.CSV", ""),
    ], [
        ("Use of Force guidance.pdf", "pdf"),
        ("MPS Use of Force - data dictionary.xlsx", "xlsx"),
        ("MPS Use of Force - FY23-24.zip", "zip"),
        ("MPS Stop and Search Dashboard Data.csv", "csv"),
    ]),
}


@pytest.mark.parametrize("kind", list(TITLES))
def test_titles_recognised_and_refused(kind: ResourceKind) -> None:
    accepted, rejected = TITLES[kind]
    for title, fmt in accepted:
        assert choose([res(title, fmt=fmt, url="https://x.test/download")], kind) is not None, (
            title)
    for title, fmt in rejected:
        assert choose([res(title, fmt=fmt, url="https://x.test/download")], kind) is None, title


def test_the_format_is_read_from_the_url_when_not_listed() -> None:
    assert choose([res("MPS Ward Level Crime", fmt="", url="https://x.test/w.csv")],
                  "ward_crime") is not None
    assert choose([res("MPS Ward Level Crime", fmt="", url="https://x.test/w.pdf")],
                  "ward_crime") is None


def test_newest_is_the_latest_timestamp_then_coverage_then_the_first_listed() -> None:
    title = "MPS Ward Level Crime.csv"
    by_time = [res(title, rid="a", timestamp="2026-01-10T09:00:00+00:00"),
               res(title, rid="b", timestamp="2026-03-10T09:00:00Z"),
               res(title, rid="c", timestamp="2026-02-10T09:00:00"),
               res(title, rid="d", timestamp=None, coverage_to="2027-01-31")]
    assert [r.id for r in candidates(by_time, "ward_crime")] == ["b", "c", "a", "d"]
    # Offsets are compared as instants: 10:30+02:00 is earlier than 09:00 UTC.
    zones = [res(title, rid="east", timestamp="2026-03-10T10:30:00+02:00"),
             res(title, rid="utc", timestamp="2026-03-10T09:00:00+00:00")]
    chosen = choose(zones, "ward_crime")
    assert chosen is not None and chosen.id == "utc"
    by_coverage = [res(title, rid="a", coverage_to="2026-01-31"),
                   res(title, rid="b", coverage_to="2026-03"),
                   res(title, rid="c", coverage_to="not a date")]
    assert [r.id for r in candidates(by_coverage, "ward_crime")] == ["b", "a", "c"]
    by_order = [res(title, rid="first"), res(title, rid="second"),
                res(title, rid="bad", timestamp="yesterday")]
    assert [r.id for r in candidates(by_order, "ward_crime")] == ["first", "second", "bad"]


def test_choose_skips_a_newest_release_without_url_for_an_older_public_one() -> None:
    title = "MPS Ward Level Crime.csv"
    items = [res(title, rid="new", timestamp="2026-03-01", url=""),
             res(title, rid="old", timestamp="2026-02-01")]
    chosen = choose(items, "ward_crime")
    assert chosen is not None and chosen.id == "old"


def test_fingerprint_is_stable_and_changes_with_the_release() -> None:
    one = Resource("b3t", "MPS Ward Level Crime.csv", "https://x.test/w.csv", "csv",
                   "2026-09-15T09:00:00Z", "abc", 10, "2026-08-31")
    assert one.fingerprint() == Resource(**one.__dict__).fingerprint()
    assert json.loads(one.fingerprint()) == [
        "b3t", "https://x.test/w.csv", "abc", 10, "2026-09-15T09:00:00Z"]
    for change in ({"id": "c"}, {"url": "https://x.test/v.csv"}, {"hash": "abd"},
                   {"size": 11}, {"timestamp": "2026-09-16T09:00:00Z"}):
        assert Resource(**{**one.__dict__, **change}).fingerprint() != one.fingerprint()
    # The title and coverage are not the release: renaming it does not make it new.
    assert Resource(**{**one.__dict__, "title": "x"}).fingerprint() == one.fingerprint()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["resources", "title", "url", "format", "check_size", "result",
                         "success", "name", "size", "sharing", "date", "stop-and-search",
                         "error", "__type", "x"]), inner, max_size=5),
    max_leaves=20)


@given(JSON)
def test_no_payload_crashes_the_parsers(payload: object) -> None:
    for parse in (parse_dataset, parse_package, parse_dates):
        try:
            result = parse(payload, URL)
        except PublisherError as exc:
            assert URL in str(exc)
        else:
            assert isinstance(result, tuple)


def test_catalogue_choose_names_its_url() -> None:
    catalogue = Catalogue("exy3m", URL, "dataset", (res("MPS Ward Level Crime.csv", url=""),))
    with pytest.raises(NotPublic) as caught:
        catalogue.choose("ward_crime")
    assert URL in str(caught.value)


# -- data.police.uk --------------------------------------------------------------------------

DATES_URL = "https://data.police.uk/api/crimes-street-dates"


def test_parse_dates_reads_the_saved_real_answer() -> None:
    payload = json.loads(
        (API_SHAPES / "policeuk_crimes-street-dates_2020-10-16.json").read_text("utf-8"))
    months = parse_dates(payload, DATES_URL)
    assert len(months) == 36
    assert months[0] == 202008 and months[-1] == 201709
    assert list(months) == sorted(months, reverse=True)
    assert parse_dates(payload, DATES_URL, "city-of-london") == months
    assert parse_dates(payload, DATES_URL, "not-a-force") == ()


def test_parse_dates_sorts_and_keeps_only_the_force() -> None:
    payload = [{"date": "2025-03", "stop-and-search": ["metropolitan"]},
               {"date": "2025-04", "stop-and-search": ["kent"]},
               {"date": "2025-05", "stop-and-search": ["kent", "metropolitan"]},
               {"date": "2025-05", "stop-and-search": ["metropolitan"]}]
    assert parse_dates(payload, DATES_URL) == (202505, 202503)


@pytest.mark.parametrize("payload", [
    {}, {"dates": []}, [1], [None], [{"date": "2020-13", "stop-and-search": []}],
    [{"date": "2020-8", "stop-and-search": []}], [{"date": 202008, "stop-and-search": []}],
    [{"date": "2020-08"}], [{"date": "2020-08", "stop-and-search": "metropolitan"}],
    [{"date": "2020-08", "stop-and-search": [1, 2]}],
], ids=repr)
def test_parse_dates_refuses_other_shapes(payload: object) -> None:
    with pytest.raises(PublisherError) as caught:
        parse_dates(payload, DATES_URL)
    assert DATES_URL in str(caught.value) and "expected" in str(caught.value)


def test_month_text() -> None:
    assert month_text(202504) == "2025-04"
    for bad in (202513, 202500, 2025, 0, -202504):
        with pytest.raises(ValueError):
            month_text(bad)


def test_retry_after_reads_seconds_and_dates() -> None:
    now = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after("3", now) == 3.0
    assert retry_after(" 1.5 ", now) == 1.5
    assert retry_after("Tue, 01 Dec 2026 12:00:07 GMT", now) == 7.0
    assert retry_after("Tue, 01 Dec 2026 11:00:00 GMT", now) == 0.0
    assert retry_after("-4", now) == 0.0
    for bad in (None, "", "soon", "nan", "inf"):
        assert retry_after(bad, now) is None


@pytest.fixture
def police(police_uk_fake: FakePoliceUk) -> FakePoliceUk:
    """The fake police.uk serving every held Met month (Sept 2024 - April 2025)."""
    police_uk_fake.publish_snapshot()
    return police_uk_fake


async def test_months_with_stop_and_search_for_the_met(
        police: FakePoliceUk, publishers_http: httpx.AsyncClient) -> None:
    police.publish(202505, [], forces=[f for f in POLICE_UK_FORCES if f != "metropolitan"])
    api = PoliceUk(publishers_http, police.base_url)
    months = await api.stop_search_months()
    assert months == (202504, 202503, 202502, 202501, 202412, 202411, 202410, 202409)
    assert await api.stop_search_months("kent") == (202505, *months)
    first = police.requests[0]
    assert (first.path, first.user_agent) == ("/api/crimes-street-dates", USER_AGENT)
    assert police.dates_body()[0] == {"date": "2025-05", "stop-and-search": [
        f for f in POLICE_UK_FORCES if f != "metropolitan"]}


async def test_a_month_of_records_as_police_uk_sends_them(
        police: FakePoliceUk, publishers_http: httpx.AsyncClient) -> None:
    path = snapshot_months()[-1]
    month, expected = snapshot_month(path)
    records = await PoliceUk(publishers_http, police.base_url).stops(month)
    assert records == expected
    assert len(records) > 3000 and all("borough" not in r for r in records)
    assert {"datetime", "location", "legislation", "outcome"} <= set(records[0])
    assert police.requests[-1].query == {"force": "metropolitan", "date": "2025-04"}


async def test_a_month_answered_empty_is_an_empty_list(
        police: FakePoliceUk, publishers_http: httpx.AsyncClient) -> None:
    police.publish(202505, [])
    api = PoliceUk(publishers_http, police.base_url)
    assert (await api.stop_search_months())[0] == 202505
    assert await api.stops(202505) == []


async def test_429_then_503_then_200_is_retried_with_growing_waits(
        police: FakePoliceUk, publishers_http: httpx.AsyncClient) -> None:
    _, expected = snapshot_month(snapshot_months()[0])
    police.set(police.stops_path(202409),
               Answer(429, {"error": "slow down"}, headers={"Retry-After": "3"}),
               Answer(503, b"busy"), Answer(502, b"bad gateway"), Answer(200, expected))
    time = VirtualTime()
    api = PoliceUk(publishers_http, police.base_url, sleep=time.sleep, clock=time.clock)
    assert await api.stops(202409) == expected
    # Retry-After 3 s (more than the first backoff, 0.5 s); then 1 s, then 2 s: doubling.
    assert time.sleeps == [3.0, 1.0, 2.0]
    assert len(police.requests) == 4


async def test_a_short_retry_after_never_shortens_the_backoff(
        police: FakePoliceUk, publishers_http: httpx.AsyncClient) -> None:
    police.set("/api/crimes-street-dates", Answer(429, headers={"Retry-After": "0"}),
               Answer(429, headers={"Retry-After": "0"}), Answer(200, police.dates_body()))
    time = VirtualTime()
    api = PoliceUk(publishers_http, police.base_url, backoff=0.25, sleep=time.sleep,
                   clock=time.clock)
    assert len(await api.stop_search_months()) == 8
    assert time.sleeps == [0.25, 0.5]


async def test_retries_run_out_as_unreachable(
        police: FakePoliceUk, publishers_http: httpx.AsyncClient) -> None:
    police.set(police.stops_path(202409), Answer(503, b"busy"))
    time = VirtualTime()
    api = PoliceUk(publishers_http, police.base_url, attempts=3, sleep=time.sleep,
                   clock=time.clock)
    with pytest.raises(Unreachable) as caught:
        await api.stops(202409)
    assert caught.value.status == 503
    assert "HTTP 503 on all 3 tries" in str(caught.value)
    assert "stops-force?force=metropolitan&date=2024-09" in str(caught.value)
    assert time.sleeps == [0.5, 1.0] and len(police.requests) == 3


async def test_a_retry_after_too_long_gives_up_at_once(
        police: FakePoliceUk, publishers_http: httpx.AsyncClient) -> None:
    police.set("/api/crimes-street-dates", Answer(429, headers={"Retry-After": "3600"}))
    time = VirtualTime()
    with pytest.raises(Unreachable) as caught:
        await PoliceUk(publishers_http, police.base_url, sleep=time.sleep,
                       clock=time.clock).stop_search_months()
    assert "3600" in str(caught.value) and time.sleeps == []


async def test_a_timeout_is_retried(
        police: FakePoliceUk, quick_http: httpx.AsyncClient) -> None:
    police.set("/api/crimes-street-dates", Answer(200, b"[]", delay=30),
               Answer(200, police.dates_body()))
    time = VirtualTime()
    api = PoliceUk(quick_http, police.base_url, sleep=time.sleep, clock=time.clock)
    assert len(await api.stop_search_months()) == 8
    assert time.sleeps == [0.5]


async def test_timeouts_run_out_as_unreachable(
        police: FakePoliceUk, quick_http: httpx.AsyncClient) -> None:
    police.set("/api/crimes-street-dates", Answer(200, b"[]", delay=30))
    time = VirtualTime()
    api = PoliceUk(quick_http, police.base_url, attempts=2, sleep=time.sleep, clock=time.clock)
    with pytest.raises(Unreachable) as caught:
        await api.stop_search_months()
    assert "timed out on all 2 tries" in str(caught.value)


async def test_no_server_is_unreachable_after_retries(
        publishers_http: httpx.AsyncClient) -> None:
    time = VirtualTime()
    api = PoliceUk(publishers_http, unused_base_url(), attempts=2, sleep=time.sleep,
                   clock=time.clock)
    with pytest.raises(Unreachable) as caught:
        await api.stops(202504)
    assert "could not connect" in str(caught.value) and time.sleeps == [0.5]


@pytest.mark.parametrize(("answer", "cls", "status"), [
    (Answer(500, b"oops"), Unreachable, 500),
    (Answer(404, b""), PublisherError, 404),
    (Answer(400, {"error": "bad"}), PublisherError, 400),
    (Answer(403, b"no"), PublisherError, 403),
])
async def test_other_statuses_are_not_retried(
        answer: Answer, cls: type[PublisherError], status: int, police: FakePoliceUk,
        publishers_http: httpx.AsyncClient) -> None:
    police.set(police.stops_path(202409), answer)
    time = VirtualTime()
    with pytest.raises(cls) as caught:
        await PoliceUk(publishers_http, police.base_url, sleep=time.sleep,
                       clock=time.clock).stops(202409)
    assert caught.value.status == status and f"HTTP {status}" in str(caught.value)
    assert len(police.requests) == 1 and time.sleeps == []
    if status == 403:
        assert "refused" in str(caught.value)
    if cls is PublisherError:
        assert not isinstance(caught.value, Unreachable)


@pytest.mark.parametrize("answer", [
    GARBAGE, HTML, Answer(200, {"records": []}), Answer(200, [1, 2]), Answer(200, [[]]),
    Answer(200, b""), Answer(200, "[{\"age_range\": "),
], ids=["garbage", "html", "object", "numbers", "lists", "empty", "cut"])
async def test_stops_refuses_other_shapes(
        answer: Answer, police: FakePoliceUk, publishers_http: httpx.AsyncClient) -> None:
    police.set(police.stops_path(202409), answer)
    with pytest.raises(PublisherError) as caught:
        await PoliceUk(publishers_http, police.base_url).stops(202409)
    assert not isinstance(caught.value, Unreachable)
    assert "expected a JSON list of stop-and-search records" in str(caught.value)
    assert "date=2024-09" in str(caught.value)


async def test_dates_refuses_other_shapes(
        police: FakePoliceUk, publishers_http: httpx.AsyncClient) -> None:
    police.set("/api/crimes-street-dates", WRONG_SHAPE)
    with pytest.raises(PublisherError) as caught:
        await PoliceUk(publishers_http, police.base_url).stop_search_months()
    assert "crimes-street-dates" in str(caught.value) and "YYYY-MM" in str(caught.value)


async def test_requests_stay_under_the_rate_limit(police_uk_fake: FakePoliceUk) -> None:
    _, records = snapshot_month(snapshot_months()[0])
    for month in range(202401, 202409):
        police_uk_fake.publish(month, records[:3])
    police = police_uk_fake
    time = VirtualTime()
    started: list[float] = []

    async def record(request: httpx.Request) -> None:
        started.append(time.clock())

    async with httpx.AsyncClient(headers={"User-Agent": USER_AGENT}, timeout=5,
                                 event_hooks={"request": [record]}) as http:
        api = PoliceUk(http, police.base_url, sleep=time.sleep, clock=time.clock)
        months = await api.stop_search_months()
        assert months == tuple(range(202408, 202400, -1))
        answers = await asyncio.gather(*(api.stops(m) for m in months * 3))
    assert len(answers) == 24 and all(answers)
    assert len(started) == 25 == len(police.requests)
    gaps = [b - a for a, b in itertools.pairwise(started)]
    assert min(gaps) == pytest.approx(1 / 12)
    busiest = max(sum(1 for t in started if s <= t < s + 1.0 - 1e-9) for s in started)
    assert busiest == 12 < 15
    assert time.sleeps == pytest.approx([1 / 12] * 24)
    assert api.limiter.interval == pytest.approx(1 / 12)


async def test_the_limit_spans_retries_and_waits_only_when_needed(
        police: FakePoliceUk, publishers_http: httpx.AsyncClient) -> None:
    police.set(police.stops_path(202409), Answer(503), Answer(200, []))
    time = VirtualTime()
    api = PoliceUk(publishers_http, police.base_url, per_second=2, backoff=0.2,
                   sleep=time.sleep, clock=time.clock)
    await api.stops(202409)  # 503, backoff 0.2 s, then the limiter's remaining 0.3 s
    assert time.sleeps == pytest.approx([0.2, 0.3])
    time.now += 10  # a long pause: the next request goes at once
    await api.stops(202410)
    assert time.sleeps == pytest.approx([0.2, 0.3])


async def test_limits_and_attempts_must_be_sane(publishers_http: httpx.AsyncClient) -> None:
    with pytest.raises(ValueError):
        PoliceUk(publishers_http, "http://127.0.0.1:9", per_second=0)
    with pytest.raises(ValueError):
        PoliceUk(publishers_http, "http://127.0.0.1:9", attempts=0)


# -- a hostile stops-force answer under the cap (issue 20, item 3) ----------------------------

def _empty_objects(megabytes: int) -> Iterator[bytes]:
    block = b"{}, " * (1 << 18)  # 1 MB
    yield b"["
    for _ in range(megabytes):
        yield block
    yield b"{}]"


async def test_a_body_of_empty_objects_is_refused_at_its_first_record(
        police: FakePoliceUk, publishers_http: httpx.AsyncClient) -> None:
    police.set(police.stops_path(202409), Answer(200, stream=lambda: _empty_objects(4)))
    with pytest.raises(PublisherError) as caught:
        await PoliceUk(publishers_http, police.base_url).stops(202409)
    message = str(caught.value)
    assert "record 1" in message and "lacks" in message and "datetime" in message
    assert "date=2024-09" in message and not isinstance(caught.value, Unreachable)


async def test_a_record_missing_a_field_the_loader_needs_is_refused_by_number(
        police: FakePoliceUk, publishers_http: httpx.AsyncClient) -> None:
    _, records = snapshot_month(snapshot_months()[0])
    broken = [dict(r) for r in records[:50]]
    del broken[41]["officer_defined_ethnicity"]
    police.publish(202409, broken)
    with pytest.raises(PublisherError, match=r"record 42 lacks officer_defined_ethnicity"):
        await PoliceUk(publishers_http, police.base_url).stops(202409)


async def test_more_records_than_any_month_has_are_refused(
        police: FakePoliceUk, publishers_http: httpx.AsyncClient) -> None:
    record = {"age_range": None, "datetime": "2024-09-01T10:00:00+00:00", "location": None,
              "object_of_search": None, "officer_defined_ethnicity": None,
              "type": "Person search"}
    many = [record] * (MAX_RECORDS + 1)
    police.publish(202409, many)
    with pytest.raises(PublisherError, match=f"more than {MAX_RECORDS:,} records"):
        await PoliceUk(publishers_http, police.base_url).stops(202409)


def test_the_peak_memory_of_a_hostile_answer_stays_near_the_baseline(
        police: FakePoliceUk) -> None:
    """30 MB of `{}` in a fresh process (VmHWM): read whole, it took over 600 MB."""
    police.set(police.stops_path(202409), Answer(200, stream=lambda: _empty_objects(30)))
    code = textwrap.dedent(f"""
        import asyncio
        from datastore.ingest.publishers import PublisherError, make_client
        from datastore.ingest.publishers.police_uk import PoliceUk
        async def main():
            async with make_client(timeout=30) as http:
                try:
                    await PoliceUk(http, {police.base_url!r}).stops(202409)
                    print("accepted")
                except PublisherError:
                    print("refused")
        asyncio.run(main())
        status = open("/proc/self/status").read()
        print(int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM:")))
              // 1024)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=True)
    said, peak = done.stdout.split()
    assert said == "refused"
    assert int(peak) < 150
