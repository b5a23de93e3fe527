"""What only postcodes.io can say, through the real client against tests/postcodes_io_fake.py
(its JSON shapes and failures): whether a district of another area than London's exists, and
a London place the bundle does not know (its places search, OS Open Names)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from datastore.query import lookup
from datastore.query.places import understand
from datastore.query.postcodes_io import PostcodesIo
from datastore.query.view import DataView
from handlers.present import short_answer, texts
from handlers.present.words import strip_html
from tests import raw
from tests.postcodes_io_fake import (
    Answer,
    FakePostcodesIo,
    district_body,
    place_body,
    places_body,
)

# A name of no place in the bundle (checked below), for postcodes.io's places search.
UNKNOWN = "Grove Park Village"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def _remote(http: httpx.AsyncClient, fake: FakePostcodesIo) -> PostcodesIo:
    return PostcodesIo(http, fake.base_url, timeout=1.0, deadline=2.0)


def shown(answer: lookup.Answer) -> str:
    return strip_html(short_answer.summary_html(answer))


# -- a district of another area ------------------------------------------------------------


async def test_a_real_district_of_another_area_is_outside_the_met(
        view: DataView, http: httpx.AsyncClient, postcodes_io_fake: FakePostcodesIo) -> None:
    postcodes_io_fake.set_district("M1", Answer(200, district_body("M1", ["Manchester"])))
    answer = await lookup.answer("M1 1AE", view, _remote(http, postcodes_io_fake))
    res = answer.resolution
    assert (res.status, res.outside, res.unchecked, res.outside_area) == (
        "outside_met", "elsewhere", False, "Manchester")
    assert "is outside the Metropolitan Police area. " in shown(answer)
    assert "Manchester" in shown(answer)
    assert postcodes_io_fake.requests == ["/outcodes/M1"]


async def test_a_district_postcodes_io_does_not_know_does_not_exist(
        view: DataView, http: httpx.AsyncClient, postcodes_io_fake: FakePostcodesIo) -> None:
    answer = await lookup.answer("M99 1AA", view, _remote(http, postcodes_io_fake))
    assert answer.status == "no_district"
    assert shown(answer).startswith("M99 1AA can't be a postcode: there is no postcode "
                                    "district M99.")
    assert "outside" not in shown(answer)


@pytest.mark.parametrize("answers", [
    [Answer(500, b"oops")],
    [Answer(200, b"garbage", content_type="text/html")],
    [Answer(200, {"status": 200, "result": {"admin_district": "not a list"}})],
    [Answer(200, district_body("KT99", ["Elmbridge"]), delay=5)],
])
async def test_a_district_no_one_could_check_is_said_so(
        view: DataView, http: httpx.AsyncClient, postcodes_io_fake: FakePostcodesIo,
        answers: list[Answer]) -> None:
    postcodes_io_fake.set_district("KT99", *answers)
    answer = await lookup.answer("KT99 1AA", view, _remote(http, postcodes_io_fake))
    res = answer.resolution
    assert (res.status, res.unchecked) == ("outside_met", True)
    assert "(I couldn't check that it does)" in shown(answer)


async def test_offline_a_district_of_another_area_is_not_called_real(view: DataView) -> None:
    for typed in ("M1 1AE", "EH1", "GU1 1AA"):
        res = (await lookup.answer(typed, view, None)).resolution
        assert (res.status, res.unchecked) == ("outside_met", True), typed


async def test_a_district_of_londons_own_areas_is_known_offline(
        view: DataView, http: httpx.AsyncClient, postcodes_io_fake: FakePostcodesIo) -> None:
    for typed in ("SE51 5AA", "SW21 1AA", "SE29 1AA", "W15", "AA1 1AA"):
        res = (await lookup.answer(typed, view, _remote(http, postcodes_io_fake))).resolution
        assert res.status == "no_district", typed
    assert postcodes_io_fake.requests == []


# -- a place the bundle does not know ------------------------------------------------------


async def test_a_london_place_the_bundle_lacks_is_found_by_postcodes_io(
        view: DataView, http: httpx.AsyncClient, postcodes_io_fake: FakePostcodesIo) -> None:
    assert understand(UNKNOWN, view.place_index()).kind == "other"
    row = raw.postcode_row("SE12 0AA")  # the place's point: this postcode's
    postcodes_io_fake.set_places(UNKNOWN, Answer(200, places_body(
        place_body("Grove Park", 51.43, 0.02),  # another name: not this one
        place_body(UNKNOWN, float(row["lat_wgs84_derived"]), float(row["lon_wgs84_derived"]),
                   district_borough="Lewisham", outcode="SE12"),
        place_body(UNKNOWN, 52.2, -1.5, region="West Midlands"))))
    answer = await lookup.answer(UNKNOWN, view, _remote(http, postcodes_io_fake))
    res = answer.resolution
    assert res.status == "ok" and res.place is not None
    assert res.place.ward_code == row["Admin_ward_code"]
    assert shown(answer).startswith(f"{UNKNOWN} (suburban area) is in {row['ward_name']} ward")
    assert postcodes_io_fake.requests == ["/places?q=Grove%20Park%20Village&limit=20"]


async def test_no_london_place_of_that_name_is_not_understood(
        view: DataView, http: httpx.AsyncClient, postcodes_io_fake: FakePostcodesIo) -> None:
    postcodes_io_fake.set_places(UNKNOWN, Answer(200, places_body(
        place_body(UNKNOWN, 52.2, -1.5, region="West Midlands"))))
    answer = await lookup.answer(UNKNOWN, view, _remote(http, postcodes_io_fake))
    assert (answer.status, answer.resolution.invalid_kind) == ("invalid", "name")
    assert "I don't know a London place called “Grove Park Village”" in shown(answer)


@pytest.mark.parametrize("answers", [
    [Answer(500, b"oops")],
    [Answer(200, b"<html>", content_type="text/html")],
    [Answer(200, {"status": 200, "result": [{"name_1": 3}]})],
    [Answer(429, b"slow down")],
    [Answer(200, places_body(), delay=5)],
])
async def test_a_places_search_that_fails_is_said_so(
        view: DataView, http: httpx.AsyncClient, postcodes_io_fake: FakePostcodesIo,
        answers: list[Answer]) -> None:
    postcodes_io_fake.set_places(UNKNOWN, *answers)
    answer = await lookup.answer(UNKNOWN, view, _remote(http, postcodes_io_fake))
    assert answer.status == "unavailable"
    assert shown(answer) == strip_html(texts.PLACE_UNAVAILABLE.format(name=UNKNOWN))


async def test_chat_and_known_places_are_never_searched(
        view: DataView, http: httpx.AsyncClient, postcodes_io_fake: FakePostcodesIo) -> None:
    remote = _remote(http, postcodes_io_fake)
    for text in ("hello", "thanks", "lol", "Soho", "Notting Hill", "Hackney Central", "👍",
                 "I have 2 kids and live in E8 1DY"):
        await lookup.answer(text, view, remote)
    assert postcodes_io_fake.requests == []


async def test_a_search_with_no_words_is_refused_as_postcodes_io_refuses_it(
        postcodes_io_fake: FakePostcodesIo) -> None:
    async with httpx.AsyncClient() as client:
        got = await client.get(f"{postcodes_io_fake.base_url}/places?q=")
    assert got.status_code == 400
