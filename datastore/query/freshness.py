"""How fresh the figures are: pure, with the clock passed in.

The Met publishes a month within about five weeks of its end, so when today is more than
about eight weeks past the end of the newest crime month held, newer figures probably exist.
And when the bot follows the publishers but has not reached one of them for more than three
days, it may have missed a release.  Either way the answer says so plainly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from datastore.query.figures import add_months

# Past the end of the newest month by more than this, a newer month is probably published.
PUBLISHED_WITHIN: Final = timedelta(weeks=8)
# A publisher not reached for longer than this may have published something missed.
CHECK_WITHIN: Final = timedelta(days=3)


@dataclass(frozen=True)
class PublisherCheck:
    """When a publisher was last reached and understood (None: never)."""

    publisher: str
    last_success: datetime | None


@dataclass(frozen=True)
class Freshness:
    """Whether newer figures may exist than the ones shown, and why."""

    latest_month: int | None
    behind: bool  # the newest month is older than the Met's monthly cycle allows
    following: bool  # the bot checks the publishers by itself
    last_checked: datetime | None  # the oldest of the publishers' latest successful checks
    unchecked: bool  # following, but a publisher not reached for over CHECK_WITHIN

    @property
    def stale(self) -> bool:
        return self.behind or self.unchecked


def month_end(month: int) -> datetime:
    """The first moment after a YYYYMM month (UTC)."""
    after = add_months(month, 1)
    return datetime(after // 100, after % 100, 1, tzinfo=UTC)


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
    last_checked = None
    unchecked = False
    if following:
        known = [t for t in latest.values() if t is not None]
        last_checked = min(known) if known and len(known) == len(latest) else None
        unchecked = last_checked is None or now - last_checked > CHECK_WITHIN
    return Freshness(latest_month, behind, following, last_checked, unchecked)
