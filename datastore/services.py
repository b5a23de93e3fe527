"""The long-lived services every front end shares: the store, the current data view and the
postcodes.io client, opened together and closed together (by `bot/`, in post_init)."""

from __future__ import annotations

import asyncio
import logging
import queue
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx

from datastore.ingest.state import FeedState, feed_states
from datastore.query import lookup
from datastore.query.boundaries import Boundaries, read_boundaries
from datastore.query.freshness import Freshness, PublisherCheck, freshness
from datastore.query.places import Candidate
from datastore.query.postcodes_io import PostcodesIo
from datastore.query.view import DataView
from datastore.storage.kinds import Kind
from datastore.storage.store import (
    LoadInput,
    Location,
    Store,
    Version,
    as_location,
    forget_chat,
    known_wards,
    missing_kinds,
)

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class LoadReport:
    """What a load made current, and what it had to repair to do so."""

    versions: list[Version]
    notes: list[str]


@dataclass
class Services:
    """What handlers and commands reach: one store, one view of its current data, one client."""

    store: Store
    view: DataView
    http: httpx.AsyncClient
    postcodes: PostcodesIo | None
    _view_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _boundaries: Boundaries | None = None
    _boundaries_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    following: bool = False  # the daily check follows the publishers (not [sources] files)
    feeds: dict[str, FeedState] = field(default_factory=dict)  # as the last check left them
    # The clock every answer's age is stated against (tests pass a fixed one).
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    async def refresh_view(self) -> DataView:
        """Rebuild the view from the store's current versions and swap it in whole."""
        async with self._view_lock:
            self.view = await self.store.run(DataView.build)
        return self.view

    async def sync_view(self) -> bool:
        """Rebuild the view if the store's current versions are no longer the view's (another
        process, `wardwatch load` or `update`, loaded data); whether it did."""
        current = await self.store.versions()
        held = {kind: v.id for kind, v in self.view.versions.items()}
        if {kind: v.id for kind, v in current.items()} == held:
            return False
        await self.refresh_view()
        return True

    async def refresh_feeds(self) -> None:
        """Read what the checks recorded of each publisher's feeds."""
        self.feeds = await self.store.run(feed_states)

    def freshness(self, now: datetime | None = None, month: int | None = None) -> Freshness:
        """How fresh crime figures to `month` (default: the ward figures' latest) are at
        `now` (default: the services' clock): what every statement of age is made from."""
        checks = [PublisherCheck(s.publisher, _parse_time(s.last_success))
                  for s in self.feeds.values() if s.not_public_until is None]
        if month is None and self.view.months:
            month = self.view.latest_month
        return freshness(now or self.clock(), month, checks, following=self.following)

    async def answer(self, text: str, now: datetime | None = None) -> lookup.Answer:
        """The answer to a resident's text, from the current view, saying how fresh it is."""
        answer = await lookup.answer(text, self.view, self.postcodes)
        return self._fresh(answer, now)

    def _fresh(self, answer: lookup.Answer, now: datetime | None = None) -> lookup.Answer:
        """The answer with the moment it was made and how fresh its figures are then (a
        comparison: each place's, and the oldest of them for the whole)."""
        now = now or self.clock()
        if answer.status == "compare":
            parts = tuple(self._fresh(p, now) for p in answer.parts)
            months = [p.crime.month for p in parts if p.crime is not None]
            return replace(answer, parts=parts,
                           freshness=self.freshness(now, min(months) if months else None))
        month = answer.crime.month if answer.crime is not None else None
        return replace(answer, freshness=self.freshness(now, month))

    async def place_answer(self, kind: str, code: str) -> lookup.Answer:
        """The answer for a place chosen from buttons: "ward" (E05…), "borough" (E09…),
        "postcode" ("E8 1DY") or "place" (a gazetteer place's number: its ward, or its wards
        to choose from)."""
        if kind == "postcode":
            return await self.answer(code)
        if kind == "ward":
            return self.ward_answer(code)
        view = self.view
        if kind == "place":
            found = await lookup.gazetteer_resolution(int(code), view) if code.isdigit() \
                else None
            return self._fresh(lookup.figures_for(
                found or lookup.Resolution("invalid", code, invalid_kind="other"), view))
        return self._fresh(lookup.figures_for(lookup.borough_resolution(code, code, view), view))

    async def parts_answer(self, parts: list[list[Candidate]]) -> lookup.Answer | None:
        """A comparison as its buttons carry it: each place a candidate, or several still to
        choose from; None if one of them is no place."""
        found = [await lookup.choice_resolution(p, self.view, self.postcodes) for p in parts]
        if any(r is None for r in found):
            return None
        resolution = lookup.Resolution("compare", "", parts=tuple(r for r in found if r))
        return self._fresh(lookup.figures_for(resolution, self.view))

    def ward_answer(self, code: str) -> lookup.Answer:
        """The answer for a ward by its code (E05…), with no postcode: its district is the one
        holding most of its postcodes."""
        view = self.view
        place = view.ward_place(code)
        name = place.ward_name if place is not None else code  # never a code if named
        return self._fresh(lookup.figures_for(lookup.ward_resolution(name, code, view), view))

    def compare_answer(self, codes: Sequence[str]) -> lookup.Answer:
        """A comparison of wards (E05…) and boroughs (E09…) by their codes (a shared link)."""
        view = self.view
        parts = tuple(lookup.borough_resolution(c, c, view) if c.startswith("E09")
                      else lookup.ward_resolution(c, c, view) for c in codes)
        resolution = lookup.Resolution("compare", " vs ".join(codes), parts=parts)
        return self._fresh(lookup.figures_for(resolution, view))

    async def borough_answer(self, code: str) -> lookup.Answer:
        """The answer for a whole borough, by its code (E09…)."""
        return await self.place_answer("borough", code)

    async def boundaries(self, view: DataView | None = None) -> Boundaries:
        """The ward and borough shapes of a view's versions (default the current view),
        read from the store once per version."""
        view = view or self.view
        ids = tuple(view.versions[k].id if k in view.versions else -1
                    for k in ("ward_boundaries", "borough_boundaries"))
        async with self._boundaries_lock:
            cached = self._boundaries
            if cached is None or (cached.ward_version, cached.borough_version) != ids:
                cached = await self.store.run(lambda c: read_boundaries(c, *ids))
                self._boundaries = cached
        return cached

    async def forget_chat(self, chat_id: int) -> dict[str, int]:
        """Erase everything stored about a chat; return what went, by table."""
        return await self.store.run(lambda c: forget_chat(c, chat_id))

    async def load(self, srcs: Sequence[str], *, force: bool = False,
                   progress: Progress | None = None,
                   http: httpx.AsyncClient | None = None) -> LoadReport:
        """Read, validate and load sources as new current versions, then refresh the view.

        URLs are downloaded first with `http` (a publishers' client: `sources.fetch`).  A
        kind whose files are exactly those of its current version (same SHA-256) is left
        alone unless `force`: loading the same files twice changes nothing.  The report says
        what became current and what the loaders had to change to accept a file.
        """
        from datastore.ingest import sources  # pandas: only a load reads files

        current = await self.store.versions()
        known = await self.store.run(known_wards)
        loaded = None if force else {
            kind: frozenset(s.sha256 for s in v.sources) for kind, v in current.items()}
        with tempfile.TemporaryDirectory(prefix="wardwatch-load-") as tmp:
            if srcs:
                paths, names = await sources.fetch(srcs, Path(tmp), http, progress)
                loads = await asyncio.to_thread(sources.read_all, paths, known_wards=known,
                                                names=names, progress=progress, loaded=loaded)
            else:
                loads = await asyncio.to_thread(sources.read_sources, (), known_wards=known,
                                                progress=progress, loaded=loaded)
        if not loads:
            return LoadReport([], [])
        done = await self.store.write(loads, force=force)
        await self.refresh_view()
        return LoadReport(done, [f"{kind}: {note}" for kind, item in loads.items()
                                 for note in item.data.notes])


async def ensure_loaded(store: Store, progress: Progress | None = None) -> list[Version]:
    """Build any kind of data the store lacks from the bundled snapshot."""
    missing = await store.run(missing_kinds)
    if not missing:
        return []
    from datastore.ingest import sources  # pandas: only a first run (or a load) reads files

    started = time.monotonic()
    if progress:
        progress("first run: building the store from the bundled snapshot")
    # One thread reads while another writes: each kind is stored (in one transaction for
    # all) while the next is read, and goes from memory once it is.
    ready: queue.SimpleQueue[tuple[Kind, LoadInput] | BaseException | None] = queue.SimpleQueue()
    stop = threading.Event()

    def read() -> None:
        try:
            for kind, item in sources.read_each(sources.bundled_files(), progress=progress,
                                                kinds=sources.bundled_kinds()):
                if stop.is_set():
                    break
                if kind in missing:
                    ready.put((kind, item))
            if progress and not stop.is_set():  # the writer finishes the last kind read
                progress("saving the store")
        except BaseException as exc:  # handed to the writer, which raises it
            ready.put(exc)
        ready.put(None)

    def each() -> Iterator[tuple[Kind, LoadInput]]:
        while (got := ready.get()) is not None:
            if isinstance(got, BaseException):
                raise got
            yield got

    reader = asyncio.ensure_future(asyncio.to_thread(read))
    try:
        # Replicas starting together on an empty database: the first to hold the store's
        # load lock builds it; the others find it built and write nothing.
        written = await store.write(each(), missing_only=True)
    finally:
        stop.set()
        await reader
    if progress:
        progress(f"first run: the store is built ({time.monotonic() - started:.1f} s).")
    return written


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def remove_store_files(path: Path) -> None:
    """Delete a store file and the -wal and -shm files beside it."""
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            file.unlink(missing_ok=True)
        except OSError as exc:  # the next run rebuilds what is missing anyway
            log.warning("could not remove %s: %s", file, exc.strerror)


@asynccontextmanager
async def open_services(
    storage: Location | Path | str,
    *,
    postcodes_url: str | None,
    postcodes_timeout: float = 2.0,
    progress: Progress | None = None,
    http: httpx.AsyncClient | None = None,
) -> AsyncIterator[Services]:
    """Open the store (a SQLite path or a PostgreSQL Location; building it on first run),
    the view and the HTTP client; close them.

    `postcodes_url` None means never ask postcodes.io (answers stay fully offline).
    """
    location = as_location(storage)
    store = Store(location)
    path = location.path
    new = path is not None and str(path) != ":memory:" and not await asyncio.to_thread(
        path.exists)
    try:
        await store.open()
        await ensure_loaded(store, progress)
    except BaseException:
        await store.close()
        if new and path is not None:  # a first run that failed (a full disk, Ctrl-C):
            await asyncio.to_thread(remove_store_files, path)  # leave no half-built store
        raise
    client = http or httpx.AsyncClient(
        timeout=postcodes_timeout,
        headers={"User-Agent": "WardWatch (London crime figures bot)"},
    )
    try:
        view = await store.run(DataView.build)
        remote = None
        if postcodes_url:
            remote = PostcodesIo(client, base_url=postcodes_url, timeout=postcodes_timeout)
        services = Services(store, view, client, remote)
        await services.refresh_feeds()
        yield services
    finally:
        if http is None:
            await client.aclose()
        await store.close()
