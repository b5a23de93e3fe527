"""/start, /help, /types, /about, /forget and unknown commands."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from datastore.storage import subscriptions
from handlers import gate, keyboards, lookup, media, membership, reply
from handlers.context import WardContext
from handlers.present import digest_text, info_text, texts, views, words
from handlers.subscribe import ward_names


def _in_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


async def start(update: Update, context: WardContext) -> None:
    """/start: what the bot does (in a group, what it does there). Deep links (Share): /start
    w-<ward> gives the ward's answer, b-<borough> the borough's, v-<code>-<code>… a
    comparison; /start x-<ward or borough>, from a group's Download figures button, offers
    that download here."""
    message = update.effective_message
    if message is None:
        return
    payload = context.args[0] if context.args else ""
    services = context.services
    view = services.view
    if (ward := keyboards.parse_start(payload, keyboards.WARD_LINK)) and view.is_met_ward(ward):
        await lookup.ward_link(message, context, ward)
        return
    if (code := keyboards.parse_start(payload, keyboards.BOROUGH_LINK)) \
            and lookup.known_area(view, code):
        await reply.reply(message, context, await services.borough_answer(code))
        return
    if (codes := keyboards.parse_start(payload, keyboards.COMPARE_LINK)) \
            and all(lookup.known_area(view, c) for c in codes.split("-")):
        await reply.reply(message, context, services.compare_answer(codes.split("-")))
        return
    if not _in_group(update) and (code := keyboards.parse_start(
            payload, keyboards.DOWNLOAD_LINK)) and lookup.known_area(view, code):
        answer = (await services.borough_answer(code) if code.startswith("E09")
                  else services.ward_answer(code))
        await media.offer_formats(message, context, answer)
        return
    if _in_group(update):
        await message.reply_html(info_text.start_html(context.services.freshness(), group=True))
        return
    await message.reply_html(info_text.start_html(context.services.freshness()),
                             reply_markup=keyboards.location_keyboard())


async def help_command(update: Update, context: WardContext) -> None:
    """/help: the commands of this kind of chat."""
    if update.effective_message:
        await update.effective_message.reply_html(info_text.help_html(
            context.services.freshness(), group=_in_group(update)))


def _types_view(context: WardContext, major: str) -> tuple[str, InlineKeyboardMarkup] | None:
    """The list of major types (major "") or one type's kinds; None for a type the current
    data does not hold."""
    categories = context.services.view.categories()
    if not major:
        return views.types_html(categories), keyboards.types_keyboard(
            [(m, words.category(m)) for m in categories])
    if major not in categories:
        return None
    return (views.types_detail_html(major, categories[major]),
            keyboards.types_back_keyboard())


async def types(update: Update, context: WardContext) -> None:
    """/types: the current data's major crime types, a button each for its kinds."""
    shown = _types_view(context, "")
    if update.effective_message and shown:
        await update.effective_message.reply_html(shown[0], reply_markup=shown[1])


async def types_button(update: Update, context: WardContext) -> None:
    """A /types button: one type's kinds, or the list again, in place of the message."""
    query = update.callback_query
    if query is None:
        return
    major = keyboards.parse_types(query.data)
    shown = _types_view(context, major) if major is not None else None
    if shown is None:
        await query.answer(texts.BAD_BUTTON, show_alert=True)
        return
    if update.effective_chat is None:  # no chat to answer in (an inline-mode message)
        await query.answer(texts.BUTTON_NEEDS_CHAT, show_alert=True)
        return
    await query.answer()
    await lookup.show_in_place(update, context, *shown)


async def about(update: Update, context: WardContext) -> None:
    """/about: sources, how old each figure is on the day, limits and what is stored."""
    if update.effective_message:
        services = context.services
        await update.effective_message.reply_html(
            info_text.about_html(services.view.periods(), services.freshness()),
            disable_web_page_preview=True)


async def forget(update: Update, context: WardContext) -> None:
    """/forget: ask, with a button, before erasing everything stored for this chat.  In a
    group that stops its digests, so only its administrators may."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return
    verdict = await membership.may_change(context.bot, chat, update.effective_user,
                                          message.sender_chat)
    if verdict != "allowed":
        await message.reply_html(texts.FORGET_ADMINS_ONLY if verdict == "refused"
                                 else texts.ADMIN_CHECK_FAILED)
        return
    subs = await context.chats.run(subscriptions.for_chat, chat.id)
    names = ward_names(context.services.view, [s.ward_code for s in subs])
    await message.reply_html(digest_text.forget_question_html(subs, names),
                             reply_markup=keyboards.forget_keyboard())


async def forget_button(update: Update, context: WardContext) -> None:
    """Erase or Cancel under /forget's question: the question becomes the answer."""
    query, chat = update.callback_query, update.effective_chat
    if query is None:
        return
    choice = keyboards.parse_forget(query.data)
    if choice is None:
        await query.answer(texts.BAD_BUTTON, show_alert=True)
        return
    if chat is None:  # no chat to erase (an inline-mode message)
        await query.answer(texts.BUTTON_NEEDS_CHAT, show_alert=True)
        return
    verdict = await membership.may_change(context.bot, chat, query.from_user)
    if verdict != "allowed":
        await query.answer(texts.FORGET_ADMINS_ONLY_ALERT if verdict == "refused"
                           else texts.ADMIN_CHECK_FAILED_ALERT, show_alert=True)
        return
    if not choice:
        await query.answer()
        await lookup.show_in_place(update, context, texts.FORGET_CANCELLED, None)
        return
    subs = await context.chats.run(subscriptions.for_chat, chat.id)
    names = ward_names(context.services.view, [s.ward_code for s in subs])
    erased = await context.services.forget_chat(chat.id)
    context.settings.flood.forget(chat.id)
    gate.let_go(context.settings, chat.id)
    context.settings.replies.forget(chat.id)
    context.settings.pictures.forget(chat.id)
    await query.answer()
    await lookup.show_in_place(update, context,
                               digest_text.forgotten_html(erased, subs, names), None)


async def unknown_command(update: Update, context: WardContext) -> None:
    """A command we don't have, sent to us in a private chat."""
    if update.effective_message:
        await update.effective_message.reply_html(texts.UNKNOWN_COMMAND)
