"""The running bot's pictures and workbooks are drawn in a process of their own.

matplotlib adds some 35 MB to a process that draws one chart (its import, its fonts, its
pixel buffers), and a Python process never gives that back: a bot that had drawn a single
chart stayed 35 MB larger for good, though pictures are about one request in a thousand.
So the bot hands each render (a module-level renderer, named "module:function", and its
picklable data: a trend, a map, a ward's figures) to one worker process, started with the
first picture and stopped after `idle` seconds without one; its memory goes back to the
system with it.  One-shot commands (`wardwatch trend`, `export`) draw in their own process
instead: starting a worker would cost them more than it saves.

The worker is started with "spawn" (a fresh interpreter, never a fork of the bot with its
threads, event loop and SQLite connections), and dies with the bot, however the bot dies
(datastore/children.py).  If it dies (killed for memory, a crash), a new
worker tries the render once more; if that one dies too, or none can be started, the render
raises RenderUnavailable and the chat gets its figures as text.  So does a renderer that
raises (RenderFailed, a RenderUnavailable: its error in one line, never a traceback).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Final, TypeVar

from datastore.children import die_with_parent

log = logging.getLogger(__name__)

T = TypeVar("T")

# A worker left idle this long is stopped (seconds).
IDLE_SECONDS: Final = 120.0


def collected(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)`, then collect its garbage: a matplotlib figure is a web of reference cycles
    that holds the renderer's pixel buffers outside Python's heap, so, left to the collector's
    own pace, a few dozen dead figures pile up (some 70 MB) before they go."""
    try:
        return fn(*args)
    finally:
        gc.collect()


def call(renderer: str, *args: Any) -> Any:
    """The renderer named "module:function" (a module of handlers/present), called on
    `args`, its garbage collected after."""
    module, _, name = renderer.partition(":")
    if not module.startswith("handlers.present.") or not name:
        raise ValueError(f"not a renderer of WardWatch's: {renderer!r}")
    draw = getattr(importlib.import_module(module), name)
    try:
        return collected(draw, *args)
    except Exception as exc:  # any renderer error: the caller falls back to words
        text = " ".join(str(exc).split())[:300]
        raise RenderFailed(f"could not draw it ({name}: {type(exc).__name__}: {text})"
                           ) from None


class RenderUnavailable(Exception):
    """No render process could draw it: none could be started, or each one died."""


class RenderFailed(RenderUnavailable):
    """The renderer itself raised: the picture could not be drawn from these figures.  The
    message is one line (the error's type and text, no traceback); it crosses from the render
    process as it is."""


class RenderProcess:
    """One worker process for renders, started when needed and stopped when idle."""

    def __init__(self, idle: float = IDLE_SECONDS) -> None:
        self.idle = idle
        self.started = 0  # workers started so far (tests, the benches)
        self._pool: ProcessPoolExecutor | None = None
        self._busy = 0
        self._idle_timer: asyncio.TimerHandle | None = None

    @property
    def pid(self) -> int | None:
        """The worker's process id, while one is running."""
        if self._pool is None:
            return None
        processes = getattr(self._pool, "_processes", None) or {}
        return next(iter(processes), None)

    async def run(self, renderer: str, *args: Any) -> Any:
        """The renderer named "module:function" called on `args` (picklable) in the worker;
        what it raises is raised here."""
        self._cancel_timer()
        self._busy += 1
        try:
            for attempt in (1, 2):
                try:
                    return await self._submit(renderer, args)
                except BrokenProcessPool as exc:
                    # Killed while idle (the system short of memory) or by this render: a
                    # new worker tries once more.
                    log.warning("the render process died (attempt %d of 2)", attempt)
                    if self._pool is not None:
                        await self._drop(self._pool)
                    if attempt == 2:
                        raise RenderUnavailable("the render process died twice") from exc
            raise AssertionError("unreachable")
        finally:
            self._busy -= 1
            if not self._busy and self._pool is not None:
                self._idle_timer = asyncio.get_running_loop().call_later(
                    self.idle, self._stop_idle)

    def _submit(self, renderer: str, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        """Hand the render to the worker, starting one if none runs.  Starting is all done
        here (making the pool, and the process with the first render), so an OSError here is
        a worker that could not start; what the render raises comes from the future."""
        try:
            if self._pool is None:
                self.started += 1
                self._pool = ProcessPoolExecutor(
                    1, mp_context=multiprocessing.get_context("spawn"),
                    initializer=die_with_parent, initargs=(os.getpid(),))
            return asyncio.get_running_loop().run_in_executor(
                self._pool, call, renderer, *args)
        except OSError as exc:  # no memory, no file handles
            log.warning("could not start the render process: %s", exc)
            pool, self._pool = self._pool, None
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            raise RenderUnavailable(f"could not start the render process: {exc}") from exc

    async def _drop(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is pool:
            self._pool = None
        await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    def _cancel_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _stop_idle(self) -> None:
        self._idle_timer = None
        if not self._busy and self._pool is not None:
            pool, self._pool = self._pool, None
            # Reaped in a thread: waiting for the process to exit must not hold the loop.
            asyncio.get_running_loop().run_in_executor(None, pool.shutdown, True)

    async def close(self) -> None:
        """Stop the worker, waiting for it to exit."""
        self._cancel_timer()
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
