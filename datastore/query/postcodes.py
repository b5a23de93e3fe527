"""UK postcodes: parsing what people type, and a small client for postcodes.io.

Parsing is pure and never raises.  ``normalise`` turns any case and spacing of a full
postcode into the one-space form ("sw1a1aa" -> "SW1A 1AA"); ``parse_query`` also
recognises a bare outward code ("e1" -> "E1") and says "invalid" for anything else;
``find_postcodes`` finds the postcodes written anywhere in a message ("my postcode is
e8-1dy") and ``outward_code`` reads one word as a district.

``PostcodesIo`` looks one postcode up at postcodes.io (``GET /postcodes/{postcode}``)
through an injected ``httpx.AsyncClient``.  ``lookup`` never raises (cancellation
apart): every failure becomes ``Remote(status="unavailable", reason=...)``, it retries
at most once, and an overall deadline bounds how long it can take.

Privacy: postcodes can point at a handful of homes, so log lines carry the outward
code at most, never the full postcode.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import quote

import httpx

__all__ = [
    "DEFAULT_BASE_URL",
    "Found",
    "PostcodesIo",
    "Query",
    "QueryKind",
    "Remote",
    "RemoteStatus",
    "find_postcodes",
    "normalise",
    "outward_code",
    "parse_query",
]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://api.postcodes.io"

QueryKind = Literal["postcode", "outcode", "invalid"]
RemoteStatus = Literal["found", "invalid", "not_found", "terminated", "unavailable"]

# --------------------------------------------------------------------------------------
# The grammar (BS 7666, as published in the UK Government Data Standards Catalogue).
#
# Outward code shapes: A9, A99, AA9, AA99, A9A, AA9A.  Letters are restricted by position:
#   1st letter: not Q, V, X          2nd letter: not I, J, Z
#   3rd char of A9A: one of A B C D E F G H J K P S T U W
#   4th char of AA9A: one of A B E H M N P R V W X Y
# Inward code: a digit and two letters, never C I K M O V.  "GIR 0AA" is the one
# historic exception and is accepted as a full postcode.
_L1: Final = "A-PR-UWYZ"
_L2: Final = "A-HK-Y"
_L3: Final = "A-HJKPSTUW"
_L4: Final = "ABEHMNPRVWXY"
_INWARD_LETTER: Final = "ABD-HJLNP-UW-Z"

_OUTWARD: Final = (
    f"[{_L1}][0-9][0-9]?"  # A9, A99
    f"|[{_L1}][{_L2}][0-9][0-9]?"  # AA9, AA99
    f"|[{_L1}][0-9][{_L3}]"  # A9A
    f"|[{_L1}][{_L2}][0-9][{_L4}]"  # AA9A
)
_INWARD: Final = f"[0-9][{_INWARD_LETTER}]{{2}}"

_OUTCODE_RE: Final = re.compile(f"(?:{_OUTWARD})", re.ASCII)
_POSTCODE_RE: Final = re.compile(f"(?:{_OUTWARD})(?:{_INWARD})|GIR0AA", re.ASCII)

# Spacing people (and copy-paste) put in a postcode: ordinary spaces, tabs and line
# breaks, Unicode space separators, and the zero-width characters pasted text carries.
# Other control characters (NUL, ESC, ...) are not spacing: they make the text invalid.
_SPACING: Final = (
    "\t\n\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u200b\u202f\u205f\u2060\u3000\ufeff"
)
_SPACING_RE: Final = re.compile(f"[{re.escape(_SPACING)}]+")
# What may surround a postcode in a message without changing its meaning: spacing,
# sentence punctuation, quotes and brackets.
_WRAPPING: Final = _SPACING + ".,;:!?'\"()[]<>\u2018\u2019\u201c\u201d\u00ab\u00bb"
# A postcode is at most 8 characters; anything much longer is not one, whatever it holds.
_MAX_INPUT: Final = 64


def _compact(text: str) -> str | None:
    """Text upper-cased without its spacing, or None if it can't be a postcode.

    The spacing may surround the text and may separate it into two parts (outward and
    inward code); a space anywhere else ("E1 66AN", "S W1A") is not tidied away, since
    that would be guessing.  What remains must be ASCII letters and digits.
    """
    parts = [part for part in _SPACING_RE.split(text) if part]
    if not 1 <= len(parts) <= 2:
        return None
    compact = "".join(parts)
    if not compact.isascii() or not compact.isalnum():
        return None
    compact = compact.upper()
    if len(parts) == 2 and len(parts[1]) != 3:
        return None  # the space must fall between the outward and the inward code
    return compact


def normalise(text: str) -> str | None:
    """A full UK postcode in its standard form ("SW1A 1AA"), or None if ``text`` isn't one.

    Any case and any spacing around it or between its two halves is accepted
    (" e1  6an ", "E16AN", "e1\t6an"); nothing else is forgiven: no punctuation, no
    look-alike digits or letters, no space inside a half, no guessing at typos.
    """
    if not isinstance(text, str) or len(text) > _MAX_INPUT:
        return None
    compact = _compact(text)
    if compact is None or _POSTCODE_RE.fullmatch(compact) is None:
        return None
    return f"{compact[:-3]} {compact[-3:]}"


@dataclass(frozen=True, slots=True)
class Query:
    """What someone typed, read as a postcode, an outward code, or neither.

    ``value`` is the normalised postcode ("E1 6AN"), the upper-case outward code
    ("SW1A"), or "" when ``kind`` is "invalid".  ``text`` is the original input.
    """

    kind: QueryKind
    value: str
    text: str


def parse_query(text: str) -> Query:
    """Read a message as a full postcode, a bare outward code, or "invalid"; never raises.

    Surrounding spaces, quotes, brackets and sentence punctuation ("E1 6AN.") are
    ignored; anything else around or inside the code makes the query invalid.
    """
    if not isinstance(text, str):
        return Query("invalid", "", "")
    if len(text) > _MAX_INPUT:
        return Query("invalid", "", text)
    stripped = text.strip(_WRAPPING)
    postcode = normalise(stripped)
    if postcode is not None:
        return Query("postcode", postcode, text)
    if stripped.isascii() and _OUTCODE_RE.fullmatch(stripped.upper()) is not None:
        return Query("outcode", stripped.upper(), text)
    return Query("invalid", "", text)


def outward_code(text: str) -> str | None:
    """The upper-case outward code if ``text`` is one and nothing else ("e1" -> "E1")."""
    if not isinstance(text, str) or not text.isascii() or len(text) > 4:
        return None
    upper = text.upper()
    return upper if _OUTCODE_RE.fullmatch(upper) is not None else None


# --------------------------------------------------------------------------------------
# Postcodes inside a message

# A message is scanned as runs of ASCII letters and digits.  Between the pieces of one
# postcode only spacing and the joiners people put in codes ("e8-1dy", "E8.1DY",
# "E8/1DY") may stand, at most three characters of them.
_PIECE_RE: Final = re.compile(r"[A-Za-z0-9]+", re.ASCII)
_JOINERS: Final = frozenset(_SPACING + "-./_")
_MAX_JOIN: Final = 3
_MAX_SCAN: Final = 1000  # characters of a message looked at: a postcode comes early


@dataclass(frozen=True, slots=True)
class Found:
    """A postcode written in a message: normalised, and where it stands (``text[start:end]``).

    ``exact`` is True when it was written as one word or as its two halves ("E81DY",
    "E8 1DY", "e8-1dy"), False when it was pieced together from smaller fragments
    ("e 8 1 d y", "SE 15 5AA"), which is only accepted for a postcode the caller knows.
    """

    postcode: str
    start: int
    end: int
    exact: bool


def _joined(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return len(gap) <= _MAX_JOIN and all(ch in _JOINERS for ch in gap)


def find_postcodes(text: str, known: Callable[[str], bool] | None = None) -> tuple[Found, ...]:
    """The postcodes written in ``text``, in order, each once; never raises.

    A postcode written as one word or as its two halves is found whether or not it
    exists; one pieced together from more fragments (" e 8 1 d y ") only when ``known``
    says the normalised postcode exists, so that ordinary words are never glued into a
    code.  Without ``known`` only exact writings are found.  Only the first
    1,000 characters are read.
    """
    if not isinstance(text, str):
        return ()
    text = text[:_MAX_SCAN]
    pieces = [(m.group().upper(), m.start(), m.end()) for m in _PIECE_RE.finditer(text)]
    taken = [False] * len(pieces)
    found: list[Found] = []
    for i, (piece, start, end) in enumerate(pieces):
        if _POSTCODE_RE.fullmatch(piece):
            found.append(Found(f"{piece[:-3]} {piece[-3:]}", start, end, True))
            taken[i] = True
            continue
        if i + 1 < len(pieces) and not taken[i] and len(piece) <= 4:
            inward, istart, iend = pieces[i + 1]
            if (len(inward) == 3 and _POSTCODE_RE.fullmatch(piece + inward)
                    and _joined(text, end, istart)):
                found.append(Found(f"{piece} {inward}", start, iend, True))
                taken[i] = taken[i + 1] = True
    if known is not None:
        found.extend(_pieced(text, pieces, taken, known))
    seen: set[str] = set()
    ordered = []
    for f in sorted(found, key=lambda f: f.start):
        if f.postcode not in seen:
            seen.add(f.postcode)
            ordered.append(f)
    return tuple(ordered)


def _pieced(text: str, pieces: list[tuple[str, int, int]], taken: list[bool],
            known: Callable[[str], bool]) -> list[Found]:
    """Postcodes spread over several fragments, the longest known one at each place."""
    out: list[Found] = []
    i = 0
    while i < len(pieces):
        best: tuple[int, str] | None = None
        compact = ""
        j = i
        while j < len(pieces) and not taken[j]:
            if j > i and not _joined(text, pieces[j - 1][2], pieces[j][1]):
                break
            compact += pieces[j][0]
            if len(compact) > 7:
                break
            if j > i and _POSTCODE_RE.fullmatch(compact):
                postcode = f"{compact[:-3]} {compact[-3:]}"
                if known(postcode):
                    best = (j, postcode)
            j += 1
        if best is None:
            i += 1
            continue
        last, postcode = best
        out.append(Found(postcode, pieces[i][1], pieces[last][2], False))
        for k in range(i, last + 1):
            taken[k] = True
        i = last + 1
    return out


def _outcode(postcode: str) -> str:
    """The outward code of a normalised postcode: all that may appear in a log line."""
    return postcode.split(" ", 1)[0]


# --------------------------------------------------------------------------------------
# postcodes.io


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
    """The body was larger than any postcodes.io answer for one postcode."""


@dataclass(frozen=True, slots=True)
class _Retry:
    """An attempt failed in a way worth one more try (timeout, transport error, 5xx, 429)."""

    reason: str


# A postcode lookup answer is a few KB; refuse to buffer more than this.
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


def _interpret(status_code: int, content: bytes) -> Remote | _Retry:
    if status_code == 429:
        return _Retry("rate limited (429)")
    if status_code >= 500:
        return _Retry(f"server error ({status_code})")
    if status_code not in (200, 404):
        return Remote(status="unavailable", reason=f"unexpected status ({status_code})")
    try:
        body: object = json.loads(content, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return Remote(status="unavailable", reason=f"body is not JSON ({status_code})")
    try:
        remote = _found(body) if status_code == 200 else _not_found(body)
    except _BadShape as exc:
        return Remote(status="unavailable", reason=f"unexpected body shape ({exc})")
    if remote is None:
        return Remote(status="unavailable", reason="unexpected 404")
    return remote


class PostcodesIo:
    """A small client for postcodes.io's single-postcode lookup.

    ``client`` is owned by the caller (open it, share it, close it).  ``timeout`` bounds
    each HTTP attempt (httpx's connect/read/write/pool timeouts), ``retries`` (0 or 1)
    is how many times a timeout, transport error, 5xx or 429 is tried again after a short
    pause, and ``deadline`` bounds the whole of ``lookup``, retries included.
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
        try:
            async with asyncio.timeout(self._deadline):
                remote = await self._lookup(normalised)
        except TimeoutError:
            remote = Remote(status="unavailable", reason="deadline exceeded")
        except Exception as exc:  # a bug or an oddity of the transport: still an answer
            # No traceback: exception texts may hold the URL, and so the postcode.
            logger.debug("postcodes.io lookup for %s raised %s", outcode, type(exc).__name__)
            remote = Remote(status="unavailable", reason=f"error ({type(exc).__name__})")
        if remote.status == "unavailable":
            logger.warning("postcodes.io unavailable for %s: %s", outcode, remote.reason)
        else:
            logger.debug("postcodes.io answered %s for %s", remote.status, outcode)
        return remote

    async def _lookup(self, postcode: str) -> Remote:
        url = f"{self._base_url}/postcodes/{quote(postcode.replace(' ', ''), safe='')}"
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(url)
            if isinstance(outcome, Remote):
                return outcome
            logger.debug("postcodes.io attempt %d failed: %s", attempt, outcome.reason)
            if attempt > self._retries:
                return Remote(status="unavailable", reason=outcome.reason)
            await asyncio.sleep(random.uniform(*_BACKOFF))

    async def _attempt(self, url: str) -> Remote | _Retry:
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
            return Remote(status="unavailable", reason="body too large")
        except httpx.HTTPError as exc:  # e.g. a body that fails to decode
            return Remote(status="unavailable", reason=f"http error ({type(exc).__name__})")
        return _interpret(status_code, content)


async def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > _MAX_BODY:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)
