"""The flood gate through the real Application and the fake Bot API, the clock moved by hand:
a resident exploring is answered in full; a flood is held, each sender told once, and each
one's last message answered when it may go on."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from handlers.context import SETTINGS_KEY, BotSettings, WardApp
from handlers.present import texts
from tests.bot_harness import ManualClock, ask, polling_bot, shown
from tests.fake_bot_api import USER_ID, Call, FakeBotApi

PICTURE = 60.0  # seconds a chart, a map or a workbook may take on a busy machine


def data_of(call: Call) -> dict[str, str]:
    """A message's buttons: label → callback data."""
    markup = call.params.get("reply_markup")
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return {b["text"]: b["callback_data"] for row in (markup or {}).get("inline_keyboard", [])
            for b in row if "callback_data" in b}


def settings(app: WardApp) -> BotSettings:
    found: BotSettings = app.bot_data[SETTINGS_KEY]
    return found


def slowed(api: FakeBotApi) -> list[Call]:
    """Every message or press answer of the flood gate."""
    notice, press = texts.SLOW_DOWN.split("{")[0], texts.SLOW_DOWN_PRESS.split("{")[0]
    return [c for c in api.calls if c.method in ("sendMessage", "answerCallbackQuery")
            and str(c.params.get("text", "")).startswith((notice, press))]


async def test_a_residents_session_of_40_in_two_minutes_is_answered_in_full(
        api: FakeBotApi, app: WardApp) -> None:
    """A resident of Peckham on their first visit: a postcode, every button in quick
    succession, three downloads, a few more places and presses; 40 in two minutes, each
    waiting for the answer before the next. (The old gate, 20 a minute, refused the 21st
    and then said nothing.)"""
    clock = ManualClock()
    settings(app).clock = clock
    start = clock.now()
    presses = messages = 0

    async def at(t: float, update: dict[str, object], method: str,
                 wait: float = 5.0) -> Call:
        """At `t` seconds into the session, send `update` and wait for its `method` call."""
        nonlocal presses, messages
        clock.advance(start + t - clock.now())
        before, answers = len(api.sent(method)), len(api.sent("answerCallbackQuery"))
        api.push_update(update)
        call = (await api.wait_for(method, count=before + 1, timeout=wait))[before]
        assert call.ok, call.summary()
        if "callback_query" in update:
            presses += 1
            answered = (await api.wait_for("answerCallbackQuery", count=answers + 1))[answers]
            assert answered.ok
        else:
            messages += 1
        return call

    def press(answer: Call, label: str) -> dict[str, object]:
        """A press of a button under `answer` (« Summary: as the views' keyboards have it)."""
        buttons = data_of(answer)
        data = buttons.get(label) or "a" + buttons["Crime by type"][1:]
        return api.callback_query(data, message_id=answer.result["message_id"])

    rye = await at(0, api.message("SE15 5AA"), "sendMessage")
    assert "Rye Lane" in shown(rye)
    for t, label in ((3, "Crime by type"), (4, "Stop and search"), (4.5, "Taser"),
                     (5, "Borough"), (7, "Sources and limits"), (8, "« Summary")):
        await at(t, press(rye, label), "editMessageText")
    await at(10, press(rye, "Trend chart"), "sendPhoto", PICTURE)
    await at(14, press(rye, "Map"), "sendPhoto", PICTURE)
    formats = await at(18, press(rye, "Download figures"), "editMessageReplyMarkup")
    for t, label in ((19, "⬇ CSV"), (20, "⬇ Excel"), (21, "⬇ JSON")):
        await at(t, press(formats, label), "sendDocument", PICTURE)
    hackney = await at(25, api.message("E8 1DY"), "sendMessage")
    for t, label in ((26, "Crime by type"), (26.5, "Borough"), (27, "« Summary")):
        await at(t, press(hackney, label), "editMessageText")
    choice = await at(30, api.message("Peckham"), "sendMessage")
    await at(32, press(choice, next(iter(data_of(choice)))), "sendMessage")
    both = await at(36, api.message("compare SE15 5AA and E8 1DY"), "sendMessage")
    await at(38, press(both, "Both trends on one chart"), "sendPhoto", PICTURE)
    kinds = await at(42, api.message("/types"), "sendMessage")
    await at(43, press(kinds, next(iter(data_of(kinds)))), "editMessageText")
    caledonian = await at(50, api.message("N1 9GU"), "sendMessage")
    for t, label in ((50.5, "Crime by type"), (51, "Stop and search"), (51.5, "Taser"),
                     (52, "Sources and limits"), (52.5, "« Summary")):  # a quick reader
        await at(t, press(caledonian, label), "editMessageText")
    await at(60, api.message("/help"), "sendMessage")
    westminster = await at(66, api.message("SW1A 1AA"), "sendMessage")
    for t, label in ((67, "Borough"), (67.5, "Crime by type"), (68, "« Summary")):
        await at(t, press(westminster, label), "editMessageText")
    central = await at(80, api.message("Hackney Central"), "sendMessage")
    for t, label in ((82, "Taser"), (83, "Sources and limits")):
        await at(t, press(central, label), "editMessageText")
    await at(90, api.message("E1"), "sendMessage")
    await at(100, api.message("/about"), "sendMessage")
    await at(119, api.message("SE15 5AA"), "sendMessage")
    assert (presses, messages, presses + messages) == (28, 12, 40)
    assert clock.now() - start < 120
    assert slowed(api) == []  # never held up
    assert len(api.sent("answerCallbackQuery")) == presses


async def test_a_flood_of_200_is_held_each_sender_told_once_and_answered_last(
        api: FakeBotApi, app: WardApp) -> None:
    clock = ManualClock()
    settings(app).clock = clock
    senders = {9001: "SW1A 1AA", 9002: "E8 1DY", 9003: "N1 9GU", 9004: "SE15 5AA",
               9005: "BR1 1AA"}
    for n in range(40):  # 200 messages at the same moment, the senders interleaved
        for sender, last in senders.items():
            api.push_update(api.message(last if n == 39 else "/help", user_id=sender))
    # Each sender: a burst of 20 answered, and one notice of when it can go on.
    await api.wait_for("sendMessage", count=len(senders) * 21, timeout=30)
    [marker] = await ask(api, api.message("/help", user_id=USER_ID))  # all 200 handled
    assert "How to use" in shown(marker)
    for sender in senders:
        mine = api.sent("sendMessage", chat_id=sender)
        notices = [c for c in mine if shown(c).startswith("You're sending messages faster")]
        assert len(notices) == 1 and len(mine) == 21, sender
        assert shown(notices[0]) == texts.SLOW_DOWN.format(seconds=1)
    assert len(settings(app).waiting) == len(senders)
    # The time the senders were told comes: each one's last message is answered.
    clock.advance(1)
    await api.wait_for("sendMessage", count=len(senders) * 22 + 1, timeout=30)
    for sender, last in senders.items():
        answer = api.sent("sendMessage", chat_id=sender)[-1]
        assert shown(answer).startswith(f"{last}:"), (sender, shown(answer)[:40])
        assert len(api.sent("sendMessage", chat_id=sender)) == 22
    assert len(settings(app).waiting) == 0 and settings(app).released == set()
    clock.advance(2)
    [after] = await ask(api, api.message("/help", user_id=9001))  # still serving
    assert "How to use" in shown(after)


async def test_a_press_over_the_limit_is_answered_with_when_to_press_again(
        api: FakeBotApi, app: WardApp) -> None:
    clock = ManualClock()
    settings(app).clock = clock
    [answer] = await ask(api, api.message("E8 1DY"))
    for _ in range(19):  # the rest of the burst
        await ask(api, api.message("/help"))
    view = api.callback_query(data_of(answer)["Taser"], message_id=answer.result["message_id"])
    [alert] = await ask(api, view, "answerCallbackQuery")
    assert alert.params["text"] == texts.SLOW_DOWN_PRESS.format(seconds=1)
    assert alert.params["show_alert"] is True
    [note] = await ask(api, api.callback_query(data_of(answer)["Taser"],
                                               message_id=answer.result["message_id"]),
                       "answerCallbackQuery")
    assert note.params["text"] == alert.params["text"] and not note.params.get("show_alert")
    assert api.sent("editMessageText") == []
    clock.advance(1)  # half a second's allowance is enough for a view
    [edit] = await ask(api, api.callback_query(data_of(answer)["Taser"],
                                               message_id=answer.result["message_id"]),
                       "editMessageText")
    assert "Taser" in shown(edit)


async def test_the_bot_stops_at_once_with_a_message_held(api: FakeBotApi,
                                                         db_copy: Path) -> None:
    """PTB awaits every task it made when it stops: a held message's answer must not keep
    the bot from stopping (here it would wait for ever: the clock never moves)."""
    clock = ManualClock()
    async with polling_bot(api, db_copy) as app:
        settings(app).clock = clock
        for _ in range(21):
            api.push_update(api.message("/help"))
        await api.wait_for("sendMessage", count=21)
        assert len(settings(app).waiting) == 1
        stopping = asyncio.get_running_loop().time()
    assert asyncio.get_running_loop().time() - stopping < 15
    assert len(settings(app).waiting) == 0
