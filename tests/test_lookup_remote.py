"""Resolution when the offline table lacks a postcode: postcodes.io (a real HTTP server on
127.0.0.1 speaking its JSON) with the real httpx client; and what never reaches the network."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from datastore.query import lookup
from datastore.query.postcodes_io import PostcodesIo
from datastore.query.view import DataView
from handlers.present import report
from tests import raw
from tests.postcodes_io_fake import (
    INVALID_POSTCODE,
    Answer,
    FakePostcodesIo,
    found_body,
    terminated_body,
    unused_base_url,
)

NEW = "N1 9ZZ"  # a valid postcode in a London district (N1) that the table lacks


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def _remote(http: httpx.AsyncClient, fake: FakePostcodesIo, timeout: float = 2.0) -> PostcodesIo:
    return PostcodesIo(http, fake.base_url, timeout=timeout)


def test_fixture_postcode_is_really_missing() -> None:
    assert NEW not in set(raw.postcodes()["Postcode"])


async def test_known_postcodes_never_reach_postcodes_io_and_other_areas_only_by_district(
        view: DataView, http: httpx.AsyncClient, postcodes_io_fake: FakePostcodesIo) -> None:
    # Issue 19 changed this: a postcode of another area than London's is outside the Met only
    # if its district exists, which postcodes.io is asked: the district alone, never the
    # postcode.  A district of the London postal district's areas is known offline.
    remote = _remote(http, postcodes_io_fake)
    for text in ["SW1A 1AA", "E1 6AN", "M1 1AE", "EH1 1YZ", "E1", "hello", "SE51 5AA"]:
        await lookup.answer(text, view, remote)
    assert postcodes_io_fake.requests == ["/outcodes/M1", "/outcodes/EH1"]


async def test_new_postcode_in_a_met_ward_is_answered(
        view: DataView, http: httpx.AsyncClient, postcodes_io_fake: FakePostcodesIo) -> None:
    ward = raw.postcode_row("N1 9AA")["Admin_ward_code"]
    postcodes_io_fake.set(NEW, Answer(200, found_body(
        NEW, ward="Caledonian", ward_code=ward, district="Islington",
        district_code="E09000019")))
    answer = await lookup.answer("n19zz", view, _remote(http, postcodes_io_fake))
    assert answer.status == "ok"
    assert answer.resolution.place is not None
    assert answer.resolution.place.ward_code == ward
    assert answer.crime is not None
    assert answer.crime.total == raw.ward_month_total(ward, raw.month_columns()[-1])
    assert postcodes_io_fake.requests == ["/postcodes/N19ZZ"]


async def test_city_of_london_from_postcodes_io(
        view: DataView, http: httpx.AsyncClient, postcodes_io_fake: FakePostcodesIo) -> None:
    postcodes_io_fake.set("EC2V 9ZZ", Answer(200, found_body(
        "EC2V 9ZZ", ward="Cheap", ward_code="E05009300", district="City of London",
        district_code="E09000001", pfa="City of London Police", pfa_code="E23000034")))
    answer = await lookup.answer("EC2V 9ZZ", view, _remote(http, postcodes_io_fake))
    assert answer.status == "outside_met" and answer.resolution.outside == "city"
    assert "City of London Police" in report.answer_html(answer)


async def test_outside_london_from_postcodes_io(
        view: DataView, http: httpx.AsyncClient, postcodes_io_fake: FakePostcodesIo) -> None:
    # TN16 straddles the boundary: some of it is Bromley, some Sevenoaks (Kent Police).
    assert any(p.startswith("TN16 ") for p in raw.postcodes()["Postcode"])
    postcodes_io_fake.set("TN16 9ZZ", Answer(200, found_body(
        "TN16 9ZZ", ward="Westerham & Crockham Hill", ward_code="E05009999",
        district="Sevenoaks", district_code="E07000111", pfa="Kent", pfa_code="E23000032")))
    answer = await lookup.answer("TN16 9ZZ", view, _remote(http, postcodes_io_fake))
    assert answer.status == "outside_met" and answer.resolution.outside == "elsewhere"
    text = report.answer_html(answer)
    assert "Sevenoaks" in text and "police.uk" in text


async def test_terminated(view: DataView, http: httpx.AsyncClient,
                          postcodes_io_fake: FakePostcodesIo) -> None:
    postcodes_io_fake.set(NEW, Answer(404, terminated_body(NEW, 2019, 7)))
    answer = await lookup.answer(NEW, view, _remote(http, postcodes_io_fake))
    assert answer.status == "terminated"
    assert answer.resolution.terminated == (2019, 7)
    assert "July 2019" in report.answer_html(answer)


async def test_not_found_suggests_a_neighbour(view: DataView, http: httpx.AsyncClient,
                                             postcodes_io_fake: FakePostcodesIo) -> None:
    answer = await lookup.answer(NEW, view, _remote(http, postcodes_io_fake))
    assert answer.status == "not_found"
    text = report.answer_html(answer)
    assert "new" in text and "neighbour" in text and "Caledonian" in text


async def test_postcodes_io_says_invalid(view: DataView, http: httpx.AsyncClient,
                                        postcodes_io_fake: FakePostcodesIo) -> None:
    postcodes_io_fake.set(NEW, INVALID_POSTCODE)
    answer = await lookup.answer(NEW, view, _remote(http, postcodes_io_fake))
    assert answer.status == "invalid"


@pytest.mark.parametrize("answers", [
    [Answer(500, b"oops")],
    [Answer(200, b"<html>not json</html>", content_type="text/html")],
    [Answer(200, {"status": 200, "result": "nonsense"})],
])
async def test_failures_are_unavailable(view: DataView, http: httpx.AsyncClient,
                                        postcodes_io_fake: FakePostcodesIo,
                                        answers: list[Answer]) -> None:
    postcodes_io_fake.set(NEW, *answers)
    answer = await lookup.answer(NEW, view, _remote(http, postcodes_io_fake))
    assert answer.status == "unavailable"
    assert "try again" in report.answer_html(answer)


async def test_slow_postcodes_io_is_answered_within_three_seconds(
        view: DataView, http: httpx.AsyncClient, postcodes_io_fake: FakePostcodesIo) -> None:
    postcodes_io_fake.set(NEW, Answer(200, found_body(NEW), delay=10))
    started = time.monotonic()
    answer = await lookup.answer(NEW, view, PostcodesIo(http, postcodes_io_fake.base_url))
    assert time.monotonic() - started < 3.5
    assert answer.status == "unavailable"


async def test_dead_network_is_unavailable(view: DataView, http: httpx.AsyncClient) -> None:
    remote = PostcodesIo(http, unused_base_url(), timeout=0.5)
    answer = await lookup.answer(NEW, view, remote)
    assert answer.status == "unavailable"
