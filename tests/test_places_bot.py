"""Asking by place through the real Application and the fake Bot API: a sentence, a near-miss
with its buttons, an ambiguous name, a district's and a borough's wards as buttons, /compare,
/map and /trend by name, /subscribe by ward name.  Figures are computed from the raw files."""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.resource_tracker
import multiprocessing.spawn

import pytest

from datastore.storage import subscriptions
from handlers import choices, keyboards
from handlers.context import WardApp
from handlers.present import texts
from tests import raw
from tests.bot_harness import ask, shown
from tests.fake_bot_api import USER_ID, Call, FakeBotApi, parse_html


def keyboard(call: Call) -> list[tuple[str, str]]:
    """(label, callback data) of every button under a message, in order."""
    markup = call.params.get("reply_markup")
    data = json.loads(markup) if isinstance(markup, str) else markup
    return [(b["text"], b.get("callback_data") or b.get("url", ""))
            for row in (data or {}).get("inline_keyboard", []) for b in row]


def ward_code(name: str, borough: str) -> str:
    crime = raw.ward_crime()
    [code] = crime.loc[(crime["WardName"] == name) & (crime["LookUp_BoroughName"] == borough),
                       "WardCode"].unique()
    return str(code)


async def test_a_sentence_a_near_miss_and_the_choice_it_offers(api: FakeBotApi,
                                                              app: WardApp) -> None:
    ward = raw.postcode_row("SE15 5AA")["Admin_ward_code"]
    [reply] = await ask(api, api.message("what's crime like in SE15 5AA?"))
    assert shown(reply).startswith("SE15 5AA: Rye Lane ward, Southwark.")
    follows = [keyboards.parse_follow(d) for _l, d in keyboard(reply)]
    assert keyboards.Follow(True, ward, "SE15") in follows

    [choice] = await ask(api, api.message("E8 IDY"))
    assert shown(choice).startswith(texts.CHOOSE_NEAR_MISS)
    picks = keyboard(choice)
    assert picks[0] == ("E8 1DY (Hackney Central)", "pick:p:E81DY")
    assert 1 <= len(picks) <= 3
    [answer] = await ask(api, api.callback_query(picks[0][1],
                                                 message_id=choice.result["message_id"]))
    assert shown(answer).startswith("E8 1DY: Hackney Central ward, Hackney.")
    [done] = api.sent("answerCallbackQuery")[-1:]
    assert done.params.get("show_alert") in (None, False)

    [other] = await ask(api, api.message("hello there"))
    assert shown(other) == shown_text(texts.NOT_A_PLACE)


def shown_text(html: str) -> str:
    return parse_html(html)[0]


async def test_a_name_shared_by_a_borough_and_wards_then_the_borough_and_a_ward(
        api: FakeBotApi, app: WardApp) -> None:
    [choice] = await ask(api, api.message("hackney"))
    assert shown(choice).startswith(texts.CHOOSE_AMBIGUOUS)
    picks = keyboard(choice)
    assert picks[0] == ("Hackney (borough)", "pick:b:E09000012")
    crime = raw.ward_crime()
    named = set(crime.loc[crime["WardName"].str.contains("Hackney"), "WardName"])
    assert {label.split(" (ward")[0] for label, _ in picks[1:]} == named

    [borough] = await ask(api, api.callback_query(picks[0][1],
                                                  message_id=choice.result["message_id"]))
    assert shown(borough).startswith("Hackney: the whole borough (the Met's borough figures).")
    # Its wards as buttons, highest 12-month rate first (rates from the raw files).
    rates = raw.ward_rates()
    wards = raw.borough_wards("Hackney")
    expected = sorted((w for w in wards if w in rates.index), key=lambda w: -rates[w])
    got = [choices.parse(data) for _label, data in keyboard(borough)]
    codes = [p.code for p in got if p is not None]
    assert codes[:len(expected)] == expected and set(codes) >= set(wards)

    # Above its wards, the borough's own views, pictures and download, acting on the borough.
    first_ward = next(i for i, (_l, d) in enumerate(keyboard(borough)) if choices.parse(d))
    own = [keyboards.parse(d) for _l, d in keyboard(borough)[:first_ward]]
    assert {v.code for v in own if v is not None} == {"E09000012"}
    [ward] = await ask(api, api.callback_query(keyboard(borough)[first_ward][1],
                                               message_id=borough.result["message_id"]))
    name = raw.ward_crime().set_index("WardCode")["WardName"].to_dict()[expected[0]]
    assert shown(ward).startswith(f"{name} ward, Hackney.")
    views = [keyboards.parse(d) for _l, d in keyboard(ward)]
    assert {v.code for v in views if v is not None} == {expected[0]}  # its own views
    follows = [keyboards.parse_follow(d) for _l, d in keyboard(ward)]
    assert any(f is not None and f.ward_code == expected[0] for f in follows)


async def test_a_district_lists_its_wards_as_buttons_most_postcodes_first(
        api: FakeBotApi, app: WardApp) -> None:
    pcs = raw.postcodes()
    e1 = pcs[pcs["Postcode"].str.replace(" ", "").str.match(r"^E1\d[A-Z]{2}$")]
    counts = e1.groupby("Admin_ward_code").size().sort_values(ascending=False)
    [reply] = await ask(api, api.message("E1"))
    got = [choices.parse(d) for _l, d in keyboard(reply)]
    assert got[0] is not None and got[0].code == counts.index[0]
    assert {p.code for p in got if p is not None} == set(counts.index)


async def test_compare_two_places(api: FakeBotApi, app: WardApp) -> None:
    rates = raw.ward_rates()
    a, b = (raw.postcode_row(p)["Admin_ward_code"] for p in ("SE15 5AA", "E8 1DY"))
    [reply] = await ask(api, api.message("/compare SE15 5AA and E8 1DY"))
    text = shown(reply)
    assert text.startswith("Rye Lane (Southwark) and Hackney Central (Hackney), side by side")
    assert f"{rates[a]:,.1f} per 1,000 residents" in text
    assert f"{rates[b]:,.1f} per 1,000 residents" in text
    assert "Largest differences" in text
    [(label, data), (share, url)] = keyboard(reply)
    assert (label, data) == ("Both trends on one chart", f"cmp:{a}:{b}")
    assert share == keyboards.SHARE_LABEL and url.startswith("https://t.me/share/url?")
    [photo] = await ask(api, api.callback_query(data, message_id=reply.result["message_id"]),
                        "sendPhoto")
    caption = shown(photo, "caption")
    assert caption.startswith("Line chart: crime per 1,000 residents in Rye Lane (Southwark) "
                              "and Hackney Central (Hackney)")
    assert photo.files and photo.files["photo"].data.startswith(b"\x89PNG")
    [same] = await ask(api, api.message("SE15 5AA vs E8 1DY"))
    assert shown(same) == text
    [usage] = await ask(api, api.message("/compare"))
    assert shown(usage) == shown_text(texts.COMPARE_USAGE)


async def test_both_trends_that_cannot_be_drawn_get_a_note(api: FakeBotApi,
                                                           app: WardApp) -> None:
    """No render process will run (the interpreter replaced under the running bot): the
    comparison is already above, so a note says the chart could not be made."""
    a, b = (raw.postcode_row(p)["Admin_ward_code"] for p in ("SE15 5AA", "E8 1DY"))
    multiprocessing.resource_tracker.ensure_running()  # as in a bot that has drawn before
    saved = multiprocessing.spawn.get_executable()
    multiprocessing.set_executable("/nonexistent/python3")
    try:
        [note] = await ask(api, api.callback_query(f"cmp:{a}:{b}"), "sendMessage", timeout=30)
    finally:
        multiprocessing.set_executable(saved)
    assert shown(note) == shown_text(texts.DRAW_FAILED.format(what="chart"))
    assert not api.sent("sendPhoto")


async def test_map_trend_and_subscribe_by_name(api: FakeBotApi, app: WardApp) -> None:
    [photo] = await ask(api, api.message("/map Camden borough"), "sendPhoto")
    caption = shown(photo, "caption")
    assert caption.startswith("Map: Camden's ") and " wards shaded by crime" in caption
    assert "(outlined)" not in caption  # a borough's map: no ward of the user's
    [chart] = await ask(api, api.message("/trend Hackney Central"), "sendPhoto")
    assert "Hackney Central" in shown(chart, "caption")
    # A borough's trend, from the Met's borough file (it used to ask for one of its wards).
    [borough] = await ask(api, api.message("/trend Hackney borough"), "sendPhoto")
    assert shown(borough, "caption").startswith("Line chart: crime in Hackney, the whole "
                                                "borough (the Met's borough figures)")
    [followed] = await ask(api, api.message("/subscribe Hackney Central"))
    assert "Hackney Central" in shown(followed)
    code = ward_code("Hackney Central", "Hackney")
    subs = await app.bot_data["chats"].run(subscriptions.for_chat, USER_ID)
    assert [s.ward_code for s in subs] == [code]


async def test_a_forged_choice_button_is_refused(api: FakeBotApi, app: WardApp) -> None:
    for data in ("pick:w:E09000012", "pick:b:E05009372", "pick:p:NOTAPC", "pick:x:E05009372",
                 "cmp:E05009372:E05999999", "cmp:E05009372"):
        await ask(api, api.callback_query(data), "answerCallbackQuery")
        last = api.sent("answerCallbackQuery")[-1]
        assert last.params["text"] == texts.BAD_BUTTON and last.params["show_alert"] in (True,
                                                                                         "true")


@pytest.mark.parametrize(("data", "expected"), [
    ("pick:w:E05009372", choices.Pick("ward", "E05009372")),
    ("pick:b:E09000012", choices.Pick("borough", "E09000012")),
    ("pick:p:E81DY", choices.Pick("postcode", "E8 1DY")),
    ("pick:p:SW1A1AA", choices.Pick("postcode", "SW1A 1AA")),
    ("pick:w:E09000012", None), ("pick:b:E05009372", None), ("pick:p:NOTAPC", None),
    ("pick:x:E05009372", None), ("pick:p:E81D", None), ("pick:w:E05009372 ", None),
    (None, None), (42, None),
])
def test_choice_button_data_is_validated(data: object, expected: choices.Pick | None) -> None:
    assert choices.parse(data) == expected
