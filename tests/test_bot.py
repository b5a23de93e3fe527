"""End to end: the real Application polls a fake Bot API on 127.0.0.1; we push updates shaped
as Telegram sends them and check what the bot sent back."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from handlers import keyboards
from handlers.context import WardApp
from handlers.present import names, texts
from tests import raw
from tests.bot_harness import ManualClock, ask, polling_bot, shown
from tests.fake_bot_api import (
    GROUP_ID,
    SUPERGROUP_ID,
    TOKEN,
    USER_ID,
    Call,
    FakeBotApi,
    bad_request,
    blocked,
    parse_html,
    server_error,
)


def buttons(call: Call) -> list[str]:
    markup = call.params.get("reply_markup")
    data = json.loads(markup) if isinstance(markup, str) else markup
    return [b["callback_data"] for row in (data or {}).get("inline_keyboard", []) for b in row
            if "callback_data" in b]  # not the Share button (a link)


async def test_start_help_and_the_command_menu(api: FakeBotApi, app: WardApp) -> None:
    names = [c["command"] for c in api.commands("all_private_chats")]
    assert {"postcode", "types", "about", "forget", "help", "start"} <= set(names)
    [reply] = await ask(api, api.message("/start"))
    assert texts.EXAMPLE_POSTCODE in shown(reply) and reply.params["parse_mode"] == "HTML"
    [reply] = await ask(api, api.message("/help"))
    assert "/forget" in shown(reply)


async def test_a_failing_command_menu_does_not_stop_the_bot(api: FakeBotApi,
                                                            db_copy: Path) -> None:
    api.fail("setMyCommands", error=server_error())
    async with polling_bot(api, db_copy):
        [reply] = await ask(api, api.message("sw1a1aa"))
    assert "St James's" in shown(reply)


async def test_private_postcode_answer_and_every_button(api: FakeBotApi, app: WardApp) -> None:
    ward = raw.postcode_row("SW1A 1AA")["Admin_ward_code"]
    latest = raw.month_columns()[-1]
    [reply] = await ask(api, api.message("  sw1a1aa "))
    assert reply.ok
    assert shown(reply).startswith("SW1A 1AA: St James's ward, Westminster.")
    assert f"{raw.ward_month_total(ward, latest):,} crimes" in shown(reply)
    assert len(shown(reply)) <= 900
    data = buttons(reply)
    # The Subscribe button (tests/test_subscriptions_bot.py presses it); the rest drill down.
    [follow] = [d for d in data if keyboards.parse_follow(d)]
    assert keyboards.parse_follow(follow) == keyboards.Follow(True, ward, "SW1A")
    data = [d for d in data if d != follow]
    assert [keyboards.parse(d).action for d in data] == [  # type: ignore[union-attr]
        "m", "s", "t", "b", "l", "c", "p", "x"]  # c, p, x: tests/test_media_bot.py presses them
    assert all(len(d.encode()) <= 64 for d in data)
    assert {keyboards.parse(d).postcode for d in data} == {"SW1A 1AA"}  # type: ignore[union-attr]
    message_id = reply.result["message_id"]

    minor, stop, taser, borough, *_rest = data
    [detail] = await ask(api, api.callback_query(minor, message_id=message_id),
                         "editMessageText")
    for name in raw.ward_crime().query("WardCode == @ward and `" + latest + "` > 0")[
            "MinorText"].unique()[:3]:
        assert f"• {names.display(name)}: " in shown(detail)
    [detail] = await ask(api, api.callback_query(stop, message_id=message_id),
                         "editMessageText")
    assert "Law used" in shown(detail) and "Westminster" in shown(detail)
    [detail] = await ask(api, api.callback_query(taser, message_id=message_id),
                         "editMessageText")
    assert "Earlier periods" in shown(detail) and "angled drive stun" in shown(detail)
    [detail] = await ask(api, api.callback_query(borough, message_id=message_id),
                         "editMessageText")
    bc = raw.borough_crime()
    june = int(bc.loc[bc["BOCU"] == "Westminster", "202606"].sum())
    assert shown(detail).startswith(
        "Westminster: the whole borough (the Met's borough figures).")
    assert f"\nJune 2026: {june:,} crimes recorded" in shown(detail)
    assert "Ward figures run to March 2026, " in shown(detail)
    assert len(api.sent("answerCallbackQuery")) == 4
    assert len(api.sent("sendMessage")) == 1  # every view edited the one answer


async def test_forged_and_stale_buttons_are_answered_gracefully(api: FakeBotApi,
                                                                app: WardApp) -> None:
    [alert] = await ask(api, api.callback_query("x:DROP TABLE"), "answerCallbackQuery")
    assert alert.params["text"] == texts.BAD_BUTTON and alert.params["show_alert"] is True
    [alert] = await ask(api, api.callback_query("m:E05999999:1"), "answerCallbackQuery")
    assert alert.params["text"] == texts.BAD_BUTTON
    assert api.sent("sendMessage") == []
    ward = raw.postcode_row("N1 9AA")["Admin_ward_code"]
    before = len(api.sent("sendMessage"))
    [note] = await ask(api, api.callback_query(f"m:{ward}:999999"), "answerCallbackQuery")
    assert note.params["text"] == texts.STALE_BUTTON
    [detail] = await api.wait_for("editMessageText")
    assert "Crime by type" in shown(detail) and len(api.sent("sendMessage")) == before


async def test_problem_postcodes_get_clear_messages(api: FakeBotApi, app: WardApp) -> None:
    cases = {
        "hello there": "I answer with the police's published figures for a place",
        "E1": "postcode district",
        "E1 6AN": "City of London Police",
        "M1 1AE": "outside the Metropolitan Police area",
        "N1 9ZZ": "may be new",
    }
    for text, expected in cases.items():
        [reply] = await ask(api, api.message(text))
        assert expected in shown(reply), (text, shown(reply))
        if text == "E1":  # a district: its wards as buttons (tests/test_places_bot.py)
            assert buttons(reply) and all(b.startswith("pick:w:E05") for b in buttons(reply))
        elif text == "N1 9ZZ":  # unknown, so maybe new, or one character off a real one
            assert "Did you mean N1 9AZ" in shown(reply)
            assert (raw.postcodes()["Postcode"] == "N1 9AZ").any()  # a real postcode
            assert 1 <= len(buttons(reply)) <= 3
            assert all(b.startswith("pick:p:N19") for b in buttons(reply))
        else:
            assert buttons(reply) == [], text


async def test_groups_use_the_postcode_command(api: FakeBotApi, app: WardApp) -> None:
    for chat_id, kind in ((GROUP_ID, "group"), (SUPERGROUP_ID, "supergroup")):
        [reply] = await ask(api, api.message("/postcode BR1 1AA", chat_id=chat_id,
                                             chat_type=kind))  # type: ignore[arg-type]
        assert reply.chat_id == chat_id and "Bromley Town" in shown(reply)
    [usage] = await ask(api, api.message("/postcode", chat_id=GROUP_ID, chat_type="group"))
    assert "/postcode SW1A 1AA" in shown(usage)
    [mine] = await ask(api, api.message("/start@WardWatchTestBot", chat_id=GROUP_ID,
                                        chat_type="group"))
    assert texts.EXAMPLE_POSTCODE in shown(mine)
    # Plain text, a command for another bot, and a sticker in a group: no reply at all.
    before = len(api.calls)
    for update in (api.message("BR1 1AA", chat_id=GROUP_ID, chat_type="group"),
                   api.message("/start@OtherBot", chat_id=GROUP_ID, chat_type="group"),
                   api.sticker(chat_id=GROUP_ID, chat_type="group")):
        api.push_update(update)
    [marker] = await ask(api, api.message("/help", chat_id=GROUP_ID, chat_type="group"))
    assert [c.method for c in api.calls[before:] if c.method != "getUpdates"] == ["sendMessage"]
    assert "WardWatch in a group" in shown(marker)


async def test_location_and_venue(api: FakeBotApi, app: WardApp) -> None:
    row = raw.postcode_row("SE1 7PB")
    [reply] = await ask(api, api.location(float(row["lat_wgs84_derived"]),
                                          float(row["lon_wgs84_derived"])))
    assert "Nearest postcode to that location: SE1 7PB" in shown(reply)
    assert "Waterloo & South Bank" in shown(reply)
    [reply] = await ask(api, api.venue(51.5076, -0.0994))
    assert "Nearest postcode to that location" in shown(reply)
    [reply] = await ask(api, api.location(48.8566, 2.3522))  # Paris
    assert "not in London" in shown(reply)


async def test_edits_stickers_photos_and_unknown_commands(api: FakeBotApi, app: WardApp) -> None:
    [reply] = await ask(api, api.edited_message("N1 9AA"))
    assert "Caledonian" in shown(reply)
    [reply] = await ask(api, api.sticker())
    assert shown(reply) == parse_html(texts.NOT_TEXT)[0]
    [reply] = await ask(api, api.photo(caption="look"))
    assert "postcodes and locations" in shown(reply)
    [reply] = await ask(api, api.message("/start@OtherBot"))
    assert "don't know that command" in shown(reply)
    before = len(api.sent())
    api.push_update(api.edited_message("/start"))
    [reply] = await ask(api, api.message("/about"))
    assert len(api.sent()) == before + 1 and "What I store" in shown(reply)


async def test_types_and_forget(api: FakeBotApi, app: WardApp) -> None:
    [reply] = await ask(api, api.message("/types"))
    assert "• Theft: Stealing without force" in shown(reply)
    assert "Theft" in shown(reply) and len(shown(reply)) <= 4096
    [reply] = await ask(api, api.message("/forget"))
    assert shown(reply).startswith("This erases everything I store for this chat")
    [done] = await ask(api, api.callback_query("forget:yes", message_id=reply.result["message_id"]),
                       "editMessageText")
    assert shown(done).startswith("Done: I have erased everything")


async def test_flood_protection_slows_one_chat_only(api: FakeBotApi, app: WardApp) -> None:
    # A burst of 20, then one told when it can go on, and its last message answered then
    # (issue 21: it was 20 a minute, then one warning and silence; tests/test_flood_bot.py).
    clock = ManualClock()
    app.bot_data["settings"].clock = clock
    for _ in range(25):
        api.push_update(api.message("/help"))
    api.push_update(api.message("/help", chat_id=555, user_id=555))
    calls = await api.wait_for("sendMessage", count=22)
    mine = [c for c in calls if c.chat_id == USER_ID]
    assert sum(1 for c in mine if "How to use" in shown(c)) == 20
    assert sum(1 for c in mine if shown(c) == texts.SLOW_DOWN.format(seconds=1)) == 1
    assert [shown(c)[:10] for c in calls if c.chat_id == 555] == ["How to use"]
    clock.advance(1)
    calls = await api.wait_for("sendMessage", count=23)
    assert "How to use" in shown(calls[-1]) and calls[-1].chat_id == USER_ID


async def test_channel_posts_are_not_requests(api: FakeBotApi, app: WardApp) -> None:
    channel = api.chat(None, "channel")
    for n in range(25):  # more than the gate allows a chat in a minute
        post = api.message("/help" if n % 2 else "SW1A 1AA", chat_type="channel")["message"]
        api.push_update({"edited_channel_post" if n % 5 == 4 else "channel_post": post})
    [reply] = await ask(api, api.message("/help"))  # updates are handled in order
    assert "How to use" in shown(reply)
    assert [c for c in api.calls if c.chat_id == channel["id"]] == []  # no warning posted
    assert app.bot_data["settings"].flood.tracked() == [USER_ID]  # nothing counted


async def test_error_handler_logs_update_id_not_text_and_tells_the_user(
        api: FakeBotApi, app: WardApp, caplog: pytest.LogCaptureFixture) -> None:
    api.fail("sendMessage", times=1, error=bad_request("Bad Request: something broke"))
    with caplog.at_level(logging.INFO):
        pushed = api.push_update(api.message("SW1A 1AA"))
        calls = await api.wait_for("sendMessage", count=2)
    assert not calls[0].ok
    assert shown(calls[1]) == texts.ERROR
    errors = [r for r in caplog.records if r.name == "handlers.errors"]
    assert errors and str(pushed["update_id"]) in errors[0].getMessage()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "SW1A" not in logged and TOKEN not in logged
    [reply] = await ask(api, api.message("/help"))  # still running
    assert "How to use" in shown(reply)


async def test_blocked_user_is_logged_and_the_bot_carries_on(api: FakeBotApi,
                                                             app: WardApp) -> None:
    api.fail("sendMessage", chat_id=USER_ID, times=2, error=blocked())
    api.push_update(api.message("SW1A 1AA"))
    calls = await api.wait_for("sendMessage", count=2)
    assert not calls[0].ok and not calls[1].ok  # the answer, then the error notice
    [reply] = await ask(api, api.message("/help", chat_id=777, user_id=777))
    assert reply.ok
