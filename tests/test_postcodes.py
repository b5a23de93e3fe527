"""Postcode parsing, and the postcodes.io client against a real local HTTP server."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datastore.query.postcodes import (
    Found,
    Query,
    find_postcodes,
    normalise,
    outward_code,
    parse_query,
)
from datastore.query.postcodes_io import PostcodesIo, Remote
from tests.postcodes_io_fake import (
    INVALID_POSTCODE,
    RESOURCE_NOT_FOUND,
    Answer,
    FakePostcodesIo,
    found_body,
    terminated_body,
    unused_base_url,
)

# -- normalise ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("e16an", "E1 6AN"),
        (" E1  6AN ", "E1 6AN"),
        ("sw1a1aa", "SW1A 1AA"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("m11ae", "M1 1AE"),  # A9
        ("b338th", "B33 8TH"),  # A99
        ("cr26xh", "CR2 6XH"),  # AA9
        ("dn551pt", "DN55 1PT"),  # AA99
        ("w1a0ax", "W1A 0AX"),  # A9A
        ("ec1a1bb", "EC1A 1BB"),  # AA9A
        ("e1w 1aa", "E1W 1AA"),
        ("N1C 4AA", "N1C 4AA"),
        ("gir0aa", "GIR 0AA"),
        ("Gir 0aA", "GIR 0AA"),
        ("E1\t6AN", "E1 6AN"),
        ("E1\n6AN\n", "E1 6AN"),
        ("e1\u00a06an", "E1 6AN"),  # no-break space, as pasted from web pages
        ("\u200be16an\ufeff", "E1 6AN"),  # zero-width space, byte-order mark
        ("\tsw1a \u3000 1aa\r\n", "SW1A 1AA"),
    ],
)
def test_normalise_accepts(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "E1",  # outward code only
        "E1 6",  # sector
        "E1 6A",
        "E1 6AN.",  # punctuation is parse_query's business, not normalise's
        "E1-6AN",
        "E1 6AC",  # inward letters never C I K M O V
        "E1 6IN",
        "SW1A 1AK",
        "E1 6AO",
        "QA1 1AA",  # first letter never Q V X
        "VE1 1AA",
        "XM4 5HQ",
        "AI1 1AA",  # second letter never I J Z
        "AZ1 1AA",
        "E1L 1AA",  # A9A: third letter from A-H J K P S T U W only
        "EC1Z 1AA",  # AA9A: fourth letter from A B E H M N P R V W X Y only
        "1E 6AN",
        "E123 6AN",
        "E1 66AN",  # the space is where the user put it: "E16 6AN" would be a guess
        "E 16AN",
        "SW1A1 AA",
        "S W1A 1AA",
        "S W 1 A 1 A A",
        "El 6AN",  # letter l for digit 1: a typo, not guessed at
        "E1 6AN E2 7BB",
        "\uff25\uff11 \uff16\uff21\uff2e",  # full-width "E1 6AN"
        "\u017fw1a1aa",  # long s, which str.upper() turns into S
        "E1 6\u0391N",  # Greek capital alpha
        "E1\x006AN",
        "E1\x1b6AN",
        "E1\x1c6AN",  # a separator Python's str.split() would treat as spacing
        "E1 6AN" + " " * 100,  # far longer than a postcode
        "x" * 10_240,
    ],
)
def test_normalise_rejects(text: str) -> None:
    assert normalise(text) is None


# -- parse_query --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("e16an", "postcode", "E1 6AN"),
        ("  sw1a 1aa  ", "postcode", "SW1A 1AA"),
        ("E1 6AN.", "postcode", "E1 6AN"),
        ("E1 6AN!\n", "postcode", "E1 6AN"),
        ("sw1a1aa?", "postcode", "SW1A 1AA"),
        ("'E1 6AN'", "postcode", "E1 6AN"),
        ('"E1 6AN",', "postcode", "E1 6AN"),
        ("(E1 6AN)", "postcode", "E1 6AN"),
        ("\u201ce1 6an\u201d", "postcode", "E1 6AN"),
        ("gir 0aa", "postcode", "GIR 0AA"),
        ("e1", "outcode", "E1"),
        (" SW1A ", "outcode", "SW1A"),
        ("ec1a.", "outcode", "EC1A"),
        ("e1w", "outcode", "E1W"),
        ("BR1", "outcode", "BR1"),
        ("n1c", "outcode", "N1C"),
        ("dn55", "outcode", "DN55"),
        ("", "invalid", ""),
        ("   ", "invalid", ""),
        (".", "invalid", ""),
        ("\U0001f642", "invalid", ""),
        ("hello", "invalid", ""),
        ("/start", "invalid", ""),
        ("E1 6AN please", "invalid", ""),
        ("my postcode is E1 6AN", "invalid", ""),
        ("E1 6", "invalid", ""),
        ("E1 6AO", "invalid", ""),
        ("El 6AN", "invalid", ""),
        ("E1-6AN", "invalid", ""),
        ("E 1", "invalid", ""),
        ("GIR", "invalid", ""),
        ("QA1", "invalid", ""),
        ("E1L", "invalid", ""),
        ("\x00", "invalid", ""),
        ("E1 6AN\x00", "invalid", ""),
        ("\x1b[31mE1 6AN", "invalid", ""),
        ("\uff25\uff11", "invalid", ""),
        ("x" * 10_240, "invalid", ""),
        ("E1 6AN " * 2_000, "invalid", ""),
    ],
)
def test_parse_query(text: str, kind: str, value: str) -> None:
    assert parse_query(text) == Query(kind, value, text)  # type: ignore[arg-type]


def test_parse_query_is_frozen() -> None:
    query = parse_query("E1 6AN")
    with pytest.raises(AttributeError):
        query.kind = "invalid"  # type: ignore[misc]


# -- properties ---------------------------------------------------------------------------

# The grammar, spelled out here independently of the module under test.
ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FIRST = "".join(c for c in ALPHA if c not in "QVX")
SECOND = "".join(c for c in ALPHA if c not in "IJZ")
THIRD_A9A = "ABCDEFGHJKPSTUW"
FOURTH_AA9A = "ABEHMNPRVWXY"
INWARD = "".join(c for c in ALPHA if c not in "CIKMOV")
DIGIT = "0123456789"


def _chars(alphabet: str) -> st.SearchStrategy[str]:
    return st.sampled_from(alphabet)


outcodes = st.one_of(
    st.tuples(_chars(FIRST), _chars(DIGIT)),
    st.tuples(_chars(FIRST), _chars(DIGIT), _chars(DIGIT)),
    st.tuples(_chars(FIRST), _chars(SECOND), _chars(DIGIT)),
    st.tuples(_chars(FIRST), _chars(SECOND), _chars(DIGIT), _chars(DIGIT)),
    st.tuples(_chars(FIRST), _chars(DIGIT), _chars(THIRD_A9A)),
    st.tuples(_chars(FIRST), _chars(SECOND), _chars(DIGIT), _chars(FOURTH_AA9A)),
).map("".join)
incodes = st.tuples(_chars(DIGIT), _chars(INWARD), _chars(INWARD)).map("".join)
postcodes = st.one_of(st.builds(lambda o, i: f"{o} {i}", outcodes, incodes), st.just("GIR 0AA"))
near_misses = st.text(alphabet="ABCEIKOQVXZaeiko0123456789 .\t\u00a0\x00", max_size=12)

NO_DB = settings(database=None)  # leave no .hypothesis folder behind


@NO_DB
@given(st.one_of(st.text(), st.text(max_size=200), near_misses))
def test_parse_query_never_raises(text: str) -> None:
    query = parse_query(text)
    assert isinstance(query, Query)
    assert query.text == text
    assert query.kind in ("postcode", "outcode", "invalid")
    if query.kind == "postcode":
        assert normalise(query.value) == query.value
    elif query.kind == "outcode":
        assert query.value.isascii() and query.value == query.value.upper()
        assert parse_query(query.value) == Query("outcode", query.value, query.value)
    else:
        assert query.value == ""
    result = normalise(text)
    assert result is None or result == query.value


@settings(NO_DB, max_examples=20)
@given(st.text(min_size=1, max_size=50).map(lambda t: t * (12_000 // len(t) + 1)))
def test_parse_query_on_huge_text(text: str) -> None:
    assert len(text) > 12_000
    assert parse_query(text) == Query("invalid", "", text)


@NO_DB
@given(postcodes)
def test_valid_postcodes_round_trip(postcode: str) -> None:
    assert normalise(postcode) == postcode
    assert normalise(postcode.lower().replace(" ", "")) == postcode
    typed = f" {postcode.lower()}. "
    assert parse_query(typed) == Query("postcode", postcode, typed)


spacing = st.text(alphabet=" \t\u00a0\u3000", max_size=3)


@NO_DB
@given(postcodes, st.data())
def test_any_case_and_spacing(postcode: str, data: st.DataObject) -> None:
    outward, inward = postcode.split(" ")
    between = data.draw(st.one_of(st.just(""), spacing))
    typed = data.draw(spacing) + outward + between + inward + data.draw(spacing)
    typed = "".join(c.lower() if data.draw(st.booleans()) else c for c in typed)
    assert normalise(typed) == postcode
    assert parse_query(typed).value == postcode


@NO_DB
@given(outcodes)
def test_valid_outcodes_are_outcodes(outcode: str) -> None:
    assert parse_query(outcode.lower()) == Query("outcode", outcode, outcode.lower())
    assert normalise(outcode) is None


# -- postcodes inside a message ----------------------------------------------------------

KNOWN = {"E8 1DY", "SE15 5AA", "SW1A 1AA"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what's crime like in SE15 5AA?", ["SE15 5AA"]),
        ("my postcode is E8 1DY", ["E8 1DY"]),
        ("E8 1DY London", ["E8 1DY"]),
        ("e8-1dy", ["E8 1DY"]),
        ("E8.1DY", ["E8 1DY"]),
        ("E8/1DY", ["E8 1DY"]),
        ("e81dy!", ["E8 1DY"]),
        ("(E8 1DY)", ["E8 1DY"]),
        ("E8 1DY vs SW1A 1AA", ["E8 1DY", "SW1A 1AA"]),
        ("compare sw1a1aa and e8 1dy", ["SW1A 1AA", "E8 1DY"]),
        ("E8 1DY or e8-1dy", ["E8 1DY"]),  # the same postcode twice is one
        ("live at M1 1AE now", ["M1 1AE"]),  # well-formed, whether or not known
        ("E8  -  1DY", []),  # too much between the halves
        ("E8 1D Y", []),  # pieced together, and no `known` to say it exists
        ("E1 and E2", []),
        ("E8 IDY", []),
        ("hello", []),
        ("", []),
    ],
)
def test_find_postcodes_exact(text: str, expected: list[str]) -> None:
    assert [f.postcode for f in find_postcodes(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" e 8 1 d y ", ["E8 1DY"]),
        ("SE 15 5AA", ["SE15 5AA"]),
        ("s e 1 5 5 a a please", ["SE15 5AA"]),
        ("E8 1D Y", ["E8 1DY"]),
        ("E 8 1 D Z", []),  # well-formed but not known: pieces are not glued into it
        ("S W 1 A 1 A A vs E8 1DY", ["SW1A 1AA", "E8 1DY"]),
    ],
)
def test_find_postcodes_pieced_needs_known(text: str, expected: list[str]) -> None:
    assert [f.postcode for f in find_postcodes(text, KNOWN.__contains__)] == expected


def test_found_says_where_and_how() -> None:
    text = "is E8 1DY safe? and s e 1 5 5 a a"
    found = find_postcodes(text, KNOWN.__contains__)
    assert found == (Found("E8 1DY", 3, 9, True), Found("SE15 5AA", 20, 33, False))
    assert [text[f.start:f.end] for f in found] == ["E8 1DY", "s e 1 5 5 a a"]


@NO_DB
@given(postcodes, st.sampled_from([" ", "", "-", ".", " - "]),
       st.sampled_from(["", "my postcode is ", "crime in "]),
       st.sampled_from(["", "?", " please", ", thanks"]))
def test_find_postcodes_in_sentences(postcode: str, joiner: str, before: str,
                                     after: str) -> None:
    outward, inward = postcode.split(" ")
    text = f"{before}{outward.lower()}{joiner}{inward}{after}"
    assert [f.postcode for f in find_postcodes(text)] == [postcode]


@NO_DB
@given(st.one_of(st.text(), near_misses))
def test_find_postcodes_never_raises(text: str) -> None:
    for f in find_postcodes(text, KNOWN.__contains__):
        assert normalise(f.postcode) == f.postcode
        assert 0 <= f.start < f.end <= len(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("e1", "E1"), ("SW1A", "SW1A"), ("N1C", "N1C"), ("se15", "SE15"), ("hi", None),
     ("E1 6AN", None), ("QE1", None), ("", None), ("E١", None)],
)
def test_outward_code(text: str, expected: str | None) -> None:
    assert outward_code(text) == expected


# -- the postcodes.io client ---------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakePostcodesIo]:
    with FakePostcodesIo() as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # trust_env=False: no proxy settings from the environment; only 127.0.0.1 is used.
    async with httpx.AsyncClient(trust_env=False) as http:
        yield http


def fast(client: httpx.AsyncClient, base_url: str, **kwargs: Any) -> PostcodesIo:
    """A client with a short per-attempt timeout, so failure tests stay quick."""
    options: dict[str, Any] = {"timeout": 0.3, "deadline": 2.0} | kwargs
    return PostcodesIo(client, base_url, **options)


async def test_found_parses_every_field(fake: FakePostcodesIo, client: httpx.AsyncClient) -> None:
    fake.set("SW1A 1AA", Answer(200, found_body("SW1A 1AA")))
    remote = await fast(client, fake.base_url).lookup("SW1A 1AA")
    assert remote == Remote(
        status="found",
        postcode="SW1A 1AA",
        ward_code="E05013806",
        ward_name="St James's",
        district_code="E09000033",
        district_name="Westminster",
        pfa="Metropolitan Police",
        pfa_code="E23000001",
        lat=51.501009,
        lon=-0.141588,
    )
    assert fake.requests == ["/postcodes/SW1A1AA"]


async def test_found_with_nulls(fake: FakePostcodesIo, client: httpx.AsyncClient) -> None:
    body = found_body("E1 6AN", ward=None, ward_code=None, pfa=None, latitude=None, longitude=None)
    fake.set("E1 6AN", (200, body))
    body_without_codes = found_body("E1 6AL")
    body_without_codes["result"]["codes"] = None
    fake.set("E1 6AL", (200, body_without_codes))
    body_missing_fields = {"status": 200, "result": {"postcode": "E1 6AP"}}
    fake.set("E1 6AP", (200, body_missing_fields))
    postcodes_io = fast(client, fake.base_url)

    remote = await postcodes_io.lookup("E1 6AN")
    assert remote.status == "found"
    assert (remote.ward_code, remote.ward_name, remote.pfa) == (None, None, None)
    assert (remote.lat, remote.lon) == (None, None)
    assert remote.district_name == "Westminster"

    remote = await postcodes_io.lookup("E1 6AL")
    assert remote.status == "found"
    assert remote.ward_name == "St James's"
    assert (remote.ward_code, remote.district_code, remote.pfa_code) == (None, None, None)

    assert await postcodes_io.lookup("E1 6AP") == Remote(status="found", postcode="E1 6AP")


async def test_integer_coordinates_become_floats(
    fake: FakePostcodesIo, client: httpx.AsyncClient
) -> None:
    fake.set("E1 6AN", (200, found_body("E1 6AN", latitude=51, longitude=0)))
    remote = await fast(client, fake.base_url).lookup("E1 6AN")
    assert (remote.lat, remote.lon) == (51.0, 0.0)
    assert isinstance(remote.lat, float) and isinstance(remote.lon, float)


async def test_invalid(fake: FakePostcodesIo, client: httpx.AsyncClient) -> None:
    fake.set("E1 6AN", INVALID_POSTCODE)
    assert await fast(client, fake.base_url).lookup("E1 6AN") == Remote(status="invalid")
    assert fake.requests == ["/postcodes/E16AN"]


@pytest.mark.parametrize("text", ["", "E1", "not a postcode", "../../admin", "E1 6AN?x=1"])
async def test_invalid_text_is_not_sent(
    fake: FakePostcodesIo, client: httpx.AsyncClient, text: str
) -> None:
    assert await fast(client, fake.base_url).lookup(text) == Remote(status="invalid")
    assert fake.requests == []


async def test_not_found(fake: FakePostcodesIo, client: httpx.AsyncClient) -> None:
    assert await fast(client, fake.base_url).lookup("ZE1 0AA") == Remote(status="not_found")
    assert fake.requests == ["/postcodes/ZE10AA"]


async def test_terminated(fake: FakePostcodesIo, client: httpx.AsyncClient) -> None:
    fake.set("E1 8YZ", (404, terminated_body("E1 8YZ", 2019, 7)))
    fake.set("E1 8YY", (404, terminated_body("E1 8YY", 1996, 12, latitude=None, longitude=None)))
    postcodes_io = fast(client, fake.base_url)
    assert await postcodes_io.lookup("E1 8YZ") == Remote(
        status="terminated",
        postcode="E1 8YZ",
        terminated_year=2019,
        terminated_month=7,
        lat=51.51,
        lon=-0.06,
    )
    remote = await postcodes_io.lookup("e1 8yy")
    assert remote.status == "terminated"
    assert (remote.terminated_year, remote.terminated_month) == (1996, 12)
    assert (remote.lat, remote.lon) == (None, None)


async def test_one_retry_after_500_succeeds(
    fake: FakePostcodesIo, client: httpx.AsyncClient
) -> None:
    fake.set("E1 6AN", (500, b"Internal Server Error"), (200, found_body("E1 6AN")))
    remote = await fast(client, fake.base_url).lookup("E1 6AN")
    assert remote.status == "found"
    assert fake.requests == ["/postcodes/E16AN", "/postcodes/E16AN"]


async def test_one_retry_after_429_succeeds(
    fake: FakePostcodesIo, client: httpx.AsyncClient
) -> None:
    too_many = {"status": 429, "error": "Too many requests"}
    fake.set("E1 6AN", (429, too_many), (200, found_body("E1 6AN")))
    remote = await fast(client, fake.base_url).lookup("E1 6AN")
    assert remote.status == "found"
    assert len(fake.requests) == 2


async def test_500_twice_is_unavailable(fake: FakePostcodesIo, client: httpx.AsyncClient) -> None:
    fake.set("E1 6AN", (500, {"status": 500, "error": "Server Error"}))
    remote = await fast(client, fake.base_url).lookup("E1 6AN")
    assert remote == Remote(status="unavailable", reason="server error (500)")
    assert len(fake.requests) == 2


async def test_503_then_429_is_unavailable(
    fake: FakePostcodesIo, client: httpx.AsyncClient
) -> None:
    fake.set("E1 6AN", (503, b""), (429, b""), (200, found_body("E1 6AN")))
    remote = await fast(client, fake.base_url).lookup("E1 6AN")
    assert remote == Remote(status="unavailable", reason="rate limited (429)")
    assert len(fake.requests) == 2


async def test_no_retry_when_retries_is_zero(
    fake: FakePostcodesIo, client: httpx.AsyncClient
) -> None:
    fake.set("E1 6AN", (500, b""), (200, found_body("E1 6AN")))
    remote = await fast(client, fake.base_url, retries=0).lookup("E1 6AN")
    assert remote.status == "unavailable"
    assert len(fake.requests) == 1


@pytest.mark.parametrize("status", [301, 400, 401, 403, 418])
async def test_other_statuses_are_unavailable_without_retry(
    fake: FakePostcodesIo, client: httpx.AsyncClient, status: int
) -> None:
    fake.set("E1 6AN", (status, {"status": status, "error": "nope"}))
    remote = await fast(client, fake.base_url).lookup("E1 6AN")
    assert remote == Remote(status="unavailable", reason=f"unexpected status ({status})")
    assert len(fake.requests) == 1


async def test_slow_answer_beyond_timeout(fake: FakePostcodesIo, client: httpx.AsyncClient) -> None:
    fake.set("E1 6AN", Answer(200, found_body("E1 6AN"), delay=1.0))
    started = time.monotonic()
    remote = await fast(client, fake.base_url).lookup("E1 6AN")
    elapsed = time.monotonic() - started
    assert remote == Remote(status="unavailable", reason="timeout")
    assert len(fake.requests) == 2
    assert elapsed < 3.5


async def test_slow_answer_within_timeout(fake: FakePostcodesIo, client: httpx.AsyncClient) -> None:
    fake.set("E1 6AN", Answer(200, found_body("E1 6AN"), delay=0.1))
    remote = await fast(client, fake.base_url, timeout=1.0).lookup("E1 6AN")
    assert remote.status == "found"
    assert len(fake.requests) == 1


async def test_defaults_bound_a_hanging_server(
    fake: FakePostcodesIo, client: httpx.AsyncClient
) -> None:
    fake.set("E1 6AN", Answer(200, found_body("E1 6AN"), delay=30.0))
    started = time.monotonic()
    remote = await PostcodesIo(client, fake.base_url).lookup("E1 6AN")
    elapsed = time.monotonic() - started
    assert remote.status == "unavailable"
    assert remote.reason in ("deadline exceeded", "timeout")
    assert elapsed < 3.5


async def test_deadline_cuts_a_long_timeout(
    fake: FakePostcodesIo, client: httpx.AsyncClient
) -> None:
    fake.set("E1 6AN", Answer(200, found_body("E1 6AN"), delay=30.0))
    started = time.monotonic()
    remote = await fast(client, fake.base_url, timeout=10.0, deadline=0.4).lookup("E1 6AN")
    elapsed = time.monotonic() - started
    assert remote == Remote(status="unavailable", reason="deadline exceeded")
    assert elapsed < 1.5


GARBAGE = [
    b"",
    b"<html><body>502 Bad Gateway</body></html>",
    b'{"status": 200, "result": ',
    b"\xff\xfe\xfa",
    b"NaN",
    b'{"status": 200, "result": {"postcode": "E1 6AN", "latitude": NaN}}',
    b"[" * 100_000 + b"]" * 100_000,
]


@pytest.mark.parametrize("status", [200, 404])
@pytest.mark.parametrize("body", GARBAGE, ids=range(len(GARBAGE)))
async def test_garbage_body_is_unavailable(
    fake: FakePostcodesIo, client: httpx.AsyncClient, status: int, body: bytes
) -> None:
    fake.set("E1 6AN", (status, body))
    remote = await fast(client, fake.base_url).lookup("E1 6AN")
    assert remote.status == "unavailable"
    assert remote.reason == f"body is not JSON ({status})"
    assert len(fake.requests) == 1


def _found_with(**result_changes: Any) -> dict[str, Any]:
    body = found_body("E1 6AN")
    body["result"].update(result_changes)
    return body


def _codes_with(**code_changes: Any) -> dict[str, Any]:
    body = found_body("E1 6AN")
    body["result"]["codes"].update(code_changes)
    return body


WRONG_200 = {
    "no result": {"status": 200},
    "null result": {"status": 200, "result": None},
    "list result": {"status": 200, "result": [found_body("E1 6AN")["result"]]},
    "string result": {"status": 200, "result": "E1 6AN"},
    "list body": [found_body("E1 6AN")],
    "number body": 200,
    "string body": "E1 6AN",
    "no postcode": _found_with(postcode=None),
    "numeric postcode": _found_with(postcode=16),
    "numeric ward": _found_with(admin_ward=5),
    "list district": _found_with(admin_district=["Westminster"]),
    "object pfa": _found_with(pfa={"name": "Metropolitan Police"}),
    "string latitude": _found_with(latitude="51.5"),
    "boolean longitude": _found_with(longitude=True),
    "latitude out of range": _found_with(latitude=151.5),
    "huge longitude": _found_with(longitude=1e308 * 10),
    "list codes": _found_with(codes=["E05013806"]),
    "numeric ward code": _codes_with(admin_ward=5013806),
    "boolean pfa code": _codes_with(pfa=False),
}


@pytest.mark.parametrize("body", WRONG_200.values(), ids=WRONG_200.keys())
async def test_200_with_wrong_shape_is_unavailable(
    fake: FakePostcodesIo, client: httpx.AsyncClient, body: Any
) -> None:
    fake.set("E1 6AN", (200, body))
    remote = await fast(client, fake.base_url).lookup("E1 6AN")
    assert remote.status == "unavailable"
    assert remote.reason is not None
    assert len(fake.requests) == 1


def _terminated_with(**changes: Any) -> dict[str, Any]:
    body = terminated_body("E1 8YZ", 2019, 7)
    body["terminated"].update(changes)
    return body


WRONG_404 = {
    "no error": {"status": 404},
    "numeric error": {"status": 404, "error": 404},
    "other error": RESOURCE_NOT_FOUND.body,
    "list body": [{"status": 404, "error": "Postcode not found"}],
    "terminated list": {"status": 404, "error": "Postcode not found", "terminated": [2019, 7]},
    "string year": _terminated_with(year_terminated="2019"),
    "boolean year": _terminated_with(year_terminated=True),
    "no month": _terminated_with(month_terminated=None),
    "month 13": _terminated_with(month_terminated=13),
    "float month": _terminated_with(month_terminated=7.5),
    "string latitude": _terminated_with(latitude="51.5"),
    "numeric postcode": _terminated_with(postcode=18),
}


@pytest.mark.parametrize("body", WRONG_404.values(), ids=WRONG_404.keys())
async def test_404_with_wrong_shape_is_unavailable(
    fake: FakePostcodesIo, client: httpx.AsyncClient, body: Any
) -> None:
    fake.set("E1 6AN", (404, body))
    remote = await fast(client, fake.base_url).lookup("E1 6AN")
    assert remote.status == "unavailable"
    assert len(fake.requests) == 1


async def test_oversized_body_is_unavailable(
    fake: FakePostcodesIo, client: httpx.AsyncClient
) -> None:
    body = found_body("E1 6AN")
    body["result"]["padding"] = "x" * 400_000
    fake.set("E1 6AN", (200, body))
    remote = await fast(client, fake.base_url).lookup("E1 6AN")
    assert remote == Remote(status="unavailable", reason="body too large")


async def test_wrong_base_path_is_unavailable(
    fake: FakePostcodesIo, client: httpx.AsyncClient
) -> None:
    remote = await fast(client, f"{fake.base_url}/v9").lookup("E1 6AN")
    assert remote == Remote(status="unavailable", reason="unexpected 404")
    assert fake.requests == ["/v9/postcodes/E16AN"]


async def test_base_url_with_trailing_slash(
    fake: FakePostcodesIo, client: httpx.AsyncClient
) -> None:
    fake.set("E1 6AN", (200, found_body("E1 6AN")))
    remote = await fast(client, f"{fake.base_url}/").lookup("E1 6AN")
    assert remote.status == "found"
    assert fake.requests == ["/postcodes/E16AN"]


async def test_connection_refused(client: httpx.AsyncClient) -> None:
    started = time.monotonic()
    remote = await fast(client, unused_base_url()).lookup("E1 6AN")
    assert remote.status == "unavailable"
    assert remote.reason == "transport error (ConnectError)"
    assert time.monotonic() - started < 3.5


async def test_stopped_server_refuses(fake: FakePostcodesIo, client: httpx.AsyncClient) -> None:
    fake.set("E1 6AN", (200, found_body("E1 6AN")))
    postcodes_io = fast(client, fake.base_url)
    assert (await postcodes_io.lookup("E1 6AN")).status == "found"
    fake.stop()
    remote = await postcodes_io.lookup("E1 6AN")
    assert remote == Remote(status="unavailable", reason="transport error (ConnectError)")


async def test_dropped_connection_is_retried_then_unavailable(
    fake: FakePostcodesIo, client: httpx.AsyncClient
) -> None:
    fake.drop_connections = True
    remote = await fast(client, fake.base_url).lookup("E1 6AN")
    assert remote.status == "unavailable"
    assert remote.reason is not None and remote.reason.startswith("transport error")
    assert len(fake.requests) == 2


async def test_cancellation_propagates(fake: FakePostcodesIo, client: httpx.AsyncClient) -> None:
    fake.set("E1 6AN", Answer(200, found_body("E1 6AN"), delay=30.0))
    task = asyncio.create_task(fast(client, fake.base_url, timeout=5.0).lookup("E1 6AN"))
    await asyncio.to_thread(fake.wait_for_requests, 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_fake_stops_promptly_under_a_slow_answer(client: httpx.AsyncClient) -> None:
    with FakePostcodesIo() as server:
        server.set("E1 6AN", Answer(200, found_body("E1 6AN"), delay=30.0))
        task = asyncio.create_task(
            fast(client, server.base_url, timeout=5.0, deadline=5.0).lookup("E1 6AN")
        )
        await asyncio.to_thread(server.wait_for_requests, 1)
        started = time.monotonic()
        await asyncio.to_thread(server.stop)
        assert time.monotonic() - started < 1.0
        remote = await task
    assert remote.status == "unavailable"


def test_constructor_rejects_nonsense() -> None:
    http = httpx.AsyncClient()
    try:
        with pytest.raises(ValueError, match="retries"):
            PostcodesIo(http, retries=2)
        with pytest.raises(ValueError, match="timeout"):
            PostcodesIo(http, timeout=0)
        with pytest.raises(ValueError, match="deadline"):
            PostcodesIo(http, deadline=-1)
    finally:
        asyncio.run(http.aclose())


async def test_logs_carry_the_outcode_at_most(
    fake: FakePostcodesIo, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="datastore.query.postcodes_io")
    fake.set("SW1A 1AA", (200, found_body("SW1A 1AA")))
    fake.set("SW1A 2AA", (500, b""))
    fake.set("SW1A 2AB", (200, b"not json"))
    postcodes_io = fast(client, fake.base_url)
    for postcode in ("SW1A 1AA", "SW1A 2AA", "SW1A 2AB", "SW1A 0ZZ"):
        await postcodes_io.lookup(postcode)
    text = caplog.text
    assert "SW1A" in text
    for secret in ("1AA", "2AA", "2AB", "0ZZ"):
        assert secret not in text
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2  # the two unavailable answers, nothing else
    assert all("SW1A" in r.getMessage() for r in warnings)


def test_fake_speaks_postcodes_io_404s(fake: FakePostcodesIo) -> None:
    with httpx.Client(trust_env=False, base_url=fake.base_url) as http:
        unknown = http.get("/postcodes/ZZ1%201ZZ")
        invalid = http.get("/postcodes/hello")
        elsewhere = http.get("/districts/E1")  # /outcodes is spoken (issue 19)
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"status": 404, "error": "Postcode not found"},
    )
    assert (invalid.status_code, invalid.json()) == (
        404,
        {"status": 404, "error": "Invalid postcode"},
    )
    assert (elsewhere.status_code, elsewhere.json()["error"]) == (404, "Resource not found")
    assert unknown.headers["content-type"].startswith("application/json")
