"""The render process: real spawned workers drawing real charts and workbooks from the
snapshot's figures, stopped when idle, replaced when they die, closed with the bot."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.spawn
import os
import signal
import subprocess
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from datastore.query.view import DataView
from handlers.present import charts, exports
from handlers.render_process import RenderFailed, RenderProcess, RenderUnavailable, call
from tests.clocks import STALE, at

NOW = at(STALE)  # the day every picture states its age against
WARD = "E05013806"  # St James's, Westminster


async def _gone(pid: int) -> bool:
    """Whether the process has exited (and been reaped) within 10 seconds."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            while True:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return True
                await asyncio.sleep(0.05)
    return False


class _KillsItsWorker:
    """An argument whose unpickling ends the process that unpickles it: the worker."""

    def __reduce__(self) -> tuple[object, tuple[int]]:
        return os._exit, (3,)


async def test_a_chart_is_drawn_in_another_process_which_stops_when_idle(
        view: DataView) -> None:
    trend = view.ward_trend(WARD)
    renders = RenderProcess(idle=0.2)
    try:
        data, caption = await renders.run("handlers.present.charts:trend_file", trend, NOW)
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert caption == charts.trend_caption(trend, NOW)
        pid = renders.pid
        assert pid is not None and pid != os.getpid() and renders.started == 1
        again, _ = await renders.run("handlers.present.charts:trend_file", trend, NOW)
        assert again.startswith(b"\x89PNG") and renders.pid == pid  # the same worker
        assert await _gone(pid)
        assert renders.pid is None
        book, book_caption = await renders.run("handlers.present.exports:xlsx_file",
                                               view.ward_figures(WARD), NOW)
        assert book.startswith(b"PK") and book_caption == exports.caption(
            view.ward_figures(WARD), "xlsx", NOW)
        assert renders.started == 2
    finally:
        await renders.close()


async def test_a_worker_killed_while_idle_is_replaced_and_the_render_made(
        view: DataView) -> None:
    renders = RenderProcess(idle=60)
    try:
        await renders.run("handlers.present.charts:trend_file", view.ward_trend(WARD),
                                NOW)
        pid = renders.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert await _gone(pid)
        data, _ = await renders.run("handlers.present.charts:trend_file", view.ward_trend(WARD),
                                NOW)
        assert data.startswith(b"\x89PNG") and renders.started == 2
        assert renders.pid not in (None, pid)
    finally:
        await renders.close()


async def test_a_render_that_kills_each_worker_fails_after_one_more_try() -> None:
    renders = RenderProcess(idle=60)
    try:
        with pytest.raises(RenderUnavailable, match="died twice") as raised:
            await renders.run("handlers.present.charts:trend_file", _KillsItsWorker(), NOW)
        assert isinstance(raised.value.__cause__, BrokenProcessPool)
        assert renders.started == 2 and renders.pid is None
    finally:
        await renders.close()


class _DiskGone:
    """A trend whose months cannot be read: the renderer meets an OSError of its own."""

    @property
    def months(self) -> tuple[int, ...]:
        raise OSError(5, "Input/output error")


async def test_an_os_error_in_a_renderer_is_its_own_not_a_worker_that_could_not_start(
        view: DataView) -> None:
    renders = RenderProcess(idle=60)
    try:
        # A renderer's error arrives as RenderFailed, its type and text in one line.
        with pytest.raises(RenderFailed, match=r"OSError: \[Errno 5\] Input/output error"):
            await renders.run("handlers.present.charts:trend_file", _DiskGone(), NOW)
        pid = renders.pid
        assert pid is not None and renders.started == 1
        data, _ = await renders.run("handlers.present.charts:trend_file", view.ward_trend(WARD),
                                NOW)
        assert data.startswith(b"\x89PNG") and renders.pid == pid and renders.started == 1
    finally:
        await renders.close()


async def test_a_renderers_error_is_raised_here_and_the_worker_stays(view: DataView) -> None:
    renders = RenderProcess(idle=60)
    try:
        with pytest.raises(RenderFailed, match="AttributeError"):
            await renders.run("handlers.present.exports:xlsx_file", "not a ward's figures", NOW)
        pid = renders.pid
        assert pid is not None
        data, _ = await renders.run("handlers.present.exports:xlsx_file", view.ward_figures(WARD),
                                      NOW)
        assert data.startswith(b"PK") and renders.pid == pid and renders.started == 1
    finally:
        await renders.close()
    assert renders.pid is None and await _gone(pid)


def test_only_wardwatchs_own_renderers_are_called() -> None:
    for name in ("os:system", "handlers.present.charts", "builtins:eval",
                 "handlers.lookup:drill_down"):
        with pytest.raises(ValueError, match="not a renderer"):
            call(name, "echo")


async def test_an_interpreter_that_will_not_run_makes_renders_unavailable_not_the_bot(
        view: DataView) -> None:
    """The interpreter gone from under a running bot (an upgrade replacing the virtualenv):
    multiprocessing's real spawn execs nothing, twice; the next render, the interpreter back,
    starts a worker."""
    renders = RenderProcess(idle=60)
    saved = multiprocessing.spawn.get_executable()
    multiprocessing.set_executable("/nonexistent/python3")
    try:
        with pytest.raises(RenderUnavailable):
            await renders.run("handlers.present.charts:trend_file", view.ward_trend(WARD),
                                NOW)
        assert renders.pid is None and renders.started == 2
    finally:
        multiprocessing.set_executable(saved)
    try:
        data, _ = await renders.run("handlers.present.charts:trend_file", view.ward_trend(WARD),
                                NOW)
        assert data.startswith(b"\x89PNG") and renders.started == 3
    finally:
        await renders.close()


# With every file handle but a few in use, no process can be started (its pipes need more).
NO_HANDLES = """
import asyncio, os, resource
from handlers.render_process import RenderProcess, RenderUnavailable

async def main():
    renders = RenderProcess(idle=60)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 1, hard))
    try:
        await renders.run("handlers.present.exports:xlsx_file", None)
    except RenderUnavailable as exc:
        print("unavailable:", exc, renders.pid)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        await renders.close()

asyncio.run(main())
"""


def test_no_file_handles_to_start_a_worker_makes_renders_unavailable() -> None:
    done = subprocess.run([sys.executable, "-c", NO_HANDLES], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("unavailable: could not start the render process: ")
    assert "Too many open files" in done.stdout and done.stdout.strip().endswith("None")
