"""Downloads, whole or not at all, from the fake London Datastore on 127.0.0.1 with a real
httpx client: a complete file and its SHA-256, conditional GETs, and every way a transfer can
fail, after each of which the destination folder is empty."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import itertools
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from datastore.ingest.download import Downloaded, DownloadError, NotModified, download, file_name
from datastore.ingest.publishers import USER_AGENT, PublisherError, make_client
from datastore.ingest.publishers._http import Rules, rules_of
from tests.postcodes_io_fake import unused_base_url
from tests.publishers_fake import (
    WARD_NEW,
    Answer,
    FakeLondonDatastore,
    FakeResource,
    read_file,
    release,
)

CRIME = "exy3m"
MB = 1024 * 1024


@pytest.fixture
def ward(london_datastore_fake: FakeLondonDatastore) -> FakeResource:
    """The real ward extract (to March 2026) published on the fake Datastore."""
    resource = release(WARD_NEW, "w2603", "MPS Ward Level Crime (most recent 24 months).csv",
                       "2026-04-14T09:30:00+00:00")
    london_datastore_fake.publish(CRIME, resource)
    return resource


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
async def quick_http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(headers={"User-Agent": USER_AGENT}, timeout=0.3) as client:
        yield client


class Progress:
    """Records every progress call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, done: int, total: int | None) -> None:
        self.calls.append((done, total))


def left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def test_a_complete_download(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    progress = Progress()
    url = london_datastore_fake.url(CRIME, ward)
    got = await download(publishers_http, url, dest, max_bytes=50 * MB, progress=progress)
    assert isinstance(got, Downloaded)
    body = read_file(WARD_NEW)
    assert got.path == dest / "MPS Ward Level Crime (most recent 24 months).csv"
    assert got.path.read_bytes() == body
    assert got.size == len(body) == got.path.stat().st_size
    assert got.sha256 == hashlib.sha256(body).hexdigest() == ward.sha256
    assert got.etag == ward.etag
    assert got.last_modified == "Tue, 14 Apr 2026 09:30:00 GMT"
    assert left_in(dest) == [got.path.name]  # the temporary file is gone
    # Progress: from 0 to the whole, growing, at least 256 KB apart, the total announced.
    done = [d for d, _ in progress.calls]
    assert progress.calls[0] == (0, len(body)) and progress.calls[-1] == (len(body), len(body))
    assert done == sorted(done)
    assert all(b - a >= 256 * 1024 for a, b in itertools.pairwise(done[:-1]))
    assert len(progress.calls) <= len(body) // (256 * 1024) + 2
    request = london_datastore_fake.requests[-1]
    assert request.user_agent == USER_AGENT
    assert "if-none-match" not in request.headers
    assert request.headers["accept-encoding"] == "identity"


async def test_a_name_given_is_used_and_an_existing_file_replaced(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    (dest / "ward.csv").write_bytes(b"old")
    got = await download(publishers_http, london_datastore_fake.url(CRIME, ward), dest,
                         max_bytes=50 * MB, name="ward.csv")
    assert isinstance(got, Downloaded)
    assert got.path == dest / "ward.csv" and got.path.read_bytes() == ward.body
    assert left_in(dest) == ["ward.csv"]


async def test_a_redirect_is_followed(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    london_datastore_fake.set("/download/moved.csv", Answer(302, headers={
        "Location": london_datastore_fake.url(CRIME, ward)}))
    got = await download(publishers_http, f"{london_datastore_fake.base_url}/download/"
                         "moved.csv", dest, max_bytes=50 * MB)
    assert isinstance(got, Downloaded)
    assert got.path.name == "moved.csv" and got.sha256 == ward.sha256


@pytest.mark.parametrize("validator", ["etag", "last_modified"])
async def test_an_unchanged_file_is_not_downloaded_again(
        validator: str, london_datastore_fake: FakeLondonDatastore, ward: FakeResource,
        dest: Path, publishers_http: httpx.AsyncClient) -> None:
    url = london_datastore_fake.url(CRIME, ward)
    first = await download(publishers_http, url, dest, max_bytes=50 * MB, name="first.csv")
    assert isinstance(first, Downloaded)
    given = {"etag": first.etag} if validator == "etag" else {
        "last_modified": first.last_modified}
    progress = Progress()
    again = await download(publishers_http, url, dest, max_bytes=50 * MB, progress=progress,
                           **given)  # type: ignore[arg-type]
    assert again == NotModified(url)
    assert left_in(dest) == ["first.csv"] and progress.calls == []
    headers = london_datastore_fake.requests[-1].headers
    if validator == "etag":
        assert headers["if-none-match"] == ward.etag
    else:
        assert headers["if-modified-since"] == "Tue, 14 Apr 2026 09:30:00 GMT"


async def test_a_changed_file_is_downloaded_despite_old_validators(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    got = await download(publishers_http, london_datastore_fake.url(CRIME, ward), dest,
                         max_bytes=50 * MB, etag='"an-older-release"',
                         last_modified="Mon, 12 Jan 2026 09:00:00 GMT")
    assert isinstance(got, Downloaded) and got.sha256 == ward.sha256


@pytest.mark.parametrize(("status", "words"), [
    (403, "refused the request (HTTP 403)"),
    (401, "login (HTTP 401)"),
    (404, "no such file (HTTP 404)"),
    (500, "failed (HTTP 500)"),
    (503, "failed (HTTP 503)"),
    (429, "slow down (HTTP 429)"),
    (204, "HTTP 204"),
])
async def test_http_errors_are_refused_by_name(
        status: int, words: str, london_datastore_fake: FakeLondonDatastore,
        ward: FakeResource, dest: Path, publishers_http: httpx.AsyncClient) -> None:
    london_datastore_fake.set(london_datastore_fake.download_path(CRIME, ward),
                              Answer(status, b"<html>no</html>", content_type="text/html"))
    url = london_datastore_fake.url(CRIME, ward)
    with pytest.raises(DownloadError) as caught:
        await download(publishers_http, url, dest, max_bytes=50 * MB)
    assert isinstance(caught.value, PublisherError)
    assert caught.value.status == status and caught.value.url == url
    assert str(caught.value) == f"could not download {url}: {caught.value.reason}; nothing " \
                                "was kept"
    assert words in str(caught.value)
    assert left_in(dest) == []


async def test_a_missing_resource_is_a_404(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    london_datastore_fake.replace_resource(CRIME, ward.id, None)
    with pytest.raises(DownloadError) as caught:
        await download(publishers_http, london_datastore_fake.url(CRIME, ward), dest,
                       max_bytes=50 * MB)
    assert caught.value.status == 404 and left_in(dest) == []


async def test_a_file_announced_over_the_cap_is_refused_unread(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    progress = Progress()
    with pytest.raises(DownloadError) as caught:
        await download(publishers_http, london_datastore_fake.url(CRIME, ward), dest,
                       max_bytes=MB, progress=progress)
    assert f"the file is {len(ward.body):,} bytes, over the limit of {MB:,}" in str(
        caught.value)
    assert progress.calls == [] and left_in(dest) == []


async def test_a_body_over_the_cap_is_cut_off_at_the_cap(
        london_datastore_fake: FakeLondonDatastore, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    block = b"x" * (64 * 1024)
    london_datastore_fake.set("/download/endless.csv", Answer(
        200, chunked=True, content_type="text/csv", stream=lambda: iter([block] * 4096)))
    progress = Progress()
    with pytest.raises(DownloadError) as caught:
        await download(publishers_http, f"{london_datastore_fake.base_url}/download/"
                       "endless.csv", dest, max_bytes=2 * MB, progress=progress)
    assert f"over the limit of {2 * MB:,} bytes" in str(caught.value)
    assert max(done for done, _ in progress.calls) <= 2 * MB
    assert progress.calls[0] == (0, None)  # no length announced
    assert left_in(dest) == []


async def test_a_truncated_download_is_refused(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    london_datastore_fake.set(london_datastore_fake.download_path(CRIME, ward), Answer(
        200, ward.body, content_type="text/csv", content_length=len(ward.body) + 10_000))
    with pytest.raises(DownloadError) as caught:
        await download(publishers_http, london_datastore_fake.url(CRIME, ward), dest,
                       max_bytes=50 * MB)
    assert "truncated" in str(caught.value) and left_in(dest) == []


async def test_a_connection_that_ends_early_is_refused(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    london_datastore_fake.set(london_datastore_fake.download_path(CRIME, ward), Answer(
        200, ward.body, content_type="text/csv", chunked=True, send_bytes=1_500_000))
    progress = Progress()
    with pytest.raises(DownloadError) as caught:
        await download(publishers_http, london_datastore_fake.url(CRIME, ward), dest,
                       max_bytes=50 * MB, progress=progress)
    assert "the connection ended before the whole file arrived" in str(caught.value)
    assert progress.calls[-1][0] >= 1_000_000  # it was well under way
    assert left_in(dest) == []


async def test_a_hang_up_before_answering_is_refused(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    london_datastore_fake.set(london_datastore_fake.download_path(CRIME, ward),
                              Answer(drop=True))
    with pytest.raises(DownloadError):
        await download(publishers_http, london_datastore_fake.url(CRIME, ward), dest,
                       max_bytes=50 * MB)
    assert left_in(dest) == []


async def test_a_server_that_stops_sending_times_out(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        quick_http: httpx.AsyncClient) -> None:
    london_datastore_fake.set(london_datastore_fake.download_path(CRIME, ward), Answer(
        200, ward.body, content_type="text/csv", send_bytes=1_200_000, stall=30))
    with pytest.raises(DownloadError) as caught:
        await download(quick_http, london_datastore_fake.url(CRIME, ward), dest,
                       max_bytes=50 * MB)
    assert "timed out" in str(caught.value) and left_in(dest) == []


async def test_a_server_that_never_answers_times_out(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        quick_http: httpx.AsyncClient) -> None:
    london_datastore_fake.set(london_datastore_fake.download_path(CRIME, ward),
                              Answer(200, ward.body, delay=30))
    with pytest.raises(DownloadError) as caught:
        await download(quick_http, london_datastore_fake.url(CRIME, ward), dest,
                       max_bytes=50 * MB)
    assert "timed out" in str(caught.value) and left_in(dest) == []


async def test_no_server_is_refused(dest: Path, publishers_http: httpx.AsyncClient) -> None:
    url = f"{unused_base_url()}/download/w.csv"
    with pytest.raises(DownloadError) as caught:
        await download(publishers_http, url, dest, max_bytes=MB)
    assert "could not connect" in str(caught.value) and url in str(caught.value)
    assert left_in(dest) == []


async def test_a_cancelled_download_leaves_nothing(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    london_datastore_fake.set(london_datastore_fake.download_path(CRIME, ward), Answer(
        200, ward.body, content_type="text/csv", send_bytes=1_200_000, stall=30))
    under_way = asyncio.Event()

    def progress(done: int, total: int | None) -> None:
        if done >= 1_000_000:
            under_way.set()

    task = asyncio.create_task(download(publishers_http, london_datastore_fake.url(
        CRIME, ward), dest, max_bytes=50 * MB, progress=progress))
    await asyncio.wait_for(under_way.wait(), 10)
    assert [Path(n).suffix for n in left_in(dest)] == [".part"]  # under a temporary name
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert left_in(dest) == []


async def test_a_gzip_encoded_body_is_stored_decoded(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    london_datastore_fake.set("/download/gz/w.csv", Answer(
        200, gzip.compress(ward.body), content_type="text/csv",
        headers={"Content-Encoding": "gzip"}))
    got = await download(publishers_http, f"{london_datastore_fake.base_url}/download/gz/"
                         "w.csv", dest, max_bytes=50 * MB)
    assert isinstance(got, Downloaded) and got.sha256 == ward.sha256


async def test_a_gzip_bomb_stops_at_the_cap(
        london_datastore_fake: FakeLondonDatastore, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    bomb = gzip.compress(b"\0" * (64 * MB), compresslevel=1)  # about 300 KB on the wire
    london_datastore_fake.set("/download/bomb.csv", Answer(
        200, bomb, content_type="text/csv", headers={"Content-Encoding": "gzip"}))
    tracemalloc.start()
    try:
        with pytest.raises(DownloadError) as caught:
            await download(publishers_http, f"{london_datastore_fake.base_url}/download/"
                           "bomb.csv", dest, max_bytes=4 * MB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "over the limit" in str(caught.value) and left_in(dest) == []
    assert peak < 16 * MB


@pytest.mark.parametrize(("encoding", "body", "words"), [
    ("br", b"\x0b\x02\x80hello\x03", "encoded as 'br'"),
    ("gzip", b"not gzip at all", "corrupt"),
    ("gzip", gzip.compress(b"a,b\n" * 10_000, mtime=0)[:-40], "ends early"),
], ids=["br", "not-gzip", "gzip-ends-early"])
async def test_a_body_that_cannot_be_decoded_is_refused(
        encoding: str, body: bytes, words: str, london_datastore_fake: FakeLondonDatastore,
        dest: Path, publishers_http: httpx.AsyncClient) -> None:
    london_datastore_fake.set("/download/enc.csv", Answer(
        200, body, content_type="text/csv", headers={"Content-Encoding": encoding}))
    with pytest.raises(DownloadError) as caught:
        await download(publishers_http, f"{london_datastore_fake.base_url}/download/enc.csv",
                       dest, max_bytes=50 * MB)
    assert words in str(caught.value) and left_in(dest) == []


def _blocks(count: int) -> Iterator[bytes]:
    block = bytes(range(256)) * 256  # 64 KB
    for _ in range(count):
        yield block


async def test_memory_stays_flat_whatever_the_size(
        london_datastore_fake: FakeLondonDatastore, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    count = 480  # 30 MB
    london_datastore_fake.set("/download/big.csv", Answer(
        200, content_type="text/csv", content_length=count * 64 * 1024,
        stream=lambda: _blocks(count)))
    expected = hashlib.sha256()
    for block in _blocks(count):
        expected.update(block)
    tracemalloc.start()
    try:
        got = await download(publishers_http, f"{london_datastore_fake.base_url}/download/"
                             "big.csv", dest, max_bytes=100 * MB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(got, Downloaded)
    assert got.size == count * 64 * 1024 and got.sha256 == expected.hexdigest()
    assert peak < 8 * MB  # about 1 MB of write buffer, never the file


@pytest.mark.parametrize(("url", "name"), [
    ("https://data.london.gov.uk/download/exy3m/b3t/MPS%20Ward%20Level%20Crime.csv",
     "MPS Ward Level Crime.csv"),
    ("https://x.test/download/a/b/MPS Ward Level Crime (most recent 24 months).csv?x=1#f",
     "MPS Ward Level Crime (most recent 24 months).csv"),
    ("https://x.test/download/..%2F..%2Fetc%2Fpasswd", "passwd"),
    ("https://x.test/download/a%5C..%5Cb.csv", "b.csv"),
    ("https://x.test/%2e%2e", "download"),
    ("https://x.test/a/..", "download"),
    ("https://x.test/", "download"),
    ("https://x.test", "download"),
    ("https://x.test/.hidden", "hidden"),
    ("https://x.test/a%00b%0Ac.csv", "a_b_c.csv"),
    ("https://x.test/caf%C3%A9.csv", "caf_.csv"),
])
def test_file_names_from_urls_are_safe(url: str, name: str) -> None:
    assert file_name(url) == name


def test_a_long_name_keeps_its_suffix() -> None:
    name = file_name("https://x.test/" + "a" * 300 + ".csv")
    assert len(name) <= 150 and name.endswith(".csv")


@pytest.mark.parametrize("name", ["../w.csv", "a/b.csv", "a\\b.csv", "..", ".", "", " w.csv",
                                  "w\0.csv"])
async def test_a_name_with_a_path_in_it_is_refused(
        name: str, dest: Path, publishers_http: httpx.AsyncClient) -> None:
    with pytest.raises(ValueError):
        await download(publishers_http, "http://127.0.0.1:9/w.csv", dest, max_bytes=MB,
                       name=name)
    assert left_in(dest) == []


# -- an overall deadline (issue 20, item 2) ---------------------------------------------------

def _drip(count: int, every: float) -> Iterator[bytes]:
    """One byte at a time (a bounded number of them), `every` seconds apart."""
    for _ in range(count):
        time.sleep(every)
        yield b"x"


async def test_a_dripping_body_is_stopped_by_the_overall_deadline(
        london_datastore_fake: FakeLondonDatastore, dest: Path) -> None:
    """1,000,000 bytes announced, one sent every 20 ms: each read comes well within the
    client's timeout, but the transfer falls below the minimum rate and is stopped."""
    london_datastore_fake.set("/download/drip.csv", Answer(
        200, content_length=1_000_000, stream=lambda: _drip(500, 0.02)))
    async with make_client(timeout=0.5, min_rate=1000) as http:  # grace 1 s, then 1 KB/s
        with pytest.raises(DownloadError, match="too slow") as caught:
            await download(http, f"{london_datastore_fake.base_url}/download/drip.csv", dest,
                           max_bytes=50 * MB)
    assert "drip.csv" in str(caught.value) and "1 KB/s" in str(caught.value)
    assert left_in(dest) == []


async def test_a_fast_file_is_not_held_to_the_deadline(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path) -> None:
    async with make_client(timeout=0.5, min_rate=1000) as http:
        got = await download(http, london_datastore_fake.url(CRIME, ward), dest,
                             max_bytes=50 * MB)
    assert isinstance(got, Downloaded) and got.sha256 == ward.sha256


# -- what the catalogue says of the file (item 10) --------------------------------------------

async def test_a_short_body_with_a_matching_content_length_is_refused_by_the_listed_size(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        publishers_http: httpx.AsyncClient) -> None:
    london_datastore_fake.set("/download/prefix.csv", Answer(200, ward.body[:100]))
    with pytest.raises(DownloadError, match="cut short") as caught:
        await download(publishers_http, f"{london_datastore_fake.base_url}/download/"
                       "prefix.csv", dest, max_bytes=50 * MB, expect_size=len(ward.body))
    assert f"{len(ward.body):,}" in str(caught.value) and "100 bytes" in str(caught.value)
    assert left_in(dest) == []


@pytest.mark.parametrize("algorithm", ["md5", "sha256"])
async def test_the_listed_hash_must_match(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path,
        publishers_http: httpx.AsyncClient, algorithm: str) -> None:
    url = london_datastore_fake.url(CRIME, ward)
    right = hashlib.new(algorithm, ward.body).hexdigest()
    got = await download(publishers_http, url, dest, max_bytes=50 * MB,
                         expect_size=len(ward.body), expect_hash=right.upper())
    assert isinstance(got, Downloaded)
    wrong = hashlib.new(algorithm, ward.body + b"\n").hexdigest()
    with pytest.raises(DownloadError, match="hash"):
        await download(publishers_http, url, dest, max_bytes=50 * MB, name="again.csv",
                       expect_hash=wrong)
    assert left_in(dest) == [got.path.name]


# -- where a download may go (item 11) --------------------------------------------------------

async def test_a_redirect_to_another_host_is_refused_and_named(
        london_datastore_fake: FakeLondonDatastore, ward: FakeResource, dest: Path) -> None:
    """The publishers' host is 127.0.0.1; `localhost` is this machine too, but not theirs:
    the redirect is refused before a request is sent to it."""
    port = london_datastore_fake.base_url.rsplit(":", 1)[1]
    elsewhere = f"http://localhost:{port}{london_datastore_fake.download_path(CRIME, ward)}"
    london_datastore_fake.set("/download/moved.csv", Answer(302, headers={"Location": elsewhere}))
    async with make_client(timeout=5, hosts=["127.0.0.1"]) as http:
        with pytest.raises(PublisherError) as caught:
            await download(http, f"{london_datastore_fake.base_url}/download/moved.csv", dest,
                           max_bytes=50 * MB)
    message = str(caught.value)
    assert "redirected to" in message and "its host localhost is not one of the " \
        "publishers' (127.0.0.1)" in message
    assert [r.path for r in london_datastore_fake.requests] == ["/download/moved.csv"]
    assert left_in(dest) == []


async def test_a_url_on_another_host_is_refused_unasked(dest: Path) -> None:
    async with make_client(timeout=5, hosts=["127.0.0.1"]) as http:
        with pytest.raises(PublisherError, match="its host localhost is not one"):
            await download(http, "https://localhost:1/file.csv", dest, max_bytes=MB)


@pytest.mark.parametrize(("url", "why"), [
    ("http://data.london.gov.uk/x.csv", "plain http to data.london.gov.uk"),
    ("http://10.0.0.1/x.csv", "plain http to 10.0.0.1"),
    ("http://169.254.169.254/latest/meta-data/", "plain http to 169.254.169.254"),
    ("https://169.254.169.254/latest/meta-data/", "its host 169.254.169.254 is not one"),
    ("ftp://data.london.gov.uk/x.csv", "not an http(s) URL"),
    ("https://data.london.gov.uk/x.csv", ""),
    ("http://127.0.0.1:8080/x.csv", ""),
    ("http://[::1]:8080/x.csv", ""),
    ("http://localhost/x.csv", "its host localhost is not one"),
])
def test_the_rules_allow_the_publishers_hosts_over_https_and_this_machine_over_http(
        url: str, why: str) -> None:
    rules = Rules.for_urls(["https://data.london.gov.uk", "https://data.police.uk"],
                           extra=["127.0.0.1", "::1"])
    found = rules.refusal(httpx.URL(url))
    assert (why in found) if why else found == ""


async def test_the_grace_before_the_rate_counts_is_at_most_twenty_seconds() -> None:
    """With the default timeout (60 s) a drip of a byte a second is stopped after 20 s, not
    after the 90 s and more the probe saw; a short timeout keeps twice itself."""
    async with make_client(timeout=60) as slow, make_client(timeout=0.5) as quick:
        assert rules_of(slow).grace == 20 and rules_of(quick).grace == 1.0
    async with httpx.AsyncClient(timeout=5) as plain:
        assert rules_of(plain).grace == 10 and rules_of(plain).hosts is None
