"""/trend, /map and /export, and the Trend chart, Map and Download figures buttons under an
answer: a chart, a map or the figures as files.  If a file can't be sent, the chat gets the
text answer and a note instead.  In a group a chart or a map is posted for everyone, the same
one at most once in 10 minutes (asked again sooner, the asker is pointed to it); downloads go
to a private chat."""

from __future__ import annotations

import logging
from typing import Final

from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, TelegramError

from datastore.query.lookup import Answer
from handlers import keyboards, lookup, reply
from handlers.context import WardContext
from handlers.media_files import LONDON, MediaFile, area_map, export, trend
from handlers.present import report, short_answer, texts, words
from handlers.present.exports import FORMATS
from handlers.render_process import RenderUnavailable

log = logging.getLogger(__name__)

USAGE: Final = {keyboards.TREND: texts.TREND_USAGE, keyboards.MAP: texts.MAP_USAGE,
                keyboards.EXPORT: texts.EXPORT_USAGE}
WHAT: Final = {keyboards.TREND: "chart", keyboards.MAP: "map", keyboards.EXPORT: "files"}
# The pictures a group sees once in a while (GroupPictures), as GROUP_PICTURE_ABOVE names them.
BOTH_TRENDS: Final = "cmp"  # a comparison's Both trends on one chart (handlers/places.py)
PICTURES: Final = {keyboards.TREND: "trend chart", keyboards.MAP: "map",
                   BOTH_TRENDS: "chart of both trends"}


async def trend_command(update: Update, context: WardContext) -> None:
    """/trend <postcode>: the ward's crime month by month against its borough and London."""
    await _command(update, context, keyboards.TREND)


async def map_command(update: Update, context: WardContext) -> None:
    """/map <postcode>: the borough's wards against the London average; /map london."""
    await _command(update, context, keyboards.MAP)


async def export_command(update: Update, context: WardContext) -> None:
    """/export <postcode> [csv|xlsx|json]: every figure of the ward as one file; without a
    format, buttons ask for one."""
    await _command(update, context, keyboards.EXPORT)


async def _command(update: Update, context: WardContext, action: str) -> None:
    message = update.effective_message
    if message is None:
        return
    if not context.args:
        await message.reply_html(USAGE[action])
        return
    args = list(context.args)
    fmt = args.pop().lower() if action == keyboards.EXPORT and len(args) > 1 and \
        args[-1].lower() in keyboards.EXPORT_FORMATS else None
    text = " ".join(args)
    if action == keyboards.MAP and text.strip().lower() == LONDON:
        if not await _pointed_to_picture(context, message, action, LONDON):
            await _post(context, message, action, None, "")
        return
    await respond(context, message, action, await context.services.answer(text), fmt)


async def respond(context: WardContext, where: Message | int, action: str, answer: Answer,
                  fmt: str | None = None) -> None:
    """The chart, map or files an answer's ward or borough asks for; an answer that is
    neither (a choice to make, a district's wards) gets its own message, its buttons still
    for ``action``: a place chosen there gets the chart, map or files asked for."""
    code = area_code(answer)
    if code is None:
        if isinstance(where, Message):
            await reply.reply(where, context, answer, action=action)
        else:
            await reply.send(context, where, answer, action=action)
        return
    chat = where.chat if isinstance(where, Message) else None
    if action == keyboards.EXPORT and _in_group(chat):  # files go to a private chat
        assert isinstance(where, Message)
        url = keyboards.start_link(context.bot.username, keyboards.DOWNLOAD_LINK, code)
        await where.reply_html(texts.GROUP_DOWNLOAD_LINK,
                               reply_markup=keyboards.link_keyboard(texts.PRIVATE_BUTTON, url))
        return
    if action == keyboards.EXPORT and fmt is None and isinstance(where, Message):
        await offer_formats(where, context, answer)  # one format, asked for with buttons
        return
    text, fmt = report.answer_html(answer), fmt or ("csv" if action == keyboards.EXPORT else None)
    if not isinstance(where, Message):
        await _deliver(context, where, action, code, text, fmt)
    elif not await _pointed_to_picture(context, where, action, code):
        await _post(context, where, action, code, text, fmt)


def area_code(answer: Answer) -> str | None:
    """The ward (E05…) or the whole borough (E09…) an `ok` answer is about, else None."""
    res = answer.resolution
    if answer.status != "ok":
        return None
    if res.area == "borough":
        return res.borough_code
    return res.place.ward_code if res.place is not None else None


def _in_group(chat: Chat | None) -> bool:
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


def picture_above(context: WardContext, chat: Chat | None, what: str,
                  area: str) -> tuple[float, int] | None:
    """In a group, the same picture posted there less than 10 minutes ago: (when, its
    message id); None in a private chat, or for a file."""
    if what not in PICTURES.values() or not _in_group(chat):
        return None
    assert chat is not None
    return context.settings.pictures.recent(chat.id, what, area, context.settings.clock.now())


def above_text(context: WardContext, what: str, when: float) -> str:
    """Where the picture is, and since when (a press's answer; a command's reply to it)."""
    return texts.GROUP_PICTURE_ABOVE.format(
        what=what, ago=words.minutes_ago(context.settings.clock.now() - when))


def remember_picture(context: WardContext, chat: Chat | None, what: str, area: str,
                     asked: float, message_id: int | None) -> None:
    """A picture asked for at `asked` and posted into a group: the next 10 minutes point
    to it."""
    if message_id is not None and what in PICTURES.values() and _in_group(chat):
        assert chat is not None
        context.settings.pictures.remember(chat.id, what, area, asked, message_id)


async def _pointed_to_picture(context: WardContext, message: Message, action: str,
                              area: str) -> bool:
    """A /trend or /map whose picture the group was sent lately: a line in reply to it."""
    above = picture_above(context, message.chat, PICTURES.get(action, ""), area)
    if above is None:
        return False
    await context.bot.send_message(message.chat_id, above_text(context, PICTURES[action],
                                                                above[0]),
                                   reply_parameters=ReplyParameters(
                                       above[1], allow_sending_without_reply=True))
    return True


async def _post(context: WardContext, where: Message, action: str, area: str | None,
                text: str, fmt: str | None = None) -> None:
    """_deliver, and a picture posted into a group remembered."""
    asked = context.settings.clock.now()
    sent = await _deliver(context, where, action, area, text, fmt)
    remember_picture(context, where.chat, PICTURES.get(action, ""), area or LONDON, asked,
                     sent)


async def offer_formats(message: Message, context: WardContext, answer: Answer) -> None:
    """The ward's or borough's summary and one button per format (/export, a group's deep
    link)."""
    code = area_code(answer)
    assert code is not None
    version = context.services.view.crime_version
    await message.reply_html(
        f"{short_answer.summary_html(answer)}\n\n{texts.CHOOSE_FORMAT}",
        reply_markup=keyboards.format_keyboard(code, version, None),
        disable_web_page_preview=True)


async def button(update: Update, context: WardContext) -> None:
    """A Trend chart, Map or Download figures button under an answer, or a format button."""
    query = update.callback_query
    if query is None:
        return
    drill = keyboards.parse(query.data)
    services = context.services
    view = services.view
    if (drill is None or drill.action not in keyboards.MEDIA_ACTIONS
            or not lookup.known_area(view, drill.code)):
        await query.answer(texts.BAD_BUTTON, show_alert=True)
        return
    where = query.message if isinstance(query.message, Message) else (
        update.effective_chat.id if update.effective_chat else None)
    if where is None:  # no chat to send the files to (an inline-mode message)
        await query.answer(texts.BUTTON_NEEDS_CHAT, show_alert=True)
        return
    if drill.action == keyboards.EXPORT and _in_group(update.effective_chat):
        # Files would flood the group: Telegram opens a private chat at the download.
        await query.answer(url=keyboards.start_link(
            context.bot.username, keyboards.DOWNLOAD_LINK, drill.code))
        return
    if drill.action == keyboards.EXPORT and drill.fmt is None:
        await query.answer(texts.CHOOSE_FORMAT_ALERT)
        await _ask_format(context, query, where, drill)
        return
    what = PICTURES.get(drill.action, "")
    if above := picture_above(context, update.effective_chat, what, drill.code):
        await query.answer(above_text(context, what, above[0]))  # no second copy
        return
    await query.answer(texts.STALE_BUTTON if drill.version != view.crime_version else None)
    code = drill.code
    if drill.borough:  # the whole borough's picture or download
        text = report.borough_html(await services.borough_answer(code))
    else:
        borough = view.ward_lad.get(code, ("", view.wards[code].borough_name))[1]
        text = report.ward_html(view.ward_month(code), view.ward_rate(code), borough,
                                services.freshness())
    asked = context.settings.clock.now()
    sent = await _deliver(context, where, drill.action, code, text, drill.fmt)
    remember_picture(context, update.effective_chat, what, code, asked, sent)


async def _ask_format(context: WardContext, query: CallbackQuery, where: Message | int,
                      drill: keyboards.Drill) -> None:
    """Put one button per format above the message's buttons (a new message if it can't)."""
    version = context.services.view.crime_version
    current = where.reply_markup if isinstance(where, Message) else None
    kept = [row for row in (current.inline_keyboard if current else ())
            if not any((d := keyboards.parse(b.callback_data)) and d.fmt for b in row)]
    markup = keyboards.format_keyboard(drill.code, version, InlineKeyboardMarkup(kept))
    if isinstance(where, Message):
        try:
            await query.edit_message_reply_markup(markup)
            return
        except BadRequest as exc:
            if "not modified" in exc.message:
                return
            log.info("could not edit a keyboard, sending a new message: %s", exc.message)
        where = where.chat_id
    await context.bot.send_message(where, texts.CHOOSE_FORMAT, reply_markup=markup)


async def _files(context: WardContext, action: str, code: str | None,
                 fmt: str | None = None) -> list[MediaFile]:
    """The files for a ward's (E05…) or a borough's (E09…) button, or London's map (None)."""
    services, cache = context.services, context.settings.media
    if action == keyboards.MAP:
        found = await area_map(services, code, cache)
        return [found] if found is not None else []
    assert code is not None
    if action == keyboards.TREND:
        return [await trend(services, code, cache)]
    return [await export(services, code, f, cache) for f in FORMATS if f == fmt]


async def _deliver(context: WardContext, where: Message | int, action: str,
                   ward_code: str | None, text: str, fmt: str | None = None) -> int | None:
    """Make the files and send them, the chat told meanwhile that a photo or a file is on its
    way; if one can't be sent, send the text and a note. The id of the last file's message,
    None if the text went instead."""
    chat_id = where.chat_id if isinstance(where, Message) else where
    busy = ChatAction.UPLOAD_DOCUMENT if action == keyboards.EXPORT else ChatAction.UPLOAD_PHOTO
    try:
        await context.bot.send_chat_action(chat_id, busy)
    except TelegramError as exc:  # only a courtesy: the files still go
        log.info("could not show %s: %s", busy, type(exc).__name__)
    try:
        files = await _files(context, action, ward_code, fmt)
    except RenderUnavailable as exc:
        log.warning("could not draw the %s: %s", WHAT[action], exc)
        note = (texts.MEDIA_FAILED if text else texts.DRAW_FAILED).format(what=WHAT[action])
        await _send_text(context, where, "\n\n".join(filter(None, [f"<i>{note}</i>", text])))
        return None
    if not files:
        await _send_text(context, where, "\n\n".join(filter(None, [texts.NO_MAP, text])))
        return None
    sent = None
    for file in files:
        try:
            sent = await _send_file(context, where, file)
        except TelegramError as exc:
            log.warning("could not send %s: %s", file.filename, type(exc).__name__)
            note = f"<i>{texts.MEDIA_FAILED.format(what=WHAT[action])}</i>"
            words = file.caption if file.kind == "photo" else ""  # the picture in words
            await _send_text(context, where, "\n\n".join(filter(None, [note, words, text])))
            return None
    return sent.message_id if sent is not None else None


async def _send_file(context: WardContext, where: Message | int, file: MediaFile) -> Message:
    upload = InputFile(file.data, filename=file.filename)
    if isinstance(where, Message):
        if file.kind == "photo":
            return await where.reply_photo(upload, caption=file.caption)
        return await where.reply_document(upload, caption=file.caption)
    if file.kind == "photo":
        return await context.bot.send_photo(where, upload, caption=file.caption)
    return await context.bot.send_document(where, upload, caption=file.caption)


async def _send_text(context: WardContext, where: Message | int, text: str) -> None:
    if isinstance(where, Message):
        await where.reply_html(words.fit(text), disable_web_page_preview=True)
    else:
        await context.bot.send_message(where, words.fit(text), disable_web_page_preview=True)
