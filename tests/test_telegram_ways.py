"""Telegram's own conventions (issue 11), through the real Application and the fake Bot API:
deep links and the Share button, the Send my location keyboard, inline mode (offline only,
never stored) and an edited message editing the bot's earlier reply."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from handlers import keyboards
from handlers.context import WardApp
from handlers.present import info_text, texts
from tests import raw
from tests.bot_harness import ask, polling_bot, shown
from tests.clocks import STALE, clock
from tests.fake_bot_api import BOT_USERNAME, Call, FakeBotApi, parse_html
from tests.postcodes_io_fake import FakePostcodesIo

HACKNEY_CENTRAL = str(raw.postcode_row("E8 1DY")["Admin_ward_code"])
LINK = f"https://t.me/{BOT_USERNAME}?start=w-{HACKNEY_CENTRAL}"


def buttons(call: Call) -> dict[str, dict[str, object]]:
    markup = call.params.get("reply_markup")
    data = json.loads(markup) if isinstance(markup, str) else markup
    return {b["text"]: b for row in (data or {}).get("inline_keyboard", []) for b in row}


def shared_link(call: Call) -> str:
    url = str(buttons(call)[keyboards.SHARE_LABEL]["url"])
    assert url.startswith("https://t.me/share/url?")
    [link] = parse_qs(urlsplit(url).query)["url"]
    return link


async def test_share_gives_the_deep_link_which_opens_the_ward_with_subscribe(
        api: FakeBotApi, app: WardApp) -> None:
    [answer] = await ask(api, api.message("E8 1DY"))
    assert shared_link(answer) == LINK
    [opened] = await ask(api, api.message(f"/start w-{HACKNEY_CENTRAL}", user_id=777,
                                          chat_id=777))
    assert shown(opened).startswith("Hackney Central ward, Hackney.")
    assert shared_link(opened) == LINK
    follow = keyboards.parse_follow(buttons(opened)["Subscribe: monthly figures"]["callback_data"])
    assert follow == keyboards.Follow(True, HACKNEY_CENTRAL, "E8")
    [done] = await ask(api, api.callback_query(
        str(buttons(opened)["Subscribe: monthly figures"]["callback_data"]), user_id=777,
        chat_id=777, message_id=opened.result["message_id"]))
    assert shown(done).startswith("Done: this chat now follows Hackney Central, Hackney")
    services = app.bot_data["services"]
    services.clock = clock(STALE)
    [plain] = await ask(api, api.message("/start w-E05999999"))  # not a ward: the welcome
    assert shown(plain) == parse_html(info_text.start_html(services.freshness()))[0]


async def test_private_start_offers_send_my_location(api: FakeBotApi, app: WardApp) -> None:
    [start] = await ask(api, api.message("/start"))
    markup = start.params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    assert markup["keyboard"] == [[{"text": keyboards.SEND_LOCATION, "request_location": True}]]
    assert markup["resize_keyboard"] is True
    row = raw.postcode_row("E8 1DY")
    [answer] = await ask(api, api.location(float(row["lat_wgs84_derived"]),
                                           float(row["lon_wgs84_derived"])))
    assert "Nearest postcode to that location: E8 1DY" in shown(answer)


async def test_inline_mode_answers_from_the_offline_table_only(
        api: FakeBotApi, db_copy: Path, postcodes_io_fake: FakePostcodesIo,
        caplog: pytest.LogCaptureFixture) -> None:
    async with polling_bot(api, db_copy, postcodes_url=postcodes_io_fake.base_url) as app:
        with caplog.at_level(logging.DEBUG):
            [call] = await ask(api, api.inline_query("e8 1dy"), "answerInlineQuery")
        assert call.ok
        [article] = call.params["results"]
        assert article["type"] == "article"
        assert article["title"] == "E8 1DY: Hackney Central, Hackney"
        content = article["input_message_content"]
        text = parse_html(content["message_text"])[0]
        assert text.startswith("E8 1DY: Hackney Central ward, Hackney.") and len(text) <= 900
        assert text.endswith(texts.INLINE_FOOT)
        [[open_bot]] = article["reply_markup"]["inline_keyboard"]
        assert open_bot == {"text": texts.OPEN_BOT, "url": LINK}
        # A valid London postcode missing from the table is not sent to postcodes.io.
        [missing] = await ask(api, api.inline_query("N1 9ZZ"), "answerInlineQuery")
        assert missing.ok and missing.params["results"] == []
        assert missing.params["button"]["text"] == texts.INLINE_HINT
        # A place by name, and a name several places answer to: one article per place.
        [named] = await ask(api, api.inline_query("hackney central"), "answerInlineQuery")
        assert [a["title"] for a in named.params["results"]] == ["Hackney Central, Hackney"]
        [several] = await ask(api, api.inline_query("Hackney"), "answerInlineQuery")
        titles = [a["title"] for a in several.params["results"]]
        crime = raw.ward_crime()
        wards = set(crime.loc[crime["WardName"].str.contains("Hackney"), "WardName"])
        assert titles[0] == "Hackney (the whole borough)"
        assert set(titles[1:]) == {f"{w}, Hackney" for w in wards}
        [empty] = await ask(api, api.inline_query(""), "answerInlineQuery")
        assert empty.ok and empty.params["results"] == []
        assert postcodes_io_fake.requests == []
        # Nothing is stored, nor logged.
        count = await app.bot_data["chats"].run(
            lambda conn: conn.execute("SELECT COUNT(*) FROM subscription").fetchone()[0])
        assert count == 0
        assert not [r for r in caplog.records if "E8" in r.getMessage().upper()
                    and r.name.startswith(("handlers", "bot", "datastore"))]


async def test_an_edited_message_edits_the_earlier_reply(api: FakeBotApi, app: WardApp) -> None:
    typo = api.message("E8 1DZZ")
    [reply] = await ask(api, typo)
    assert shown(reply).startswith("I don't know that postcode. Did you mean")
    message_id = typo["message"]["message_id"]
    [edit] = await ask(api, api.edited_message("E8 1DY", message_id=message_id),
                       "editMessageText")
    assert edit.ok and edit.params["message_id"] == reply.result["message_id"]
    assert shown(edit).startswith("E8 1DY: Hackney Central ward, Hackney.")
    assert "Subscribe: monthly figures" in buttons(edit)
    # Edited to the same again: nothing new. An edit of a message never answered: a reply.
    await ask(api, api.edited_message("E8 1DY", message_id=message_id), "editMessageText")
    [fresh] = await ask(api, api.edited_message("N1 9AA", message_id=99_999))
    assert "Caledonian" in shown(fresh)
    assert len(api.sent("sendMessage")) == 2
