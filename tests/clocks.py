"""The two fixed clocks every surface's statement of age is tested against (passed in, never
patched): a stale one, 2026-12-07 with the bundled ward figures to March 2026 (8 months old),
and a fresh one, 2026-04-20, three weeks after that month ended."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Final

from datastore.query.freshness import Freshness, PublisherCheck, freshness

STALE: Final = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
FRESH: Final = datetime(2026, 4, 20, 9, 30, tzinfo=UTC)
MARCH_2026: Final = 202603  # the bundled ward figures' last month

# What must never be said of figures more than two months old (issue: "true on the day it
# is read"): the old wordings, and claims a copy cannot know.
NEVER_WHEN_STALE: Final = (
    "may exist", "newer figures may", "latest", "last month", "this month", "current",
    "months older", "years older", "older than the crime figures",
)


def at(when: datetime, month: int | None = MARCH_2026, *, following: bool = False,
       checks: Iterable[PublisherCheck] = ()) -> Freshness:
    """How fresh figures to `month` are at `when`: what an answer made then carries."""
    return freshness(when, month, checks, following=following)


def clock(when: datetime) -> Callable[[], datetime]:
    """A clock for Services that always says `when`."""
    return lambda: when


def says_nothing_stale(text: str) -> None:
    """Assert a text read on the stale clock makes none of the claims it must not."""
    low = text.casefold()
    found = [phrase for phrase in NEVER_WHEN_STALE if phrase in low]
    assert not found, (found, text)
