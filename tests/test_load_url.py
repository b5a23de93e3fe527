"""`wardwatch load URL`, and the daily check of `[sources]` URLs, download as the publishers'
files are downloaded (issue 20, item 5): capped by the kind the first bytes show, with an
overall deadline, WardWatch's User-Agent, an atomic rename, a Content-Encoding inflated no
further than the cap, and messages that name the URL, never a temporary path.  Real
`wardwatch` processes against a fake server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from datastore.ingest.check import check_sources
from datastore.ingest.loaders import MAX_BYTES
from datastore.ingest.publishers import make_client
from datastore.ingest.worker import LoadJob, LoadOutcome, load_jobs
from datastore.services import open_services
from tests import raw
from tests.publishers_fake import Answer, FakeLondonDatastore
from tests.test_cli import run, write_config

MB = 1 << 20


@pytest.fixture
def server(london_datastore_fake: FakeLondonDatastore) -> FakeLondonDatastore:
    return london_datastore_fake


@pytest.fixture
def temp(tmp_path: Path) -> Path:
    """The temporary folder the command gets (TMPDIR): what it leaves there is seen."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


def load(config: Path, temp: Path, *args: str) -> tuple[int, str, str]:
    done = run(config, "load", *args, env={"TMPDIR": str(temp)}, timeout=120)
    return done.returncode, done.stdout, done.stderr


def _header() -> bytes:
    return gzip.decompress(raw.WARD_CRIME.read_bytes()).split(b"\n", 1)[0] + b"\n"


def _endless(limit: int) -> Iterator[bytes]:
    """A ward extract's header, then rows that never end (stopped at `limit` bytes)."""
    yield _header()
    row = b"A,B,Hackney Central,E05009372,Hackney" + b",1" * 24 + b"\n"
    block = row * (MB // len(row))
    for _ in range(limit // len(block)):
        yield block


def test_an_endless_body_stops_at_its_kinds_cap_and_names_the_url(
        server: FakeLondonDatastore, tmp_path: Path, temp: Path, db_copy: Path) -> None:
    server.set("/files/ward.csv", Answer(200, stream=lambda: _endless(160 * MB),
                                         content_type="text/csv"))
    url = f"{server.base_url}/files/ward.csv"
    code, _out, err = load(write_config(tmp_path, db_copy), temp, url)
    assert code == 1
    assert url in err and f"over the limit of {MAX_BYTES['ward_crime']:,} bytes" in err
    assert str(temp) not in err and "Traceback" not in err
    assert list(temp.iterdir()) == []  # nothing left behind
    request = server.requests[-1]
    assert request.user_agent is not None and request.user_agent.startswith("WardWatch/")


def test_a_gzip_encoded_body_inflates_no_further_than_the_cap(
        server: FakeLondonDatastore, tmp_path: Path, temp: Path, db_copy: Path) -> None:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    body = squeeze.compress(_header()) + b"".join(
        squeeze.compress(b"0" * (8 * MB)) for _ in range(40)) + squeeze.flush()
    assert len(body) < 2 * MB  # 320 MB once inflated
    server.set("/files/bomb.csv", Answer(200, body, content_type="text/csv",
                                         headers={"Content-Encoding": "gzip"}))
    url = f"{server.base_url}/files/bomb.csv"
    code, _out, err = load(write_config(tmp_path, db_copy), temp, url)
    assert code == 1 and url in err and "over the limit" in err
    assert list(temp.iterdir()) == []


def test_a_dripping_body_is_stopped_by_the_deadline(
        server: FakeLondonDatastore, tmp_path: Path, temp: Path, db_copy: Path) -> None:
    def drip() -> Iterator[bytes]:
        yield _header()
        for _ in range(3000):  # one byte every 20 ms: a minute at most
            time.sleep(0.02)
            yield b"1"

    server.set("/files/drip.csv", Answer(200, content_length=1_000_000, stream=drip))
    url = f"{server.base_url}/files/drip.csv"
    config = write_config(tmp_path, db_copy, "[publishers]\ntimeout = 0.5\nmin_rate = 1000\n")
    code, _out, err = load(config, temp, url)
    assert code == 1 and url in err and "too slow" in err
    assert list(temp.iterdir()) == []


def test_a_url_ending_in_dot_dot_gets_a_clear_message(
        server: FakeLondonDatastore, tmp_path: Path, temp: Path, db_copy: Path) -> None:
    url = f"{server.base_url}/x/.."
    code, out, err = load(write_config(tmp_path, db_copy), temp, url)
    assert code == 1
    assert "IsADirectoryError" not in err and "Traceback" not in err
    assert "could not download" in err or "not a recognised data file" in err
    assert "unchanged" in err and out == ""


def test_a_url_on_a_host_it_names_loads_and_says_its_url(
        server: FakeLondonDatastore, tmp_path: Path, temp: Path, db_copy: Path) -> None:
    server.set("/files/MPS Ward Level Crime.csv", Answer(
        200, gzip.decompress(raw.WARD_CRIME.read_bytes()), content_type="text/csv"))
    url = f"{server.base_url}/files/MPS%20Ward%20Level%20Crime.csv"
    code, out, err = load(write_config(tmp_path, db_copy), temp, "--force", url)
    assert code == 0, err
    assert url in out and str(temp) not in out
    assert list(temp.iterdir()) == []


def test_a_redirect_off_the_named_host_is_refused(
        server: FakeLondonDatastore, tmp_path: Path, temp: Path, db_copy: Path) -> None:
    port = server.base_url.rsplit(":", 1)[1]
    server.set("/files/moved.csv", Answer(302, headers={
        "Location": f"http://localhost:{port}/files/elsewhere.csv"}))
    url = f"{server.base_url}/files/moved.csv"
    code, _out, err = load(write_config(tmp_path, db_copy), temp, url)
    assert code == 1 and "redirected to" in err and "localhost" in err
    assert [r.path for r in server.requests] == ["/files/moved.csv"]


async def _inline(path: Path, jobs: list[LoadJob]) -> list[LoadOutcome]:
    return await asyncio.to_thread(load_jobs, str(path), jobs)


async def test_the_daily_check_of_sources_urls_downloads_the_same_way(
        server: FakeLondonDatastore, behind_copy: Path) -> None:
    """[sources] ward_crime as a URL: a newer extract loads, a dripping one is refused by its
    URL, and every request carries WardWatch's User-Agent."""
    body = gzip.decompress(raw.WARD_CRIME.read_bytes())
    server.set("/files/ward.csv", Answer(200, body, content_type="text/csv"))
    server.set("/files/drip.csv", Answer(200, content_length=len(body), stream=lambda: (
        time.sleep(0.02) or b"x" for _ in range(3000))))
    async with open_services(behind_copy, postcodes_url=None) as svc, make_client(
            timeout=0.5, hosts=["127.0.0.1"], min_rate=1000) as http:
        slow = await check_sources(svc, [f"{server.base_url}/files/drip.csv"],
                                   trigger="admin", load=_inline, http=http)
        assert slow.result == "rejected"
        assert f"{server.base_url}/files/drip.csv" in slow.record.detail
        assert "too slow" in slow.record.detail
        good = await check_sources(svc, [f"{server.base_url}/files/ward.csv"],
                                   trigger="admin", load=_inline, http=http)
        assert good.result == "loaded" and good.new_ward_month == 202603
        assert good.loaded[0].sources[0].name == f"{server.base_url}/files/ward.csv"
    assert all((r.user_agent or "").startswith("WardWatch/") for r in server.requests)
