"""Following wards as a conversation (issue 11), through the real Application and the fake Bot
API: the latest digest at once, /unsubscribe by what /subscriptions shows, Undo after Stop
following, and /forget asking first and saying what it erased."""

from __future__ import annotations

import json

from datastore.storage import subscriptions
from handlers import keyboards
from handlers.context import CHATS_KEY, WardApp
from handlers.present import texts
from tests import raw
from tests.bot_harness import ask, shown
from tests.clocks import STALE, clock, says_nothing_stale
from tests.fake_bot_api import GROUP_ID, USER_ID, Call, FakeBotApi

CALEDONIAN = str(raw.postcode_row("N1 9AA")["Admin_ward_code"])


def labels(call: Call) -> dict[str, str]:
    markup = call.params.get("reply_markup")
    data = json.loads(markup) if isinstance(markup, str) else markup
    return {b["text"]: b.get("callback_data", "") for row in (data or {}).get("inline_keyboard", [])
            for b in row}


async def followed(app: WardApp, chat_id: int = USER_ID) -> list[str]:
    subs = await app.bot_data[CHATS_KEY].run(subscriptions.for_chat, chat_id)
    return [s.ward_code for s in subs]


async def test_subscribe_shows_the_latest_digest_at_once(api: FakeBotApi, app: WardApp) -> None:
    """The digest for the newest month held, saying how old it is (never "its latest")."""
    latest = raw.month_columns()[-1]
    app.bot_data["services"].clock = clock(STALE)
    [reply] = await ask(api, api.message("/subscribe N1 9AA"))
    text = shown(reply)
    assert text.startswith("Done: this chat now follows Caledonian, Islington (1 of 5 wards).")
    assert ("Here is its digest for March 2026, as one will come each month:\n\n"
            "Caledonian ward, Islington: March 2026\nFigures to March 2026, 8 months old. ⚠️ "
            "Newer figures have been published") in text
    says_nothing_stale(text)
    assert f"Crimes recorded: {raw.ward_month_total(CALEDONIAN, latest):,}" in text
    assert labels(reply) == {"Stop following Caledonian": f"unsub:{CALEDONIAN}"}
    # The Subscribe button under an answer does the same.
    [answer] = await ask(api, api.message("SW1A 1AA"))
    [done] = await ask(api, api.callback_query(labels(answer)["Subscribe: monthly figures"],
                                               message_id=answer.result["message_id"]))
    assert "St James's ward, Westminster: March 2026" in shown(done)


async def test_unsubscribe_by_what_subscriptions_shows_and_undo(api: FakeBotApi,
                                                                app: WardApp) -> None:
    for postcode in ("N1 9AA", "BR1 1AA", "SW1A 1AA"):
        await ask(api, api.message(f"/subscribe {postcode}"))
    [listing] = await ask(api, api.message("/unsubscribe"))  # bare: the list, with buttons
    assert shown(listing).startswith("This chat follows 3 wards")
    assert "• Caledonian, Islington (from N1)" in shown(listing)
    assert len(labels(listing)) == 3
    for words, ward in (("Caledonian, Islington", CALEDONIAN),
                        ("bromley town", str(raw.postcode_row("BR1 1AA")["Admin_ward_code"])),
                        ("SW1A", str(raw.postcode_row("SW1A 1AA")["Admin_ward_code"]))):
        [reply] = await ask(api, api.message(f"/unsubscribe {words}"))
        assert shown(reply).startswith("Done: this chat no longer follows"), words
        assert ward not in await followed(app)
    assert await followed(app) == []
    # Stop following under a digest offers Undo, which follows the ward again.
    [reply] = await ask(api, api.message("/subscribe N1 9AA"))
    [stopped] = await ask(api, api.callback_query(labels(reply)["Stop following Caledonian"],
                                                  message_id=reply.result["message_id"]))
    assert shown(stopped) == "Done: this chat no longer follows Caledonian, Islington."
    assert await followed(app) == []
    undo = labels(stopped)[keyboards.UNDO_LABEL]
    assert keyboards.parse_follow(undo) == keyboards.Follow(True, CALEDONIAN, "N1")
    [again] = await ask(api, api.callback_query(undo, message_id=stopped.result["message_id"]))
    assert shown(again).startswith("Done: this chat now follows Caledonian")
    assert await followed(app) == [CALEDONIAN]


async def test_forget_asks_first_and_says_what_it_erased(api: FakeBotApi, app: WardApp) -> None:
    await ask(api, api.message("/subscribe N1 9AA"))
    [question] = await ask(api, api.message("/forget"))
    assert "the 1 ward this chat follows (Caledonian, Islington)" in shown(question)
    assert list(labels(question)) == ["Erase everything", "Cancel"]
    message_id = question.result["message_id"]
    [cancelled] = await ask(api, api.callback_query("forget:no", message_id=message_id),
                            "editMessageText")
    assert shown(cancelled) == texts.FORGET_CANCELLED and labels(cancelled) == {}
    assert await followed(app) == [CALEDONIAN]
    [question] = await ask(api, api.message("/forget"))
    [done] = await ask(api, api.callback_query("forget:yes",
                                               message_id=question.result["message_id"]),
                       "editMessageText")
    assert shown(done).startswith("Done: I have erased everything I stored for this chat "
                                  "(1 subscription)")
    assert shown(done).endswith("This chat no longer follows Caledonian, Islington.")
    assert await followed(app) == []
    # In a group the question and the button are for its administrators.
    api.set_member(GROUP_ID, 61, "administrator")
    api.set_member(GROUP_ID, 62, "member")
    await ask(api, api.message("/subscribe N1 9AA", chat_id=GROUP_ID, chat_type="group",
                               user_id=61))
    [question] = await ask(api, api.message("/forget", chat_id=GROUP_ID, chat_type="group",
                                            user_id=61))
    press = api.callback_query("forget:yes", chat_id=GROUP_ID, chat_type="group", user_id=62,
                               message_id=question.result["message_id"])
    [alert] = await ask(api, press, "answerCallbackQuery")
    assert alert.params["text"] == texts.FORGET_ADMINS_ONLY_ALERT
    assert await followed(app, GROUP_ID) == [CALEDONIAN]


async def test_subscriptions_says_why_digests_are_paused(api: FakeBotApi, app: WardApp) -> None:
    chats = app.bot_data[CHATS_KEY]
    await ask(api, api.message("/subscribe N1 9AA"))
    # Paused as my_chat_member pauses it (Telegram said the bot was blocked), nothing refused.
    await chats.run(subscriptions.set_chat_state, USER_ID, "paused")
    [listing] = await ask(api, api.message("/subscriptions"))
    assert "— paused" in shown(listing)
    assert shown(listing).split("\n")[-2] == texts.PAUSED_REMOVED
    # Paused because Telegram refused a digest.
    await chats.run(subscriptions.subscribe, USER_ID, "private", CALEDONIAN, "N1")
    await chats.run(subscriptions.open_fanout, 202603)
    await chats.run(subscriptions.claim, USER_ID, CALEDONIAN, 202603)
    await chats.run(subscriptions.fail_chat, USER_ID, CALEDONIAN, 202603,
                    "Forbidden: bot was blocked by the user")
    [listing] = await ask(api, api.message("/subscriptions"))
    assert shown(listing).split("\n")[-2] == texts.PAUSED_SEND_FAILED
