"""A small client for postcodes.io: one postcode, one postcode district, place names.

``PostcodesIo`` asks postcodes.io through an injected ``httpx.AsyncClient``:
``lookup`` a postcode (``GET /postcodes/{postcode}``), ``district`` whether a postcode
district exists (``GET /outcodes/{outcode}``), and ``places`` the populated places of OS
Open Names by name (``GET /places?q=``).  None of them raises (cancellation apart): every
failure becomes an answer with status "unavailable" and a short ``reason``; each retries at
most once, and an overall deadline bounds how long it can take.

Privacy: postcodes can point at a handful of homes, so log lines carry the outward code at
most, never the full postcode; place names asked for are not logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal, TypeVar
from urllib.parse import quote

import httpx

from datastore.query.postcodes import normalise, outward_code

__all__ = [
    "DEFAULT_BASE_URL",
    "PostcodesIo",
    "Remote",
    "RemoteDistrict",
    "RemotePlace",
    "RemotePlaces",
    "RemoteStatus",
]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://api.postcodes.io"

RemoteStatus = Literal["found", "invalid", "not_found", "terminated", "unavailable"]


def _outcode(postcode: str) -> str:
    """The outward code of a normalised postcode: all that may appear in a log line."""
    return postcode.split(" ", 1)[0]



@dataclass(frozen=True, slots=True)
class Remote:
    """postcodes.io's answer for one postcode.

    found: the live postcode, with its ward, district and police force area (names and
        GSS codes; any may be None where postcodes.io has none) and its coordinates.
    invalid: postcodes.io says this is not a postcode at all.
    not_found: a well-formed postcode it does not know.
    terminated: a postcode no longer in use; ``terminated_year``/``terminated_month``
        say when, and ``lat``/``lon`` give its last known position when known.
    unavailable: no usable answer (network, timeout, 5xx, 429, malformed body);
        ``reason`` says which, briefly, and never holds a URL or the postcode.
    """

    status: RemoteStatus
    postcode: str | None = None
    ward_code: str | None = None
    ward_name: str | None = None
    district_code: str | None = None
    district_name: str | None = None
    pfa: str | None = None
    pfa_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    terminated_year: int | None = None
    terminated_month: int | None = None
    reason: str | None = None


class _BadShape(Exception):
    """The body parsed as JSON but is not the shape postcodes.io documents."""


class _TooLarge(Exception):
    """The body was larger than any postcodes.io answer we ask for."""


@dataclass(frozen=True, slots=True)
class _Retry:
    """An attempt failed in a way worth one more try (timeout, transport error, 5xx, 429)."""

    reason: str


@dataclass(frozen=True, slots=True)
class _Failed:
    """No usable answer, and why (never a URL or a postcode)."""

    reason: str


# A postcode lookup answer is a few KB, twenty places some 20 KB; refuse to buffer more.
_MAX_BODY: Final = 256 * 1024
_BACKOFF: Final = (0.1, 0.2)


def _reject_constant(name: str) -> object:
    raise ValueError(f"non-finite number {name}")


def _optional_str(mapping: dict[str, object], key: str) -> str | None:
    value = mapping.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _BadShape(key)


def _optional_coordinate(mapping: dict[str, object], key: str, limit: float) -> float | None:
    value = mapping.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadShape(key)
    number = float(value)
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise _BadShape(key)
    return number


def _object(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _BadShape(what)
    return value


def _found(body: object) -> Remote:
    result = _object(_object(body, "body").get("result"), "result")
    postcode = result.get("postcode")
    if not isinstance(postcode, str):
        raise _BadShape("postcode")
    codes_value = result.get("codes")
    codes = {} if codes_value is None else _object(codes_value, "codes")
    return Remote(
        status="found",
        postcode=postcode,
        ward_code=_optional_str(codes, "admin_ward"),
        ward_name=_optional_str(result, "admin_ward"),
        district_code=_optional_str(codes, "admin_district"),
        district_name=_optional_str(result, "admin_district"),
        pfa=_optional_str(result, "pfa"),
        pfa_code=_optional_str(codes, "pfa"),
        lat=_optional_coordinate(result, "latitude", 90.0),
        lon=_optional_coordinate(result, "longitude", 180.0),
    )


def _not_found(body: object) -> Remote | None:
    """invalid / not_found / terminated from a 404 body; None for any other 404."""
    obj = _object(body, "body")
    error = obj.get("error")
    if not isinstance(error, str):
        raise _BadShape("error")
    error = error.strip().lower()
    if error == "invalid postcode":
        return Remote(status="invalid")
    if error != "postcode not found":
        return None  # e.g. "Resource not found": the URL is wrong, not the postcode
    terminated_value = obj.get("terminated")
    if terminated_value is None:
        return Remote(status="not_found")
    terminated = _object(terminated_value, "terminated")
    year = terminated.get("year_terminated")
    month = terminated.get("month_terminated")
    if isinstance(year, bool) or not isinstance(year, int) or year < 1:
        raise _BadShape("year_terminated")
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise _BadShape("month_terminated")
    return Remote(
        status="terminated",
        postcode=_optional_str(terminated, "postcode"),
        lat=_optional_coordinate(terminated, "latitude", 90.0),
        lon=_optional_coordinate(terminated, "longitude", 180.0),
        terminated_year=year,
        terminated_month=month,
    )


def _read_postcode(status_code: int, body: object) -> Remote | None:
    return _found(body) if status_code == 200 else _not_found(body)


@dataclass(frozen=True, slots=True)
class RemoteDistrict:
    """postcodes.io's answer for a postcode district: "found" (it exists; ``districts`` are
    the local authorities it spans), "not_found" (no such district) or "unavailable"."""

    status: Literal["found", "not_found", "unavailable"]
    districts: tuple[str, ...] = ()
    reason: str | None = None


def _read_district(status_code: int, body: object) -> RemoteDistrict | None:
    obj = _object(body, "body")
    if status_code == 404:
        error = obj.get("error")
        if not isinstance(error, str):
            raise _BadShape("error")
        return RemoteDistrict("not_found") if error.strip().lower() == "outcode not found" \
            else None
    result = _object(obj.get("result"), "result")
    names = result.get("admin_district") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _BadShape("admin_district")
    return RemoteDistrict("found", tuple(names))


@dataclass(frozen=True, slots=True)
class RemotePlace:
    """A populated place of OS Open Names as postcodes.io gives it."""

    name: str
    local_type: str
    district_borough: str | None
    region: str | None
    outcode: str | None
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class RemotePlaces:
    """postcodes.io's places for a name: "found" (``places``, maybe none) or "unavailable"."""

    status: Literal["found", "unavailable"]
    places: tuple[RemotePlace, ...] = ()
    reason: str | None = None


def _read_places(status_code: int, body: object) -> RemotePlaces | None:
    if status_code != 200:
        return None
    result = _object(body, "body").get("result")
    if not isinstance(result, list):
        raise _BadShape("result")
    places = []
    for item in result:
        place = _object(item, "place")
        name, kind = place.get("name_1"), place.get("local_type")
        lat = _optional_coordinate(place, "latitude", 90.0)
        lon = _optional_coordinate(place, "longitude", 180.0)
        if not isinstance(name, str) or not isinstance(kind, str):
            raise _BadShape("name_1")
        if lat is None or lon is None:
            continue  # no point, nothing to place
        places.append(RemotePlace(name, kind, _optional_str(place, "district_borough"),
                                  _optional_str(place, "region"),
                                  _optional_str(place, "outcode"), lat, lon))
    return RemotePlaces("found", tuple(places))


T = TypeVar("T")
MAX_PLACES: Final = 20  # places asked for a name


class PostcodesIo:
    """A small client for postcodes.io.

    ``client`` is owned by the caller (open it, share it, close it).  ``timeout`` bounds
    each HTTP attempt (httpx's connect/read/write/pool timeouts), ``retries`` (0 or 1)
    is how many times a timeout, transport error, 5xx or 429 is tried again after a short
    pause, and ``deadline`` bounds each question, retries included.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 2.0,
        retries: int = 1,
        deadline: float = 2.9,
    ) -> None:
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        if not deadline > 0:
            raise ValueError("deadline must be positive")
        if retries not in (0, 1):
            raise ValueError("retries must be 0 or 1")
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._retries = retries
        self._deadline = deadline

    async def lookup(self, postcode: str) -> Remote:
        """postcodes.io's answer for ``postcode`` (normalised, e.g. "SW1A 1AA").

        Never raises except ``asyncio.CancelledError``; returns within ``deadline``
        seconds (plus scheduling slack).  Text that is not a postcode is answered
        "invalid" without a request.
        """
        normalised = normalise(postcode)
        if normalised is None:
            logger.debug("postcodes.io lookup skipped: not a postcode")
            return Remote(status="invalid")
        outcode = _outcode(normalised)
        url = f"{self._base_url}/postcodes/{quote(normalised.replace(' ', ''), safe='')}"
        got = await self._ask(url, _read_postcode, outcode)
        remote = Remote(status="unavailable", reason=got.reason) if isinstance(got, _Failed) \
            else got
        if remote.status != "unavailable":
            logger.debug("postcodes.io answered %s for %s", remote.status, outcode)
        return remote

    async def district(self, outcode: str) -> RemoteDistrict:
        """Whether a postcode district exists, and the local authorities it spans."""
        district = outward_code(outcode)
        if district is None:
            return RemoteDistrict("not_found")
        got = await self._ask(f"{self._base_url}/outcodes/{district}", _read_district,
                              f"the district {district}")
        return RemoteDistrict("unavailable", reason=got.reason) if isinstance(got, _Failed) \
            else got

    async def places(self, name: str) -> RemotePlaces:
        """The populated places of OS Open Names whose name matches ``name``."""
        query = " ".join(name.split())[:100]
        if not query:
            return RemotePlaces("found")
        url = (f"{self._base_url}/places?q={quote(query, safe='')}&limit={MAX_PLACES}")
        got = await self._ask(url, _read_places, "a places search")
        return RemotePlaces("unavailable", reason=got.reason) if isinstance(got, _Failed) \
            else got

    async def _ask(self, url: str, read: Callable[[int, object], T | None],
                   what: str) -> T | _Failed:
        """One question, at most ``retries`` + 1 attempts within the deadline."""
        try:
            async with asyncio.timeout(self._deadline):
                got = await self._attempts(url, read)
        except TimeoutError:
            got = _Failed("deadline exceeded")
        except Exception as exc:  # a bug or an oddity of the transport: still an answer
            # No traceback: exception texts may hold the URL, and so the postcode.
            logger.debug("postcodes.io, asked for %s, raised %s", what, type(exc).__name__)
            got = _Failed(f"error ({type(exc).__name__})")
        if isinstance(got, _Failed):
            logger.warning("postcodes.io unavailable for %s: %s", what, got.reason)
        return got

    async def _attempts(self, url: str, read: Callable[[int, object], T | None]) -> T | _Failed:
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(url, read)
            if not isinstance(outcome, _Retry):
                return outcome
            logger.debug("postcodes.io attempt %d failed: %s", attempt, outcome.reason)
            if attempt > self._retries:
                return _Failed(outcome.reason)
            await asyncio.sleep(random.uniform(*_BACKOFF))

    async def _attempt(self, url: str, read: Callable[[int, object], T | None],
                       ) -> T | _Failed | _Retry:
        try:
            async with self._client.stream(
                "GET", url, timeout=self._timeout, headers={"Accept": "application/json"}
            ) as response:
                content = await _read_capped(response)
                status_code = response.status_code
        except httpx.TimeoutException:
            return _Retry("timeout")
        except httpx.TransportError as exc:
            return _Retry(f"transport error ({type(exc).__name__})")
        except _TooLarge:
            return _Failed("body too large")
        except httpx.HTTPError as exc:  # e.g. a body that fails to decode
            return _Failed(f"http error ({type(exc).__name__})")
        return _interpret(status_code, content, read)


def _interpret(status_code: int, content: bytes,
               read: Callable[[int, object], T | None]) -> T | _Failed | _Retry:
    if status_code == 429:
        return _Retry("rate limited (429)")
    if status_code >= 500:
        return _Retry(f"server error ({status_code})")
    if status_code not in (200, 404):
        return _Failed(f"unexpected status ({status_code})")
    try:
        body: object = json.loads(content, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return _Failed(f"body is not JSON ({status_code})")
    try:
        found = read(status_code, body)
    except _BadShape as exc:
        return _Failed(f"unexpected body shape ({exc})")
    return _Failed(f"unexpected {status_code}") if found is None else found


async def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > _MAX_BODY:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)
