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
ACTIONS: Final = {MINOR: "Crime by type", STOP_SEARCH: "Stop and search", TASER: "Taser"}

Action = Literal["m", "s", "t"]
_DATA = re.compile(r"^([mst]):(E05\d{6}):(\d{1,12})$")


@dataclass(frozen=True)
class Drill:
    action: Action
    ward_code: str
    version: int


def answer_keyboard(ward_code: str, version: int) -> InlineKeyboardMarkup:
    """The buttons under an answer."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(label, callback_data=f"{action}:{ward_code}:{version}")
        for action, label in ACTIONS.items()
    ]])


def parse(data: object) -> Drill | None:
    """The drill-down a button asks for, or None if the data is not one of ours."""
    if not isinstance(data, str):
        return None
    match = _DATA.match(data)
    if match is None:
        return None
    action, ward, version = match.groups()
    return Drill(action, ward, int(version))  # type: ignore[arg-type]
