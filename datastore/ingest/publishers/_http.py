"""One GET of a small JSON document from a publisher: bounded in size, its failures in words."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from datastore.ingest.publishers import PublisherError, Unreachable


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
) -> Fetched:
    """GET `url` (redirects followed) and read its body, at most `max_bytes` of it.

    A network failure or timeout raises Unreachable; a body over the cap, PublisherError.
    The status is not judged here: every caller reads its publisher's statuses its own way.
    """
    shown = full_url(url, params)
    try:
        async with client.stream("GET", url, params=params, follow_redirects=True) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise PublisherError(
                        shown, f"{who} answered more than {max_bytes:,} bytes; expected a "
                        "small JSON document", status=response.status_code)
                chunks.append(chunk)
            return Fetched(shown, str(response.url), response.status_code, response.headers,
                           b"".join(chunks))
    except httpx.TransportError as exc:
        raise Unreachable(shown, f"{who} could not be reached: {transport_failure(exc)}",
                          message=f"{who} could not be reached at {shown}: "
                                  f"{transport_failure(exc)}") from exc
    except httpx.HTTPError as exc:  # e.g. too many redirects, a bad redirect URL
        raise PublisherError(shown, f"{who} gave an unusable answer ({exc.__class__.__name__})"
                             ) from exc


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
