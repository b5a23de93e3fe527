"""A fake Telegram Bot API: a real HTTP/1.1 server on 127.0.0.1 for end-to-end tests.

The real python-telegram-bot stack (``Bot``, ``Application``, ``HTTPXRequest``, httpx) talks to
it exactly as it talks to api.telegram.org::

    async with FakeBotApi() as api:
        app = (ApplicationBuilder().token(api.token).base_url(api.base_url)
               .base_file_url(api.base_file_url).build())
        ...
        api.push_update(api.message("/start"))
        [call] = await api.wait_for("sendMessage")
        assert call.params["chat_id"] == USER_ID and call.ok

Requests are ``POST {base_url}{token}/{method}`` (``GET`` works too, as on Telegram) with a
form-urlencoded, multipart/form-data or JSON body; answers are ``{"ok": true, "result": ...}``
or ``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}`` with the
matching HTTP status, shaped like Telegram's so PTB's ``de_json`` and its error mapping run for
real.  Method names are case-insensitive, as on Telegram.

What PTB sends (``telegram/request/_requestdata.py``): every parameter as a form field, strings
as they are and everything else JSON-encoded (``chat_id=42``, ``reply_markup={"inline_...``);
multipart/form-data only when files are uploaded.  The fake decodes a form value as JSON unless
the parameter is a known string parameter (``text``, ``caption``, ``callback_query_id``...),
so ``call.params`` holds ints, bools, dicts and lists as Telegram would read them.

Recording: ``api.calls`` holds every API call in arrival order (``Call``: method, params,
uploaded files, and once answered the HTTP status and the JSON answer).  ``api.sent(method,
chat_id)`` filters them; ``await api.wait_for(method, count)`` waits until that many matching
calls have been *answered* (or abandoned by the client) and raises ``WaitTimeout`` listing what
it saw.

Updates: ``api.push_update(raw_dict)`` queues an update for ``getUpdates`` (assigning
``update_id`` when missing) and applies its side effects on the fake's state (known chats and
messages, the bot's membership from ``my_chat_member``, group migrations).  The builders
(``message``, ``edited_message``, ``location``, ``venue``, ``sticker``, ``photo``,
``callback_query``, ``inline_callback_query``, ``my_chat_member``, ``migrate_to``,
``migrate_from``) return raw update dicts shaped as Telegram sends them; they do not queue
anything.

``getUpdates`` follows the Bot API: updates with ``update_id >= offset`` are returned (the
offset PTB sends is the last id + 1), and every update below ``offset`` is confirmed and
forgotten; a negative offset keeps the last ``-offset`` updates.  Long polling waits up to
``timeout`` seconds, capped at ``long_poll_cap`` (2 s by default) to keep tests fast, and
returns as soon as an update is pushed.  A newer ``getUpdates`` ends a waiting one with 409
Conflict, and ``getUpdates`` while a webhook is set is a 409, as on Telegram.

State and realism (Telegram's own error texts):

* ``sendMessage``/``editMessageText`` parse ``parse_mode="HTML"`` like Telegram does (a port
  of tdlib's parser): unsupported or unbalanced tags fail with "Bad Request: can't parse
  entities: ..."; the returned message carries the plain text and its entities.  Markdown and
  MarkdownV2 are passed through unchecked.  Texts are trimmed; an empty text and one over 4096
  characters (captions 1024) are refused; ``callback_data`` over 64 bytes is
  ``BUTTON_DATA_INVALID``.  Only inline keyboards are echoed in ``Message.reply_markup``
  (Telegram omits reply keyboards there).
* Message ids are per chat and shared by incoming (builder) and outgoing messages.  Edits and
  deletions need a message the fake knows (sent by the bot, or pushed in an update): otherwise
  "message to edit not found" / "message to delete not found".  Editing to identical text and
  markup is "message is not modified: ...".
* ``answerCallbackQuery`` needs a pushed, not yet answered query id; ``text`` is at most 200
  characters (``MESSAGE_TOO_LONG``); a ``url`` must be the bot's own
  ``https://t.me/<bot>?start=…`` link (``URL_INVALID``), as outside games.
* ``answerInlineQuery`` needs a pushed (``inline_query`` builder), not yet answered query id;
  at most 50 results with unique ids of 1-64 bytes (``RESULT_ID_DUPLICATE``...), an article's
  title and its message text checked (HTML parsed) like a sent message, and its keyboard.
* ``setMyCommands`` keeps one menu per scope and language (``api.commands(scope_type)``);
  ``setMyDescription``/``setMyShortDescription`` keep their texts per language in
  ``api.descriptions`` (at most 512 / 120 characters) and ``getMy…`` read them back.
* A pushed ``my_chat_member`` with the bot ``kicked``/``left`` makes later sends to that chat
  fail with 403 ("bot was blocked by the user", "bot was kicked from the group chat", ...); a
  pushed ``migrate_to`` message makes sends to the old group id fail with ``migrate_to_chat_id``.
* Unknown chats: synthesised (positive id → private, ``-100…`` → supergroup, other negative →
  group) unless ``strict_chats=True``, which answers "chat not found".
* Uploaded files are kept: ``getFile`` gives a ``file_path`` that ``base_file_url`` serves.

Failure injection (consumed in the order added): ``api.fail(method, chat_id=None, times=1,
error=retry_after(3))`` with ``retry_after``, ``blocked``, ``chat_not_found``, ``migrated``,
``server_error``, ``timeout``, ``bad_request``, ``forbidden``, ``conflict`` or ``error``.  The
method ``"*"`` matches every method; ``times=None`` repeats until ``clear_faults()``.
``timeout(seconds)`` processes the request (the message *is* sent) and holds the answer, so a
client with a shorter read timeout gets ``TimedOut``; ``api.delay(seconds)`` holds every answer.

Flood limits (``enforce_limits=True``), for load tests: every message-sending method (one
message per request, one per item of a media group) is checked against three sliding windows
on the monotonic clock, and refused with 429 "Too Many Requests: retry after N" when any is full:

* at most ``global_per_s`` messages in any 1 s window, across all chats;
* at most ``per_chat_per_s`` messages to one chat in any 1 s window;
* at most ``per_group_per_min`` messages to one group/supergroup/channel (negative or ``@``
  chat id) in any 60 s window.

A window counts the messages accepted in the last ``window`` seconds (a message accepted at
``t`` stops counting at ``t + window``); refused messages are not counted.  ``retry_after`` is
the whole number of seconds (at least 1) until the fullest window has room again.  Every refusal
adds one to ``api.limit_hits``.  This is stricter than Telegram, which tolerates short bursts.

Stopping closes the listening socket, every keep-alive connection and every waiting long poll
or held answer at once; no task or socket outlives ``stop()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import email.utils
import itertools
import json
import math
import re
import struct
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_ID",
    "BOT_USERNAME",
    "SUPERGROUP_ID",
    "TOKEN",
    "USER_ID",
    "ApiError",
    "Call",
    "FakeBotApi",
    "Fault",
    "UploadedFile",
    "WaitTimeout",
    "bad_request",
    "blocked",
    "chat_not_found",
    "conflict",
    "error",
    "forbidden",
    "migrated",
    "parse_html",
    "retry_after",
    "server_error",
    "timeout",
]

JSON = dict[str, Any]
ChatId = int | str
ChatType = Literal["private", "group", "supergroup", "channel"]
MemberStatus = Literal["creator", "administrator", "member", "restricted", "left", "kicked"]

TOKEN: Final = "123456:TEST-TOKEN"
BOT_ID: Final = 123456
BOT_USERNAME: Final = "WardWatchTestBot"
BOT_FIRST_NAME: Final = "WardWatch"
USER_ID: Final = 424242
GROUP_ID: Final = -987654321
SUPERGROUP_ID: Final = -1001987654321

_MAX_HEADER: Final = 64 * 1024
_MAX_BODY: Final = 64 * 1024 * 1024
_TEXT_LIMIT: Final = 4096
_CAPTION_LIMIT: Final = 1024

# Parameters whose form values are plain strings: never decoded as JSON ("text=123" stays "123").
_STRING_PARAMS: Final = frozenset({
    "action", "address", "animation", "audio", "business_connection_id", "callback_query_id",
    "caption", "currency", "custom_title", "description", "document", "emoji", "error_message",
    "explanation", "file_id", "first_name", "foursquare_id", "foursquare_type",
    "google_place_id", "google_place_type", "inline_message_id", "inline_query_id",
    "invite_link", "ip_address",
    "language_code", "last_name", "message_effect_id", "name", "next_offset", "parse_mode",
    "payload", "phone_number", "photo", "provider_token", "query", "question", "secret_token",
    "short_description", "start_parameter", "sticker", "text", "thumbnail", "title", "url",
    "vcard", "video", "video_note", "voice",
})

# Methods that post a message to a chat: the ones the flood limits count.
_SEND_METHODS: Final = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "sendAudio", "sendVideo",
    "sendAnimation", "sendVoice", "sendVideoNote", "sendSticker", "sendLocation", "sendVenue",
    "sendContact", "sendPoll", "sendDice", "forwardMessage", "copyMessage",
})

_CHAT_ACTIONS: Final = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})

# Update types getUpdates leaves out unless asked for by allowed_updates.
_NOT_BY_DEFAULT: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_COMMAND_RE: Final = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_NAME_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_NGINX_502: Final = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


# --------------------------------------------------------------------------------------------
# Errors and injected faults


class ApiError(Exception):
    """A Bot API error answer: HTTP status = error_code, with Telegram's description."""

    def __init__(self, status: int, description: str,
                 parameters: Mapping[str, int] | None = None) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.parameters = dict(parameters) if parameters else None

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(frozen=True)
class Fault:
    """What an injected failure does to one call.

    ``error``: answer with this error instead of processing the call.  ``raw_body``: send these
    bytes (e.g. an nginx HTML page) instead of the JSON error.  ``hold``: seconds to hold the
    answer; without ``error`` the call is processed first (as when Telegram sent the message
    but its answer never arrived), unless ``hold_first``.
    """

    error: ApiError | None = None
    hold: float = 0.0
    raw_body: bytes | None = None
    hold_first: bool = False
    label: str = ""


def retry_after(seconds: int) -> Fault:
    """429 with ``parameters.retry_after``: PTB raises ``RetryAfter``."""
    return Fault(ApiError(429, f"Too Many Requests: retry after {seconds}",
                          {"retry_after": seconds}), label=f"retry_after({seconds})")


def blocked() -> Fault:
    """403 "bot was blocked by the user": PTB raises ``Forbidden``."""
    return Fault(ApiError(403, "Forbidden: bot was blocked by the user"), label="blocked()")


def forbidden(text: str) -> Fault:
    """403 with "Forbidden: <text>" (e.g. "bot was kicked from the group chat")."""
    description = text if text.startswith("Forbidden:") else f"Forbidden: {text}"
    return Fault(ApiError(403, description), label=f"forbidden({text!r})")


def chat_not_found() -> Fault:
    """400 "chat not found": PTB raises ``BadRequest``."""
    return Fault(ApiError(400, "Bad Request: chat not found"), label="chat_not_found()")


def migrated(new_chat_id: int) -> Fault:
    """400 with ``parameters.migrate_to_chat_id``: PTB raises ``ChatMigrated``."""
    return Fault(ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                          {"migrate_to_chat_id": new_chat_id}),
                 label=f"migrated({new_chat_id})")


def bad_request(text: str) -> Fault:
    """400 with "Bad Request: <text>": PTB raises ``BadRequest``."""
    description = text if text.startswith("Bad Request:") else f"Bad Request: {text}"
    return Fault(ApiError(400, description), label=f"bad_request({text!r})")


def conflict(text: str = "terminated by other getUpdates request; make sure that only one "
                         "bot instance is running") -> Fault:
    """409 Conflict: PTB raises ``Conflict``."""
    return Fault(ApiError(409, f"Conflict: {text}"), label="conflict()")


def server_error(status: int = 500, *, html: bool = False) -> Fault:
    """A 5xx: PTB raises ``NetworkError``.  ``html=True`` sends nginx's HTML page, as Telegram's
    front end does for a 502, instead of a JSON body (PTB logs the unparsable body)."""
    phrase = _phrase(status)
    raw = _NGINX_502.replace(b"502 Bad Gateway", f"{status} {phrase}".encode()) if html else None
    return Fault(ApiError(status, phrase), raw_body=raw, label=f"server_error({status})")


def timeout(seconds: float = 30.0, *, processed: bool = True) -> Fault:
    """Hold the answer ``seconds``; with a shorter client read timeout PTB raises ``TimedOut``.
    ``processed=True`` (default): the call takes effect (message sent) before the hold;
    ``processed=False``: the hold comes first and a client that gives up leaves no effect."""
    return Fault(None, hold=seconds, hold_first=not processed,
                 label=f"timeout({seconds}, processed={processed})")


def error(status: int, description: str, parameters: Mapping[str, int] | None = None) -> Fault:
    """Any error answer."""
    return Fault(ApiError(status, description, parameters), label=f"error({status})")


@dataclass
class _FaultRule:
    method: str  # lower case, or "*"
    chat_id: str | None
    remaining: int | None
    fault: Fault


# --------------------------------------------------------------------------------------------
# Recording


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart request."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Call:
    """One API call as the fake received it, and how it answered."""

    method: str
    params: JSON
    files: dict[str, UploadedFile] = field(default_factory=dict)
    http_method: str = "POST"
    arrived: float = field(default_factory=time.monotonic)
    status: int | None = None
    response: JSON | None = None
    fault: str | None = None
    finished: bool = False
    abandoned: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def result(self) -> Any:
        return self.response.get("result") if self.response and self.ok else None

    @property
    def description(self) -> str | None:
        return self.response.get("description") if self.response else None

    @property
    def chat_id(self) -> ChatId | None:
        value = self.params.get("chat_id")
        return value if isinstance(value, int | str) else None

    @property
    def text(self) -> str | None:
        value = self.params.get("text", self.params.get("caption"))
        return value if isinstance(value, str) else None

    def summary(self) -> str:
        state = ("pending" if not self.finished else "abandoned" if self.abandoned
                 else str(self.status))
        text = f" text={self.text[:60]!r}" if self.text else ""
        fault = f" fault={self.fault}" if self.fault else ""
        return f"{self.method} chat_id={self.chat_id} -> {state}{fault}{text}"


class WaitTimeout(AssertionError):
    """``wait_for`` gave up; the message lists every call seen."""


# --------------------------------------------------------------------------------------------
# Telegram's HTML parse mode (a port of tdlib's parse_html)

_HTML_TAGS: Final = frozenset({
    "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
    "span", "pre", "code", "blockquote",
})
_ENTITY_TYPES: Final = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "a": "text_link", "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _u16(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the character reference at text[pos] == "&" → (char, next pos), or None when it
    is not one Telegram knows (then the "&" is a literal character)."""
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        base = 10
        if end < n and text[end] in "xX":
            base, end = 16, end + 1
        start = end
        digits = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
        while end < n and text[end] in digits:
            end += 1
        if end == start:
            return None
        code = int(text[start:end], base)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(text[pos + 1:end])
        if named is None:
            return None
        char = named
    if end < n and text[end] == ";":
        end += 1
    return char, end


def _trim(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Strip leading/trailing whitespace as Telegram does, keeping entities in place."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = _u16(text[:len(text) - len(text.lstrip())])
    limit = _u16(stripped)
    kept = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(limit, entity["offset"] + entity["length"] - shift)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def parse_html(text: str) -> tuple[str, list[JSON]]:
    """Telegram's HTML parse mode: → (plain text, entities), or ``ApiError`` 400 "can't parse
    entities: ..." with tdlib's messages and UTF-8 byte offsets."""

    def fail(message: str) -> ApiError:
        return ApiError(400, f"Bad Request: can't parse entities: {message}")

    def at(index: int) -> int:
        return len(text[:index].encode("utf-8"))

    out: list[str] = []
    pos = 0
    stack: list[list[Any]] = []  # [tag, argument, utf-16 start]
    entities: list[JSON] = []
    n = len(text)
    i = 0
    while i < n:
        char = text[i]
        if char == "&":
            decoded = _html_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                pos += _u16(decoded[0])
                i = decoded[1]
                continue
        if char != "<":
            out.append(char)
            pos += _u16(char)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and text[i] == "/":
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {at(begin)}")
            i += 1
            j = i
            while j < n and not text[j].isspace() and text[j] != ">":
                j += 1
            end_name = text[i:j].lower()
            while j < n and text[j].isspace():
                j += 1
            if j >= n or text[j] != ">":
                raise fail(f"Unclosed end tag at byte offset {at(begin)}")
            i = j + 1
            tag, argument, start = stack.pop()
            if end_name and end_name != tag:
                raise fail(f'Unmatched end tag at byte offset {at(begin)}, expected "</{tag}>", '
                           f'found "</{end_name}>"')
            if pos == start:
                continue
            if tag == "code" and stack and stack[-1][0] == "pre":
                if argument:
                    stack[-1][1] = argument  # <pre><code class="language-x">: pre with language
                continue
            entity: JSON = {"offset": start, "length": pos - start, "type": _ENTITY_TYPES[tag]}
            if tag == "a":
                url = argument or "".join(out)[-(pos - start):]
                if not re.match(r"(?i)(https?|tg|ftp)://|[\w-]+(\.[\w-]+)+", url):
                    continue
                entity["url"] = url
            elif tag == "pre" and argument:
                entity["language"] = argument
            elif tag == "blockquote" and argument == "expandable":
                entity["type"] = "expandable_blockquote"
            elif tag == "tg-emoji":
                if not argument:
                    continue
                entity["custom_emoji_id"] = argument
            entities.append(entity)
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise fail(f"Unclosed start tag at byte offset {at(begin)}")
        tag = text[i:j].lower()
        if tag not in _HTML_TAGS:
            raise fail(f'Unsupported start tag "{tag}" at byte offset {at(begin)}')
        i = j
        argument = ""
        while True:
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {at(begin)}")
            if text[i] == ">":
                i += 1
                break
            name_start = i
            while i < n and not text[i].isspace() and text[i] not in "=>":
                i += 1
            attribute = text[name_start:i].lower()
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {at(begin)}")
            if text[i] != "=":
                if tag == "blockquote" and attribute == "expandable":
                    argument = "expandable"
                    continue
                raise fail("Expected equal sign in declaration of an attribute of the tag "
                           f'"{tag}" at byte offset {at(begin)}')
            i += 1
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {at(begin)}")
            if text[i] in "'\"":
                quote = text[i]
                i += 1
                chars: list[str] = []
                while i < n and text[i] != quote:
                    decoded = _html_entity(text, i) if text[i] == "&" else None
                    if decoded is not None:
                        chars.append(decoded[0])
                        i = decoded[1]
                    else:
                        chars.append(text[i])
                        i += 1
                if i < n:
                    i += 1
                value = "".join(chars)
            else:
                token_start = i
                while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
                    i += 1
                value = text[token_start:i].lower()
                if i < n and not text[i].isspace() and text[i] != ">":
                    raise fail(f"Unexpected end of name token at byte offset {at(token_start)}")
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {at(begin)}")
            if tag == "a" and attribute == "href":
                argument = value
            elif tag == "code" and attribute == "class" and value.startswith("language-"):
                argument = value[len("language-"):]
            elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                argument = value[len("tg-"):]
            elif tag == "tg-emoji" and attribute == "emoji-id":
                argument = value
        if tag == "span" and argument != "spoiler":
            raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {at(begin)}')
        stack.append([tag, argument, pos])
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


# --------------------------------------------------------------------------------------------
# HTTP plumbing


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class _Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str = "application/json"


class _Conn:
    __slots__ = ("buf", "eof", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.buf = bytearray()
        self.eof = False

    async def fill(self) -> bool:
        if self.eof:
            return False
        data = await self.reader.read(65536)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    async def read_exact(self, size: int) -> bytes:
        while len(self.buf) < size:
            if not await self.fill():
                raise _HttpError(400, "body shorter than announced")
        data = bytes(self.buf[:size])
        del self.buf[:size]
        return data

    async def read_line(self) -> bytes:
        while (index := self.buf.find(b"\r\n")) < 0:
            if len(self.buf) > _MAX_HEADER or not await self.fill():
                raise _HttpError(400, "bad chunked body")
        line = bytes(self.buf[:index])
        del self.buf[:index + 2]
        return line


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _header_params(value: str) -> tuple[str, dict[str, str]]:
    """'form-data; name="photo"; filename="a.png"' → ("form-data", {...}), undoing httpx's
    HTML5 form escaping (%22 for quotes, %XX for control characters)."""
    head, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for match in re.finditer(r'\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)', rest):
        key, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"') and raw.endswith('"'):
            raw = raw[1:-1].replace("\\\\", "\\")
            raw = re.sub(r"%([01][0-9A-Fa-f]|22)", lambda m: chr(int(m.group(1), 16)), raw)
        if key.endswith("*"):  # RFC 5987: utf-8''name
            key = key[:-1]
            raw = unquote(raw.split("'", 2)[-1])
        params[key] = raw
    return head.strip().lower(), params


def _parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    delimiter = b"--" + boundary.encode("latin-1")
    parts = body.split(delimiter)
    for part in parts[1:]:
        if part.startswith(b"--"):
            break
        part = part.removeprefix(b"\r\n").removesuffix(b"\r\n")
        head, sep, data = part.partition(b"\r\n\r\n")
        if not sep:
            raise _HttpError(400, "malformed multipart part")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        _, disposition = _header_params(headers.get("content-disposition", ""))
        name = disposition.get("name")
        if name is None:
            raise _HttpError(400, "multipart part without a name")
        if "filename" in disposition or "content-type" in headers:
            files[name] = UploadedFile(name, disposition.get("filename"),
                                       headers.get("content-type"), data)
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields, files


def _decode_value(name: str, raw: str) -> Any:
    if name in _STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG, else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD,
                          0xCE, 0xCF):
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return int(width), int(height)
            i += 2 + int(struct.unpack(">H", data[i + 2:i + 4])[0])
    return None


def _chat_key(chat_id: Any) -> str:
    return str(chat_id)


def _is_group_id(chat_id: ChatId) -> bool:
    return str(chat_id).startswith(("-", "@"))


class _Windows:
    """Sliding-window flood limits; see the module docstring."""

    def __init__(self, global_per_s: int, per_chat_per_s: int, per_group_per_min: int) -> None:
        self.limits = (global_per_s, per_chat_per_s, per_group_per_min)
        self.global_times: deque[float] = deque()
        self.chat_times: dict[str, deque[float]] = {}
        self.group_times: dict[str, deque[float]] = {}

    @staticmethod
    def _wait(times: deque[float], limit: int, window: float, now: float, count: int) -> float:
        while times and times[0] <= now - window:
            times.popleft()
        if len(times) + count <= limit:
            return 0.0
        if count > limit:
            return window
        # Room for `count` more once the oldest len+count-limit entries leave the window.
        return times[len(times) + count - limit - 1] + window - now

    def check(self, chat_id: ChatId, now: float, count: int = 1) -> int | None:
        """Record `count` messages to `chat_id` at `now`, or return retry_after if refused."""
        key = _chat_key(chat_id)
        global_limit, chat_limit, group_limit = self.limits
        chat_times = self.chat_times.setdefault(key, deque())
        waits = [self._wait(self.global_times, global_limit, 1.0, now, count),
                 self._wait(chat_times, chat_limit, 1.0, now, count)]
        group_times = None
        if _is_group_id(chat_id):
            group_times = self.group_times.setdefault(key, deque())
            waits.append(self._wait(group_times, group_limit, 60.0, now, count))
        wait = max(waits)
        if wait > 0:
            return max(1, math.ceil(wait))
        for times in (self.global_times, chat_times, group_times):
            if times is not None:
                times.extend([now] * count)
        return None


# --------------------------------------------------------------------------------------------
# The fake


Handler = Callable[[Call], Awaitable[Any]]


class FakeBotApi:
    """A fake Bot API server; see the module docstring.  Use ``async with FakeBotApi() as api``
    (or ``await api.start()`` / ``await api.stop()``) inside the test's event loop."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        bot_username: str = BOT_USERNAME,
        bot_first_name: str = BOT_FIRST_NAME,
        enforce_limits: bool = False,
        global_per_s: int = 30,
        per_chat_per_s: int = 1,
        per_group_per_min: int = 20,
        long_poll_cap: float = 2.0,
        strict_chats: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_user: JSON = {
            "id": self.bot_id, "is_bot": True, "first_name": bot_first_name,
            "username": bot_username,
        }
        self.enforce_limits = enforce_limits
        self.long_poll_cap = long_poll_cap
        self.strict_chats = strict_chats
        self.host = host
        self._port = port

        self.calls: list[Call] = []
        self.downloads: list[str] = []
        self.limit_hits = 0
        self.connections_accepted = 0
        self.internal_errors: list[str] = []

        self._limiter = _Windows(global_per_s, per_chat_per_s, per_group_per_min)
        self._faults: list[_FaultRule] = []
        self._delay = 0.0

        self._updates: list[JSON] = []
        self._next_update_id = 100_000_001
        self._allowed_updates: set[str] | None = None
        self._poll_generation = 0
        self._webhook: JSON = {"url": ""}
        self._chats: dict[str, JSON] = {}
        self._users: dict[int, JSON] = {self.bot_id: self.bot_user}
        self._messages: dict[tuple[str, int], JSON] = {}
        self._next_message_id: dict[str, int] = {}
        self._members: dict[tuple[str, int], str] = {}
        self._member_fields: dict[tuple[str, int], JSON] = {}  # set_member's extra fields
        self._migrated: dict[str, int] = {}
        self._callback_queries: dict[str, bool] = {}  # id → answered
        self._commands: dict[str, list[JSON]] = {}
        self._inline_queries: dict[str, bool] = {}  # id -> answered
        # setMyDescription / setMyShortDescription, by language code ("" for every language).
        self.descriptions: dict[str, dict[str, str]] = {"description": {},
                                                         "short_description": {}}
        self._files: dict[str, JSON] = {}  # file_id → {"data", "file_path", "file_unique_id"}
        self._file_paths: dict[str, bytes] = {}
        self._counter = itertools.count(1)

        self._server: asyncio.Server | None = None
        self._conn_tasks: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._updates_signal: asyncio.Event | None = None
        self._calls_signal: asyncio.Event | None = None
        self._stopped: asyncio.Event | None = None

        self._handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "setMyDescription": self._set_my_description,
            "getMyDescription": self._get_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyShortDescription": self._get_my_short_description,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "sendChatAction": self._send_chat_action,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendMediaGroup": self._send_media_group,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "deleteMessage": self._delete_message,
            "leaveChat": self._leave_chat,
            "getFile": self._get_file,
        }
        self._method_names = {name.lower(): name for name in self._handlers}

    # ---------------------------------------------------------------- lifecycle and addresses

    async def start(self) -> FakeBotApi:
        if self._server is not None:
            return self
        self._closing = False
        self._updates_signal = asyncio.Event()
        self._calls_signal = asyncio.Event()
        self._stopped = asyncio.Event()
        self._server = await asyncio.start_server(self._on_connect, self.host, self._port)
        self._port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        """Close the port, every connection and every waiting request; idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        self._closing = True
        server.close()
        if self._stopped is not None:
            self._stopped.set()
        self._signal_updates()
        self._signal_calls()
        # A connection accepted just before close() may start its task a moment later.
        for _ in range(3):
            await asyncio.sleep(0)
            tasks = list(self._conn_tasks)
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("FakeBotApi is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)`` / ``Bot(base_url=...)``."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by an offset."""
        return copy.deepcopy(self._updates)

    # ---------------------------------------------------------------- configuration

    def fail(self, method: str, chat_id: ChatId | None = None, times: int | None = 1, *,
             error: Fault) -> None:
        """Answer the next ``times`` calls of ``method`` (any method for ``"*"``), to
        ``chat_id`` if given, with ``error`` (a ``Fault`` from ``retry_after()``,
        ``blocked()``...).  Rules are consumed in the order added; ``times=None``: forever."""
        self._faults.append(_FaultRule(method.lower(), None if chat_id is None
                                       else _chat_key(chat_id), times, error))

    def clear_faults(self) -> None:
        self._faults.clear()

    def delay(self, seconds: float) -> None:
        """Hold every answer ``seconds`` (after processing the call); 0 to stop."""
        self._delay = max(0.0, seconds)

    def set_member(self, chat_id: ChatId, user_id: int, status: MemberStatus,
                   **fields: Any) -> None:
        """What ``getChatMember(chat_id, user_id)`` answers (default "member"): the status's
        full shape (``member``), with ``fields`` added or replaced, and a field given as
        None left out (as an older Bot API server leaves out a newer field)."""
        key = (_chat_key(chat_id), user_id)
        self._members[key] = status
        self._member_fields[key] = dict(fields)

    def clear_calls(self) -> None:
        self.calls.clear()

    # ---------------------------------------------------------------- recording

    def sent(self, method: str = "sendMessage", chat_id: ChatId | None = None) -> list[Call]:
        """Calls of ``method`` (to ``chat_id`` if given), in arrival order, answered or not,
        successful or not (see ``Call.ok``)."""
        key = None if chat_id is None else _chat_key(chat_id)
        return [c for c in self.calls if c.method.lower() == method.lower()
                and (key is None or _chat_key(c.params.get("chat_id")) == key)]

    async def wait_for(self, method: str, count: int = 1,
                       timeout: float = 5.0,  # noqa: ASYNC109 - the API the tests read best
                       *, chat_id: ChatId | None = None, answered: bool = True) -> list[Call]:
        """Wait until ``count`` calls of ``method`` (to ``chat_id``) have been answered (or
        abandoned by the client); ``answered=False`` counts arrivals.  Returns every matching
        call so far; raises ``WaitTimeout`` listing all calls seen."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            matching = [c for c in self.sent(method, chat_id) if c.finished or not answered]
            if len(matching) >= count:
                return matching
            remaining = deadline - loop.time()
            if remaining <= 0 or self._calls_signal is None:
                seen = "\n  ".join(c.summary() for c in self.calls) or "(none)"
                raise WaitTimeout(
                    f"waited {timeout}s for {count} {method} call(s)"
                    f"{'' if chat_id is None else f' to chat {chat_id}'}, got {len(matching)}."
                    f"\nCalls seen:\n  {seen}")
            signal = self._calls_signal
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await signal.wait()

    def _signal_calls(self) -> None:
        if self._calls_signal is not None:
            self._calls_signal.set()
            self._calls_signal = asyncio.Event()

    def _signal_updates(self) -> None:
        if self._updates_signal is not None:
            self._updates_signal.set()
            self._updates_signal = asyncio.Event()

    # ---------------------------------------------------------------- update injection

    def push_update(self, update: Mapping[str, Any]) -> JSON:
        """Queue a raw update for getUpdates; returns the queued copy (with its update_id)."""
        queued: JSON = copy.deepcopy(dict(update))
        if "update_id" not in queued:
            queued["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(queued["update_id"]) + 1)
        self._absorb(queued)
        self._updates.append(queued)
        self._updates.sort(key=lambda u: int(u["update_id"]))
        self._signal_updates()
        return queued

    def _absorb(self, update: JSON) -> None:
        """Apply an update's effects on the fake's state."""
        for kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
            if kind in update:
                self._remember_message(update[kind])
                new_id = update[kind].get("migrate_to_chat_id")
                if new_id is not None:
                    old = update[kind]["chat"]
                    self._migrated[_chat_key(old["id"])] = int(new_id)
                    self._remember_chat({"id": int(new_id), "type": "supergroup",
                                         "title": old.get("title", "Group")})
        inline = update.get("inline_query")
        if inline is not None:
            self._inline_queries.setdefault(str(inline["id"]), False)
            self._remember_user(inline.get("from"))
        query = update.get("callback_query")
        if query is not None:
            self._callback_queries.setdefault(str(query["id"]), False)
            self._remember_user(query.get("from"))
            if isinstance(query.get("message"), dict) and query["message"].get("date"):
                key = (_chat_key(query["message"]["chat"]["id"]), query["message"]["message_id"])
                if key not in self._messages:
                    self._remember_message(query["message"])
        for kind in ("my_chat_member", "chat_member"):
            member_update = update.get(kind)
            if member_update is not None:
                chat = member_update["chat"]
                self._remember_chat(chat)
                new = member_update["new_chat_member"]
                key = (_chat_key(chat["id"]), int(new["user"]["id"]))
                self._members[key] = new["status"]
                self._member_fields.pop(key, None)

    def _remember_user(self, user: Any) -> None:
        if isinstance(user, dict) and "id" in user:
            self._users.setdefault(int(user["id"]), user)

    def _remember_chat(self, chat: JSON) -> None:
        self._chats[_chat_key(chat["id"])] = chat
        if chat.get("username"):
            self._chats[f"@{chat['username']}".lower()] = chat

    def _remember_message(self, message: JSON) -> None:
        chat = message["chat"]
        self._remember_chat(chat)
        self._remember_user(message.get("from"))
        key = _chat_key(chat["id"])
        self._messages[(key, int(message["message_id"]))] = message
        self._next_message_id[key] = max(self._next_message_id.get(key, 1),
                                         int(message["message_id"]) + 1)

    def _new_message_id(self, chat_id: ChatId) -> int:
        key = _chat_key(chat_id)
        message_id = self._next_message_id.get(key, 1)
        self._next_message_id[key] = message_id + 1
        return message_id

    # ---------------------------------------------------------------- builders

    @staticmethod
    def user(user_id: int = USER_ID, first_name: str = "Alice",
             username: str | None = "alice_ldn", language_code: str | None = "en") -> JSON:
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def chat(self, chat_id: ChatId | None = None, chat_type: ChatType = "private", *,
             user: JSON | None = None, title: str | None = None) -> JSON:
        """A Chat as Telegram sends it: private chats have the user's names, others a title."""
        if chat_type == "private":
            person = user or self.user()
            chat: JSON = {"id": person["id"] if chat_id is None else chat_id,
                          "first_name": person["first_name"], "type": "private"}
            if person.get("username"):
                chat["username"] = person["username"]
            return chat
        default_id = {"group": GROUP_ID, "supergroup": SUPERGROUP_ID,
                      "channel": -1001111111111}[chat_type]
        return {"id": default_id if chat_id is None else chat_id,
                "title": title or ("WardWatch channel" if chat_type == "channel"
                                   else "Neighbourhood watch"),
                "type": chat_type}

    def _chat_type_for(self, chat_id: ChatId) -> ChatType:
        known = self._chats.get(_chat_key(chat_id))
        if known is not None:
            return known["type"]  # type: ignore[no-any-return]
        if not _is_group_id(chat_id):
            return "private"
        return "supergroup" if str(chat_id).startswith(("-100", "@")) else "group"

    def _message_body(
        self,
        text: str | None,
        *,
        chat_id: ChatId | None,
        chat_type: ChatType | None,
        user_id: int,
        first_name: str,
        username: str | None,
        title: str | None,
        message_id: int | None,
        date: int | None,
        entities: list[JSON] | None,
        reply_to_message_id: int | None,
        fields: Mapping[str, Any],
    ) -> JSON:
        kind: ChatType = chat_type or (
            "private" if chat_id is None else self._chat_type_for(chat_id))
        sender = self.user(user_id, first_name, username)
        known = self._chats.get(_chat_key(chat_id)) if chat_id is not None else None
        chat = dict(known) if known is not None else self.chat(chat_id, kind, user=sender,
                                                              title=title)
        message: JSON = {
            "message_id": message_id if message_id is not None
            else self._new_message_id(chat["id"]),
            "from": sender,
            "chat": chat,
            "date": date if date is not None else int(time.time()),
        }
        if kind == "channel":
            del message["from"]
            message["sender_chat"] = chat
        if reply_to_message_id is not None:
            replied = self._messages.get((_chat_key(chat["id"]), reply_to_message_id))
            message["reply_to_message"] = copy.deepcopy(replied) if replied else {
                "message_id": reply_to_message_id, "from": self.bot_user, "chat": chat,
                "date": message["date"] - 60, "text": "…"}
            message["reply_to_message"].pop("reply_to_message", None)
        if text is not None:
            message["text"] = text
            found = entities if entities is not None else self.command_entities(text)
            if found:
                message["entities"] = found
        message.update(fields)
        return message

    @staticmethod
    def command_entities(text: str) -> list[JSON]:
        """bot_command entities where Telegram marks them (a /command at a word start)."""
        return [{"offset": _u16(text[:m.start()]), "length": _u16(m.group()),
                 "type": "bot_command"} for m in _COMMAND_RE.finditer(text)]

    def message(
        self,
        text: str | None = None,
        *,
        chat_id: ChatId | None = None,
        chat_type: ChatType | None = None,
        user_id: int = USER_ID,
        first_name: str = "Alice",
        username: str | None = "alice_ldn",
        title: str | None = None,
        message_id: int | None = None,
        date: int | None = None,
        entities: list[JSON] | None = None,
        reply_to_message_id: int | None = None,
        **fields: Any,
    ) -> JSON:
        """``{"message": {...}}`` from a user.  A private chat (id = user id) unless
        ``chat_type``/``chat_id`` say otherwise; /commands get bot_command entities unless
        ``entities`` is given; ``fields`` are added to the message as they are."""
        return {"message": self._message_body(
            text, chat_id=chat_id, chat_type=chat_type, user_id=user_id, first_name=first_name,
            username=username, title=title, message_id=message_id, date=date,
            entities=entities, reply_to_message_id=reply_to_message_id, fields=fields)}

    def edited_message(self, text: str, *, message_id: int | None = None,
                       **kwargs: Any) -> JSON:
        """``{"edited_message": {...}}``: ``message_id`` of the original (default: a new id),
        sent a minute ago and edited now."""
        now = int(time.time())
        kwargs.setdefault("date", now - 60)
        body = self.message(text, message_id=message_id, edit_date=now, **kwargs)["message"]
        return {"edited_message": body}

    def location(self, latitude: float, longitude: float, *,
                 horizontal_accuracy: float | None = None, live_period: int | None = None,
                 **kwargs: Any) -> JSON:
        """A shared location."""
        location: JSON = {"latitude": latitude, "longitude": longitude}
        if horizontal_accuracy is not None:
            location["horizontal_accuracy"] = horizontal_accuracy
        if live_period is not None:
            location["live_period"] = live_period
        return self.message(None, location=location, **kwargs)

    def venue(self, latitude: float, longitude: float, title: str = "Tate Modern",
              address: str = "Bankside, London SE1 9TG", **kwargs: Any) -> JSON:
        """A shared venue: Telegram sends both ``venue`` and ``location``."""
        location = {"latitude": latitude, "longitude": longitude}
        return self.message(None, venue={"location": location, "title": title,
                                         "address": address},
                            location=location, **kwargs)

    def sticker(self, emoji: str = "👍", **kwargs: Any) -> JSON:
        n = next(self._counter)
        sticker = {"file_id": f"CAACAgIAAxkBAAE{n:010d}", "file_unique_id": f"AgAD{n:08d}",
                   "type": "regular", "width": 512, "height": 512, "is_animated": False,
                   "is_video": False, "emoji": emoji, "set_name": "HotCherry",
                   "file_size": 24_000}
        return self.message(None, sticker=sticker, **kwargs)

    def photo(self, caption: str | None = None, *, data: bytes | None = None,
              width: int = 1280, height: int = 960, **kwargs: Any) -> JSON:
        """A photo from a user (sizes as Telegram makes them); with ``data`` the bot can
        download it through getFile."""
        payload = data if data is not None else b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9"
        sizes = self._photo_sizes(payload, "photos", "photo.jpg", (width, height))
        fields: JSON = {"photo": sizes}
        if caption is not None:
            fields["caption"] = caption
            found = self.command_entities(caption)
            if found:
                fields["caption_entities"] = found
        return self.message(None, **fields, **kwargs)

    def callback_query(
        self,
        data: str,
        *,
        message_id: int | None = None,
        chat_id: ChatId | None = None,
        chat_type: ChatType | None = None,
        user_id: int = USER_ID,
        first_name: str = "Alice",
        username: str | None = "alice_ldn",
        message_text: str = "…",
        reply_markup: JSON | None = None,
        query_id: str | None = None,
    ) -> JSON:
        """``{"callback_query": {...}}``: a press on a button of a bot message.  The message is
        the one the fake knows at (chat, message_id), e.g. one the bot sent; otherwise a bot
        message with ``message_text`` and a keyboard holding ``data``."""
        sender = self.user(user_id, first_name, username)
        if chat_id is None:
            chat_id = user_id if chat_type in (None, "private") else self.chat(
                None, chat_type or "private")["id"]
        kind: ChatType = chat_type or self._chat_type_for(chat_id)
        known = self._messages.get((_chat_key(chat_id), message_id or -1))
        if known is not None:
            message = copy.deepcopy(known)
        else:
            chat = dict(self._chats.get(_chat_key(chat_id))
                        or self.chat(chat_id, kind, user=sender))
            message = {
                "message_id": message_id if message_id is not None
                else self._new_message_id(chat_id),
                "from": self.bot_user, "chat": chat, "date": int(time.time()) - 30,
                "text": message_text,
                "reply_markup": reply_markup or {"inline_keyboard": [[
                    {"text": "More", "callback_data": data}]]},
            }
        n = next(self._counter)
        return {"callback_query": {
            "id": query_id or str(4_417_000_000_000_000_000 + n),
            "from": sender,
            "message": message,
            "chat_instance": str(-(zlib.crc32(_chat_key(chat_id).encode()) * 7_919_000_003)),
            "data": data,
        }}

    def inline_callback_query(
        self,
        data: str,
        *,
        inline_message_id: str | None = "AgAAAN4cAQBUm0gFvf3L0hd1sHk",
        user_id: int = USER_ID,
        first_name: str = "Alice",
        username: str | None = "alice_ldn",
        query_id: str | None = None,
    ) -> JSON:
        """``{"callback_query": {...}}`` with no ``message``: a press on a button of a message
        sent through inline mode (it has ``inline_message_id`` instead; Telegram gives no chat),
        or, with ``inline_message_id=None``, a press that carries neither."""
        n = next(self._counter)
        query: JSON = {
            "id": query_id or str(4_417_000_000_000_000_000 + n),
            "from": self.user(user_id, first_name, username),
            "chat_instance": str(-(n * 7_919_000_003)),
            "data": data,
        }
        if inline_message_id is not None:
            query["inline_message_id"] = inline_message_id
        return {"callback_query": query}

    def inline_query(self, query: str, *, user_id: int = USER_ID, first_name: str = "Alice",
                     username: str | None = "alice_ldn", chat_type: str = "private",
                     query_id: str | None = None) -> JSON:
        """``{"inline_query": {...}}``: the user typed ``@bot <query>`` in a chat of
        ``chat_type`` (as Telegram says it: "sender", "private", "group", "supergroup",
        "channel").  Telegram gives no chat."""
        n = next(self._counter)
        return {"inline_query": {
            "id": query_id or str(5_511_000_000_000_000_000 + n),
            "from": self.user(user_id, first_name, username),
            "query": query, "offset": "", "chat_type": chat_type,
        }}

    def member(self, user: JSON, status: MemberStatus) -> JSON:
        """A ChatMember of ``status`` with every field PTB requires for it."""
        member: JSON = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                can_be_edited=False, is_anonymous=False, can_manage_chat=True,
                can_delete_messages=True, can_manage_video_chats=True,
                can_restrict_members=True, can_promote_members=False, can_change_info=True,
                can_invite_users=True, can_post_stories=False, can_edit_stories=False,
                can_delete_stories=False, can_pin_messages=True)
        elif status == "restricted":
            member.update(
                is_member=True, can_send_messages=False, can_send_audios=False,
                can_send_documents=False, can_send_photos=False, can_send_videos=False,
                can_send_video_notes=False, can_send_voice_notes=False, can_send_polls=False,
                can_send_other_messages=False, can_add_web_page_previews=False,
                can_change_info=False, can_invite_users=False, can_pin_messages=False,
                can_manage_topics=False, can_edit_tag=False, can_react_to_messages=False,
                until_date=0)
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def my_chat_member(
        self,
        chat_id: ChatId,
        old_status: MemberStatus = "member",
        new_status: MemberStatus = "kicked",
        *,
        chat_type: ChatType | None = None,
        user_id: int | None = None,
        title: str | None = None,
    ) -> JSON:
        """``{"my_chat_member": {...}}``: the bot's own status changed in ``chat_id`` (a user
        blocking the bot is private ``member`` → ``kicked``).  Pushed, it sets the bot's status
        there: sends to a chat that kicked or dropped the bot then fail with 403."""
        kind: ChatType = chat_type or self._chat_type_for(chat_id)
        actor = self.user(user_id if user_id is not None
                          else (int(chat_id) if kind == "private" else USER_ID))
        known = self._chats.get(_chat_key(chat_id))
        chat = dict(known) if known else self.chat(chat_id, kind, user=actor, title=title)
        return {"my_chat_member": {
            "chat": chat, "from": actor, "date": int(time.time()),
            "old_chat_member": self.member(self.bot_user, old_status),
            "new_chat_member": self.member(self.bot_user, new_status),
        }}

    def migrate_to(self, old_chat_id: ChatId = GROUP_ID, new_chat_id: int = SUPERGROUP_ID,
                   **kwargs: Any) -> JSON:
        """The service message in the old group saying it became ``new_chat_id``.  Pushed, it
        makes sends to the old id fail with ``migrate_to_chat_id`` (PTB ``ChatMigrated``)."""
        kwargs.setdefault("chat_type", "group")
        return self.message(None, chat_id=old_chat_id, migrate_to_chat_id=new_chat_id, **kwargs)

    def migrate_from(self, new_chat_id: int = SUPERGROUP_ID, old_chat_id: int = GROUP_ID,
                     **kwargs: Any) -> JSON:
        """The service message in the new supergroup naming the group it came from."""
        kwargs.setdefault("chat_type", "supergroup")
        return self.message(None, chat_id=new_chat_id, migrate_from_chat_id=old_chat_id,
                            **kwargs)

    # ---------------------------------------------------------------- HTTP server

    async def _on_connect(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if self._closing or task is None:
            writer.close()
            return
        self._conn_tasks.add(task)
        self.connections_accepted += 1
        conn = _Conn(reader, writer)
        try:
            while not self._closing:
                try:
                    request = await self._read_request(conn)
                except _HttpError as exc:
                    await self._write(conn, _Answer(exc.status, _json_bytes(
                        {"ok": False, "error_code": exc.status, "description": str(exc)})),
                        keep_alive=False)
                    break
                if request is None:
                    break
                answer = await self._answer_while_connected(conn, request)
                if answer is None:
                    break
                await self._write(conn, answer, request.keep_alive)
                if not request.keep_alive:
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            self._conn_tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read_request(self, conn: _Conn) -> _Request | None:
        while (end := conn.buf.find(b"\r\n\r\n")) < 0:
            if len(conn.buf) > _MAX_HEADER:
                raise _HttpError(431, "Request Header Fields Too Large")
            if not await conn.fill():
                if conn.buf.strip():
                    raise _HttpError(400, "incomplete request")
                return None
        head = bytes(conn.buf[:end]).decode("latin-1")
        del conn.buf[:end + 4]
        request_line, *header_lines = head.split("\r\n")
        try:
            method, target, version = request_line.split(" ")
        except ValueError:
            raise _HttpError(400, "malformed request line") from None
        headers: dict[str, str] = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep:
                raise _HttpError(400, "malformed header")
            headers[name.strip().lower()] = value.strip()
        connection = headers.get("connection", "").lower()
        keep_alive = ("close" not in connection if version == "HTTP/1.1"
                      else "keep-alive" in connection)
        if headers.get("expect", "").lower() == "100-continue":
            conn.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = bytearray()
            while True:
                size_line = await conn.read_line()
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise _HttpError(400, "bad chunk size") from None
                if size == 0:
                    while await conn.read_line():
                        pass
                    break
                body += (await conn.read_exact(size + 2))[:-2]
                if len(body) > _MAX_BODY:
                    raise _HttpError(413, "Request Entity Too Large")
            data = bytes(body)
        else:
            try:
                length = int(headers.get("content-length", "0"))
            except ValueError:
                raise _HttpError(400, "bad Content-Length") from None
            if length > _MAX_BODY:
                raise _HttpError(413, "Request Entity Too Large")
            data = await conn.read_exact(length)
        return _Request(method.upper(), target, headers, data, keep_alive)

    async def _answer_while_connected(self, conn: _Conn, request: _Request) -> _Answer | None:
        """Answer ``request``, watching the socket meanwhile: a client that hangs up (a
        cancelled long poll, a read timeout) cancels the work; returns None then."""
        work: asyncio.Task[_Answer] = asyncio.create_task(self._respond(request))
        watch: asyncio.Task[bytes] | None = None
        try:
            while True:
                if watch is None and not conn.eof:
                    watch = asyncio.create_task(conn.reader.read(65536))
                waiting: set[asyncio.Task[Any]] = {work} if watch is None else {work, watch}
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if work in done:
                    return work.result()
                assert watch is not None
                try:
                    data = watch.result()
                except (ConnectionError, OSError):
                    data = b""
                watch = None
                if not data:
                    conn.eof = True
                    return None
                conn.buf += data  # a pipelined request: keep it for later
        finally:
            for task in (work, watch):
                if task is not None and not task.done():
                    task.cancel()
            await asyncio.gather(*(t for t in (work, watch) if t is not None),
                                 return_exceptions=True)

    async def _write(self, conn: _Conn, answer: _Answer, keep_alive: bool) -> None:
        head = (
            f"HTTP/1.1 {answer.status} {_phrase(answer.status)}\r\n"
            "Server: nginx/1.18.0\r\n"
            f"Date: {email.utils.formatdate(usegmt=True)}\r\n"
            f"Content-Type: {answer.content_type}\r\n"
            f"Content-Length: {len(answer.body)}\r\n"
            f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
        )
        conn.writer.write(head.encode("latin-1") + answer.body)
        await conn.writer.drain()

    # ---------------------------------------------------------------- dispatch

    async def _respond(self, request: _Request) -> _Answer:
        url = urlsplit(request.target)
        path = unquote(url.path)
        if path.startswith("/file/bot"):
            return self._download(path[len("/file/bot"):])
        match = re.fullmatch(r"/bot([^/]*)/([A-Za-z0-9_]*)", path)
        if match is None:
            return _Answer(404, _json_bytes(ApiError(404, "Not Found").payload()))
        token, raw_method = match.groups()
        try:
            params, files = self._parse_params(request, url.query)
        except _HttpError as exc:
            params, files = {}, {}
            parse_error: ApiError | None = ApiError(400, f"Bad Request: {exc}")
        else:
            parse_error = None
        call = Call(self._method_names.get(raw_method.lower(), raw_method), params, files,
                    http_method=request.method)
        self.calls.append(call)
        self._signal_calls()
        try:
            if parse_error is not None:
                raise parse_error
            status, payload, raw = await self._process(call, token)
        except ApiError as exc:
            status, payload, raw = exc.status, exc.payload(), None
        except asyncio.CancelledError:
            call.abandoned = call.finished = True
            self._signal_calls()
            raise
        except Exception as exc:  # a bug in the fake: a 500 the test can see
            self.internal_errors.append(f"{call.method}: {exc!r}")
            status = 500
            payload = ApiError(500, f"Internal Server Error: fake failed: {exc!r}").payload()
            raw = None
        call.status, call.response, call.finished = status, payload, True
        self._signal_calls()
        if raw is not None:
            return _Answer(status, raw, "text/html")
        return _Answer(status, _json_bytes(payload))

    def _parse_params(self, request: _Request,
                      query: str) -> tuple[JSON, dict[str, UploadedFile]]:
        params: JSON = {k: _decode_value(k, v) for k, v in parse_qsl(query,
                                                                      keep_blank_values=True)}
        files: dict[str, UploadedFile] = {}
        if not request.body:
            return params, files
        content_type, ct_params = _header_params(request.headers.get("content-type", ""))
        if content_type == "application/json":
            try:
                body = json.loads(request.body)
            except ValueError:
                raise _HttpError(400, "can't parse JSON encoded request body") from None
            if not isinstance(body, dict):
                raise _HttpError(400, "JSON body must be an object")
            params.update(body)
        elif content_type == "multipart/form-data":
            boundary = ct_params.get("boundary")
            if not boundary:
                raise _HttpError(400, "multipart body without boundary")
            fields, files = _parse_multipart(request.body, boundary)
            params.update({k: _decode_value(k, v) for k, v in fields.items()})
        else:  # application/x-www-form-urlencoded, as PTB sends without files
            text = request.body.decode("utf-8", "replace")
            params.update({k: _decode_value(k, v)
                           for k, v in parse_qsl(text, keep_blank_values=True)})
        return params, files

    def _take_fault(self, call: Call) -> Fault | None:
        key = _chat_key(call.params.get("chat_id"))
        for rule in self._faults:
            if rule.method not in ("*", call.method.lower()):
                continue
            if rule.chat_id is not None and rule.chat_id != key:
                continue
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._faults.remove(rule)
            return rule.fault
        return None

    async def _process(self, call: Call, token: str) -> tuple[int, JSON, bytes | None]:
        if ":" not in token:
            raise ApiError(404, "Not Found")
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        handler = self._handlers.get(call.method)
        if handler is None:
            raise ApiError(404, "Not Found")
        fault = self._take_fault(call)
        hold = self._delay
        if fault is not None:
            call.fault = fault.label
            hold = max(hold, fault.hold)
            if fault.error is not None:
                if hold:
                    await asyncio.sleep(hold)
                return fault.error.status, fault.error.payload(), fault.raw_body
            if fault.hold_first:
                await asyncio.sleep(hold)
                hold = 0.0
        if self.enforce_limits and call.method in _SEND_METHODS and "chat_id" in call.params:
            count = len(call.params.get("media") or []) if call.method == "sendMediaGroup" else 1
            wait = self._limiter.check(call.params["chat_id"], time.monotonic(), max(1, count))
            if wait is not None:
                self.limit_hits += 1
                raise ApiError(429, f"Too Many Requests: retry after {wait}",
                               {"retry_after": wait})
        result = await handler(call)
        if hold:
            await asyncio.sleep(hold)
        return 200, {"ok": True, "result": result}, None

    def _download(self, rest: str) -> _Answer:
        token, _, file_path = rest.partition("/")
        data = self._file_paths.get(file_path) if token == self.token else None
        self.downloads.append(file_path)
        if data is None:
            return _Answer(404, _json_bytes(ApiError(404, "Not Found").payload()))
        return _Answer(200, data, "application/octet-stream")

    # ---------------------------------------------------------------- parameter helpers

    @staticmethod
    def _int(call: Call, name: str, *, required: bool = True) -> int | None:
        value = call.params.get(name)
        if value is None or value == "":
            if required:
                raise ApiError(400, f"Bad Request: {name} is empty")
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError(400, f"Bad Request: invalid {name} specified") from None

    def _target_chat(self, call: Call, *, sending: bool = True) -> JSON:
        """The chat of ``chat_id``, after Telegram's checks: migrated group, unknown chat, bot
        blocked/kicked/not a member."""
        raw = call.params.get("chat_id")
        if raw is None or raw == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        key = _chat_key(raw).lower() if str(raw).startswith("@") else _chat_key(raw)
        if key in self._migrated:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": self._migrated[key]})
        chat = self._chats.get(key)
        if chat is None:
            if self.strict_chats or str(raw).startswith("@"):
                raise ApiError(400, "Bad Request: chat not found")
            try:
                chat_id = int(raw)
            except (TypeError, ValueError):
                raise ApiError(400, "Bad Request: chat not found") from None
            kind = self._chat_type_for(chat_id)
            chat = (self.chat(chat_id, "private", user=self.user(chat_id, "User", None, None))
                    if kind == "private" else self.chat(chat_id, kind))
            self._remember_chat(chat)
        if sending:
            status = self._members.get((_chat_key(chat["id"]), self.bot_id))
            kind = chat["type"]
            where = "channel chat" if kind == "channel" else f"{kind} chat"
            if status == "kicked":
                raise ApiError(403, "Forbidden: bot was blocked by the user" if kind == "private"
                               else f"Forbidden: bot was kicked from the {where}")
            if status == "left" and kind != "private":
                raise ApiError(403, f"Forbidden: bot is not a member of the {where}")
        return chat

    def _formatted(self, call: Call, name: str, limit: int, *,
                   required: bool) -> tuple[str | None, list[JSON]]:
        raw = call.params.get(name)
        entity_param = "entities" if name == "text" else "caption_entities"
        if raw is None or raw == "":
            if required:
                raise ApiError(400, "Bad Request: message text is empty")
            return None, []
        text = str(raw)
        parse_mode = str(call.params.get("parse_mode") or "")
        if parse_mode.lower() == "html":
            text, entities = parse_html(text)
        elif parse_mode.lower() in ("", "markdown", "markdownv2"):
            given = call.params.get(entity_param)
            entities = list(given) if isinstance(given, list) and not parse_mode else []
        else:
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        text, entities = _trim(text, entities)
        if not text:
            if required:
                raise ApiError(400, "Bad Request: message text is empty")
            return None, []
        if len(text) > limit:
            raise ApiError(400, "Bad Request: message is too long" if name == "text"
                           else "Bad Request: message caption is too long")
        return text, entities

    @staticmethod
    def _inline_markup(call: Call) -> JSON | None:
        """The reply_markup to echo (inline keyboards only), after Telegram's button checks."""
        markup = call.params.get("reply_markup")
        if not isinstance(markup, dict):
            return None
        keyboard = markup.get("inline_keyboard")
        if keyboard is None:
            return None
        if not isinstance(keyboard, list):
            raise ApiError(400, "Bad Request: can't parse inline keyboard button: "
                                "InlineKeyboardMarkup must be an Array of Arrays")
        for row in keyboard:
            for button in row:
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the "
                                        "inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if len(button) < 2:
                    raise ApiError(400, "Bad Request: text buttons are unallowed in the "
                                        "inline keyboard")
        return {"inline_keyboard": keyboard}

    def _outgoing(self, call: Call, chat: JSON, **content: Any) -> JSON:
        """A new bot message in ``chat``, remembered for later edits."""
        message: JSON = {
            "message_id": self._new_message_id(chat["id"]),
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
        }
        if chat["type"] == "channel":
            message["sender_chat"] = chat
        reply_to = None
        parameters = call.params.get("reply_parameters")
        if isinstance(parameters, dict):
            reply_to = parameters.get("message_id")
        reply_to = reply_to or call.params.get("reply_to_message_id")
        if reply_to is not None:
            replied = self._messages.get((_chat_key(chat["id"]), int(reply_to)))
            if replied is not None:
                message["reply_to_message"] = {k: v for k, v in replied.items()
                                               if k != "reply_to_message"}
        message.update({k: v for k, v in content.items() if v not in (None, [])})
        markup = self._inline_markup(call)
        if markup is not None:
            message["reply_markup"] = markup
        self._messages[(_chat_key(chat["id"]), message["message_id"])] = message
        return copy.deepcopy(message)

    def _store_file(self, data: bytes, folder: str, filename: str, prefix: str) -> JSON:
        n = next(self._counter)
        file_id = f"{prefix}{n:010d}"
        extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        record: JSON = {"file_id": file_id, "file_unique_id": f"AQAD{n:08d}",
                        "file_size": len(data), "file_path": f"{folder}/file_{n}.{extension}"}
        self._files[file_id] = record
        self._file_paths[record["file_path"]] = data
        return record

    def _photo_sizes(self, data: bytes, folder: str, filename: str,
                     size: tuple[int, int] | None = None) -> list[JSON]:
        width, height = size or _image_size(data) or (800, 600)
        largest = max(width, height, 1)
        sizes: list[JSON] = []
        for limit in (90, 320, 800, 1280):  # Telegram's s/m/x/y sizes: the largest is 1280
            scale = min(1.0, limit / largest)
            w, h = max(1, round(width * scale)), max(1, round(height * scale))
            share = len(data) if scale == 1.0 else max(1, int(len(data) * scale * scale))
            record = self._store_file(data, folder, filename, "AgACAgQAAxkDAAI")
            record["file_size"] = share
            self._files[record["file_id"]]["file_size"] = share
            sizes.append({"file_id": record["file_id"],
                          "file_unique_id": record["file_unique_id"],
                          "file_size": share, "width": w, "height": h})
            if scale == 1.0:
                break
        return sizes

    def _input_file(self, call: Call, name: str, value: Any) -> tuple[str, Any]:
        """An upload, attach:// reference, known file_id or URL → ("upload", UploadedFile) /
        ("file_id", record) / ("url", str)."""
        if isinstance(value, str) and value.startswith("attach://"):
            name, value = value[len("attach://"):], None
        upload = call.files.get(name)
        if value is None and upload is not None:
            if not upload.data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            return "upload", upload
        if isinstance(value, str) and value in self._files:
            return "file_id", self._files[value]
        if isinstance(value, str) and re.match(r"(?i)https?://", value):
            return "url", value
        if value is None:
            raise ApiError(400, f"Bad Request: there is no {name} in the request")
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _media_content(self, call: Call, kind: str, name: str, value: Any) -> JSON:
        source, item = self._input_file(call, name, value)
        if kind == "photo":
            if source == "upload":
                return {"photo": self._photo_sizes(item.data, "photos",
                                                   item.filename or "photo.jpg")}
            if source == "file_id":
                data = self._file_paths.get(item["file_path"], b"")
                return {"photo": self._photo_sizes(data, "photos", item["file_path"])}
            return {"photo": self._photo_sizes(b"", "photos", "photo.jpg", (800, 600))}
        if source == "upload":
            record = self._store_file(item.data, "documents", item.filename or "file.bin",
                                      "BQACAgQAAxkDAAI")
            filename = item.filename or "file.bin"
            mime = item.content_type or "application/octet-stream"
        elif source == "file_id":
            record = item
            filename = item.get("file_name", item["file_path"].rsplit("/", 1)[-1])
            mime = item.get("mime_type", "application/octet-stream")
        else:
            record = self._store_file(b"", "documents", "file.bin", "BQACAgQAAxkDAAI")
            filename, mime = str(item).rsplit("/", 1)[-1] or "file", "application/octet-stream"
        self._files[record["file_id"]].update(file_name=filename, mime_type=mime)
        document = {"file_id": record["file_id"], "file_unique_id": record["file_unique_id"],
                    "file_name": filename, "mime_type": mime, "file_size": record["file_size"]}
        return {"document": document}

    def _known_message(self, call: Call, *, editing: bool) -> tuple[tuple[str, int], JSON]:
        self._target_chat(call, sending=False)
        message_id = self._int(call, "message_id")
        assert message_id is not None
        key = (_chat_key(call.params["chat_id"]), message_id)
        message = self._messages.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found" if editing
                           else "Bad Request: message to delete not found")
        if editing and message.get("from", {}).get("id") != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        return key, message

    # ---------------------------------------------------------------- methods

    async def _true(self, call: Call) -> bool:
        return True

    async def _get_me(self, call: Call) -> JSON:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False,
                "has_main_web_app": False}

    async def _get_updates(self, call: Call) -> list[JSON]:
        if self._webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                "active; use deleteWebhook to delete the webhook first")
        offset = self._int(call, "offset", required=False) or 0
        limit = min(100, max(1, self._int(call, "limit", required=False) or 100))
        wait = min(self.long_poll_cap, max(0.0, float(call.params.get("timeout") or 0)))
        allowed = call.params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = set(allowed) or None
        if offset > 0:
            self._updates = [u for u in self._updates if int(u["update_id"]) >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._signal_updates()  # ends an older waiting poll with 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; make "
                                    "sure that only one bot instance is running")
            batch = [u for u in self._updates if self._wanted(u)][:limit]
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing:
                return copy.deepcopy(batch)
            signal = self._updates_signal
            assert signal is not None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await signal.wait()

    def _wanted(self, update: JSON) -> bool:
        kinds = set(update) - {"update_id"}
        if self._allowed_updates is None:
            return not kinds <= _NOT_BY_DEFAULT
        return bool(kinds & self._allowed_updates)

    async def _set_webhook(self, call: Call) -> bool:
        url = str(call.params.get("url") or "")
        if url and not url.lower().startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for "
                                "webhook")
        self._webhook = {"url": url}
        for key in ("max_connections", "allowed_updates", "ip_address"):
            if key in call.params:
                self._webhook[key] = call.params[key]
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _delete_webhook(self, call: Call) -> bool:
        self._webhook = {"url": ""}
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, call: Call) -> JSON:
        info: JSON = {"url": self._webhook.get("url", ""), "has_custom_certificate": False,
                      "pending_update_count": len(self._updates)}
        if info["url"]:
            info["max_connections"] = self._webhook.get("max_connections", 40)
            if "allowed_updates" in self._webhook:
                info["allowed_updates"] = self._webhook["allowed_updates"]
        return info

    @staticmethod
    def _commands_key(call: Call) -> str:
        scope = call.params.get("scope") or {"type": "default"}
        return json.dumps([scope, call.params.get("language_code") or ""], sort_keys=True)

    async def _set_my_commands(self, call: Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _BOT_COMMAND_NAME_RE.fullmatch(
                    str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: command description must be non-empty")
        self._commands[self._commands_key(call)] = [
            {"command": c["command"], "description": c["description"]} for c in commands]
        return True

    def _set_text(self, call: Call, field: str, limit: int) -> bool:
        text = str(call.params.get(field) or "")
        if len(text) > limit:  # Telegram's limits: 512 and 120 characters
            raise ApiError(400, f"Bad Request: {field.upper()}_INVALID")
        language = str(call.params.get("language_code") or "")
        if text:
            self.descriptions[field][language] = text
        else:  # an empty text removes the one for that language
            self.descriptions[field].pop(language, None)
        return True

    def _get_text(self, call: Call, field: str) -> JSON:
        texts = self.descriptions[field]
        return {field: texts.get(str(call.params.get("language_code") or ""), texts.get("", ""))}

    async def _set_my_description(self, call: Call) -> bool:
        return self._set_text(call, "description", 512)

    async def _get_my_description(self, call: Call) -> JSON:
        return self._get_text(call, "description")

    async def _set_my_short_description(self, call: Call) -> bool:
        return self._set_text(call, "short_description", 120)

    async def _get_my_short_description(self, call: Call) -> JSON:
        return self._get_text(call, "short_description")

    def commands(self, scope: str = "default", language_code: str = "") -> list[JSON]:
        """The command menu set for a scope type ("all_private_chats", "all_group_chats",
        "all_chat_administrators", "default") and language."""
        key = json.dumps([{"type": scope}, language_code], sort_keys=True)
        return copy.deepcopy(self._commands.get(key, []))

    async def _delete_my_commands(self, call: Call) -> bool:
        self._commands.pop(self._commands_key(call), None)
        return True

    async def _get_my_commands(self, call: Call) -> list[JSON]:
        return copy.deepcopy(self._commands.get(self._commands_key(call), []))

    async def _send_message(self, call: Call) -> JSON:
        chat = self._target_chat(call)
        text, entities = self._formatted(call, "text", _TEXT_LIMIT, required=True)
        content: JSON = {"text": text, "entities": entities}
        preview = call.params.get("link_preview_options")
        if isinstance(preview, dict) and preview.get("is_disabled"):
            content["link_preview_options"] = {"is_disabled": True}
        return self._outgoing(call, chat, **content)

    async def _edit_message_text(self, call: Call) -> JSON | bool:
        if call.params.get("inline_message_id"):
            self._formatted(call, "text", _TEXT_LIMIT, required=True)
            self._inline_markup(call)
            return True
        key, message = self._known_message(call, editing=True)
        text, entities = self._formatted(call, "text", _TEXT_LIMIT, required=True)
        markup = self._inline_markup(call)
        if (message.get("text") == text and message.get("entities", []) == entities
                and message.get("reply_markup") == markup):
            raise ApiError(400, "Bad Request: message is not modified: specified new message "
                                "content and reply markup are exactly the same as a current "
                                "content and reply markup of the message")
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        edited = {k: v for k, v in message.items() if k not in ("entities", "reply_markup")}
        edited.update(text=text, edit_date=int(time.time()))
        if entities:
            edited["entities"] = entities
        if markup is not None:
            edited["reply_markup"] = markup
        self._messages[key] = edited
        return copy.deepcopy(edited)

    async def _edit_message_reply_markup(self, call: Call) -> JSON | bool:
        if call.params.get("inline_message_id"):
            self._inline_markup(call)
            return True
        key, message = self._known_message(call, editing=True)
        markup = self._inline_markup(call)
        if message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message "
                                "content and reply markup are exactly the same as a current "
                                "content and reply markup of the message")
        edited = {k: v for k, v in message.items() if k != "reply_markup"}
        edited["edit_date"] = int(time.time())
        if markup is not None:
            edited["reply_markup"] = markup
        self._messages[key] = edited
        return copy.deepcopy(edited)

    async def _answer_callback_query(self, call: Call) -> bool:
        query_id = str(call.params.get("callback_query_id") or "")
        if self._callback_queries.get(query_id, True):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                                "or query ID is invalid")
        if len(str(call.params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        url = str(call.params.get("url") or "")
        if url and not url.startswith(f"https://t.me/{self.bot_user['username']}?start="):
            # Outside games, only the bot's own t.me link with a start parameter is accepted.
            raise ApiError(400, "Bad Request: URL_INVALID")
        self._callback_queries[query_id] = True
        return True

    async def _answer_inline_query(self, call: Call) -> bool:
        query_id = str(call.params.get("inline_query_id") or "")
        if self._inline_queries.get(query_id, True):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                                "or query ID is invalid")
        results = call.params.get("results")
        if not isinstance(results, list) or len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH" if isinstance(results, list)
                           else "Bad Request: can't parse inline query results JSON object")
        seen: set[str] = set()
        for result in results:
            result_id = str(result.get("id", ""))
            if not 1 <= len(result_id.encode()) <= 64:
                raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
            if result_id in seen:
                raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
            seen.add(result_id)
            if result.get("type") == "article":
                if not result.get("title"):
                    raise ApiError(400, "Bad Request: RESULT_TITLE_EMPTY")
                content = result.get("input_message_content") or {}
                sub = Call(call.method, {"text": content.get("message_text"),
                                         "parse_mode": content.get("parse_mode")})
                self._formatted(sub, "text", _TEXT_LIMIT, required=True)
            self._inline_markup(Call(call.method, {"reply_markup": result.get("reply_markup")}))
        button = call.params.get("button")
        if isinstance(button, dict) and button.get("start_parameter") is not None and \
                not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(button["start_parameter"])):
            raise ApiError(400, "Bad Request: START_PARAM_INVALID")
        self._inline_queries[query_id] = True
        return True

    async def _send_chat_action(self, call: Call) -> bool:
        self._target_chat(call)
        if call.params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _send_photo(self, call: Call) -> JSON:
        chat = self._target_chat(call)
        caption, entities = self._formatted(call, "caption", _CAPTION_LIMIT, required=False)
        content = self._media_content(call, "photo", "photo", call.params.get("photo"))
        return self._outgoing(call, chat, **content, caption=caption, caption_entities=entities)

    async def _send_document(self, call: Call) -> JSON:
        chat = self._target_chat(call)
        caption, entities = self._formatted(call, "caption", _CAPTION_LIMIT, required=False)
        content = self._media_content(call, "document", "document",
                                      call.params.get("document"))
        return self._outgoing(call, chat, **content, caption=caption, caption_entities=entities)

    async def _send_media_group(self, call: Call) -> list[JSON]:
        chat = self._target_chat(call)
        media = call.params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the album: must be "
                                "2-10 items")
        group_id = str(13_000_000_000_000_000 + next(self._counter))
        messages = []
        for item in media:
            kind = str(item.get("type", ""))
            if kind not in ("photo", "document"):
                raise ApiError(400, f"Bad Request: unsupported media type \"{kind}\"")
            sub = Call(call.method, {**call.params, **item}, call.files)
            caption, entities = self._formatted(sub, "caption", _CAPTION_LIMIT, required=False)
            content = self._media_content(call, kind, kind, item.get("media"))
            messages.append(self._outgoing(sub, chat, **content, media_group_id=group_id,
                                           caption=caption, caption_entities=entities))
        return messages

    async def _get_chat(self, call: Call) -> JSON:
        chat = self._target_chat(call, sending=False)
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False}}

    async def _get_chat_member(self, call: Call) -> JSON:
        chat = self._target_chat(call, sending=False)
        user_id = self._int(call, "user_id")
        assert user_id is not None
        key = (_chat_key(chat["id"]), user_id)
        status = self._members.get(key, "member")
        user = self._users.get(user_id) or {"id": user_id, "is_bot": False,
                                            "first_name": "User"}
        member = self.member(user, status)  # type: ignore[arg-type]
        for name, value in self._member_fields.get(key, {}).items():
            if value is None:
                member.pop(name, None)
            else:
                member[name] = value
        return member

    async def _delete_message(self, call: Call) -> bool:
        key, _ = self._known_message(call, editing=False)
        del self._messages[key]
        return True

    async def _leave_chat(self, call: Call) -> bool:
        chat = self._target_chat(call, sending=False)
        if chat["type"] == "private":
            raise ApiError(400, "Bad Request: chat member status can't be changed in private "
                                "chats")
        self._members[(_chat_key(chat["id"]), self.bot_id)] = "left"
        return True

    async def _get_file(self, call: Call) -> JSON:
        record = self._files.get(str(call.params.get("file_id") or ""))
        if record is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {k: record[k] for k in ("file_id", "file_unique_id", "file_size", "file_path")}
