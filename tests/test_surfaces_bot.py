"""Every surface a resident meets in Telegram, through the real Application and the fake Bot
API, read on a fixed stale day (2026-12-07, ward figures to March 2026) and a fixed fresh one
(2026-04-20), the clock passed to the services (issue 18); each view naming its place and
period first, and the buttons under a borough acting on the borough, Share included (issue
21)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from handlers import keyboards
from handlers.context import WardApp
from tests import raw
from tests.bot_harness import ask, shown
from tests.clocks import FRESH, STALE, clock, says_nothing_stale
from tests.fake_bot_api import BOT_USERNAME, Call, FakeBotApi, parse_html

HACKNEY = "E09000012"
HACKNEY_CENTRAL = str(raw.postcode_row("E8 1DY")["Admin_ward_code"])
RYE_LANE = str(raw.postcode_row("SE15 5AA")["Admin_ward_code"])


def buttons(call: Call) -> list[tuple[str, str]]:
    """(label, callback data or URL) of every button, in order."""
    markup = call.params.get("reply_markup")
    data = json.loads(markup) if isinstance(markup, str) else markup
    return [(b["text"], b.get("callback_data") or b.get("url", ""))
            for row in (data or {}).get("inline_keyboard", []) for b in row]


def data_for(call: Call, label: str) -> str:
    return next(d for text, d in buttons(call) if text == label)


def shared(call: Call) -> str:
    """The deep link a Share button passes to Telegram's share page."""
    url = data_for(call, keyboards.SHARE_LABEL)
    assert url.startswith("https://t.me/share/url?")
    [link] = parse_qs(urlsplit(url).query)["url"]
    return link


def check(text: str, headline: str, stale: bool) -> None:
    assert headline in text, text[:300]
    assert ("Newer figures have been published" in text) is stale
    if stale:
        says_nothing_stale(text)


@pytest.mark.parametrize(("when", "headline", "stale"), [
    pytest.param(STALE, "Figures to March 2026, 8 months old", True, id="stale"),
    pytest.param(FRESH, "Figures to March 2026, under a month old", False, id="fresh"),
])
async def test_every_text_surface_states_its_age_on_the_day(
        api: FakeBotApi, app: WardApp, when: datetime, headline: str, stale: bool) -> None:
    app.bot_data["services"].clock = clock(when)
    [reply] = await ask(api, api.message("E8 1DY"))
    check(shown(reply), headline, stale)
    message_id = reply.result["message_id"]
    for label in ("Crime by type", "Sources and limits"):
        [view] = await ask(api, api.callback_query(data_for(reply, label),
                                                   message_id=message_id), "editMessageText")
        check(shown(view), headline, stale)
    for label, age in (("Stop and search", "19 months old" if stale else "11 months old"),
                       ("Taser", "over 6 years old" if stale else "6 years old")):
        [view] = await ask(api, api.callback_query(data_for(reply, label),
                                                   message_id=message_id), "editMessageText")
        assert age in shown(view).split("\n")[0]
        if stale:
            says_nothing_stale(shown(view))
    [borough] = await ask(api, api.callback_query(data_for(reply, "Borough"),
                                                  message_id=message_id), "editMessageText")
    check(shown(borough), "Figures to June 2026, " + ("5 months old" if stale
                                                       else "under a month old"), stale)
    [compared] = await ask(api, api.message("/compare E8 1DY and SE15 5AA"))
    check(shown(compared), headline, stale)
    for command in ("/start", "/help", "/subscriptions"):
        [said] = await ask(api, api.message(command))
        if command != "/subscriptions":
            check(shown(said), headline, stale)
    [about] = await ask(api, api.message("/about"))
    check(shown(about).replace("ward crime: March", "Figures to March"), headline, stale)
    [followed] = await ask(api, api.message("/subscribe E8 1DY"))
    check(shown(followed), headline, stale)
    assert "Here is its digest for March 2026" in shown(followed)
    [listed] = await ask(api, api.message("/subscriptions"))
    check(shown(listed), headline, stale)
    [inline] = await ask(api, api.inline_query("E8 1DY"), "answerInlineQuery")
    [article] = inline.params["results"]
    check(parse_html(article["input_message_content"]["message_text"])[0], headline, stale)


async def test_pictures_and_files_state_their_age_on_each_day(api: FakeBotApi,
                                                              app: WardApp) -> None:
    services = app.bot_data["services"]
    for when, headline in ((STALE, "Figures to March 2026, 8 months old"),
                           (FRESH, "Figures to March 2026, under a month old")):
        services.clock = clock(when)
        [photo] = await ask(api, api.message("/trend E8 1DY"), "sendPhoto", timeout=30)
        assert headline in shown(photo, "caption")
        [doc] = await ask(api, api.message("/export E8 1DY csv"), "sendDocument", timeout=30)
        assert headline in shown(doc, "caption")
        document = doc.files["document"]
        rows = list(csv.DictReader(io.StringIO(document.data.decode("utf-8-sig"))))
        assert {r["as_of"] for r in rows} == {when.date().isoformat()}


def first_line(call: Call) -> str:
    return shown(call).split("\n")[0]


async def test_a_borough_views_buttons_act_on_the_borough(api: FakeBotApi, app: WardApp) -> None:
    """Borough under Hackney Central's answer: its first line names the borough and its
    month; its Trend chart is the borough's, from the borough file; its Download the
    borough's figures; its Sources the borough's basis; « Summary back to the ward."""
    app.bot_data["services"].clock = clock(STALE)
    [reply] = await ask(api, api.message("E8 1DY"))
    message_id = reply.result["message_id"]
    [borough] = await ask(api, api.callback_query(data_for(reply, "Borough"),
                                                  message_id=message_id), "editMessageText")
    assert first_line(borough) == ("Hackney: the whole borough (the Met's borough figures). "
                                   "Figures to June 2026, 5 months old.")
    acting = [keyboards.parse(d) for label, d in buttons(borough)
              if label in (*keyboards.ACTIONS.values(), *keyboards.MEDIA_ACTIONS.values())]
    assert acting and {d.code for d in acting if d is not None} == {HACKNEY}
    assert shared(borough) == f"https://t.me/{BOT_USERNAME}?start=b-{HACKNEY}"

    bc = raw.borough_crime()
    june = int(bc.loc[bc["BOCU"] == "Hackney", "202606"].sum())
    [photo] = await ask(api, api.callback_query(data_for(borough, "Trend chart"),
                                                message_id=message_id), "sendPhoto", timeout=30)
    caption = shown(photo, "caption")
    assert caption.startswith("Line chart: crime in Hackney, the whole borough (the Met's "
                              "borough figures), each month from July 2024 to June 2026.")
    assert f"In June 2026: {june:,} crimes" in caption
    assert f"-{HACKNEY}-2026-06.png" in photo.files["photo"].filename  # type: ignore[union-attr]

    [formats] = await ask(api, api.callback_query(data_for(borough, "Download figures"),
                                                  message_id=message_id),
                          "editMessageReplyMarkup")
    [doc] = await ask(api, api.callback_query(data_for(formats, "⬇ CSV"), message_id=message_id),
                      "sendDocument", timeout=30)
    rows = list(csv.DictReader(io.StringIO(
        doc.files["document"].data.decode("utf-8-sig"))))  # type: ignore[union-attr]
    crime = [r for r in rows if r["section"] == "crime"]
    assert {(r["area_code"], r["area_name"]) for r in crime} == {(HACKNEY, "Hackney")}
    assert sum(int(r["value"]) for r in crime if r["period"] == "2026-06") == june
    rate = {r["category"]: r for r in rows if r["section"] == "rate_12_months"}
    assert rate["boroughs ranked"]["value"] == "32"

    [sources] = await ask(api, api.callback_query(data_for(borough, "Sources and limits"),
                                                  message_id=message_id), "editMessageText")
    assert first_line(sources) == "Sources and limits: Hackney, the whole borough"
    assert "from its borough-level extract" in shown(sources)
    assert "the 32 boroughs' crimes ÷ their residents" in shown(sources)
    [minor] = await ask(api, api.callback_query(data_for(sources, "Crime by type"),
                                                message_id=message_id), "editMessageText")
    assert first_line(minor) == f"Crime by type in Hackney, the whole borough, June 2026: {june:,}"
    [summary] = await ask(api, api.callback_query(data_for(minor, keyboards.BACK_LABEL),
                                                  message_id=message_id), "editMessageText")
    assert first_line(summary).startswith("Hackney: the whole borough")
    [back] = await ask(api, api.callback_query(data_for(borough, keyboards.BACK_LABEL),
                                               message_id=message_id), "editMessageText")
    assert shown(back) == shown(reply)  # « Summary under the borough: the ward again


async def test_borough_answers_and_comparisons_can_be_shared(api: FakeBotApi,
                                                             app: WardApp) -> None:
    [borough] = await ask(api, api.message("London Borough of Hackney"))
    link = shared(borough)
    assert link == f"https://t.me/{BOT_USERNAME}?start=b-{HACKNEY}"
    [opened] = await ask(api, api.message(f"/start b-{HACKNEY}", user_id=777, chat_id=777))
    assert shown(opened) == shown(borough)
    [compared] = await ask(api, api.message("compare E8 1DY and SE15 5AA"))
    link = shared(compared)
    assert link == f"https://t.me/{BOT_USERNAME}?start=v-{HACKNEY_CENTRAL}-{RYE_LANE}"
    [again] = await ask(api, api.message(f"/start v-{HACKNEY_CENTRAL}-{RYE_LANE}",
                                         user_id=777, chat_id=777))
    assert shown(again).split("\n")[0] == ("Hackney Central (Hackney) and Rye Lane "
                                           "(Southwark), side by side")
    assert shared(again) == link
    [mixed] = await ask(api, api.message("compare E8 1DY and Camden borough"))
    assert shared(mixed).endswith(f"start=v-{HACKNEY_CENTRAL}-E09000007")
    [forged] = await ask(api, api.message("/start v-E05999999-E09000007", user_id=777,
                                          chat_id=777))
    assert shown(forged).startswith("WardWatch tells you")  # not a place: the welcome
