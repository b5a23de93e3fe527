"""/trend, /map, /export and their buttons end to end: the real Application polls the fake Bot
API; photos and documents are read back from what it uploaded."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import multiprocessing
import multiprocessing.resource_tracker
import multiprocessing.spawn

import openpyxl
from PIL import Image

from datastore.query import figures
from handlers import keyboards
from handlers.context import SETTINGS_KEY, WardApp
from handlers.media_files import MediaCache, MediaFile, day_key, version_key
from handlers.present import texts
from tests import raw
from tests.bot_harness import ask, shown
from tests.fake_bot_api import GROUP_ID, Call, FakeBotApi, bad_request, server_error


def picture(call: Call) -> Image.Image:
    upload = call.files["photo"]
    assert upload.content_type == "image/png" and upload.filename
    assert upload.filename.endswith(".png")
    image = Image.open(io.BytesIO(upload.data))
    assert image.format == "PNG"
    return image


def buttons(call: Call) -> list[list[str]]:
    markup = call.params.get("reply_markup")
    data = json.loads(markup) if isinstance(markup, str) else markup
    return [[b.get("callback_data", "") for b in row]
            for row in (data or {}).get("inline_keyboard", [])]


async def test_the_command_menu_lists_the_new_commands(api: FakeBotApi, app: WardApp) -> None:
    assert {"trend", "map", "export"} <= {c["command"] for c in api.commands("all_private_chats")}
    [reply] = await ask(api, api.message("/help"), "sendMessage")
    assert "/trend SW1A 1AA" in shown(reply) and "/map london" in shown(reply)


async def test_trend_command_sends_the_chart(api: FakeBotApi, app: WardApp) -> None:
    ward = raw.postcode_row("SW1A 1AA")["Admin_ward_code"]
    last = raw.full_months()[-1]
    [photo] = await ask(api, api.message("/trend sw1a1aa"), "sendPhoto")
    assert photo.ok and photo.chat_id == api.message("x")["message"]["chat"]["id"]
    assert picture(photo).size == (1200, 720)
    caption = shown(photo, "caption")
    assert caption.startswith("Line chart: crime in St James's ward, Westminster")
    assert f"{raw.ward_month_total(ward, last):,} crimes" in caption
    # Asked again: the same picture, kept for this data version.
    [again] = await ask(api, api.message("/trend SW1A 1AA"), "sendPhoto")
    assert again.files["photo"].data == photo.files["photo"].data
    cache: MediaCache = app.bot_data[SETTINGS_KEY].media
    services = app.bot_data["services"]
    # Kept per data version, area and day (a picture states its age on the day it is made).
    key = ("trend", day_key(ward, services.freshness()))
    assert cache.get(version_key(services.view), key) is not None


async def test_map_commands_send_the_maps(api: FakeBotApi, app: WardApp) -> None:
    ward = raw.postcode_row("BR6 0AA")["Admin_ward_code"]
    band = figures.band(raw.ward_rates()[ward] / raw.london_rate())
    [photo] = await ask(api, api.message("/map BR6 0AA"), "sendPhoto")
    assert picture(photo).width == 1080
    assert f"(outlined) is {band} the London average" in shown(photo, "caption")
    [london] = await ask(api, api.message("/map London", chat_id=GROUP_ID, chat_type="group"),
                         "sendPhoto")
    assert london.chat_id == GROUP_ID
    assert "London's 32 boroughs" in shown(london, "caption")
    last = raw.month_columns()[-1]
    assert london.files["photo"].filename == f"wardwatch-map-london-{last[:4]}-{last[4:]}.png"


async def test_export_command_sends_each_format(api: FakeBotApi, app: WardApp) -> None:
    ward = raw.postcode_row("N1 9AA")["Admin_ward_code"]
    latest = raw.month_columns()[-1]
    docs = [(await ask(api, api.message(f"/export N1 9AA {fmt}"), "sendDocument"))[0]
            for fmt in ("csv", "json", "xlsx")]
    assert all(d.ok for d in docs)
    files = {d.files["document"].filename.rsplit(".", 1)[-1]: d.files["document"]
             for d in docs if d.files["document"].filename}
    assert sorted(files) == ["csv", "json", "xlsx"]
    assert files["csv"].content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(files["csv"].data.decode("utf-8-sig"))))
    month = f"{latest[:4]}-{latest[4:]}"
    total = sum(int(r["value"]) for r in rows if r["section"] == "crime" and r["period"] == month)
    assert total == raw.ward_month_total(ward, latest)
    data = json.loads(files["json"].data)
    assert data["monthly_totals"][month] == raw.ward_month_total(ward, latest)
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"].data))
    grid = list(book["Crime by month"].iter_rows(values_only=True))
    column = list(grid[0]).index(month)
    assert sum(int(r[column] or 0) for r in grid[1:]) == raw.ward_month_total(ward, latest)
    assert "Caledonian" in shown(docs[0], "caption")


async def test_buttons_under_an_answer(api: FakeBotApi, app: WardApp) -> None:
    [reply] = await ask(api, api.message("SW1A 1AA"), "sendMessage")
    rows = buttons(reply)
    # The first two rows are the drill-downs, then the pictures and downloads (a later row may
    # hold other buttons).
    assert [[keyboards.parse(d).action for d in row]  # type: ignore[union-attr]
            for row in rows[:3]] == [["m", "s", "t"], ["b", "l"], ["c", "p", "x"]]
    assert all(len(d.encode()) <= 64 for row in rows for d in row)
    trend_data, map_data, export_data = rows[2]
    message_id = reply.result["message_id"]
    [photo] = await ask(api, api.callback_query(trend_data, message_id=message_id), "sendPhoto")
    assert "Line chart" in shown(photo, "caption")
    [photo] = await ask(api, api.callback_query(map_data, message_id=message_id), "sendPhoto")
    assert "Westminster's 18 wards" in shown(photo, "caption")
    [formats] = await ask(api, api.callback_query(export_data, message_id=message_id),
                          "editMessageReplyMarkup")
    for data in buttons(formats)[0]:
        await ask(api, api.callback_query(data, message_id=message_id), "sendDocument")
    assert [d.files["document"].filename.rsplit(".", 1)[-1]  # type: ignore[union-attr]
            for d in api.sent("sendDocument")] == ["csv", "xlsx", "json"]
    answered = await api.wait_for("answerCallbackQuery", count=6)
    assert all(a.ok for a in answered)
    assert [a.params.get("text") for a in answered] == [
        None, None, texts.CHOOSE_FORMAT_ALERT, None, None, None]


async def test_stale_and_forged_media_buttons(api: FakeBotApi, app: WardApp) -> None:
    ward = raw.postcode_row("N1 9AA")["Admin_ward_code"]
    [alert] = await ask(api, api.callback_query("p:E05999999:1"), "answerCallbackQuery")
    assert alert.params["text"] == texts.BAD_BUTTON and alert.params["show_alert"] is True
    [note] = await ask(api, api.callback_query(f"c:{ward}:999999"), "answerCallbackQuery")
    assert note.params["text"] == texts.STALE_BUTTON
    [photo] = await api.wait_for("sendPhoto")
    assert "Caledonian" in shown(photo, "caption")


async def test_problem_postcodes_get_the_answers_messages(api: FakeBotApi, app: WardApp) -> None:
    cases = {
        "/trend hello there": "I answer with the police's published figures for a place",
        "/map E1 6AN": "City of London Police",
        "/export M1 1AE": "outside the Metropolitan Police area",
        "/trend N1 9ZZ": "may be new",
        "/map E1": "postcode district",
        "/trend": "/trend SW1A 1AA",
        "/export": "/export SW1A 1AA",
        "/map": "/map london",
    }
    for text, expected in cases.items():
        [reply] = await ask(api, api.message(text), "sendMessage")
        assert expected in shown(reply), (text, shown(reply))
    assert api.sent("sendPhoto") == [] and api.sent("sendDocument") == []


async def test_a_failing_photo_gets_the_text_answer_and_a_note(api: FakeBotApi,
                                                               app: WardApp) -> None:
    api.fail("sendPhoto", error=server_error())
    api.push_update(api.message("/trend SW1A 1AA"))
    [failed] = await api.wait_for("sendPhoto")
    [reply] = await api.wait_for("sendMessage")
    assert not failed.ok and reply.ok
    text = shown(reply)
    assert text.startswith(texts.MEDIA_FAILED.format(what="chart"))
    assert "Line chart: crime in St James's ward" in text  # the picture in words
    assert "SW1A 1AA is in St James's ward, Westminster." in text  # and the answer
    [photo] = await ask(api, api.message("/trend SW1A 1AA"), "sendPhoto")  # next time: fine
    assert photo.ok


async def test_a_failing_map_from_a_button_gets_the_ward_in_words(api: FakeBotApi,
                                                                  app: WardApp) -> None:
    ward = raw.postcode_row("SW1A 1AA")["Admin_ward_code"]
    api.fail("sendPhoto", error=bad_request("IMAGE_PROCESS_FAILED"))
    api.push_update(api.callback_query(f"p:{ward}:{app.bot_data['services'].view.crime_version}"))
    [reply] = await api.wait_for("sendMessage")
    text = shown(reply)
    assert text.startswith(texts.MEDIA_FAILED.format(what="map"))
    assert "St James's ward, Westminster." in text and "12 months to March 2026" in text


async def test_a_failing_document_gets_the_text_answer_once(api: FakeBotApi,
                                                            app: WardApp) -> None:
    api.fail("sendDocument", error=bad_request("file is too big"))
    api.push_update(api.message("/export N1 9AA csv"))
    [reply] = await api.wait_for("sendMessage")
    assert shown(reply).startswith(texts.MEDIA_FAILED.format(what="files"))
    assert "N1 9AA is in Caledonian ward, Islington." in shown(reply)
    assert len(api.sent("sendDocument")) == 1  # it stops at the first failure
    [reply] = await ask(api, api.message("/help"), "sendMessage")
    assert "How to use" in shown(reply)


async def test_a_chart_that_cannot_be_drawn_gets_the_answer_as_text(api: FakeBotApi,
                                                                    app: WardApp) -> None:
    """No render process will run (the interpreter replaced under the running bot): the chat
    gets its figures as text and a note, nothing goes to the error handler, and the next
    chart, the interpreter back, is drawn.  multiprocessing's resource tracker is started
    first, as in a bot that has drawn before (one started without an interpreter warns when
    it is started again)."""
    multiprocessing.resource_tracker.ensure_running()
    saved = multiprocessing.spawn.get_executable()
    multiprocessing.set_executable("/nonexistent/python3")
    try:
        [reply] = await ask(api, api.message("/trend SW1A 1AA"), "sendMessage", timeout=30)
    finally:
        multiprocessing.set_executable(saved)
    assert shown(reply).startswith(texts.MEDIA_FAILED.format(what="chart"))
    assert "SW1A 1AA is in St James's ward, Westminster." in shown(reply)
    assert not api.sent("sendPhoto")
    [photo] = await ask(api, api.message("/trend SW1A 1AA"), "sendPhoto", timeout=30)
    assert photo.ok and picture(photo).size == (1200, 720)


# -- the cache, on its own ---------------------------------------------------------------------


async def test_cache_makes_once_per_version_and_key() -> None:
    made: list[str] = []

    def maker(name: str) -> MediaFile:
        made.append(name)
        return MediaFile("photo", f"{name}.png", name.encode(), name)

    cache = MediaCache(size=2)
    first = await asyncio.gather(*(cache.make((1,), ("trend", "a"), lambda: maker("a"))
                                   for _ in range(5)))
    assert made == ["a"] and all(f is first[0] for f in first)
    await cache.make((1,), ("trend", "b"), lambda: maker("b"))
    await cache.make((1,), ("trend", "c"), lambda: maker("c"))  # "a", least recent, goes
    assert cache.get((1,), ("trend", "a")) is None and cache.get((1,), ("trend", "c"))
    await cache.make((2,), ("trend", "c"), lambda: maker("c2"))  # new data: made again
    assert made == ["a", "b", "c", "c2"] and cache.get((1,), ("trend", "b")) is None


async def test_cache_is_bounded_in_bytes() -> None:
    def file(name: str, size: int) -> MediaFile:
        return MediaFile("photo", f"{name}.png", b"x" * size, name)

    cache = MediaCache(size=64, max_bytes=1_000)
    for i in range(10):  # 10 × 300 bytes: only the last three fit in 1,000
        await cache.make((1,), ("map", str(i)), lambda i=i: file(str(i), 300))
        assert cache.nbytes <= 1_000
    assert len(cache) == 3 and cache.nbytes == 900
    assert [cache.get((1,), ("map", str(i))) is not None for i in range(10)] == \
        [False] * 7 + [True] * 3
    big = await cache.make((1,), ("map", "big"), lambda: file("big", 1_001))
    assert big.data and cache.get((1,), ("map", "big")) is None  # sent, never kept
    assert cache.nbytes == 900
    await cache.make((2,), ("map", "0"), lambda: file("0", 10))  # new data: the rest go
    assert len(cache) == 1 and cache.nbytes == 10

