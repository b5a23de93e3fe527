"""Issue 19 through the real Application and the fake Bot API: a neighbourhood answered as
what it is, a choice that keeps the action it was made for (a map, a chart, a subscription,
a comparison), comparisons of up to four places with their caveats, and postcodes that
cannot exist.  Wards and figures are computed from the raw files (tests/raw.py,
tests/raw_places.py)."""

from __future__ import annotations

import json

from datastore.storage import subscriptions
from handlers import choices
from handlers.context import WardApp
from handlers.present import texts
from tests import raw, raw_places
from tests.bot_harness import ask, shown
from tests.fake_bot_api import USER_ID, Call, FakeBotApi

SLOW = 20.0  # seconds: a first name builds the place index; the machine is shared


def keyboard(call: Call) -> list[tuple[str, str]]:
    """(label, callback data) of every button under a message, in order."""
    markup = call.params.get("reply_markup")
    data = json.loads(markup) if isinstance(markup, str) else markup
    return [(b["text"], b.get("callback_data") or b.get("url", ""))
            for row in (data or {}).get("inline_keyboard", []) for b in row]


def ward_name(code: str) -> str:
    pcs = raw.postcodes()
    return str(pcs.loc[pcs["Admin_ward_code"] == code, "ward_name"].iloc[0])


def area_point(name: str) -> tuple[float, float]:
    row = raw_places.areas()[raw_places.areas()["name"] == name].iloc[0]
    return float(row["lat"]), float(row["lon"])


def assert_small(buttons: list[tuple[str, str]]) -> None:
    assert buttons and all(len(data.encode()) <= 64 for _label, data in buttons)


async def test_a_neighbourhood_across_wards_offers_them_and_each_answers(
        api: FakeBotApi, app: WardApp) -> None:
    [reply] = await ask(api, api.message("Notting Hill"), timeout=SLOW)
    assert shown(reply).startswith("Notting Hill (area) is not a ward: it crosses ")
    buttons = keyboard(reply)
    assert_small(buttons)
    picks = [choices.parse(d) for _l, d in buttons]
    codes = [p.code for p in picks if p is not None and p.kind == "ward"]
    lat, lon = area_point("Notting Hill")
    assert raw_places.ward_at(lat, lon) in codes  # the ward its point is in is offered
    assert all(raw_places.metres_to_ward(c, lat, lon) <= 1_500 for c in codes)
    [answer] = await ask(api, api.callback_query(buttons[0][1],
                                                 message_id=reply.result["message_id"]))
    assert shown(answer).startswith(f"{ward_name(codes[0])} ward, Kensington and Chelsea.")


async def test_a_neighbourhood_in_one_ward_is_that_wards_answer_saying_so_first(
        api: FakeBotApi, app: WardApp) -> None:
    [reply] = await ask(api, api.message("what's crime like in Soho?"), timeout=SLOW)
    first = shown(reply).split("\n")[0]
    assert first.startswith("Soho (area) is in ") and " ward, Westminster." in first
    follow = [d for _l, d in keyboard(reply) if d.startswith("sub:")]
    assert follow  # the ward's own buttons: it is the ward's answer


async def test_a_city_of_london_ward_chosen_is_named_never_a_code(api: FakeBotApi,
                                                                   app: WardApp) -> None:
    pcs = raw.postcodes()
    castle = str(pcs.loc[pcs["ward_name"] == "Castle Baynard", "Admin_ward_code"].iloc[0])
    [reply] = await ask(api, api.callback_query(f"pick:w:{castle}"))
    text = shown(reply)
    assert text.startswith("Castle Baynard is in the City of London")
    assert "E05" not in text


async def test_elephant_and_castle_is_its_own_place_not_a_castle(api: FakeBotApi,
                                                                  app: WardApp) -> None:
    [reply] = await ask(api, api.message("Elephant and Castle"), timeout=SLOW)
    text = shown(reply)
    assert text.startswith("Elephant and Castle (area)")
    assert "Bruce Castle" not in text and "Castle Baynard" not in text


async def test_a_borough_chosen_under_map_draws_its_map(api: FakeBotApi, app: WardApp) -> None:
    [reply] = await ask(api, api.message("/map Hackney"), timeout=SLOW)
    buttons = keyboard(reply)
    assert buttons[0] == ("Hackney (borough)", "pick:b:E09000012:p")
    [photo] = await ask(api, api.callback_query(buttons[0][1],
                                                message_id=reply.result["message_id"]),
                        "sendPhoto", timeout=60)
    assert shown(photo, "caption").startswith("Map: Hackney's ")


async def test_a_ward_chosen_under_trend_gets_its_chart(api: FakeBotApi, app: WardApp) -> None:
    [reply] = await ask(api, api.message("/trend Peckham"), timeout=SLOW)
    buttons = keyboard(reply)
    assert buttons and all(d.endswith(":c") for _l, d in buttons)
    chosen = choices.parse(buttons[0][1])
    assert chosen is not None and chosen.kind == "ward"
    [chart] = await ask(api, api.callback_query(buttons[0][1],
                                                message_id=reply.result["message_id"]),
                        "sendPhoto", timeout=60)
    assert ward_name(chosen.code) in shown(chart, "caption")


async def test_a_ward_chosen_under_subscribe_is_followed(api: FakeBotApi, app: WardApp) -> None:
    [reply] = await ask(api, api.message("/subscribe Hackney"), timeout=SLOW)
    buttons = keyboard(reply)
    assert buttons[0] == ("Hackney (borough)", "pick:b:E09000012:s")
    [wards] = await ask(api, api.callback_query(buttons[0][1],
                                                message_id=reply.result["message_id"]))
    assert shown(wards).startswith(texts.SUBSCRIBE_BY_WARD)
    ward = choices.parse(keyboard(wards)[0][1])
    assert ward is not None and ward.action == "s" and ward.kind == "ward"
    [done] = await ask(api, api.callback_query(keyboard(wards)[0][1],
                                               message_id=wards.result["message_id"]))
    assert ward_name(ward.code) in shown(done)
    subs = await app.bot_data["chats"].run(subscriptions.for_chat, USER_ID)
    assert [s.ward_code for s in subs] == [ward.code]


async def test_a_comparison_is_completed_by_its_choices(api: FakeBotApi, app: WardApp) -> None:
    [reply] = await ask(api, api.message("Peckham vs Brixton"), timeout=SLOW)
    text = shown(reply)
    assert text.startswith(texts.COMPARE_CHOOSE)
    assert "1. Peckham (Southwark)" in text
    buttons = keyboard(reply)
    assert_small(buttons)
    assert all(d.startswith("vs:") for _l, d in buttons)
    brixton = {c for c in raw.ward_crime()["WardName"].unique() if "Brixton" in c}
    assert {label.split(" (ward")[0] for label, _d in buttons} == brixton
    [done] = await ask(api, api.callback_query(buttons[1][1],
                                               message_id=reply.result["message_id"]),
                       "editMessageText")
    result = shown(done)
    chosen = buttons[1][0].split(" (ward")[0]
    assert result.startswith(f"Peckham (Southwark) and {chosen} (Lambeth), side by side")
    assert "Largest differences" in result


async def test_three_places_are_compared_none_dropped(api: FakeBotApi, app: WardApp) -> None:
    rates = raw.ward_rates()
    wards = [raw.postcode_row(p)["Admin_ward_code"] for p in ("E8 1DY", "SE15 5AA", "N1 9GU")]
    [reply] = await ask(api, api.message("E8 1DY vs SE15 5AA vs N1 9GU"), timeout=SLOW)
    text = shown(reply)
    for ward in wards:
        assert f"{ward_name(ward)} (" in text
        assert f"{rates[ward]:,.1f} per 1,000 residents" in text


async def test_a_fifth_place_is_said_to_be_left_out(api: FakeBotApi, app: WardApp) -> None:
    """Four places are compared; a fifth is not dropped without a word: the reply names it."""
    asked = ("E8 1DY", "SE15 5AA", "N1 9GU", "W1D 3QU", "SW1A 1AA")
    wards = [raw.postcode_row(p)["Admin_ward_code"] for p in asked]
    [reply] = await ask(api, api.message(" vs ".join(asked)), timeout=SLOW)
    text = shown(reply)
    for ward in wards[:4]:
        assert f"{ward_name(ward)} (" in text
    assert f"{ward_name(wards[4])} (" not in text
    assert "I compare up to four places at once; left out: SW1A 1AA." in text


async def test_a_comparison_carries_each_places_caveats(api: FakeBotApi, app: WardApp) -> None:
    rates = raw.ward_rates()
    camden_town = str(raw.ward_crime().loc[raw.ward_crime()["WardName"] == "Camden Town",
                                           "WardCode"].iloc[0])
    assert rates[camden_town] / raw.london_rate() >= 2  # well above: rates count residents
    [reply] = await ask(api, api.message("/compare Camden Town and E8 1DY"), timeout=SLOW)
    lines = shown(reply).split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("• Camden Town"))
    assert lines[at + 1].strip() == texts.BUSY_PLACE_SHORT


async def test_forged_and_stale_choices_are_refused(api: FakeBotApi, app: WardApp) -> None:
    await ask(api, api.message("Notting Hill"), timeout=SLOW)  # the place index is built
    for data in ("vs:zzzz:w1|w2", "vs:0000:w1", "vs:0000:x1|w2", "pick:g:00001", "vs:0000:" +
                 "|".join(["w5xg4"] * 5), "pick:g:ffff1"):
        await ask(api, api.callback_query(data), "answerCallbackQuery")
        last = api.sent("answerCallbackQuery")[-1]
        assert last.params["text"] == texts.BAD_BUTTON, data


async def test_a_postcode_that_cannot_exist_offers_the_real_one(api: FakeBotApi,
                                                                 app: WardApp) -> None:
    [reply] = await ask(api, api.message("SE51 5AA"), timeout=SLOW)
    assert shown(reply).startswith("SE51 5AA can't be a postcode: there is no postcode "
                                   "district SE51. Did you mean SE15 5AA")
    assert "outside" not in shown(reply)
    assert keyboard(reply)[0][1] == "pick:p:SE155AA"
