"""End to end, following wards: /subscribe, /subscriptions, /unsubscribe, the buttons, group
administrators (checked with getChatMember at the moment of the change), /forget, and the
bot's own membership.  What is stored is read back from the store."""

from __future__ import annotations

import json
from typing import Any

import pytest

from datastore.storage import subscriptions
from datastore.storage.subscriptions import ChatStore, Subscription
from handlers import keyboards
from handlers.context import CHATS_KEY, WardApp
from handlers.present import texts
from tests import raw
from tests.bot_harness import ask, shown
from tests.fake_bot_api import (
    GROUP_ID,
    SUPERGROUP_ID,
    USER_ID,
    Call,
    FakeBotApi,
    bad_request,
    parse_html,
    server_error,
)

ANONYMOUS_ADMIN = 1087968824  # Telegram's GroupAnonymousBot



def plain(html: str) -> str:
    return parse_html(html)[0]


def buttons(call: Call) -> list[tuple[str, str]]:
    markup = call.params.get("reply_markup")
    data = json.loads(markup) if isinstance(markup, str) else markup
    return [(b["text"], b.get("callback_data", ""))
            for row in (data or {}).get("inline_keyboard", []) for b in row]



async def say(api: FakeBotApi, text: str, chat_id: int = USER_ID, chat_type: str = "private",
              user_id: int | None = None, **fields: Any) -> str:
    [reply] = await ask(api, api.message(
        text, chat_id=chat_id, chat_type=chat_type,  # type: ignore[arg-type]
        user_id=user_id if user_id is not None else chat_id, **fields))
    return shown(reply)


async def forget(api: FakeBotApi, chat_id: int = USER_ID, chat_type: str = "private",
                 user_id: int | None = None) -> str:
    """/forget, then its Erase button: the answer it is edited into."""
    user = user_id if user_id is not None else chat_id
    [question] = await ask(api, api.message("/forget", chat_id=chat_id,
                                            chat_type=chat_type,  # type: ignore[arg-type]
                                            user_id=user))
    assert shown(question).startswith("This erases everything I store for this chat")
    [edit] = await ask(api, api.callback_query(
        "forget:yes", chat_id=chat_id, chat_type=chat_type,  # type: ignore[arg-type]
        user_id=user, message_id=question.result["message_id"]), "editMessageText")
    return shown(edit)


def ward_of(postcode: str) -> str:
    return str(raw.postcode_row(postcode)["Admin_ward_code"])


async def stored(app: WardApp, chat_id: int) -> tuple[Subscription, ...]:
    chats: ChatStore = app.bot_data[CHATS_KEY]
    return await chats.run(subscriptions.for_chat, chat_id)


async def test_the_commands_are_in_the_menu(api: FakeBotApi, app: WardApp) -> None:
    names = {c["command"] for scope in ("all_private_chats", "all_group_chats",
                                        "all_chat_administrators")
             for c in api.commands(scope)}
    assert {"subscribe", "subscriptions", "unsubscribe"} <= names
    assert not {"reload", "status"} & names  # operators' commands stay out of the menu


async def test_subscribe_list_and_unsubscribe_in_a_private_chat(api: FakeBotApi,
                                                                app: WardApp) -> None:
    assert await say(api, "/subscribe") == plain(texts.SUBSCRIBE_USAGE)
    assert "I answer with the police's published figures" in await say(api, "/subscribe hello")
    district = await say(api, "/subscribe E1")
    assert "postcode district" in district and plain(texts.SUBSCRIBE_NEEDS_POSTCODE) in district
    assert "City of London Police" in await say(api, "/subscribe EC2V 7HH")
    assert "outside the Metropolitan Police area" in await say(api, "/subscribe M1 1AE")
    assert await stored(app, USER_ID) == ()

    reply = await say(api, "/subscribe sw1a1aa")
    assert reply.startswith("Done: this chat now follows St James's, Westminster (1 of 5 wards)")
    [sub] = await stored(app, USER_ID)
    assert (sub.chat_id, sub.chat_type, sub.ward_code, sub.district, sub.state) == (
        USER_ID, "private", ward_of("SW1A 1AA"), "SW1A", "active")
    # Another postcode in the same ward is the same subscription; the full postcode is kept
    # nowhere.
    assert "already follows St James's" in await say(api, "/subscribe SW1A 2AA")
    assert len(await stored(app, USER_ID)) == 1

    for postcode in ("BR1 1AA", "N1 9AA", "SE1 7PB", "W12 8ER"):
        assert "Done" in await say(api, f"/subscribe {postcode}")
    full = await say(api, "/subscribe E1 6AW")
    assert "already follows 5 wards" in full and "haven't added" in full
    assert len(await stored(app, USER_ID)) == 5

    [listing] = await ask(api, api.message("/subscriptions"))
    assert "This chat follows 5 wards" in shown(listing)
    assert "St James's, Westminster (from SW1A)" in shown(listing)
    assert [data for _, data in buttons(listing)] == [
        f"unsub:{ward_of(pc)}" for pc in ("SW1A 1AA", "BR1 1AA", "N1 9AA", "SE1 7PB", "W12 8ER")]

    assert (await say(api, "/unsubscribe")).startswith("This chat follows 5 wards")
    assert "no longer follows Bromley Town" in await say(api, "/unsubscribe BR1 1AA")
    assert "doesn't follow Bromley Town" in await say(api, "/unsubscribe BR1 1AA")
    # a word that reads as a place's name is said to be no London place known (issue 19)
    assert "I don't know a London place called “nonsense”" in await say(
        api, "/unsubscribe nonsense")
    assert "4 wards removed" in await say(api, "/unsubscribe ALL")
    assert await stored(app, USER_ID) == ()
    assert "follows no wards" in await say(api, "/unsubscribe all")
    assert await say(api, "/subscriptions") == plain(texts.NO_SUBSCRIPTIONS)


async def test_the_subscribe_and_stop_buttons(api: FakeBotApi, app: WardApp) -> None:
    [answer] = await ask(api, api.message("N1 9AA"))
    [follow] = [data for _, data in buttons(answer) if data.startswith("sub:")]
    assert len(follow.encode()) <= 64
    [done] = await ask(api, api.callback_query(follow, message_id=answer.result["message_id"]))
    assert "Done: this chat now follows" in shown(done)
    assert [c.params.get("text") for c in api.sent("answerCallbackQuery")] == [None]
    [sub] = await stored(app, USER_ID)
    assert (sub.ward_code, sub.district) == (ward_of("N1 9AA"), "N1")

    [listing] = await ask(api, api.message("/subscriptions"))
    [(label, stop)] = buttons(listing)
    assert label.startswith("Stop following")
    [gone] = await ask(api, api.callback_query(stop, message_id=listing.result["message_id"]))
    assert "no longer follows" in shown(gone)
    assert await stored(app, USER_ID) == ()
    [again] = await ask(api, api.callback_query(stop), "answerCallbackQuery")
    assert again.params["text"] == texts.NOT_FOLLOWED_ALERT and again.params["show_alert"]

    for forged in ("sub:E05999999:1:N1", "sub:E05013806:1:not-a-district", "unsub:DROP"):
        [alert] = await ask(api, api.callback_query(forged), "answerCallbackQuery")
        assert alert.params["text"] == texts.BAD_BUTTON, forged
    assert await stored(app, USER_ID) == ()


async def test_a_subscribe_button_with_a_district_not_in_its_ward_is_refused(
        api: FakeBotApi, app: WardApp) -> None:
    [answer] = await ask(api, api.message("N1 9AA"))
    [follow] = [data for _, data in buttons(answer) if data.startswith("sub:")]
    prefix, district = follow.rsplit(":", 1)
    assert district == "N1"
    # A district that does not exist, and a real one with no postcode in this ward.
    for forged in (f"{prefix}:ZZ9", f"{prefix}:BR1"):
        [alert] = await ask(api, api.callback_query(forged), "answerCallbackQuery")
        assert alert.params["text"] == texts.BAD_BUTTON, forged
        assert alert.params["show_alert"] is True
    assert api.sent("sendMessage") == [answer]
    assert await stored(app, USER_ID) == ()
    [done] = await ask(api, api.callback_query(follow))  # the genuine button still works
    assert shown(done).startswith("Done: this chat now follows Caledonian")
    assert [s.district for s in await stored(app, USER_ID)] == ["N1"]


async def test_in_groups_only_administrators_change_subscriptions(api: FakeBotApi,
                                                                  app: WardApp) -> None:
    member, owner, admin = 31, 32, 33
    api.set_member(GROUP_ID, member, "member")
    api.set_member(GROUP_ID, owner, "creator")
    api.set_member(GROUP_ID, admin, "administrator")
    refused = await say(api, "/subscribe BR1 1AA", GROUP_ID, "group", member)
    assert refused == plain(texts.GROUP_ADMINS_ONLY)
    assert await stored(app, GROUP_ID) == ()
    checks = api.sent("getChatMember")
    assert [(c.params["chat_id"], c.params["user_id"]) for c in checks] == [(GROUP_ID, member)]

    assert "Done" in await say(api, "/subscribe BR1 1AA", GROUP_ID, "group", owner)
    assert "Done" in await say(api, "/subscribe SW1A 1AA", GROUP_ID, "group", admin)
    assert [s.chat_type for s in await stored(app, GROUP_ID)] == ["group", "group"]
    # Anyone may list them; a member may not remove one, by command or by button.
    [listing] = await ask(api, api.message("/subscriptions", chat_id=GROUP_ID,
                                           chat_type="group", user_id=member))
    assert "This chat follows 2 wards" in shown(listing)
    assert await say(api, "/unsubscribe all", GROUP_ID, "group",
                     member) == plain(texts.GROUP_ADMINS_ONLY)
    [alert] = await ask(api, api.callback_query(buttons(listing)[0][1], chat_id=GROUP_ID,
                                                chat_type="group", user_id=member),
                        "answerCallbackQuery")
    assert alert.params["text"] == texts.GROUP_ADMINS_ONLY_ALERT
    assert len(await stored(app, GROUP_ID)) == 2
    # An anonymous administrator posts as the group itself: no member to check.
    before = len(api.sent("getChatMember"))
    reply = await say(api, "/unsubscribe BR1 1AA", chat_id=SUPERGROUP_ID,
                      chat_type="supergroup", user_id=ANONYMOUS_ADMIN,
                      sender_chat=api.chat(SUPERGROUP_ID, "supergroup"))
    assert "doesn't follow Bromley Town" in reply
    assert len(api.sent("getChatMember")) == before


@pytest.mark.parametrize("failure", [server_error(), bad_request("PARTICIPANT_ID_INVALID")],
                         ids=["server-error", "bad-request"])
async def test_a_failing_admin_check_changes_nothing(api: FakeBotApi, app: WardApp,
                                                    failure: object) -> None:
    api.set_member(SUPERGROUP_ID, 41, "administrator")
    assert "Done" in await say(api, "/subscribe BR1 1AA", SUPERGROUP_ID, "supergroup", 41)
    api.fail("getChatMember", times=3, error=failure)  # type: ignore[arg-type]
    for text in ("/subscribe SW1A 1AA", "/unsubscribe all", "/forget"):
        assert await say(api, text, SUPERGROUP_ID, "supergroup", 41) == plain(
            texts.ADMIN_CHECK_FAILED)
    [sub] = await stored(app, SUPERGROUP_ID)
    assert sub.ward_code == ward_of("BR1 1AA")
    api.fail("getChatMember", error=failure)  # type: ignore[arg-type]
    [alert] = await ask(api, api.callback_query(f"unsub:{sub.ward_code}", chat_id=SUPERGROUP_ID,
                                                chat_type="supergroup", user_id=41),
                        "answerCallbackQuery")
    assert alert.params["text"] == texts.ADMIN_CHECK_FAILED_ALERT
    assert len(await stored(app, SUPERGROUP_ID)) == 1


async def test_forget_erases_subscriptions_and_delivery_history(api: FakeBotApi,
                                                                app: WardApp) -> None:
    assert "Done" in await say(api, "/subscribe SW1A 1AA")
    assert "Done" in await say(api, "/subscribe BR1 1AA")
    chats: ChatStore = app.bot_data[CHATS_KEY]
    await chats.run(subscriptions.open_fanout, 202603)
    await chats.run(subscriptions.mark, USER_ID, ward_of("SW1A 1AA"), 202603, "sent")
    reply = await forget(api)
    assert "(2 subscriptions, 2 digest records)" in reply
    assert await stored(app, USER_ID) == ()
    assert (await chats.run(subscriptions.delivery_counts, 202603)).sent == 0
    # In a group, /forget stops its digests, so only administrators may.
    api.set_member(GROUP_ID, 51, "member")
    api.set_member(GROUP_ID, 52, "administrator")
    assert "Done" in await say(api, "/subscribe N1 9AA", GROUP_ID, "group", 52)
    assert await say(api, "/forget", GROUP_ID, "group", 51) == plain(texts.FORGET_ADMINS_ONLY)
    assert len(await stored(app, GROUP_ID)) == 1
    assert "(1 subscription)" in await forget(api, GROUP_ID, "group", 52)
    assert await stored(app, GROUP_ID) == ()


async def test_blocking_removing_and_coming_back_pause_and_resume(api: FakeBotApi,
                                                                 app: WardApp) -> None:
    api.set_member(GROUP_ID, 61, "administrator")
    assert "Done" in await say(api, "/subscribe SW1A 1AA")
    assert "Done" in await say(api, "/subscribe SW1A 1AA", GROUP_ID, "group", 61)

    async def states() -> tuple[set[str], set[str]]:
        await say(api, "/help", 62)  # updates are handled in order: the ones before are done
        return ({s.state for s in await stored(app, USER_ID)},
                {s.state for s in await stored(app, GROUP_ID)})

    api.push_update(api.my_chat_member(USER_ID, "member", "kicked"))  # the user blocks the bot
    api.push_update(api.my_chat_member(GROUP_ID, "member", "left", user_id=61))  # removed
    assert await states() == ({"paused"}, {"paused"})
    api.push_update(api.my_chat_member(USER_ID, "kicked", "member"))  # unblocked
    assert await states() == ({"active"}, {"paused"})
    [hello] = await ask(api, api.my_chat_member(GROUP_ID, "left", "member", user_id=61))
    assert hello.chat_id == GROUP_ID and shown(hello) == parse_html(texts.GROUP_WELCOME)[0]
    assert await states() == ({"active"}, {"active"})  # added back
    api.push_update(api.my_chat_member(GROUP_ID, "member", "administrator", user_id=61))
    assert await states() == ({"active"}, {"active"})  # promoted: nothing to change
    # A paused chat that subscribes again is evidently reachable: all of it resumes.
    api.push_update(api.my_chat_member(USER_ID, "member", "kicked"))
    assert await states() == ({"paused"}, {"active"})
    assert "back on" in await say(api, "/subscribe SW1A 1AA")
    assert await states() == ({"active"}, {"active"})


async def test_a_group_upgraded_to_a_supergroup_keeps_its_subscriptions(api: FakeBotApi,
                                                                       app: WardApp) -> None:
    api.set_member(GROUP_ID, 71, "administrator")
    assert "Done" in await say(api, "/subscribe BR1 1AA", GROUP_ID, "group", 71)
    assert "Done" in await say(api, "/subscribe N1 9AA", GROUP_ID, "group", 71)
    api.push_update(api.migrate_to(GROUP_ID, SUPERGROUP_ID))
    api.push_update(api.migrate_from(SUPERGROUP_ID, GROUP_ID))  # Telegram sends both
    [listing] = await ask(api, api.message("/subscriptions", chat_id=SUPERGROUP_ID,
                                           chat_type="supergroup", user_id=71))
    assert "This chat follows 2 wards" in shown(listing)
    assert await stored(app, GROUP_ID) == ()
    assert [(s.chat_type, s.district) for s in await stored(app, SUPERGROUP_ID)] == [
        ("supergroup", "BR1"), ("supergroup", "N1")]


def test_button_data_round_trips() -> None:
    markup = keyboards.with_follow(keyboards.answer_keyboard("E05013806", 7), "E05013806", 7,
                                   "SW1A")
    data = markup.inline_keyboard[-1][0].callback_data
    assert data == "sub:E05013806:7:SW1A"
    assert keyboards.parse_follow(data) == keyboards.Follow(True, "E05013806", "SW1A")
    assert keyboards.parse_follow("unsub:E05013806") == keyboards.Follow(False, "E05013806")
    for bad in (None, 5, "", "sub:E05013806:7", "unsub:E05013806:7", "sub:E0501380:7:SW1A",
                "sub:E05013806:x:SW1A", "m:E05013806:7"):
        assert keyboards.parse_follow(bad) is None, bad
    assert keyboards.parse("sub:E05013806:7:SW1A") is None  # not a drill-down either


# Every status getChatMember answers, in the shape Telegram sends it (the fake's `member`),
# and variants: anonymous administrators, a restricted user who is no longer a member, and a
# restricted member as an older Bot API server describes one (without can_react_to_messages,
# which PTB 22.8 requires of a ChatMemberRestricted).
MEMBER_CASES = [
    pytest.param("creator", {}, True, id="creator"),
    pytest.param("creator", {"is_anonymous": True}, True, id="creator-anonymous"),
    pytest.param("administrator", {}, True, id="administrator"),
    pytest.param("administrator", {"is_anonymous": True}, True, id="administrator-anonymous"),
    pytest.param("member", {}, False, id="member"),
    pytest.param("restricted", {}, False, id="restricted"),
    pytest.param("restricted", {"is_member": False}, False, id="restricted-not-a-member"),
    pytest.param("restricted", {"can_react_to_messages": None}, False,
                 id="restricted-older-bot-api"),
    pytest.param("left", {}, False, id="left"),
    pytest.param("kicked", {}, False, id="kicked"),
]


@pytest.mark.parametrize(("status", "fields", "admin"), MEMBER_CASES)
async def test_every_member_status_gets_its_answer(api: FakeBotApi, app: WardApp, status: str,
                                                  fields: dict[str, Any], admin: bool) -> None:
    api.set_member(SUPERGROUP_ID, 41, "administrator")
    assert "Done" in await say(api, "/subscribe N1 9AA", SUPERGROUP_ID, "supergroup", 41)
    api.set_member(SUPERGROUP_ID, 81, status, **fields)  # type: ignore[arg-type]
    replies = [await say(api, text, SUPERGROUP_ID, "supergroup", 81)
               for text in ("/subscribe BR1 1AA", "/unsubscribe N1 9AA", "/forget")]
    assert all(c.ok for c in api.sent("getChatMember"))
    if admin:
        assert replies[0].startswith("Done: this chat now follows Bromley Town")
        assert replies[1].startswith("Done: this chat no longer follows Caledonian")
        assert replies[2].startswith("This erases everything I store for this chat")
        # /unsubscribe removed Caledonian; /forget only asked, so Bromley Town stays.
        assert [s.ward_code for s in await stored(app, SUPERGROUP_ID)] == [ward_of("BR1 1AA")]
    else:
        assert replies == [plain(texts.GROUP_ADMINS_ONLY), plain(texts.GROUP_ADMINS_ONLY),
                           plain(texts.FORGET_ADMINS_ONLY)]
        assert [s.ward_code for s in await stored(app, SUPERGROUP_ID)] == [ward_of("N1 9AA")]
    # The Stop following button asks the same question.
    [alert] = await ask(api, api.callback_query(f"unsub:{ward_of('N1 9AA')}",
                                                chat_id=SUPERGROUP_ID, chat_type="supergroup",
                                                user_id=81), "answerCallbackQuery")
    assert alert.params.get("text") == (texts.NOT_FOLLOWED_ALERT if admin
                                        else texts.GROUP_ADMINS_ONLY_ALERT)


async def test_a_message_sent_as_a_channel_may_not_change_subscriptions(
        api: FakeBotApi, app: WardApp) -> None:
    channel = api.chat(-1002222222222, "channel", title="Someone's channel")
    for text, refusal in (("/subscribe BR1 1AA", texts.GROUP_ADMINS_ONLY),
                          ("/forget", texts.FORGET_ADMINS_ONLY)):
        reply = await say(api, text, SUPERGROUP_ID, "supergroup", 136817688,
                          sender_chat=channel)
        assert reply == plain(refusal)
    assert api.sent("getChatMember") == []  # a channel is no member to ask about
    assert await stored(app, SUPERGROUP_ID) == ()
