"""Following wards: /subscribe, /subscriptions, /unsubscribe, the Subscribe and Stop following
buttons, and the bot's own membership (blocked, removed, re-added, group upgraded)."""

from __future__ import annotations

from collections.abc import Iterable

from telegram import Chat, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType

from datastore.query.digest import ward_digest
from datastore.query.figures import month_name
from datastore.query.lookup import Answer, Resolution, resolve
from datastore.query.view import DataView
from datastore.storage import subscriptions
from handlers import choices, keyboards, membership
from handlers.context import WardContext
from handlers.present import digest_text, problems, texts, words
from handlers.present.digest_text import WardNames

GONE: frozenset[str] = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.BANNED})


def ward_names(view: DataView, codes: Iterable[str]) -> WardNames:
    """(ward name, borough) for each code the view knows."""
    out = {}
    for code in codes:
        if code in view.wards:
            borough = view.ward_lad.get(code, ("", view.wards[code].borough_name))[1]
            out[code] = (view.wards[code].name, borough)
    return out


async def _allowed(update: Update, context: WardContext, message: Message) -> bool:
    """In a group, only administrators may change subscriptions: tell anyone else why."""
    chat = message.chat
    verdict = await membership.may_change(context.bot, chat, update.effective_user,
                                          message.sender_chat)
    if verdict == "allowed":
        return True
    await message.reply_html(texts.GROUP_ADMINS_ONLY if verdict == "refused"
                             else texts.ADMIN_CHECK_FAILED)
    return False


async def subscribe_command(update: Update, context: WardContext) -> None:
    """/subscribe <postcode>: this chat follows the postcode's ward."""
    message = update.effective_message
    if message is None:
        return
    if not context.args:
        await message.reply_html(texts.SUBSCRIBE_USAGE)
        return
    if not await _allowed(update, context, message):
        return
    services = context.services
    res = await resolve(" ".join(context.args), services.view, services.postcodes)
    await _follow(context, message, message.chat, res)


async def follow_chosen(update: Update, context: WardContext, message: Message,
                        answer: Answer) -> None:
    """A place chosen under /subscribe: follow its ward (the presser must be allowed to);
    a borough or a place across wards offers its wards, still to follow."""
    query = update.callback_query
    res = answer.resolution
    if res.status == "ok" and res.area == "ward" and res.place is not None and query:
        verdict = await membership.may_change(context.bot, message.chat, query.from_user)
        if verdict != "allowed":
            await message.reply_html(texts.GROUP_ADMINS_ONLY if verdict == "refused"
                                     else texts.ADMIN_CHECK_FAILED)
            return
    await _follow(context, message, message.chat, res)


async def _follow(context: WardContext, message: Message, chat: Chat, res: Resolution) -> None:
    """Follow the ward a resolution is; anything else gets its message and its choices,
    each still to follow."""
    services = context.services
    if res.status != "ok" or res.place is None:  # a choice, a borough: its buttons to pick
        text = texts.SUBSCRIBE_BY_WARD if res.status == "ok" else problems.problem_message(res)
        await message.reply_html(f"{text}\n\n{texts.SUBSCRIBE_NEEDS_POSTCODE}",
                                 reply_markup=choices.markup_for(Answer(res), services.view,
                                                                 choices.SUBSCRIBE))
        return
    ward = res.place.ward_code
    result = await context.chats.run(subscriptions.subscribe, chat.id, chat.type,
                                     ward, res.place.outcode)
    text, markup = _subscribed(context, result, ward)
    await message.reply_html(text, reply_markup=markup)


def _subscribed(context: WardContext, result: subscriptions.SubscribeResult,
                ward: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """The reply to a subscription, with the ward's digest for the newest month held at once
    (so the chat sees what it signed up for, and how old that month is) and its Stop
    following button."""
    services = context.services
    view = services.view
    names = ward_names(view, [ward])
    text = digest_text.subscribed_html(result, ward, names)
    if result.outcome == "full" or not view.months or ward not in view.wards:
        return text, None
    month = view.latest_month
    digest = digest_text.digest_html(ward_digest(view, ward, month),
                                     services.freshness(month=month))
    intro = texts.LATEST_DIGEST.format(month=month_name(month))
    return (words.fit(f"{text}\n\n{intro}\n\n{digest}"),
            keyboards.unfollow_keyboard([(ward, view.wards[ward].name)]))


def followed_ward(subs: Iterable[subscriptions.Subscription], names: WardNames,
                  text: str) -> str | None:
    """The ward of the chat's subscriptions a text names as /subscriptions shows it: the
    ward's name, "name, borough", or the postcode district it was followed with."""
    key = " ".join(text.lower().replace("’", "'").split())
    for s in subs:
        name, borough = names.get(s.ward_code, ("", ""))
        if key in {name.lower(), f"{name}, {borough}".lower(), s.district.lower()}:
            return s.ward_code
    return None


async def unsubscribe_command(update: Update, context: WardContext) -> None:
    """/unsubscribe <postcode, or a ward as /subscriptions shows it>, or /unsubscribe all;
    bare, the list of followed wards with their buttons."""
    message = update.effective_message
    if message is None:
        return
    if not context.args:
        await subscriptions_command(update, context)
        return
    if not await _allowed(update, context, message):
        return
    chat_id = message.chat.id
    subs = await context.chats.run(subscriptions.for_chat, chat_id)
    services = context.services
    names = ward_names(services.view, [s.ward_code for s in subs])
    if ward := followed_ward(subs, names, " ".join(context.args)):
        removed = await context.chats.run(subscriptions.unsubscribe, chat_id, ward)
        await message.reply_html(digest_text.unsubscribed_html(ward, names, removed))
        return
    if [a.lower() for a in context.args] == ["all"]:
        count = await context.chats.run(subscriptions.unsubscribe_all, chat_id)
        await message.reply_html(digest_text.unsubscribed_all_html(count))
        return
    res = await resolve(" ".join(context.args), services.view, services.postcodes)
    if res.status != "ok" or res.place is None:
        text = texts.SUBSCRIBE_BY_WARD if res.status == "ok" else problems.problem_message(res)
        await message.reply_html(f"{text}\n\n{texts.UNSUBSCRIBE_USAGE}")
        return
    ward = res.place.ward_code
    removed = await context.chats.run(subscriptions.unsubscribe, chat_id, ward)
    await message.reply_html(digest_text.unsubscribed_html(
        ward, ward_names(services.view, [ward]), removed))


async def subscriptions_command(update: Update, context: WardContext) -> None:
    """/subscriptions: what this chat follows, with a button to stop each."""
    message = update.effective_message
    if message is None:
        return
    subs = await context.chats.run(subscriptions.for_chat, message.chat.id)
    names = ward_names(context.services.view, [s.ward_code for s in subs])
    labels = [(s.ward_code, names.get(s.ward_code, (s.ward_code, ""))[0]) for s in subs]
    markup = keyboards.unfollow_keyboard(labels) if labels else None
    cause = await context.chats.run(subscriptions.pause_cause, message.chat.id) \
        if any(s.state == "paused" for s in subs) else "removed"
    await message.reply_html(
        digest_text.subscriptions_html(subs, names, cause, context.services.freshness()),
        reply_markup=markup)


async def _say(update: Update, context: WardContext, chat: Chat, text: str,
               markup: InlineKeyboardMarkup | None = None) -> None:
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        await query.message.reply_html(text, reply_markup=markup)
    else:
        await context.bot.send_message(chat.id, text, reply_markup=markup)


def _district_in_ward(view: DataView, change: keyboards.Follow) -> bool:
    """Whether a Subscribe button's ward is one the Met publishes and its district has
    postcodes in it: the data of a button can be forged, and the district is stored."""
    if not view.is_met_ward(change.ward_code) or change.district is None:
        return False
    return any(w.ward_code == change.ward_code for w in view.district_wards(change.district))


async def button(update: Update, context: WardContext) -> None:
    """A Subscribe or Stop following button."""
    query, chat = update.callback_query, update.effective_chat
    if query is None:
        return
    change = keyboards.parse_follow(query.data)
    view = context.services.view
    if change is None or (change.follow and not _district_in_ward(view, change)):
        await query.answer(texts.BAD_BUTTON, show_alert=True)
        return
    if chat is None:  # no chat to follow or stop following (an inline-mode message)
        await query.answer(texts.BUTTON_NEEDS_CHAT, show_alert=True)
        return
    verdict = await membership.may_change(context.bot, chat, query.from_user)
    if verdict != "allowed":
        await query.answer(texts.GROUP_ADMINS_ONLY_ALERT if verdict == "refused"
                           else texts.ADMIN_CHECK_FAILED_ALERT, show_alert=True)
        return
    names = ward_names(view, [change.ward_code])
    if change.follow:
        result = await context.chats.run(subscriptions.subscribe, chat.id, chat.type,
                                         change.ward_code, change.district or "")
        text, markup = _subscribed(context, result, change.ward_code)
    else:
        subs = await context.chats.run(subscriptions.for_chat, chat.id)
        district = next((s.district for s in subs if s.ward_code == change.ward_code), None)
        if district is None or not await context.chats.run(
                subscriptions.unsubscribe, chat.id, change.ward_code):
            await query.answer(texts.NOT_FOLLOWED_ALERT, show_alert=True)
            return
        text = digest_text.unsubscribed_html(change.ward_code, names, removed=True)
        markup = keyboards.undo_keyboard(change.ward_code, view.crime_version, district)
    await query.answer()
    await _say(update, context, chat, text, markup)


async def membership_changed(update: Update, context: WardContext) -> None:
    """The bot was blocked or removed (pause the chat's digests), or unblocked or added back
    (resume them); added to a group, it says once what it does there."""
    change = update.my_chat_member
    if change is None:
        return
    old, new = change.old_chat_member, change.new_chat_member
    gone_now = new.status in GONE or getattr(new, "is_member", True) is False
    gone_before = old.status in GONE or getattr(old, "is_member", True) is False
    if gone_now and not gone_before:
        await context.chats.run(subscriptions.set_chat_state, change.chat.id, "paused")
    elif gone_before and not gone_now:
        await context.chats.run(subscriptions.set_chat_state, change.chat.id, "active")
        if change.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):  # added: say it once
            await context.bot.send_message(change.chat.id, texts.GROUP_WELCOME)


async def chat_migrated(update: Update, context: WardContext) -> None:
    """A group became a supergroup: its subscriptions move to the new chat id."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    await context.chats.run(subscriptions.migrate_chat, old, new)

