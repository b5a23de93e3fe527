"""How fresh the figures are: pure, with the clock passed in.

The Met publishes a month within about five weeks of its end, so when today is more than
about eight weeks past the end of the newest crime month held, newer figures have been
published.  And when the bot follows the publishers but has not reached one of them for more
than three days, it may have missed a release.  Either way the answer says so plainly.

A figure's age is the whole months from the end of its period to the day an answer is made
(`age_in_months`); `Freshness.now` is that moment, carried with the answer, and every statement
of age is made from it (handlers/present/age.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from datastore.query.figures import add_months, months_between

# Past the end of the newest month by more than this, a newer month is probably published.
PUBLISHED_WITHIN: Final = timedelta(weeks=8)
# A publisher not reached for longer than this may have published something missed.
CHECK_WITHIN: Final = timedelta(days=3)
LONDON: Final = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class PublisherCheck:
    """When a publisher was last reached and understood (None: never)."""

    publisher: str
    last_success: datetime | None


@dataclass(frozen=True)
class Freshness:
    """When an answer was made, and whether newer figures exist than the ones it shows.

    Equal (and hashed alike) for answers made on the same London day in the same state: what
    an answer says of its figures' age depends on the day, never the second, so the
    presentation's caches (handlers/present/blocks.py) serve a day's answers."""

    latest_month: int | None
    behind: bool  # the newest month is older than the Met's monthly cycle allows
    following: bool  # the bot checks the publishers by itself
    last_checked: datetime | None  # the oldest of the publishers' latest successful checks
    unchecked: bool  # following, but a publisher not reached for over CHECK_WITHIN
    now: datetime = field(compare=False)  # when the answer was made
    # The day it was made, in London (where the bot's residents read it): every age is
    # stated against it.
    today: date = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "today", self.now.astimezone(LONDON).date())

    @property
    def stale(self) -> bool:
        return self.behind or self.unchecked

    def age(self, end_month: int) -> int:
        """How old a figure whose period ends with `end_month` is on that day."""
        return age_in_months(end_month, self.today)


def month_end(month: int) -> datetime:
    """The first moment after a YYYYMM month (UTC)."""
    after = add_months(month, 1)
    return datetime(after // 100, after % 100, 1, tzinfo=UTC)


def age_in_months(end_month: int, today: date) -> int:
    """Whole months from the end of a period ending with the YYYYMM `end_month` to `today`
    (never below 0): a month ends at the first of the next, so March 2026 is 8 months old
    on 7 December 2026, April 2025 19 months old."""
    after = add_months(end_month, 1)
    return max(months_between(after, today.year * 100 + today.month), 0)


def freshness(now: datetime, latest_month: int | None, checks: Iterable[PublisherCheck],
              *, following: bool) -> Freshness:
    """How fresh the figures of `latest_month` are at `now`."""
    behind = latest_month is None or now - month_end(latest_month) > PUBLISHED_WITHIN
    latest: dict[str, datetime | None] = {}
    for c in checks:
        before = latest.get(c.publisher)
        if c.last_success is not None and (before is None or c.last_success > before):
            latest[c.publisher] = c.last_success
        else:
            latest.setdefault(c.publisher, before)
    known = [t for t in latest.values() if t is not None]
    last_checked = min(known) if known and len(known) == len(latest) else None
    unchecked = following and (last_checked is None or now - last_checked > CHECK_WITHIN)
    return Freshness(latest_month, behind, following, last_checked, unchecked, now)
