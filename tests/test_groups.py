"""Groups (neighbourhood watches) end to end, through the real Application and the fake Bot
API: what the flood gate counts, the welcome when the bot is added, /start and /help there, the
command menus per scope and the bot's descriptions, and views and downloads asked in a group."""

from __future__ import annotations

import json
from pathlib import Path

from handlers import keyboards
from handlers.context import WardApp
from handlers.flood import Allowance, FloodGate
from handlers.present import texts
from tests import raw
from tests.bot_harness import ManualClock, ask, polling_bot, shown
from tests.fake_bot_api import BOT_USERNAME, GROUP_ID, Call, FakeBotApi, server_error

ALICE, BOB = 424242, 515151
PICTURE = 60.0  # seconds a chart or a map may take on a busy machine


def in_group(api: FakeBotApi, text: str, user_id: int = ALICE) -> dict[str, object]:
    return api.message(text, chat_id=GROUP_ID, chat_type="group", user_id=user_id)


def labels(call: Call) -> dict[str, dict[str, str]]:
    markup = call.params.get("reply_markup")
    data = json.loads(markup) if isinstance(markup, str) else markup
    return {b["text"]: b for row in (data or {}).get("inline_keyboard", []) for b in row}


async def test_the_gate_counts_only_what_the_bot_acts_on_per_member(api: FakeBotApi,
                                                                    app: WardApp) -> None:
    # A burst of 3 (the default is 5): the Application's own rate limiter holds a group to
    # Telegram's 20 messages a minute, so fewer messages keep the test short.
    app.bot_data["settings"].flood = FloodGate(group=Allowance(per_second=20 / 60, burst=3))
    clock = ManualClock()
    app.bot_data["settings"].clock = clock
    # Members talk among themselves (and to another bot): none of it is a request.
    for n in range(25):
        api.push_update(in_group(api, f"see you at the meeting {n}", user_id=BOB))
        api.push_update(in_group(api, "/help@OtherBot", user_id=BOB))
    [answer] = await ask(api, in_group(api, "/postcode E8 1DY", user_id=BOB))
    assert "Hackney Central" in shown(answer)
    assert app.bot_data["settings"].flood.tracked() == [(GROUP_ID, BOB)]
    # Alice asks 4 times: 3 answers and one notice, her 4th answered 3 seconds on (the
    # group's 20 a minute); Bob, in the same group, is unaffected.
    for _ in range(4):
        api.push_update(in_group(api, f"/help@{BOT_USERNAME}"))
    replies = await api.wait_for("sendMessage", count=5)
    notice = texts.SLOW_DOWN.format(seconds=3)
    assert [shown(c) == notice for c in replies[1:]] == [False] * 3 + [True]
    [mine] = await ask(api, in_group(api, "/help", user_id=BOB))
    assert shown(mine).startswith("WardWatch in a group")
    clock.advance(3)
    [held] = (await api.wait_for("sendMessage", count=7))[6:]
    assert shown(held).startswith("WardWatch in a group") and held.chat_id == GROUP_ID
    # Over the limit, Alice's button presses are still answered (the alert was given once).
    press = api.callback_query(f"m:{raw.postcode_row('E8 1DY')['Admin_ward_code']}:1",
                               chat_id=GROUP_ID, chat_type="group", user_id=ALICE)
    [note] = await ask(api, press, "answerCallbackQuery")
    assert note.ok and note.params["text"] == texts.SLOW_DOWN_PRESS.format(seconds=2)
    assert not note.params.get("show_alert")
    assert api.sent("editMessageText") == []


async def test_added_to_a_group_it_says_once_what_it_does(api: FakeBotApi,
                                                          app: WardApp) -> None:
    [hello] = await ask(api, api.my_chat_member(GROUP_ID, "left", "member", chat_type="group"))
    assert hello.chat_id == GROUP_ID and shown(hello).startswith("Hello! I'm WardWatch")
    assert "/subscribe SW1A 1AA" in shown(hello)
    api.push_update(api.my_chat_member(GROUP_ID, "member", "administrator", chat_type="group"))
    [marker] = await ask(api, in_group(api, "/start"))
    assert shown(marker).startswith("WardWatch answers here")  # /start in a group
    assert len(api.sent("sendMessage", chat_id=GROUP_ID)) == 2  # no second welcome
    # Blocked and unblocked in a private chat: no welcome there.
    api.push_update(api.my_chat_member(ALICE, "member", "kicked"))
    api.push_update(api.my_chat_member(ALICE, "kicked", "member"))
    [start] = await ask(api, api.message("/start"))
    assert shown(start).startswith("WardWatch tells you")
    assert len(api.sent("sendMessage", chat_id=ALICE)) == 1


async def test_menus_per_scope_and_the_descriptions_are_set_at_start(api: FakeBotApi,
                                                                     app: WardApp) -> None:
    private = [c["command"] for c in api.commands("all_private_chats")]
    groups = [c["command"] for c in api.commands("all_group_chats")]
    admins = [c["command"] for c in api.commands("all_chat_administrators")]
    assert {"postcode", "subscribe", "forget", "export", "start"} <= set(private)
    assert "postcode" in groups and not {"subscribe", "forget", "export"} & set(groups)
    assert set(groups) < set(admins) and {"subscribe", "unsubscribe", "forget"} <= set(admins)
    assert api.descriptions["description"][""] == texts.BOT_DESCRIPTION
    assert api.descriptions["short_description"][""] == texts.BOT_SHORT_DESCRIPTION
    assert len(texts.BOT_DESCRIPTION) <= 512 and len(texts.BOT_SHORT_DESCRIPTION) <= 120


async def test_failures_setting_menus_or_descriptions_do_not_stop_the_bot(
        api: FakeBotApi, db_copy: Path) -> None:
    api.fail("setMyCommands", error=server_error())
    api.fail("setMyDescription", error=server_error())
    async with polling_bot(api, db_copy):
        [reply] = await ask(api, api.message("sw1a1aa"))
        assert "St James's" in shown(reply)
    # The first menu failed; the others and the short description were still set.
    assert api.commands("all_private_chats") == []
    assert api.commands("all_group_chats") and api.commands("all_chat_administrators")
    assert api.descriptions["description"] == {}
    assert api.descriptions["short_description"][""] == texts.BOT_SHORT_DESCRIPTION


async def test_views_edit_the_one_answer_and_downloads_continue_privately(
        api: FakeBotApi, app: WardApp) -> None:
    ward = raw.postcode_row("E8 1DY")["Admin_ward_code"]
    [answer] = await ask(api, in_group(api, "/postcode E8 1DY"))
    buttons = labels(answer)
    message_id = answer.result["message_id"]
    [edit] = await ask(api, api.callback_query(buttons["Taser"]["callback_data"],
                                               chat_id=GROUP_ID, chat_type="group",
                                               message_id=message_id), "editMessageText")
    assert edit.ok and edit.chat_id == GROUP_ID and edit.params["message_id"] == message_id
    [link] = await ask(api, api.callback_query(buttons["Download figures"]["callback_data"],
                                               chat_id=GROUP_ID, chat_type="group",
                                               message_id=message_id), "answerCallbackQuery")
    assert link.ok and link.params["url"] == f"https://t.me/{BOT_USERNAME}?start=x-{ward}"
    assert api.sent("editMessageReplyMarkup") == [] and api.sent("sendDocument") == []
    assert len(api.sent("sendMessage", chat_id=GROUP_ID)) == 1
    # /export in the group: a button to the private chat, no files in the group.
    [offer] = await ask(api, in_group(api, "/export E8 1DY"))
    assert shown(offer) == texts.GROUP_DOWNLOAD_LINK
    assert labels(offer)[texts.PRIVATE_BUTTON]["url"] == link.params["url"]
    # The link opens the private chat at /start x-<ward>: the formats, then one file.
    [formats] = await ask(api, api.message(f"/start x-{ward}"))
    assert formats.chat_id == ALICE and texts.CHOOSE_FORMAT in shown(formats)
    assert "Hackney Central ward, Hackney." in shown(formats)
    [doc] = await ask(api, api.callback_query(labels(formats)["⬇ CSV"]["callback_data"],
                                              message_id=formats.result["message_id"]),
                      "sendDocument")
    assert doc.chat_id == ALICE and keyboards.EXPORT_FORMATS["csv"] == "CSV"


def replied_to(call: Call) -> int | None:
    """The message a sent message replies to (as Telegram gives it back)."""
    return (call.result or {}).get("reply_to_message", {}).get("message_id")


async def test_a_picture_is_posted_in_the_group_once_in_ten_minutes(api: FakeBotApi,
                                                                    app: WardApp) -> None:
    """A chart or a map is one picture for everyone reading the answer: posted into the group
    as a reply to it; asked again within 10 minutes, the asker is pointed to it, and the
    group sees no second copy. (Every press posted another picture until issue 21.)"""
    clock = ManualClock()
    app.bot_data["settings"].clock = clock
    [answer] = await ask(api, in_group(api, "/postcode E8 1DY"))
    buttons, answer_id = labels(answer), answer.result["message_id"]

    def press(label: str, user: int) -> dict[str, object]:
        return api.callback_query(buttons[label]["callback_data"], chat_id=GROUP_ID,
                                  chat_type="group", message_id=answer_id, user_id=user)

    [chart] = await ask(api, press("Trend chart", ALICE), "sendPhoto", timeout=PICTURE)
    assert chart.ok and chart.chat_id == GROUP_ID and replied_to(chart) == answer_id
    clock.advance(125)
    [note] = await ask(api, press("Trend chart", BOB), "answerCallbackQuery")
    assert note.params["text"] == texts.GROUP_PICTURE_ABOVE.format(
        what="trend chart", ago="2 minutes ago")
    # Typed, the same chart: a line in reply to the chart posted, not a second picture.
    [pointer] = await ask(api, in_group(api, "/trend E8 1DY", user_id=BOB))
    assert replied_to(pointer) == chart.result["message_id"]
    assert shown(pointer) == texts.GROUP_PICTURE_ABOVE.format(what="trend chart",
                                                              ago="2 minutes ago")
    # The map is another picture, posted once too.
    [area_map] = await ask(api, press("Map", BOB), "sendPhoto", timeout=PICTURE)
    assert area_map.chat_id == GROUP_ID and replied_to(area_map) == answer_id
    [note] = await ask(api, press("Map", ALICE), "answerCallbackQuery")
    assert note.params["text"].startswith("This map is already in the group")
    assert len(api.sent("sendPhoto", chat_id=GROUP_ID)) == 2
    # Ten minutes on, the chart is far up the conversation: it is posted again.
    clock.advance(600)
    [again] = await ask(api, press("Trend chart", BOB), "sendPhoto", timeout=PICTURE)
    assert again.chat_id == GROUP_ID and len(api.sent("sendPhoto", chat_id=GROUP_ID)) == 3
    # A comparison's Both trends on one chart: the same rule.
    [both] = await ask(api, in_group(api, "/compare E8 1DY and N1 9GU"))
    before = len(api.sent("answerCallbackQuery"))
    for user in (ALICE, BOB):
        api.push_update(api.callback_query(
            labels(both)["Both trends on one chart"]["callback_data"], chat_id=GROUP_ID,
            chat_type="group", message_id=both.result["message_id"], user_id=user))
    [*_, note] = await api.wait_for("answerCallbackQuery", count=before + 2, timeout=PICTURE)
    assert note.params["text"].startswith("This chart of both trends is already in the group")
    [pair] = api.sent("sendPhoto", chat_id=GROUP_ID)[3:]
    assert replied_to(pair) == both.result["message_id"]
    # In a private chat every ask gets its picture.
    for _ in range(2):
        await ask(api, api.message("/trend E8 1DY", user_id=ALICE), "sendPhoto", timeout=PICTURE)
    assert len(api.sent("sendPhoto", chat_id=ALICE)) == 2
    # The group's /help says what goes where.
    [helped] = await ask(api, in_group(api, "/help"))
    assert "once in 10 minutes" in shown(helped)
    assert "Downloads come in a private chat" in shown(helped)
