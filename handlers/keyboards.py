"""Inline keyboards under an answer, and their callback data: small, versioned, validated."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

# Callback data is "<action>:<ward code>:<data version>", well under Telegram's 64 bytes.
MINOR: Final = "m"
STOP_SEARCH: Final = "s"
TASER: Final = "t"
BOROUGH: Final = "b"  # the ward's borough, from the Met's borough figures
ACTIONS: Final = {MINOR: "Crime by type", STOP_SEARCH: "Stop and search", TASER: "Taser",
                  BOROUGH: "Borough"}
# The second row: a picture or the figures as files (handlers/media.py answers these).
TREND: Final = "c"
MAP: Final = "p"
EXPORT: Final = "x"
MEDIA_ACTIONS: Final = {TREND: "Trend chart", MAP: "Map", EXPORT: "Download figures"}
MEDIA_PATTERN: Final = r"^[cpx]:"

Action = Literal["m", "s", "t", "b", "c", "p", "x"]
_DATA = re.compile(r"^([mstbcpx]):(E05\d{6}):(\d{1,12})$")


@dataclass(frozen=True)
class Drill:
    action: Action
    ward_code: str
    version: int


def answer_keyboard(ward_code: str, version: int) -> InlineKeyboardMarkup:
    """The buttons under an answer."""
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(label, callback_data=f"{action}:{ward_code}:{version}")
         for action, label in row.items()]
        for row in (ACTIONS, MEDIA_ACTIONS)
    ])


def parse(data: object) -> Drill | None:
    """The drill-down a button asks for, or None if the data is not one of ours."""
    if not isinstance(data, str):
        return None
    match = _DATA.match(data)
    if match is None:
        return None
    action, ward, version = match.groups()
    return Drill(action, ward, int(version))  # type: ignore[arg-type]


# -- following a ward (handlers/subscribe.py) --------------------------------------------------
# "sub:<ward code>:<data version>:<postcode district>" under an answer; "unsub:<ward code>"
# beside each ward /subscriptions lists and under each digest.
FOLLOW: Final = "sub"
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


def with_follow(markup: InlineKeyboardMarkup, ward_code: str, version: int,
                district: str) -> InlineKeyboardMarkup:
    """The keyboard with a Subscribe button for the ward added as its last row."""
    button = InlineKeyboardButton(
        "Subscribe: monthly figures", callback_data=f"{FOLLOW}:{ward_code}:{version}:{district}")
    return InlineKeyboardMarkup([*markup.inline_keyboard, [button]])


def unfollow_keyboard(wards: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """One Stop following button per (ward code, label)."""
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(f"Stop following {label}", callback_data=f"{UNFOLLOW}:{code}")]
        for code, label in wards
    ])


def parse_follow(data: object) -> Follow | None:
    """The subscription change a button asks for, or None if the data is not one of ours."""
    if not isinstance(data, str):
        return None
    if match := _FOLLOW.match(data):
        return Follow(True, match.group(1), match.group(3))
    if match := _UNFOLLOW.match(data):
        return Follow(False, match.group(1))
    return None
