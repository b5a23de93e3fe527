"""The fake Bot API is faithful enough: the real PTB Bot and Application run against it."""

from __future__ import annotations

import asyncio
import datetime as dtm
import struct
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputMediaPhoto,
    InputTextMessageContent,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes

from tests.fake_bot_api import (
    BOT_ID,
    BOT_USERNAME,
    SUPERGROUP_ID,
    USER_ID,
    FakeBotApi,
    WaitTimeout,
    _Windows,
    blocked,
    chat_not_found,
    migrated,
    parse_html,
    retry_after,
    server_error,
    timeout,
)


def png(width: int, height: int) -> bytes:
    """Just enough of a PNG for its header to carry the size."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\0" * 200


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (PTBDeprecationWarning) whenever RetryAfter is built unless this is set, and
    # pytest turns warnings into errors: a 429 would surface as that warning, not RetryAfter.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as b:
        yield b


async def test_get_me_and_keep_alive(api: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (BOT_ID, BOT_USERNAME, True)
    for _ in range(5):
        await bot.send_chat_action(USER_ID, "typing")
    assert [c.method for c in api.calls] == ["getMe", "getMe"] + ["sendChatAction"] * 5
    assert api.connections_accepted == 1  # httpx reused one keep-alive connection


async def test_send_message_with_inline_keyboard(api: FakeBotApi, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Crime by type", callback_data="t:1"),
                                    InlineKeyboardButton("Met", url="https://met.police.uk")]])
    sent = await bot.send_message(USER_ID, "<b>SW1A 1AA</b> — St James's &amp; Mayfair",
                                  parse_mode=ParseMode.HTML, reply_markup=markup)
    [call] = api.sent("sendMessage", chat_id=USER_ID)
    assert call.ok and call.http_method == "POST"
    assert call.params == {
        "chat_id": USER_ID, "text": "<b>SW1A 1AA</b> — St James's &amp; Mayfair",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "Crime by type", "callback_data": "t:1"},
                                              {"text": "Met", "url": "https://met.police.uk"}]]},
    }
    assert isinstance(sent, Message)
    assert sent.message_id == call.result["message_id"]
    assert sent.chat.id == USER_ID and sent.from_user is not None and sent.from_user.id == BOT_ID
    assert sent.text == "SW1A 1AA — St James's & Mayfair"
    assert sent.entities == (MessageEntity(MessageEntity.BOLD, 0, 8),)
    assert sent.reply_markup == markup
    second = await bot.send_message(USER_ID, "again")
    assert second.message_id == sent.message_id + 1


async def test_send_photo_document_and_album(api: FakeBotApi, bot: Bot) -> None:
    image = png(1600, 900)
    message = await bot.send_photo(USER_ID, image, caption="Crime by month",
                                   filename="chart.png")
    [call] = api.sent("sendPhoto")
    upload = call.files["photo"]
    assert (upload.filename, upload.size, upload.data) == ("chart.png", len(image), image)
    assert call.params["caption"] == "Crime by month"
    assert message.caption == "Crime by month"
    assert (message.photo[-1].width, message.photo[-1].height) == (1280, 720)
    assert message.photo[0].width == 90
    downloaded = await (await bot.get_file(message.photo[-1].file_id)).download_as_bytearray()
    assert bytes(downloaded) == image

    csv = b"ward,crimes\nE05000644,123\n"
    doc = await bot.send_document(USER_ID, csv, filename="ward.csv", caption="The figures")
    upload = api.sent("sendDocument")[0].files["document"]
    assert (upload.filename, upload.size, upload.data) == ("ward.csv", len(csv), csv)
    assert doc.document is not None and doc.document.file_name == "ward.csv"

    album = await bot.send_media_group(USER_ID, [InputMediaPhoto(png(10, 10), caption="a"),
                                                 InputMediaPhoto(png(20, 20))])
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert album[0].caption == "a" and album[1].photo[-1].width == 20
    assert len(api.sent("sendMediaGroup")[0].files) == 2


async def test_get_updates_returns_real_updates(api: FakeBotApi, bot: Bot) -> None:
    sent = await bot.send_message(USER_ID, "answer", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("More", callback_data="more")]]))
    pushed = [
        api.push_update(api.message("/start")),
        api.push_update(api.callback_query("more", message_id=sent.message_id)),
        api.push_update(api.edited_message("SW1A 1AA", message_id=7)),
        api.push_update(api.location(51.5014, -0.1419)),
        api.push_update(api.venue(51.5076, -0.0994)),
        api.push_update(api.sticker()),
        api.push_update(api.photo("look", chat_type="supergroup")),
        api.push_update(api.my_chat_member(USER_ID, "member", "kicked")),
        api.push_update(api.message("/postcode@WardWatchTestBot E1 6AN", chat_type="group")),
        api.push_update(api.migrate_to()),
    ]
    updates = await bot.get_updates(timeout=0)
    assert all(isinstance(u, Update) for u in updates)
    assert [u.update_id for u in updates] == [p["update_id"] for p in pushed]
    start, query, edited, location, venue, sticker, photo, member, group, migration = updates

    assert start.message is not None and start.message.text == "/start"
    assert start.message.chat.type == "private" and start.message.chat.first_name == "Alice"
    assert start.message.entities == (MessageEntity(MessageEntity.BOT_COMMAND, 0, 6),)
    assert query.callback_query is not None and query.callback_query.data == "more"
    assert isinstance(query.callback_query.message, Message)
    assert query.callback_query.message.message_id == sent.message_id
    assert query.callback_query.message.reply_markup == sent.reply_markup
    assert edited.edited_message is not None and edited.edited_message.edit_date is not None
    assert edited.edited_message.message_id == 7
    assert location.message is not None and location.message.location is not None
    assert location.message.location.latitude == 51.5014
    assert venue.message is not None and venue.message.venue is not None
    assert venue.message.location is not None
    assert sticker.message is not None and sticker.message.sticker is not None
    assert photo.message is not None and photo.message.photo and photo.message.caption == "look"
    assert photo.message.chat.type == "supergroup" and photo.message.chat.title
    assert member.my_chat_member is not None
    assert member.my_chat_member.new_chat_member.status == "kicked"
    assert member.my_chat_member.new_chat_member.user.id == BOT_ID
    assert group.message is not None and group.message.chat.type == "group"
    assert group.message.entities[0].length == len("/postcode@WardWatchTestBot")
    assert migration.message is not None
    assert migration.message.migrate_to_chat_id == SUPERGROUP_ID

    # The offset confirms: nothing left, and an empty long poll returns after its timeout.
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert api.pending_updates == []


async def test_long_poll_wakes_on_push(api: FakeBotApi, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_for("getUpdates", answered=False)
    started = time.monotonic()
    api.push_update(api.message("hello"))
    [update] = await poll
    assert update.message is not None and update.message.text == "hello"
    assert time.monotonic() - started < 0.5


async def test_commands_and_chat_members(api: FakeBotApi, bot: Bot) -> None:
    commands = [BotCommand("postcode", "Crime figures for a postcode"),
                BotCommand("help", "How to use WardWatch")]
    assert await bot.set_my_commands(commands)
    assert await bot.set_my_commands([BotCommand("admin", "Admin")],
                                     scope=BotCommandScopeChat(USER_ID))
    assert await bot.get_my_commands() == tuple(commands)
    assert await bot.get_my_commands(scope=BotCommandScopeChat(USER_ID)) == (
        BotCommand("admin", "Admin"),)
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])

    api.set_member(SUPERGROUP_ID, 1, "administrator")
    api.set_member(SUPERGROUP_ID, 2, "creator")
    api.set_member(SUPERGROUP_ID, 3, "left")
    kinds = [type(await bot.get_chat_member(SUPERGROUP_ID, user)) for user in (1, 2, 3, 4)]
    assert kinds == [ChatMemberAdministrator, ChatMemberOwner, ChatMemberLeft, ChatMemberMember]
    chat = await bot.get_chat(SUPERGROUP_ID)
    assert chat.type == "supergroup" and chat.title


@pytest.mark.parametrize(
    ("fault", "expected", "check"),
    [
        (retry_after(3), RetryAfter,
         lambda e: e.retry_after == dtm.timedelta(seconds=3)),
        (blocked(), Forbidden, lambda e: e.message == "Forbidden: bot was blocked by the user"),
        (chat_not_found(), BadRequest, lambda e: e.message == "Chat not found"),
        (migrated(SUPERGROUP_ID), ChatMigrated, lambda e: e.new_chat_id == SUPERGROUP_ID),
        (server_error(500), NetworkError, lambda e: type(e) is NetworkError),
        (server_error(502, html=True), NetworkError, lambda e: type(e) is NetworkError),
    ],
    ids=["retry_after", "blocked", "chat_not_found", "migrated", "500", "502-html"],
)
async def test_injected_errors_raise_ptb_exceptions(
    api: FakeBotApi, bot: Bot, fault: object, expected: type[Exception], check: object,
) -> None:
    api.fail("sendMessage", chat_id=USER_ID, error=fault)  # type: ignore[arg-type]
    with pytest.raises(expected) as info:
        await bot.send_message(USER_ID, "hi")
    assert check(info.value)  # type: ignore[operator]
    # Consumed: the next call goes through.
    assert (await bot.send_message(USER_ID, "hi")).text == "hi"
    first, second = api.sent("sendMessage")
    assert not first.ok and first.fault and second.ok


async def test_timeout_injection_raises_timed_out(api: FakeBotApi, bot: Bot) -> None:
    api.fail("sendMessage", error=timeout(10))
    started = time.monotonic()
    with pytest.raises(TimedOut):
        await bot.send_message(USER_ID, "slow", read_timeout=0.2)
    assert time.monotonic() - started < 1.0
    [call] = await api.wait_for("sendMessage")
    assert call.abandoned  # the client hung up; the fake noticed and stopped holding
    # The message was processed (sent) even though the answer never arrived.
    assert (await bot.send_message(USER_ID, "next")).message_id == 2


async def test_faults_per_chat_in_order(api: FakeBotApi, bot: Bot) -> None:
    api.fail("sendMessage", chat_id=1, times=2, error=blocked())
    api.fail("sendmessage", error=chat_not_found())  # any chat, once; names ignore case
    with pytest.raises(BadRequest):
        await bot.send_message(2, "a")  # the chat-1 rule does not match chat 2
    await bot.send_message(2, "b")
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(1, "c")
    await bot.send_message(1, "d")
    assert [c.fault for c in api.sent()] == ["chat_not_found()", None, "blocked()",
                                             "blocked()", None]


async def test_unknown_method_and_wrong_token(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("getNothing")
    assert api.calls[-1].method == "getNothing" and api.calls[-1].status == 404
    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{api.base_url}999:WRONG/getMe")
        assert (wrong.status_code, wrong.json()["description"]) == (401, "Unauthorized")
        # A JSON body (other clients use one) is read as typed values.
        ok = await client.post(f"{api.base_url}{api.token}/sendMessage",
                               json={"chat_id": 5, "text": "json"})
        assert ok.json()["ok"] and api.calls[-1].params == {"chat_id": 5, "text": "json"}


async def test_telegram_validation_and_state(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match='unsupported start tag "" at byte offset 6'):
        await bot.send_message(USER_ID, "crime < 5 a month", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER_ID, "x" * 4097)
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER_ID, "x", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("b", callback_data="d" * 65)]]))

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more")]])
    sent = await bot.send_message(USER_ID, "answer", reply_markup=markup)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("answer", USER_ID, sent.message_id, reply_markup=markup)
    edited = await bot.edit_message_text("new answer", USER_ID, sent.message_id)
    assert isinstance(edited, Message) and edited.text == "new answer" and edited.edit_date
    assert edited.reply_markup is None
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER_ID, 999)
    assert await bot.delete_message(USER_ID, sent.message_id)

    query = api.push_update(api.callback_query("more"))["callback_query"]
    assert await bot.answer_callback_query(query["id"], "ok")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query["id"])

    api.push_update(api.my_chat_member(USER_ID, "member", "kicked"))
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER_ID, "still there?")
    api.push_update(api.migrate_to(-555, SUPERGROUP_ID))
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(-555, "hello group")
    assert info.value.new_chat_id == SUPERGROUP_ID
    assert await bot.leave_chat(SUPERGROUP_ID)
    with pytest.raises(Forbidden, match="bot is not a member of the supergroup chat"):
        await bot.send_message(SUPERGROUP_ID, "hello")


def test_parse_html_matches_telegram() -> None:
    text, entities = parse_html('<b>Rate</b> 🚓 <a href="https://x.org/?a=1&amp;b=2">src</a>'
                                "<pre><code class=\"language-python\">x</code></pre> A &lt; B")
    assert text == "Rate 🚓 srcx A < B"
    assert entities == [
        {"offset": 0, "length": 4, "type": "bold"},
        # 🚓 is two UTF-16 code units.
        {"offset": 8, "length": 3, "type": "text_link", "url": "https://x.org/?a=1&b=2"},
        {"offset": 11, "length": 1, "type": "pre", "language": "python"},
    ]
    for bad, message in [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("£ <div>x</div>", 'Unsupported start tag "div" at byte offset 3'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
    ]:
        with pytest.raises(Exception, match=message):
            parse_html(bad)
    assert parse_html("Tom & Jerry &c")[0] == "Tom & Jerry &c"  # a bare & is a character


async def test_flood_limits() -> None:
    async with FakeBotApi(enforce_limits=True, global_per_s=3, per_chat_per_s=1,
                          per_group_per_min=2) as limited, Bot(
            limited.token, base_url=limited.base_url) as b:
        await b.send_message(1, "one")
        with pytest.raises(RetryAfter) as info:
            await b.send_message(1, "two")  # same chat within 1 s
        assert info.value.retry_after == dtm.timedelta(seconds=1)
        await b.send_message(2, "two")
        await b.send_message(3, "three")
        with pytest.raises(RetryAfter):
            await b.send_message(4, "four")  # 4th message within 1 s, all chats
        assert limited.limit_hits == 2
        assert [c.status for c in limited.sent()] == [200, 429, 200, 200, 429]


def test_window_semantics() -> None:
    windows = _Windows(global_per_s=100, per_chat_per_s=1, per_group_per_min=2)
    assert windows.check(7, now=10.0) is None
    assert windows.check(7, now=10.5) == 1  # 0.5 s left: rounded up to whole seconds
    assert windows.check(7, now=11.0) is None  # the first left the 1 s window at 11.0
    assert windows.check(-100, now=0.0) is None
    assert windows.check(-100, now=5.0) is None
    assert windows.check(-100, now=10.0) == 50  # 2 per minute: room again at 60.0
    assert windows.check(-100, now=60.0) is None


async def test_application_polls_and_replies(api: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Send me a London postcode.")

    app: Application = (  # type: ignore[type-arg]
        ApplicationBuilder().token(api.token).base_url(api.base_url)
        .base_file_url(api.base_file_url).build())
    app.add_handler(CommandHandler("start", start))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        pushed = api.push_update(api.message("/start"))
        [reply] = await api.wait_for("sendMessage")
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert reply.ok and reply.params["chat_id"] == USER_ID
    assert reply.params["text"] == "Send me a London postcode."
    assert reply.result["chat"]["id"] == USER_ID
    # Bootstrap deleted the webhook, and the last getUpdates confirmed the update.
    assert "deleteWebhook" in [c.method for c in api.calls]
    assert api.sent("getUpdates")[-1].params["offset"] == pushed["update_id"] + 1
    assert api.pending_updates == []


async def test_stop_ends_long_polls_promptly() -> None:
    fake = FakeBotApi(long_poll_cap=30)
    await fake.start()
    async with Bot(fake.token, base_url=fake.base_url) as b:
        poll = asyncio.create_task(b.get_updates(timeout=30))
        await fake.wait_for("getUpdates", answered=False)
        started = time.monotonic()
        await fake.stop()
        assert time.monotonic() - started < 0.5
        with pytest.raises(NetworkError):
            await poll
    with pytest.raises(WaitTimeout, match="getMe"):
        await fake.wait_for("sendMessage", timeout=0.05)


async def test_descriptions_menus_per_scope_and_inline_answers(api: FakeBotApi,
                                                               bot: Bot) -> None:
    assert await bot.set_my_description("What the bot does.")
    assert await bot.set_my_short_description("Short.")
    assert (await bot.get_my_description()).description == "What the bot does."
    assert (await bot.get_my_short_description()).short_description == "Short."
    with pytest.raises(BadRequest, match=r"(?i)short_description_invalid"):
        await bot.set_my_short_description("x" * 121)
    assert await bot.set_my_commands([BotCommand("help", "Help")],
                                     scope=BotCommandScopeAllGroupChats())
    assert [c["command"] for c in api.commands("all_group_chats")] == ["help"]
    assert api.commands("all_private_chats") == []
    # answerInlineQuery: a pushed query, answered once, with unique result ids.
    query = api.inline_query("E8 1DY")
    api.push_update(query)
    query_id = query["inline_query"]["id"]
    article = InlineQueryResultArticle("1", "E8 1DY", InputTextMessageContent("<b>E8</b>",
                                                                              parse_mode="HTML"))
    with pytest.raises(BadRequest, match=r"(?i)result_id_duplicate"):
        await bot.answer_inline_query(query_id, [article, article])
    assert await bot.answer_inline_query(query_id, [article])
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_inline_query(query_id, [article])
    bad = InlineQueryResultArticle("2", "x", InputTextMessageContent("<b>open", parse_mode="HTML"))
    other = api.inline_query("x")
    api.push_update(other)
    with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
        await bot.answer_inline_query(other["inline_query"]["id"], [bad])
    # answerCallbackQuery's url: only the bot's own start link.
    press = api.callback_query("m:1")
    api.push_update(press)
    with pytest.raises(BadRequest, match=r"(?i)url_invalid"):
        await bot.answer_callback_query(press["callback_query"]["id"], url="https://example.com")
    assert await bot.answer_callback_query(
        press["callback_query"]["id"], url=f"https://t.me/{BOT_USERNAME}?start=x-E05000001")
