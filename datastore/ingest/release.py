"""One release of a followed feed: whether the current data is already made from it, and if
not its file, downloaded whole into the check's folder, ready to load.

A release counts as loaded, and is asked for conditionally (ETag / Last-Modified), only while
the kind's current version holds the file it served (`FeedState.holds_release`), read just
before deciding: a load since, forced or not, from any process, means the file is downloaded
again, whole.  Used by follow.py for every publisher that lists files (the London Datastore,
GOV.UK); police.uk's months are fetched record by record there.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from datastore.ingest import sources
from datastore.ingest.download import NotModified, download, file_name
from datastore.ingest.publishers import PublisherError
from datastore.ingest.state import KIND, Feed, FeedState, succeeded
from datastore.query.figures import month_label
from datastore.storage.kinds import Kind
from datastore.storage.store import Store

Say = Callable[[str], None]


@dataclass(frozen=True)
class Listed:
    """A release's file as its publisher lists it (`title` names the file in versions and
    messages; `release` the release it belongs to, when that is another name)."""

    title: str
    url: str
    fingerprint: str
    period: str | None
    release: str | None = None
    size: int | None = None  # what the catalogue states of the file: checked on download
    hash: str | None = None  # (MD5 or SHA-256 hex)


@dataclass(frozen=True)
class Fetched:
    """The release's file, downloaded whole, and the feed's state to record once it loads."""

    path: Path
    state: FeedState


@dataclass(frozen=True)
class Settled:
    """Nothing to load: the current data is the release's, or newer; the state to record."""

    detail: str
    state: FeedState


async def fetch(store: Store, http: httpx.AsyncClient, workdir: Path, feed: Feed,
                state: FeedState, item: Listed, now: datetime, say: Say,
                progress: Callable[[str], None] | None) -> Fetched | Settled | PublisherError:
    """Download `item` unless the current data is made from it; a publisher's refusal or a
    file cut short is returned (not raised) for the caller to record."""
    listed = {"release_title": item.release or item.title, "release_period": item.period}
    kind: Kind = KIND[feed]  # type: ignore[assignment]
    current = await store.versions()  # now, not at the check's start: any process may load
    holds = state.holds_release(current.get(kind))
    if item.fingerprint == state.fingerprint and holds:
        say(f"{feed}: {item.title} is the release the current data came from")
        return Settled(f"{item.title}: already loaded", succeeded(state, now, **listed))
    # pandas: only once a release is new, and imported off the event loop (~0.2 s)
    loaders = await asyncio.to_thread(importlib.import_module, "datastore.ingest.loaders")
    conditional = holds and state.url == item.url
    try:
        got = await download(
            http, item.url, workdir, max_bytes=loaders.MAX_BYTES[kind],
            name=f"{feed}-{file_name(item.url)}",
            etag=state.etag if conditional else None,
            last_modified=state.last_modified if conditional else None,
            progress=_progress(progress, item.title),
            expect_size=item.size, expect_hash=item.hash)
    except PublisherError as exc:
        return exc
    if isinstance(got, NotModified):
        return Settled(f"{item.title}: not modified",
                       succeeded(state, now, fingerprint=item.fingerprint, **listed))
    try:  # a file that is not the kind's shape is a failure, never "unchanged"
        found_kind, months = await asyncio.to_thread(loaders.peek_months, got.path)
    except loaders.LoadError as exc:
        return PublisherError(item.url, f"the release {item.title!r} cannot be read: "
                              f"{exc.reason}")
    if found_kind is not None and found_kind != kind:  # unrecognised: the loader says why
        return PublisherError(item.url, f"the release {item.title!r} is {found_kind} data, "
                              f"not {kind}")
    have = current.get(kind)
    if months and have is not None and have.last_month and months[-1] < have.last_month:
        return Settled(f"{item.title} ends in {month_label(months[-1])}, before the current "
                       f"data ({month_label(have.last_month)})", succeeded(state, now, **listed))
    # The SHA-256 as a version records it (of the decompressed bytes, were it gzip).
    digest = await asyncio.to_thread(sources.sha256, got.path)
    return Fetched(got.path, succeeded(state, now, fingerprint=item.fingerprint, url=item.url,
                                       etag=got.etag, last_modified=got.last_modified,
                                       sha256=digest, **listed))


def _progress(progress: Callable[[str], None] | None,
              title: str) -> Callable[[int, int | None], None] | None:
    """Download progress in steps of a tenth (or of 10 MB when the size is not known)."""
    if progress is None:
        return None
    last = [-1]

    def show(done: int, total: int | None) -> None:
        step = done * 10 // total if total else done // (10 << 20)
        if step != last[0]:
            last[0] = step
            size = f"{done / (1 << 20):.1f}" + (f" of {total / (1 << 20):.1f}" if total else "")
            progress(f"downloading {title}: {size} MB")

    return show
