"""data.police.uk: which months have stop and search for a force, and one month's records.

A month's answer is written to a temporary file as it arrives and read from there in a
worker thread, one record at a time (`read_records`): each must be an object with the
fields the loader needs, and there may be at most MAX_RECORDS, so neither the event loop nor
memory is ever held by an answer whole.

- `GET {base}/api/crimes-street-dates`: a JSON list, newest first, of `{"date": "YYYY-MM",
  "stop-and-search": [force ids]}` (a saved real answer: tests/data/api_shapes/).
- `GET {base}/api/stops-force?force={force}&date=YYYY-MM`: a JSON list of records, as the
  loader (`loaders/_stop_search.py`) reads them; `[]` when the month is not published yet.

police.uk asks clients to stay under 15 requests a second: one `PoliceUk` spaces every
request it makes (12 a second by default) and retries the answers that mean "later".
"""

from __future__ import annotations

import asyncio
import codecs
import json
import math
import re
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO, Final

import httpx

from datastore.ingest.publishers import PublisherError, Unreachable, _http

__all__ = ["MAX_RECORDS", "RECORD_FIELDS", "PoliceUk", "RateLimiter", "month_text",
           "parse_dates", "read_records", "retry_after"]

WHO: Final = "data.police.uk"
DATES_EXPECTED: Final = (
    'a JSON list of {"date": "YYYY-MM", "stop-and-search": [force ids]} objects')
STOPS_EXPECTED: Final = "a JSON list of stop-and-search records (objects)"
# The fields every stops-force record carries (null or not) and the loader needs to read it
# (loaders/_stop_search.py recognises records by them).
RECORD_FIELDS: Final = ("age_range", "datetime", "location", "object_of_search",
                        "officer_defined_ethnicity", "type")
# The most records one month may have: the Met makes some 10,000 searches a month, and the
# open API holds about a third of them.  Each record is checked and counted as it is read,
# so a hostile answer is refused before it is held (60 MB of "{}" took 1.2 GB whole).
MAX_RECORDS: Final = 100_000
# The longest one record may be, in characters (a real one is under a kilobyte).
MAX_RECORD_CHARS: Final = 64 * 1024
# Statuses that mean "try again shortly".
RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})
# Failures on the wire worth another try: timeouts, refused or reset connections.
RETRY_ERRORS: Final = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
# A month of one force's records is a few MB; far more is not an answer to trust.
MAX_ANSWER_BYTES: Final = 64_000_000
# The longest wait a Retry-After may impose before WardWatch gives up for now.
MAX_RETRY_AFTER: Final = 120.0
_MONTH: Final = re.compile(r"(\d{4})-(\d{2})")

Sleep = Callable[[float], Awaitable[None]]


def month_text(month: int) -> str:
    """YYYYMM → "YYYY-MM"; ValueError for anything that is not a month."""
    year, mon = divmod(month, 100)
    if not (1 <= mon <= 12 and 1000 <= year <= 9999):
        raise ValueError(f"not a YYYYMM month: {month!r}")
    return f"{year:04d}-{mon:02d}"


def _shape(url: str, found: str, expected: str) -> PublisherError:
    return PublisherError(url, f"{found}; expected {expected}",
                          message=f"{WHO} answered {found} at {url}; expected {expected}")


def _status(fetched: _http.Fetched, expected: str) -> PublisherError:
    status = fetched.status
    what = "refused the request (HTTP 403)" if status == 403 else f"answered HTTP {status}"
    cls = Unreachable if status >= 500 else PublisherError
    return cls(fetched.url, f"HTTP {status}; expected {expected}", status=status,
               message=f"{WHO} {what} at {fetched.url}; expected {expected}")


class _Text:
    """A file's text, read a megabyte at a time, from which JSON values are decoded in turn."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.pos = 0
        self.eof = False

    def more(self) -> bool:
        """Read on (what was decoded is dropped); False at the end of the file."""
        if self.eof:
            return False
        chunk = self._fh.read(1 << 20)
        self.eof = not chunk
        self.text = self.text[self.pos:] + self._utf8.decode(chunk, final=self.eof)
        self.pos = 0
        return bool(chunk)

    def skip(self) -> str:
        """The next character after whitespace ("" at the end)."""
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return ""


def read_records(fh: BinaryIO, fetched: _http.Fetched) -> list[dict[str, Any]]:
    """The records of a stops-force answer in `fh`, read one at a time: each an object with
    every one of RECORD_FIELDS, at most MAX_RECORDS of them.  Anything else is a
    PublisherError naming the URL and the record, raised before the rest is read."""
    url = fetched.url
    text = _Text(fh)
    decoder = json.JSONDecoder()
    try:
        first = text.skip()
        if first == "":
            raise _shape(url, "an empty body", STOPS_EXPECTED)
        if first == "<" or "html" in fetched.headers.get("content-type", ""):
            raise _shape(url, "an HTML page, not JSON", STOPS_EXPECTED)
        if first != "[":
            raise _shape(url, "not a JSON list" if first in "{\"0123456789-tfn" else
                         "bytes that are not JSON", STOPS_EXPECTED)
        text.pos += 1
        records: list[dict[str, Any]] = []
        if text.skip() == "]":
            text.pos += 1
        else:
            while True:
                records.append(_record(text, decoder, url, len(records) + 1))
                separator = text.skip()
                text.pos += 1
                if separator == "]":
                    break
                if separator != ",":
                    raise _shape(url, f"a list cut short or broken after record "
                                 f"{len(records):,}", STOPS_EXPECTED)
        if text.skip() != "":
            raise _shape(url, "bytes after the list", STOPS_EXPECTED)
        return records
    except UnicodeDecodeError:
        raise _shape(url, "bytes that are not UTF-8 text", STOPS_EXPECTED) from None


def _record(text: _Text, decoder: json.JSONDecoder, url: str, number: int) -> dict[str, Any]:
    if number > MAX_RECORDS:
        raise _shape(url, f"more than {MAX_RECORDS:,} records, more than any month has",
                     STOPS_EXPECTED)
    if text.skip() == "":
        raise _shape(url, f"a list cut short before record {number:,}", STOPS_EXPECTED)
    while True:
        try:
            value, end = decoder.raw_decode(text.text, text.pos)
            break
        except (json.JSONDecodeError, RecursionError):
            if len(text.text) - text.pos > MAX_RECORD_CHARS or not text.more():
                raise _shape(url, f"record {number:,} that is not JSON (or is cut short, or "
                             f"longer than {MAX_RECORD_CHARS // 1024} KB)",
                             STOPS_EXPECTED) from None
    text.pos = end
    if not isinstance(value, dict):
        raise _shape(url, f"record {number:,} as {_http.describe(value)}", STOPS_EXPECTED)
    missing = [f for f in RECORD_FIELDS if f not in value]
    if missing:
        raise _shape(url, f"record {number:,} lacks {', '.join(missing)}", STOPS_EXPECTED)
    return value


def parse_dates(payload: object, url: str, force: str = "metropolitan") -> tuple[int, ...]:
    """The YYYYMM months of a crimes-street-dates answer that list `force`, newest first.

    Any other shape (not a list, an entry without a YYYY-MM date or a list of force ids) is a
    PublisherError naming `url`.
    """
    if not isinstance(payload, list):
        raise _shape(url, _http.describe(payload), DATES_EXPECTED)
    months: set[int] = set()
    for index, entry in enumerate(payload):
        if not isinstance(entry, dict):
            raise _shape(url, f"entry {index} as {_http.describe(entry)}", DATES_EXPECTED)
        date, forces = entry.get("date"), entry.get("stop-and-search")
        match = _MONTH.fullmatch(date) if isinstance(date, str) else None
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise _shape(url, f"entry {index} with date {date!r}", DATES_EXPECTED)
        if not isinstance(forces, list) or not all(isinstance(f, str) for f in forces):
            raise _shape(url, f'entry {index} ({date}) without a list of "stop-and-search" '
                         "force ids", DATES_EXPECTED)
        if force in forces:
            months.add(int(match.group(1)) * 100 + int(match.group(2)))
    return tuple(sorted(months, reverse=True))


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), else None."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


class RateLimiter:
    """Spaces the starts of requests at least 1/per_second apart, across every caller.

    The clock and sleep are injected so tests see each wait without waiting.
    """

    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        if not per_second > 0:
            raise ValueError("per_second must be positive")
        self.interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next = -math.inf
        self._lock = asyncio.Lock()

    async def wait(self) -> float:
        """Wait for this request's turn; the seconds waited."""
        async with self._lock:
            waited = 0.0
            now = self._clock()
            if self._next > now:
                waited = self._next - now
                await self._sleep(waited)
                now = max(self._clock(), self._next)
            self._next = now + self.interval
            return waited


class PoliceUk:
    """The data.police.uk API for one check: a shared rate limit and retries with backoff.

    `client` must carry WardWatch's User-Agent. `attempts` is the number of tries of one
    request; the waits between them grow (`backoff`, doubled each time) and are at least what
    a Retry-After header asks. `clock` (the limiter's) and `sleep` are injectable for tests.
    """

    def __init__(self, client: httpx.AsyncClient, base: str, *, per_second: float = 12.0,
                 attempts: int = 5, backoff: float = 0.5, sleep: Sleep = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._client = client
        self._base = base.rstrip("/")
        self._attempts = attempts
        self._backoff = backoff
        self._sleep = sleep
        self.limiter = RateLimiter(per_second, clock=clock, sleep=sleep)

    async def stop_search_months(self, force: str = "metropolitan") -> tuple[int, ...]:
        """The YYYYMM months police.uk has stop and search for `force`, newest first."""
        url = f"{self._base}/api/crimes-street-dates"
        return parse_dates(await self._json(url, None, DATES_EXPECTED), url, force)

    async def stops(self, month: int, force: str = "metropolitan") -> list[dict[str, Any]]:
        """`force`'s stop-and-search records of YYYYMM `month`, as police.uk gives them.

        `[]` means police.uk has not published the month (yet): the caller decides what that
        means, never "no searches".
        """
        params = {"force": force, "date": month_text(month)}
        url = f"{self._base}/api/stops-force"
        body = await asyncio.to_thread(tempfile.TemporaryFile)
        try:
            fetched = await self._get(url, params, sink=body)
            if fetched.status != 200:
                raise _status(fetched, STOPS_EXPECTED)
            return await asyncio.to_thread(read_records, body, fetched)
        finally:
            await asyncio.to_thread(body.close)

    async def _json(self, url: str, params: Mapping[str, str] | None, expected: str) -> object:
        fetched = await self._get(url, params)
        if fetched.status != 200:
            raise _status(fetched, expected)
        try:
            return _http.parse_json(fetched)
        except _http.NotJson as exc:
            raise _shape(fetched.url, str(exc), expected) from None

    async def _get(self, url: str, params: Mapping[str, str] | None,
                   sink: BinaryIO | None = None) -> _http.Fetched:
        """One GET, retried on 429/502/503/504 and timeouts; Unreachable when they run out."""
        shown = _http.full_url(url, params)
        last = ""
        status: int | None = None
        for attempt in range(1, self._attempts + 1):
            if sink is not None and attempt > 1:  # a failed try may have written some
                await asyncio.to_thread(_http.empty, sink)
            await self.limiter.wait()
            wait = self._backoff * 2 ** (attempt - 1)
            try:
                fetched = await _http.get(self._client, url, who=WHO, params=params,
                                          max_bytes=MAX_ANSWER_BYTES, sink=sink)
            except Unreachable as exc:
                cause = exc.__cause__
                if not isinstance(cause, RETRY_ERRORS):
                    raise
                last, status = _http.transport_failure(cause), None
            else:
                if fetched.status not in RETRY_STATUSES:
                    return fetched
                status = fetched.status
                last = f"HTTP {status}"
                asked = retry_after(fetched.headers.get("retry-after"))
                if asked is not None:
                    if asked > MAX_RETRY_AFTER:
                        raise Unreachable(shown, f"{last}, Retry-After {asked:.0f} s",
                                          status=status, message=f"{WHO} answered {last} at "
                                          f"{shown} and asked to wait {asked:.0f} s: later")
                    wait = max(wait, asked)
            if attempt < self._attempts:
                await self._sleep(wait)
        raise Unreachable(shown, f"{last} on all {self._attempts} tries", status=status,
                          message=f"{WHO} could not be used at {shown}: {last} on all "
                          f"{self._attempts} tries")
