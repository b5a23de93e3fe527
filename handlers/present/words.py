"""Formatting shared by every renderer: escaping, counts, plurals, days, and fitting a
message to Telegram's limit (ages in words: handlers/present/age.py)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import date
from typing import Final

from handlers.present.names import display

TELEGRAM_LIMIT: Final = 4096


def esc(value: object) -> str:
    """Escape any data string for Telegram HTML."""
    return html.escape(str(value), quote=False)


def n(value: int) -> str:
    """A count with thousands separators."""
    return f"{value:,}"


def category(name: str) -> str:
    """A crime category as the bot shows it (handlers/names.py: the one table of display
    names); kept under this name for the renderers that call it."""
    return display(name)


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{n(count)} {one if count == 1 else (many or one + 's')}"


def change_phrase(now: int, before: int) -> str:
    """'up 5', 'down 3' or 'no change'."""
    if now > before:
        return f"up {n(now - before)}"
    if now < before:
        return f"down {n(before - now)}"
    return "no change"


def ratio(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def minutes_ago(seconds: float) -> str:
    """"just now", "a minute ago", "12 minutes ago"."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "just now"
    return "a minute ago" if minutes == 1 else f"{minutes} minutes ago"


def percent(part: int, total: int) -> str:
    share = part / total * 100
    return "under 1%" if 0 < share < 0.5 else f"{share:.0f}%"


def day(when: date) -> str:
    """'7 December 2026'."""
    return f"{when.day} {when.strftime('%B %Y')}"


def fit(text: str, limit: int = TELEGRAM_LIMIT) -> str:
    """Cut text to Telegram's limit at a line boundary, keeping the HTML balanced."""
    if len(text) <= limit:
        return text
    marker = "\n…"
    lines = text.split("\n")
    while lines and len("\n".join(lines)) + len(marker) > limit:
        lines.pop()
    cut = "\n".join(lines) + marker
    return cut if len(cut) <= limit else html.escape(strip_html(text)[: limit - 1]) + "…"


_TAG = re.compile(r"<[^>]+>")


def strip_html(text: str) -> str:
    """Telegram HTML to plain text, for the terminal."""
    return html.unescape(_TAG.sub("", text))


def lines(items: Iterable[str]) -> str:
    return "\n".join(items)
