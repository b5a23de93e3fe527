"""How WardWatch fetches from publishers: where it may go (`Rules`: the publishers' own hosts,
https, or plain http to this machine only), how slow a transfer may be (a minimum rate after
a grace period, so every transfer has an overall deadline), and one GET of a small JSON
document, bounded in size, its failures in words."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final

import httpx

from datastore.ingest.publishers import PublisherError, Unreachable

# The slowest a transfer may average, in bytes a second, once its grace period is over:
# 50 KB/s is a poor mobile connection; a publisher's real files (4 MB of ward crime, 70 MB of
# stop and search) come far faster.  So a transfer of at most N bytes ends by
# grace + N / MIN_RATE seconds, whatever the server does (1 byte a second, say).
MIN_RATE: Final = 50_000.0
# Seconds a transfer has before the rate counts (to connect and for the first bytes): twice
# the client's timeout for one read, so a server that says nothing at all is first "timed
# out" by that timeout, but never more than GRACE: a server dripping a byte a second is
# stopped within GRACE seconds, whatever the timeout.
GRACE_READS: Final = 2.0
GRACE: Final = 20.0


def grace(timeout: float | None) -> float:
    """The grace period of a client whose reads time out after `timeout` seconds."""
    return min(GRACE_READS * timeout, GRACE) if timeout else GRACE


class HostRefused(PublisherError):
    """A URL (asked for, listed in a catalogue, or a redirect's) that is not to be fetched."""


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine: localhost, 127.0.0.0/8 or ::1."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_of(url: str) -> str:
    """A URL's host, lower case ("" if it has none)."""
    try:
        return (httpx.URL(url).host or "").lower()
    except httpx.InvalidURL:
        return ""


@dataclass(frozen=True)
class Rules:
    """Where a publisher's client may fetch from, and how slow a transfer may be.

    `hosts`: the hosts it may reach (lower case), a redirect's target included; None for any
    host (a client not built by `make_client`).  Whatever the hosts, only https is fetched,
    or plain http to this machine (the test servers and a local mirror on 127.0.0.1): plain
    http over a network would let anyone on the way change the figures.
    """

    hosts: frozenset[str] | None = None
    min_rate: float = MIN_RATE
    grace: float = GRACE
    named: tuple[str, ...] = field(default=(), compare=False)  # the hosts, as configured

    @classmethod
    def for_urls(cls, urls: Iterable[str], *, extra: Iterable[str] = (),
                 min_rate: float = MIN_RATE, grace: float = GRACE) -> Rules:
        """Rules allowing the hosts of `urls` and the hosts in `extra`."""
        hosts = [h for h in (host_of(u) for u in urls) if h] + [h.strip().lower()
                                                                 for h in extra if h.strip()]
        unique = tuple(dict.fromkeys(hosts))
        return cls(frozenset(unique), min_rate, grace, unique)

    def refusal(self, url: httpx.URL) -> str:
        """Why `url` may not be fetched, in words ("" if it may)."""
        host = (url.host or "").lower()
        if url.scheme not in ("http", "https") or not host:
            return "it is not an http(s) URL"
        if url.scheme == "http" and not is_loopback(host):
            return (f"it is plain http to {host}, which is not this machine: only https is "
                    "fetched from another host")
        if self.hosts is not None and host not in self.hosts:
            allowed = ", ".join(self.named or sorted(self.hosts)) or "none"
            return (f"its host {host} is not one of the publishers' ({allowed}); if it is "
                    "theirs, add it to [publishers] allowed_hosts")
        return ""

    async def check(self, request: httpx.Request) -> None:
        """httpx's request hook: every request, each redirect's included, before it is sent."""
        why = self.refusal(request.url)
        if why:
            raise HostRefused(str(request.url), why,
                              message=f"refused to fetch {request.url}: {why}")


class PublisherClient(httpx.AsyncClient):
    """An AsyncClient that keeps to its `rules` (the hosts it may reach, checked on every
    request and redirect before it is sent) and carries them for transfers' deadlines."""

    def __init__(self, *, rules: Rules, **kwargs: Any) -> None:
        super().__init__(event_hooks={"request": [rules.check]}, **kwargs)
        self.rules = rules


def rules_of(client: httpx.AsyncClient) -> Rules:
    """The rules a client keeps: its own, or (a plain client) any host, its read timeout as
    the grace period."""
    if isinstance(client, PublisherClient):
        return client.rules
    return Rules(grace=grace(client.timeout.read))


def refused_redirect(asked: str, exc: HostRefused) -> HostRefused:
    """A refusal said from the URL that was asked for (the refused one may be a redirect)."""
    if exc.url == asked:
        return exc
    return HostRefused(asked, f"it redirected to {exc.url}, refused: {exc.reason}",
                       message=f"{asked} redirected to {exc.url}, which was refused: "
                               f"{exc.reason}")


class Pace:
    """A transfer's deadline: `grace` seconds, and one more second for every `min_rate`
    bytes received.  A transfer that falls behind is stopped (TimeoutError) even while
    bytes still trickle in; its whole length is bounded by grace + size / min_rate."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.received = 0
        self._start = 0.0
        self._timeout: asyncio.Timeout | None = None

    @asynccontextmanager
    async def timing(self) -> AsyncIterator[Pace]:
        loop = asyncio.get_running_loop()
        self._start = loop.time()
        async with asyncio.timeout_at(self._start + self.rules.grace) as timeout:
            self._timeout = timeout
            yield self

    def got(self, received: int) -> None:
        """`received` bytes so far: the deadline moves on by their worth at the minimum rate."""
        self.received = received
        if self._timeout is not None:
            self._timeout.reschedule(self._start + self.rules.grace
                                     + received / self.rules.min_rate)

    def too_slow(self) -> str:
        elapsed = asyncio.get_running_loop().time() - self._start
        return (f"the transfer was too slow: {self.received:,} bytes in {elapsed:.0f} s, "
                f"under the minimum of {self.rules.min_rate / 1000:,.0f} KB/s after "
                f"{self.rules.grace:.0f} s; stopped")


@dataclass(frozen=True)
class Fetched:
    """A whole (small) answer: the URL asked for, where it ended after redirects, and its body."""

    url: str
    final_url: str
    status: int
    headers: httpx.Headers
    body: bytes


def full_url(url: str, params: Mapping[str, str] | None = None) -> str:
    """The URL with its query, as it is named in messages."""
    return str(httpx.URL(url, params=params)) if params else url


def transport_failure(exc: httpx.TransportError) -> str:
    """What went wrong on the wire, in words."""
    if isinstance(exc, httpx.TimeoutException):
        return "the request timed out"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection ended before a complete answer"
    return f"the connection failed ({exc.__class__.__name__})"


async def get(
    client: httpx.AsyncClient,
    url: str,
    *,
    who: str,
    max_bytes: int,
    params: Mapping[str, str] | None = None,
    sink: BinaryIO | None = None,
) -> Fetched:
    """GET `url` (redirects followed, within the client's rules) and read its body, at most
    `max_bytes` of it, within the client's deadline (`Pace`).

    A network failure, timeout or a transfer too slow raises Unreachable; a body over the
    cap, PublisherError; a URL or redirect the rules refuse, HostRefused.  The status is not
    judged here: every caller reads its publisher's statuses its own way.  With `sink` (an
    empty file: `empty` it first) a 200's body is written there, a megabyte at a time in a
    worker thread, and not held: `Fetched.body` is then empty.
    """
    shown = full_url(url, params)
    pace = Pace(rules_of(client))
    try:
        async with pace.timing(), client.stream("GET", url, params=params,
                                                follow_redirects=True) as response:
            body = bytearray()
            size = 0
            spill = sink if response.status_code == 200 else None
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise PublisherError(
                        shown, f"{who} answered more than {max_bytes:,} bytes", status=
                        response.status_code)
                body += chunk
                pace.got(size)
                if spill is not None and len(body) >= 1 << 20:
                    await asyncio.to_thread(spill.write, body)
                    body.clear()
            if spill is not None:
                await asyncio.to_thread(_finish, spill, body)
                body.clear()
            return Fetched(shown, str(response.url), response.status_code, response.headers,
                           bytes(body))
    except HostRefused as exc:
        raise refused_redirect(shown, exc) from None
    except TimeoutError:
        raise Unreachable(shown, f"{who}: {pace.too_slow()}",
                          message=f"{who} at {shown}: {pace.too_slow()}") from None
    except httpx.TransportError as exc:
        raise Unreachable(shown, f"{who} could not be reached: {transport_failure(exc)}",
                          message=f"{who} could not be reached at {shown}: "
                                  f"{transport_failure(exc)}") from exc
    except httpx.HTTPError as exc:  # e.g. too many redirects, a bad redirect URL
        raise PublisherError(shown, f"{who} gave an unusable answer ({exc.__class__.__name__})"
                             ) from exc


def empty(sink: BinaryIO) -> None:
    """Make a file empty again (a sink, before another try)."""
    sink.seek(0)
    sink.truncate()


def _finish(sink: BinaryIO, rest: bytes | bytearray) -> None:
    sink.write(rest)
    sink.flush()
    sink.seek(0)


class NotJson(ValueError):
    """The body is not a JSON document; the message says what it looks like."""


def parse_json(fetched: Fetched) -> object:
    """The body as JSON, or NotJson saying what it looks like instead (HTML, empty, bytes)."""
    body = fetched.body
    if not body.strip():
        raise NotJson("an empty body")
    head = body.lstrip()[:200].lower()
    if head.startswith((b"<!doctype", b"<html", b"<")) or (
            "html" in fetched.headers.get("content-type", "")):
        raise NotJson("an HTML page, not JSON")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise NotJson("bytes that are not JSON") from None


def describe(value: object) -> str:
    """A JSON value's type in words, for "expected X, found Y" messages."""
    match value:
        case None:
            return "null"
        case bool():
            return "a boolean"
        case int() | float():
            return "a number"
        case str():
            return "a string"
        case list():
            return "a list"
        case dict():
            return "an object"
    return type(value).__name__
