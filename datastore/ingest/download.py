"""Downloading one published file whole or not at all: streamed, capped, hashed, conditional.

The one way WardWatch fetches a file from a URL: the publishers' releases, police.uk's
months, `[sources]` URLs and `wardwatch load URL`.  The body streams into a temporary file
beside the target, in chunks (memory stays flat whatever the size), its SHA-256 computed on
the way; the file takes its name only once every byte has arrived. A refusal, a timeout, a
transfer slower than the client's minimum rate (so every download has an overall deadline:
`_http.Pace`), a body over the cap (counted decoded: a gzip Content-Encoding inflates no
further), shorter than announced or than the catalogue's size, with another hash than the
catalogue's, a connection that ends early, a host the client's rules refuse (a redirect's
too), a cancellation: the partial file is removed and nothing else is left behind. File
writes run in a worker thread, so the event loop keeps answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
import zlib
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.parse import unquote, urlsplit

import httpx

from datastore.ingest.publishers import PublisherError
from datastore.ingest.publishers._http import HostRefused, Pace, refused_redirect, rules_of

__all__ = ["DownloadError", "Downloaded", "NotModified", "download", "file_name"]

PROGRESS_EVERY: Final = 256 * 1024
CHUNK: Final = 64 * 1024
WRITE_BUFFER: Final = 1024 * 1024
# The first bytes a `cap` callback is shown to decide the cap by (a CSV's header, say).
HEAD: Final = 64 * 1024
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9 ._()+,=-]+")
T = TypeVar("T")


@dataclass(frozen=True)
class Downloaded:
    """A complete file: where it is, its size and SHA-256, and the server's validators."""

    path: Path
    size: int
    sha256: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class NotModified:
    """The server said the file is unchanged since the ETag / Last-Modified given (HTTP 304)."""

    url: str


class DownloadError(PublisherError):
    """A download rejected whole; the message names the URL and the reason in plain words."""


def file_name(url: str) -> str:
    """A safe local file name from the URL's last path segment: no separator, never `..`."""
    segment = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    segment = segment.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", segment).strip(" .")
    if len(name) > 150:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[:140] + dot + suffix[:9]) if dot and len(suffix) < 10 else name[:150]
    return name or "download"


def _checked_name(name: str) -> str:
    if (not name or name.strip(" .") == "" or any(c in name for c in "/\\\0")
            or name != name.strip()):
        raise ValueError(f"not a plain file name: {name!r}")
    return name


class _Part:
    """The temporary file a download is written to (sync: run its methods in a thread)."""

    def __init__(self, dest: Path, name: str) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{name[:40]}.", suffix=".part", dir=dest)
        self.path = Path(temp)
        self.target = dest / name
        self.done = False
        self._file = os.fdopen(fd, "wb")

    def write(self, data: bytes | bytearray) -> None:
        self._file.write(data)

    def commit(self) -> Path:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.path, self.target)
        self.done = True
        return self.target

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


async def _in_thread(fn: Callable[..., T], *args: object) -> T:
    """Run a file operation in a worker thread; if cancelled, let it finish first, so that
    the clean-up never races a write or the rename."""
    task = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await task
        raise


def _error(url: str, reason: str, status: int | None = None) -> DownloadError:
    return DownloadError(url, reason, status=status, message=f"could not download {url}: "
                         f"{reason}; nothing was kept")


def _status_reason(status: int) -> str:
    if status == 401:
        return "the server asks for a login (HTTP 401): the file is not public"
    if status == 403:
        return "the server refused the request (HTTP 403)"
    if status == 404:
        return "there is no such file (HTTP 404)"
    if status == 429:
        return "the server asked to slow down (HTTP 429)"
    if status >= 500:
        return f"the server failed (HTTP {status})"
    return f"the server answered HTTP {status}, not the file"


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


async def _decoded(response: httpx.Response, encoding: str) -> AsyncGenerator[bytes, None]:
    """The body's bytes, undoing a gzip/deflate Content-Encoding in bounded pieces."""
    if encoding in ("", "identity"):
        async for chunk in response.aiter_raw(CHUNK):
            yield chunk
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise ValueError(f"the body is encoded as {encoding!r}, which WardWatch does not read")
    # 32 + MAX_WBITS reads gzip and zlib headers; max_length keeps every piece small even for
    # a body that inflates a thousandfold.
    inflate = zlib.decompressobj(32 + zlib.MAX_WBITS)
    async for raw in response.aiter_raw(CHUNK):
        data = inflate.decompress(raw, CHUNK)
        while data:
            yield data
            data = inflate.decompress(inflate.unconsumed_tail, CHUNK)
    tail = inflate.flush()
    if tail:
        yield tail
    if not inflate.eof:
        raise ValueError("the compressed body ends early")


def _hash_check(expect_hash: str | None) -> tuple[str, Any] | None:
    """The digest a catalogue's hash is checked with: MD5 (32 hex digits, the London
    Datastore's check_hash) or SHA-256 (64); another form is not checked."""
    text = (expect_hash or "").strip().lower()
    if re.fullmatch(r"[0-9a-f]{32}", text):
        return text, hashlib.md5(usedforsecurity=False)
    if re.fullmatch(r"[0-9a-f]{64}", text):
        return text, None  # the SHA-256 computed anyway
    return None


async def download(
    client: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    name: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    expect_size: int | None = None,
    expect_hash: str | None = None,
    cap: Callable[[bytes], int] | None = None,
) -> Downloaded | NotModified:
    """Download `url` into the directory `dest` as `name` (default: from the URL), whole.

    `etag` / `last_modified` (from an earlier download) make it a conditional GET: a 304 is
    NotModified and nothing is written. `progress(bytes so far, total or None)` is called as
    the body arrives, about every 256 KB and at the end. `expect_size` and `expect_hash`
    (MD5 or SHA-256 hex), what a catalogue states of the file, must match the whole body.
    `cap(first bytes)`, shown the first HEAD bytes (or the whole body if shorter), may lower
    `max_bytes` by what the file turns out to be. Anything short of the whole file (an HTTP
    error, over the cap, truncated, a dropped connection, a timeout, too slow, another size
    or hash, a refused host) raises DownloadError (HostRefused for a host) and leaves no file.
    `client` carries the User-Agent, the timeouts and its rules (`_http.rules_of`): each read
    waits at most the client's read timeout, and the whole transfer keeps to its minimum
    rate after its grace period; redirects are followed where the rules allow.
    """
    target = _checked_name(name) if name is not None else file_name(url)
    headers = {"Accept-Encoding": "identity"}  # the file as published, its size as announced
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    part: _Part | None = None
    pace = Pace(rules_of(client))
    hash_check = _hash_check(expect_hash)
    try:
        async with pace.timing(), client.stream("GET", url, headers=headers,
                                                follow_redirects=True) as response:
            status = response.status_code
            if status == 304:
                return NotModified(url)
            if status != 200:
                raise _error(url, _status_reason(status), status)
            declared = _content_length(response)
            if declared is not None and declared > max_bytes:
                raise _error(url, f"the file is {declared:,} bytes, over the limit of "
                             f"{max_bytes:,}", status)
            encoding = response.headers.get("content-encoding", "").strip().lower()
            total = declared if encoding in ("", "identity") else None
            part = _Part(dest, target)  # a mkdir and a mkstemp: quick, and never orphaned
            digest = hashlib.sha256()
            other = hash_check[1] if hash_check is not None else None
            size = reported = 0
            buffer = bytearray()
            capped = cap is None
            if progress:
                progress(0, total)
            async with contextlib.aclosing(_decoded(response, encoding)) as body:
                async for chunk in body:
                    size += len(chunk)
                    pace.got(size)
                    buffer += chunk
                    if cap is not None and not capped and size >= HEAD:
                        capped, max_bytes = True, min(max_bytes, cap(bytes(buffer[:HEAD])))
                    if size > max_bytes:
                        raise _error(url, f"the file is over the limit of {max_bytes:,} "
                                     "bytes", status)
                    digest.update(chunk)
                    if other is not None:
                        other.update(chunk)
                    if len(buffer) >= WRITE_BUFFER:
                        await _in_thread(part.write, buffer)
                        buffer.clear()
                    if progress and size - reported >= PROGRESS_EVERY:
                        reported = size
                        progress(size, total)
            if not capped and cap is not None and size > (limit := cap(bytes(buffer))):
                raise _error(url, f"the file is over the limit of {limit:,} bytes", status)
            if declared is not None and response.num_bytes_downloaded < declared:
                raise _error(url, f"the file is truncated: {response.num_bytes_downloaded:,} "
                             f"of {declared:,} bytes arrived", status)
            _check_listed(url, size, digest.hexdigest(), other, hash_check, expect_size)
            await _in_thread(part.write, buffer)
            path = await _in_thread(part.commit)
            if progress and reported != size:
                progress(size, total)
            return Downloaded(path, size, digest.hexdigest(), response.headers.get("etag"),
                              response.headers.get("last-modified"))
    except HostRefused as exc:
        raise refused_redirect(url, exc) from None
    except TimeoutError:  # the overall deadline: too slow
        raise _error(url, pace.too_slow()) from None
    except httpx.TimeoutException:
        raise _error(url, "the server stopped sending (timed out)") from None
    except httpx.RemoteProtocolError:
        raise _error(url, "the connection ended before the whole file arrived "
                     "(truncated)") from None
    except httpx.ConnectError:
        raise _error(url, "could not connect") from None
    except httpx.HTTPError as exc:
        raise _error(url, f"the transfer failed ({exc.__class__.__name__})") from None
    except zlib.error:
        raise _error(url, "the compressed body is corrupt") from None
    except ValueError as exc:  # from _decoded: an encoding it cannot read, or cut short
        raise _error(url, str(exc)) from None
    except OSError as exc:  # the local disk: full, read-only, gone
        raise _error(url, f"could not write it into {dest}: {exc.strerror or exc}") from None
    finally:
        if part is not None and not part.done:
            part.discard()


def _check_listed(url: str, size: int, sha256: str, other: Any,
                  hash_check: tuple[str, Any] | None, expect_size: int | None) -> None:
    """The whole body against what the catalogue states: its size, then its hash."""
    if expect_size is not None and size != expect_size:
        short = "cut short" if size < expect_size else "not the file listed"
        raise _error(url, f"{size:,} bytes arrived but the catalogue lists the file as "
                     f"{expect_size:,} ({short})")
    if hash_check is not None:
        found = other.hexdigest() if other is not None else sha256
        if found != hash_check[0]:
            raise _error(url, f"its hash is {found}, not the {hash_check[0]} the catalogue "
                         "lists (changed or corrupted on the way)")
