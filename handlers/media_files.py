"""The files /trend, /map and /export send, made from the services: a PNG or a document with
its file name and caption.  Shared by the bot and the command line.

Making a file reads the current view in a worker thread, one at a time, and gives either the
file (CSV, JSON: plain text) or a `Render`: a pure renderer of picklable data (a chart, a
map, a workbook: matplotlib and openpyxl).  The bot runs renders in its render process
(render_process.py), so neither library is ever imported into the bot; a one-shot command
runs them in the same thread.  The bot keeps what it made in a MediaCache per (data version,
what, area and day), so a second request is served at once, a new load of the data is never
answered from an old picture, and a picture never states its age as of another day (every
chart, map and download says how old its figures are on the day it is made).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, Literal

from datastore.query import boundaries
from datastore.query.figures import month_label
from datastore.query.freshness import Freshness
from datastore.query.view import DataView
from datastore.services import Services
from handlers import render_process
from handlers.present import exports
from handlers.present.exports import Format
from handlers.render_process import RenderProcess

Kind = Literal["photo", "document"]
# (what, area and day): ("trend", "E05009372@2026-12-07…"), ("map", "london@…"), ("csv", …)
Key = tuple[str, str]
LONDON: Final = "london"
# What the cache may hold: a map is some 100-200 KB, a chart or a workbook some 30-60 KB.
CACHE_FILES: Final = 64
CACHE_BYTES: Final = 4 * 1024 * 1024


@dataclass(frozen=True)
class MediaFile:
    """One file to send: a photo or a document, its name and its caption (Telegram HTML)."""

    kind: Kind
    filename: str
    data: bytes
    caption: str


@dataclass(frozen=True)
class Render:
    """A file still to draw: the renderer named (a module-level function, "module:function",
    of handlers.present.charts, .maps or .exports) gives its data and caption from `args`,
    picklable data, so it can run in the render process without the bot importing it."""

    kind: Kind
    filename: str
    renderer: str
    args: tuple[Any, ...]

    def here(self) -> MediaFile:
        """Drawn in this process."""
        data, caption = render_process.call(self.renderer, *self.args)
        return MediaFile(self.kind, self.filename, data, caption)


Made = MediaFile | Render


def version_key(view: DataView) -> tuple[int, ...]:
    """The ids of every dataset version a view reads: a new load changes it."""
    return tuple(sorted(v.id for v in view.versions.values()))


class MediaCache:
    """Files made for the current data version, least recently used dropped beyond `size`
    files or `max_bytes` of file data (a file larger than that alone is sent, not kept)."""

    def __init__(self, size: int = CACHE_FILES, max_bytes: int = CACHE_BYTES,
                 renders: RenderProcess | None = None) -> None:
        self.size = size
        self.renders = renders or RenderProcess()
        self.max_bytes = max_bytes
        self.nbytes = 0  # the file data held
        self._version: tuple[int, ...] | None = None
        self._items: OrderedDict[Key, MediaFile] = OrderedDict()
        self._render = asyncio.Lock()
        # Files are prepared in one thread of their own, started with the first: each thread
        # that allocates gets its own malloc arena, and buffers spread over the event loop's
        # default pool would keep several of them large.
        self._thread: ThreadPoolExecutor | None = None

    def __len__(self) -> int:
        return len(self._items)

    def get(self, version: tuple[int, ...], key: Key) -> MediaFile | None:
        """The file made for this version and key, if there is one."""
        if version != self._version:
            return None
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    async def make(self, version: tuple[int, ...], key: Key,
                   make: Callable[[], Made]) -> MediaFile:
        """The cached file, else `make` it in a worker thread (one at a time; a `Render` it
        gives is drawn in the render process) and keep it.  Requests for one key arriving
        together make it once."""
        found = self.get(version, key)
        if found is not None:
            return found
        async with self._render:
            found = self.get(version, key)  # made while this request waited
            if found is None:
                if self._thread is None:
                    self._thread = ThreadPoolExecutor(1, thread_name_prefix="wardwatch-media")
                made = await asyncio.get_running_loop().run_in_executor(self._thread, make)
                if isinstance(made, Render):
                    data, caption = await self.renders.run(made.renderer, *made.args)
                    made = MediaFile(made.kind, made.filename, data, caption)
                found = made
                self._put(version, key, found)
        return found

    async def close(self) -> None:
        """Stop the render process and the thread (the bot's shutdown)."""
        await self.renders.close()
        if self._thread is not None:
            self._thread.shutdown(wait=False)
            self._thread = None

    def _put(self, version: tuple[int, ...], key: Key, item: MediaFile) -> None:
        if version != self._version:
            self._items.clear()
            self.nbytes = 0
            self._version = version
        if len(item.data) > self.max_bytes:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.nbytes -= len(old.data)
        self._items[key] = item
        self.nbytes += len(item.data)
        while len(self._items) > self.size or self.nbytes > self.max_bytes:
            _key, dropped = self._items.popitem(last=False)
            self.nbytes -= len(dropped.data)


def _here(make: Callable[[], Made]) -> MediaFile:
    made = make()
    return made.here() if isinstance(made, Render) else made


async def _made(view: DataView, key: Key, make: Callable[[], Made],
                cache: MediaCache | None) -> MediaFile:
    if cache is None:
        return await asyncio.to_thread(_here, make)
    return await cache.make(version_key(view), key, make)


def day_key(area: str, fresh: Freshness) -> str:
    """An area's cache key for the day: a file states its figures' age on the day it is made
    (and when the publishers were last reached)."""
    reached = fresh.last_checked.date().isoformat() if fresh.last_checked else "-"
    return f"{area}@{fresh.today.isoformat()}/{reached}/{int(fresh.stale)}"


def _borough(code: str) -> bool:
    return code.startswith("E09")


async def trend(services: Services, code: str,
                cache: MediaCache | None = None) -> MediaFile:
    """The trend chart of a ward (an MPS ward of the current data), or of a borough (E09…)
    from the Met's borough file."""
    view = services.view
    month = view.borough_latest_month if _borough(code) else view.latest_month
    fresh = services.freshness(month=month)

    def make() -> Render:
        if _borough(code):
            b = view.borough_trend(code)
            name = (f"wardwatch-trend-{exports.slug(b.borough_name)}-{code}-"
                    f"{month_label(b.months[-1])}.png")
            return Render("photo", name, "handlers.present.charts:borough_trend_file",
                          (b, fresh))
        t = view.ward_trend(code)
        name = (f"wardwatch-trend-{exports.slug(t.ward_name)}-{code}-"
                f"{month_label(t.months[-1])}.png")
        return Render("photo", name, "handlers.present.charts:trend_file", (t, fresh))

    return await _made(view, ("trend", day_key(code, fresh)), make, cache)


async def compare_trend(services: Services, first: str, second: str,
                        cache: MediaCache | None = None) -> MediaFile:
    """Two MPS wards' crime per 1,000 residents on one chart."""
    view = services.view
    fresh = services.freshness()

    def make() -> Render:
        a, b = view.ward_trend(first), view.ward_trend(second)
        name = (f"wardwatch-compare-{exports.slug(a.ward_name)}-{exports.slug(b.ward_name)}-"
                f"{month_label(a.months[-1])}.png")
        return Render("photo", name, "handlers.present.charts:compare_file", (a, b, fresh))

    return await _made(view, ("compare", day_key(f"{first}:{second}", fresh)), make, cache)


async def area_map(services: Services, ward_code: str | None,
                   cache: MediaCache | None = None) -> MediaFile | None:
    """The map of a ward's borough (a borough's own wards for a borough code, E09…), or of
    London's boroughs for None; None when the data has no 12 full months (or no boundary for
    the ward)."""
    view = services.view
    fresh = services.freshness()
    key = ("map", day_key(ward_code or LONDON, fresh))
    cached = cache.get(version_key(view), key) if cache is not None else None
    if cached is not None:
        return cached
    bounds = await services.boundaries(view)
    if ward_code is None:
        area_map = boundaries.london_map(view, bounds)
    elif ward_code.startswith("E09"):
        area_map = boundaries.borough_map(view, bounds, ward_code)
    else:
        area_map = boundaries.ward_map(view, bounds, ward_code)
    if area_map is None:
        return None
    found = area_map

    def make() -> Render:
        place = LONDON if found.kind == "boroughs" else exports.slug(found.title)
        name = f"wardwatch-map-{place}-{month_label(found.last_month)}.png"
        return Render("photo", name, "handlers.present.maps:map_file", (found, fresh))

    return await _made(view, key, make, cache)


async def export(services: Services, code: str, fmt: Format,
                 cache: MediaCache | None = None) -> MediaFile:
    """A ward's figures (E05…) or a borough's (E09…, the Met's borough file) as one
    download."""
    view = services.view
    month = view.borough_latest_month if _borough(code) else view.latest_month
    fresh = services.freshness(month=month)

    def make() -> Made:
        f = view.borough_figures(code) if _borough(code) else view.ward_figures(code)
        if fmt == "xlsx":  # openpyxl: drawn where pictures are
            return Render("document", exports.filename(f, fmt),
                          "handlers.present.exports:xlsx_file", (f, fresh))
        return MediaFile("document", exports.filename(f, fmt), exports.render(f, fmt, fresh),
                         exports.caption(f, fmt, fresh))

    return await _made(view, (fmt, day_key(code, fresh)), make, cache)

