"""Every button press is answered (answerCallbackQuery), whatever message it came from: one sent
through inline mode (no message, no chat), one with neither message nor inline id, and one
too old for Telegram to include (an inaccessible message, whose chat is still known)."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.context import WardApp
from handlers.present import texts
from tests import raw
from tests.bot_harness import ask, shown
from tests.fake_bot_api import USER_ID, Call, FakeBotApi

WARD = str(raw.postcode_row("N1 9AA")["Admin_ward_code"])


def press_data(app: WardApp) -> dict[str, str]:
    version = app.bot_data["services"].view.crime_version
    return {
        "minor": f"m:{WARD}:{version}", "stop-search": f"s:{WARD}:{version}",
        "taser": f"t:{WARD}:{version}", "trend": f"c:{WARD}:{version}",
        "map": f"p:{WARD}:{version}", "export": f"x:{WARD}:{version}",
        "subscribe": f"sub:{WARD}:{version}:N1", "stop-following": f"unsub:{WARD}",
    }


def only_answer(api: FakeBotApi, query: dict[str, Any]) -> Call:
    calls = [c for c in api.sent("answerCallbackQuery")
             if c.params.get("callback_query_id") == query["callback_query"]["id"]]
    assert len(calls) == 1, calls
    assert calls[0].ok
    return calls[0]


PRESSES = ["minor", "stop-search", "taser", "trend", "map", "export", "subscribe",
           "stop-following"]


@pytest.mark.parametrize("what", PRESSES)
@pytest.mark.parametrize("inline_id", ["AgAAAN4cAQBUm0gFvf3L0hd1sHk", None],
                         ids=["inline-message", "no-message"])
async def test_a_press_with_no_chat_is_answered_with_an_alert(
        api: FakeBotApi, app: WardApp, what: str, inline_id: str | None) -> None:
    query = api.inline_callback_query(press_data(app)[what], inline_message_id=inline_id)
    [answer] = await ask(api, query, "answerCallbackQuery")
    assert answer is only_answer(api, query)
    assert answer.params["text"] == texts.BUTTON_NEEDS_CHAT
    assert answer.params["show_alert"] is True
    assert len(texts.BUTTON_NEEDS_CHAT) <= 200
    # Nothing was sent or stored anywhere.
    assert [c.method for c in api.calls if c.method.startswith("send")] == []
    assert await app.bot_data["chats"].run(
        lambda conn: conn.execute("SELECT COUNT(*) FROM subscription").fetchone()[0]) == 0


@pytest.mark.parametrize("data", ["junk", "m:E05999999:1", "sub:E05999999:1:N1", "unsub:DROP"])
async def test_a_forged_press_with_no_chat_is_answered(api: FakeBotApi, app: WardApp,
                                                      data: str) -> None:
    query = api.inline_callback_query(data)
    [answer] = await ask(api, query, "answerCallbackQuery")
    assert answer is only_answer(api, query)
    assert answer.params["text"] == texts.BAD_BUTTON


@pytest.mark.parametrize("what", ["minor", "subscribe"])
async def test_a_press_on_an_inaccessible_message_is_answered_in_its_chat(
        api: FakeBotApi, app: WardApp, what: str) -> None:
    query = inaccessible(api, press_data(app)[what])
    [reply] = await ask(api, query)
    assert only_answer(api, query).params.get("text") is None
    assert reply.chat_id == USER_ID
    assert shown(reply).startswith("Crime by type" if what == "minor"
                                   else "Done: this chat now follows Caledonian")


async def test_stop_following_on_an_inaccessible_message_is_answered(api: FakeBotApi,
                                                                     app: WardApp) -> None:
    query = inaccessible(api, press_data(app)["stop-following"])
    [answer] = await ask(api, query, "answerCallbackQuery")
    assert answer is only_answer(api, query)
    assert answer.params["text"] == texts.NOT_FOLLOWED_ALERT


def inaccessible(api: FakeBotApi, data: str) -> dict[str, Any]:
    """A press on a message Telegram no longer gives out: only its chat, id and date 0."""
    query = api.callback_query(data)
    chat = query["callback_query"]["message"]["chat"]
    query["callback_query"]["message"] = {"chat": chat, "message_id": 5, "date": 0}
    return query
