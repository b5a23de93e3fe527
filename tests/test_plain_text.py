"""Every published string is drawn as plain text: a `$...$` in a ward's name is not mathtext
(matplotlib's TeX-like markup, which failed on an unknown macro and took the chart with it).
A renderer that fails all the same gives the bot's text-and-note fallback and the command
line's one clear message, never a traceback."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from PIL import Image

from datastore.ingest.loaders import read_file
from datastore.storage import store
from handlers.context import WardApp
from handlers.media_files import MediaCache, Render
from handlers.render_process import RenderFailed, RenderProcess, RenderUnavailable, call
from tests import raw
from tests.bot_harness import ask, shown
from tests.fake_bot_api import FakeBotApi
from tests.test_cli import run, write_config

NAME = r"Hackney $\undefinedmacro{x}$ Central"


def _rename(db: Path, tmp_path: Path) -> None:
    """Make the store's current ward crime the real extract with Hackney Central renamed."""
    text = gzip.decompress(raw.WARD_CRIME.read_bytes()).decode("utf-8-sig")
    assert ",Hackney Central," in text
    path = tmp_path / "MPS Ward Level Crime.csv"
    path.write_text(text.replace(",Hackney Central,", f",{NAME},"), encoding="utf-8")
    loaded = read_file(path, "ward_crime")
    conn = store.connect(db)
    try:
        store.write_versions(conn, {"ward_crime": store.LoadInput(
            loaded, (store.SourceFile(path.name, "0" * 64),))}, force=True)
    finally:
        conn.close()


@pytest.fixture
def renamed(db_copy: Path, tmp_path: Path) -> Path:
    _rename(db_copy, tmp_path)
    return db_copy


def test_wardwatch_chart_draws_a_name_with_dollars_as_it_is(renamed: Path,
                                                             tmp_path: Path) -> None:
    config = write_config(tmp_path, renamed)
    out = tmp_path / "chart.png"
    done = run(config, "chart", "E8", "1DY", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    with Image.open(out) as image:
        assert image.size == (1200, 720)
    assert NAME in done.stdout  # the caption, as published
    both = tmp_path / "map.png"
    done = run(config, "map", "E8", "1DY", "--out", str(both))
    assert done.returncode == 0, done.stderr


async def test_trend_in_the_bot_sends_the_chart(renamed: Path, api: FakeBotApi,
                                                app: WardApp) -> None:
    [photo] = await ask(api, api.message("/trend E8 1DY"), "sendPhoto", timeout=60)
    assert photo.ok
    assert NAME in shown(photo, "caption")


async def test_a_renderer_that_fails_is_a_render_error_with_a_plain_message() -> None:
    with pytest.raises(RenderFailed) as caught:
        call("handlers.present.charts:trend_file", None)
    assert "TypeError" in str(caught.value) and "\n" not in str(caught.value)
    renders = RenderProcess(idle=60)
    try:
        with pytest.raises(RenderUnavailable, match="could not draw"):  # from the process
            await renders.run("handlers.present.charts:trend_file", None)
        assert renders.started == 1  # the worker lives on: it did not die
    finally:
        await renders.close()


async def test_the_cache_raises_a_failed_render_as_a_render_error() -> None:
    """What the bot's /trend catches to send the text and a note (handlers/media.py)."""
    cache = MediaCache(renders=RenderProcess(idle=60))
    try:
        with pytest.raises(RenderUnavailable):
            await cache.make((1,), ("trend", "x"), lambda: Render(
                "photo", "x.png", "handlers.present.charts:trend_file", (None,)))
        assert len(cache) == 0
    finally:
        await cache.close()
