"""Inline keyboards under an answer, and their callback data: small, versioned, validated."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import quote

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

# Callback data is "<action>:<area code>:<data version>[:<extra>]", well under Telegram's 64
# bytes: the area is a ward (E05…) or, under a borough's answer or view, the borough (E09…),
# so every button under a borough acts on the borough. The extra part is the postcode the
# answer was for, without its space (so Summary can show it again), or a download's format.
SUMMARY: Final = "a"  # the short first answer
MINOR: Final = "m"
STOP_SEARCH: Final = "s"
TASER: Final = "t"
BOROUGH: Final = "b"  # the ward's borough, from the Met's borough figures
SOURCES: Final = "l"  # sources and limits
# The views a tap shows in place of the message (editMessageText), in the order of the buttons.
ACTIONS: Final = {MINOR: "Crime by type", STOP_SEARCH: "Stop and search", TASER: "Taser",
                  BOROUGH: "Borough", SOURCES: "Sources and limits"}
BACK_LABEL: Final = "« Summary"
# A picture or the figures as files (handlers/media.py answers these): new messages.
TREND: Final = "c"
MAP: Final = "p"
EXPORT: Final = "x"
MEDIA_ACTIONS: Final = {TREND: "Trend chart", MAP: "Map", EXPORT: "Download figures"}
MEDIA_PATTERN: Final = r"^[cpx]:"
# The formats "Download figures" offers, by the name in the button's data.
EXPORT_FORMATS: Final = {"csv": "CSV", "xlsx": "Excel", "json": "JSON"}

Action = Literal["a", "m", "s", "t", "b", "l", "c", "p", "x"]
_DATA = re.compile(
    r"^([amstblcpx]):(E0[59]\d{6}):(\d{1,12})(?::([A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}|csv|xlsx|json))?$")
_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$")


@dataclass(frozen=True)
class Drill:
    action: Action
    code: str  # the ward's (E05…) or the borough's (E09…)
    version: int
    extra: str | None = None

    @property
    def borough(self) -> bool:
        """Whether the button acts on a whole borough."""
        return self.code.startswith("E09")

    @property
    def postcode(self) -> str | None:
        """The answer's postcode ("SW1A 1AA"), if the button carries one."""
        match = _POSTCODE.match(self.extra or "")
        return f"{match.group(1)} {match.group(2)}" if match else None

    @property
    def fmt(self) -> str | None:
        """A download's format ("csv", "xlsx", "json"), if the button names one."""
        return self.extra if self.extra in EXPORT_FORMATS else None


def _data(action: str, ward_code: str, version: int, extra: str | None) -> str:
    return f"{action}:{ward_code}:{version}" + (f":{extra}" if extra else "")


def answer_keyboard(code: str, version: int, postcode: str | None = None,
                    showing: str = SUMMARY,
                    back: InlineKeyboardButton | None = None) -> InlineKeyboardMarkup:
    """The buttons under an answer or one of its views — a ward's (E05…) or a whole
    borough's (E09…: no Borough button, every button acting on the borough) —: the other
    views (with « Summary, or `back`, first on every view but the summary), then the pictures
    and the download."""
    extra = postcode.replace(" ", "") if postcode else None
    borough = code.startswith("E09")

    def button(action: str, label: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=_data(action, code, version, extra))

    views = [button(a, label) for a, label in ACTIONS.items()
             if a != showing and not (borough and a == BOROUGH)]
    if back is not None:
        views.insert(0, back)
    elif showing != SUMMARY:
        views.insert(0, button(SUMMARY, BACK_LABEL))
    rows = [views[:3], views[3:]]
    rows.append([button(a, label) for a, label in MEDIA_ACTIONS.items()])
    return InlineKeyboardMarkup([row for row in rows if row])


def back_button(ward_code: str, version: int, postcode: str | None) -> InlineKeyboardButton:
    """« Summary back to a ward's answer (under its borough's view)."""
    extra = postcode.replace(" ", "") if postcode else None
    return InlineKeyboardButton(BACK_LABEL, callback_data=_data(SUMMARY, ward_code, version,
                                                                extra))


def format_keyboard(code: str, version: int,
                    back: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup:
    """"Download figures" pressed: one button per format (for the ward or the borough), then
    the keyboard it was under."""
    row = [InlineKeyboardButton(f"⬇ {label}", callback_data=_data(EXPORT, code, version, fmt))
           for fmt, label in EXPORT_FORMATS.items()]
    return InlineKeyboardMarkup([row, *(back.inline_keyboard if back else ())])


def parse(data: object) -> Drill | None:
    """The drill-down a button asks for, or None if the data is not one of ours."""
    if not isinstance(data, str):
        return None
    match = _DATA.match(data)
    if match is None:
        return None
    action, ward, version, extra = match.groups()
    return Drill(action, ward, int(version), extra)  # type: ignore[arg-type]


# -- deep links: t.me/<bot>?start=<payload> ---------------------------------------------------
# "w-<ward code>": the ward's answer with its Subscribe button (what Share gives);
# "b-<borough code>": a borough's answer (Share under a borough);
# "v-<code>-<code>[-…]": a comparison of up to four wards or boroughs (Share under one);
# "x-<ward or borough code>": a group's Download figures, continued in a private chat.
WARD_LINK: Final = "w"
BOROUGH_LINK: Final = "b"
COMPARE_LINK: Final = "v"
DOWNLOAD_LINK: Final = "x"
SHARE_LABEL: Final = "Share"
_START = re.compile(r"^([a-z])-(E0[59]\d{6}(?:-E0[59]\d{6}){0,3})$")
_START_CODES: Final = {WARD_LINK: r"E05\d{6}", BOROUGH_LINK: r"E09\d{6}",
                       DOWNLOAD_LINK: r"E0[59]\d{6}",
                       COMPARE_LINK: r"E0[59]\d{6}(?:-E0[59]\d{6}){1,3}"}


def start_link(bot_username: str, kind: str, code: str) -> str:
    """The deep link that opens a private chat with the bot at /start <kind>-<code>."""
    return f"https://t.me/{bot_username}?start={kind}-{code}"


def parse_start(payload: str, kind: str) -> str | None:
    """The code of a /start payload of this kind (a comparison's codes joined by "-"), or
    None."""
    match = _START.match(payload)
    if not match or match.group(1) != kind or not re.fullmatch(_START_CODES[kind],
                                                                match.group(2)):
        return None
    return match.group(2)


def share_url(link: str, text: str) -> str:
    """Telegram's share page for a link: the user picks a chat to send it to."""
    return f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(text, safe='')}"


def link_keyboard(label: str, url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])


# -- the reply keyboard of a private chat -------------------------------------------------------
SEND_LOCATION: Final = "📍 Send my location"


def location_keyboard() -> ReplyKeyboardMarkup:
    """Below the text field in a private chat: share a location instead of typing a postcode."""
    return ReplyKeyboardMarkup([[KeyboardButton(SEND_LOCATION, request_location=True)]],
                               resize_keyboard=True,
                               input_field_placeholder="A postcode, e.g. SW1A 1AA")


# -- /forget's question: "forget:yes" erases, "forget:no" cancels -----------------------------
FORGET_PATTERN: Final = r"^forget:"


def forget_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("Erase everything", callback_data="forget:yes"),
        InlineKeyboardButton("Cancel", callback_data="forget:no")]])


def parse_forget(data: object) -> bool | None:
    """True for Erase, False for Cancel, None if not ours."""
    return {"forget:yes": True, "forget:no": False}.get(data) if isinstance(data, str) else None


# -- /types: "ty:" lists the major types, "ty:<major type as published>" shows its kinds -------
TYPES: Final = "ty"
TYPES_PATTERN: Final = r"^ty:"
TYPES_BACK_LABEL: Final = "« All types"


def types_keyboard(majors: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """One button per (published major type, label shown), two to a row."""
    buttons = [InlineKeyboardButton(label, callback_data=f"{TYPES}:{major}"[:64])
               for major, label in majors]
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)])


def types_back_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(TYPES_BACK_LABEL,
                                                       callback_data=f"{TYPES}:")]])


def parse_types(data: object) -> str | None:
    """The major type a /types button asks for ("" for the list), None if not ours."""
    if not isinstance(data, str) or not data.startswith(f"{TYPES}:"):
        return None
    return data[len(TYPES) + 1:]


# -- following a ward (handlers/subscribe.py) --------------------------------------------------
# "sub:<ward code>:<data version>:<postcode district>" under an answer; "unsub:<ward code>"
# beside each ward /subscriptions lists and under each digest.
FOLLOW: Final = "sub"
UNDO_LABEL: Final = "Undo: follow it again"
UNFOLLOW: Final = "unsub"
SUBSCRIPTION_PATTERN: Final = r"^(sub|unsub):"
_FOLLOW = re.compile(r"^sub:(E05\d{6}):(\d{1,12}):([A-Z]{1,2}\d[A-Z\d]?)$")
_UNFOLLOW = re.compile(r"^unsub:(E05\d{6})$")


@dataclass(frozen=True)
class Follow:
    """A Subscribe (follow=True, with the district) or a Stop following button."""

    follow: bool
    ward_code: str
    district: str | None = None


def with_share(markup: InlineKeyboardMarkup | None, share: str) -> InlineKeyboardMarkup:
    """The keyboard with a Share button (opening `share`) as its last row."""
    rows = markup.inline_keyboard if markup is not None else ()
    return InlineKeyboardMarkup([*rows, [InlineKeyboardButton(SHARE_LABEL, url=share)]])


def with_follow(markup: InlineKeyboardMarkup, ward_code: str, version: int,
                district: str, share: str | None = None) -> InlineKeyboardMarkup:
    """The keyboard with a Subscribe button for the ward (and a Share button opening `share`)
    added as its last row."""
    row = [InlineKeyboardButton(
        "Subscribe: monthly figures", callback_data=f"{FOLLOW}:{ward_code}:{version}:{district}")]
    if share:
        row.append(InlineKeyboardButton(SHARE_LABEL, url=share))
    return InlineKeyboardMarkup([*markup.inline_keyboard, row])


def unfollow_keyboard(wards: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """One Stop following button per (ward code, label)."""
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(f"Stop following {label}", callback_data=f"{UNFOLLOW}:{code}")]
        for code, label in wards
    ])


def undo_keyboard(ward_code: str, version: int, district: str) -> InlineKeyboardMarkup:
    """Under "no longer follows": follow the ward again, with the district it had."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        UNDO_LABEL, callback_data=f"{FOLLOW}:{ward_code}:{version}:{district}")]])


def parse_follow(data: object) -> Follow | None:
    """The subscription change a button asks for, or None if the data is not one of ours."""
    if not isinstance(data, str):
        return None
    if match := _FOLLOW.match(data):
        return Follow(True, match.group(1), match.group(3))
    if match := _UNFOLLOW.match(data):
        return Follow(False, match.group(1))
    return None
