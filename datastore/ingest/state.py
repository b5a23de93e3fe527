"""What is known of each published feed: plain SQL functions on the `publisher_state` table.

A feed is one thing the daily check follows (a dataset of one publisher): the ward and the
borough crime extracts, the Met's stop-and-search extract, police.uk's stop-and-search months,
the Met's use of force, and the Home Office's yearly use-of-force tables (GOV.UK).  Each
check records, per feed, when it ran, whether it reached the publisher and understood it, the
newest release the publisher lists, and the release the current data came from (its
fingerprint, URL, ETag and Last-Modified, and the SHA-256 of the file it served), so that
nothing is downloaded twice.

A recorded release stands only while the current version holds its file (`holds_release`):
any load since (`wardwatch load --force` of an older extract, another process, a loading child
that outlived its parent) unties them, and the release is then downloaded again, whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Final, Literal

from datastore.storage.store import Db, Version, transaction
from datastore.storage.watch import announce

Feed = Literal["ward_crime", "borough_crime", "stop_search_mps", "stop_search_police_uk",
               "taser", "taser_home_office"]
FEEDS: Final[tuple[Feed, ...]] = ("ward_crime", "borough_crime", "stop_search_mps",
                                  "stop_search_police_uk", "taser", "taser_home_office")
LONDON_DATASTORE: Final = "London Datastore"
POLICE_UK: Final = "data.police.uk"
GOV_UK: Final = "GOV.UK"
PUBLISHER: Final[dict[Feed, str]] = {
    "ward_crime": LONDON_DATASTORE, "borough_crime": LONDON_DATASTORE,
    "stop_search_mps": LONDON_DATASTORE, "stop_search_police_uk": POLICE_UK,
    "taser": LONDON_DATASTORE, "taser_home_office": GOV_UK,
}
# The kind of dataset each feed loads.
KIND: Final[dict[Feed, str]] = {
    "ward_crime": "ward_crime", "borough_crime": "borough_crime",
    "stop_search_mps": "stop_search", "stop_search_police_uk": "stop_search",
    "taser": "taser", "taser_home_office": "taser",
}


@dataclass(frozen=True)
class FeedState:
    """One feed as the last checks left it; times are ISO 8601 UTC text."""

    feed: str
    publisher: str
    last_checked: str | None = None
    last_success: str | None = None
    last_failure: str | None = None
    failure: str | None = None
    release_title: str | None = None
    release_period: str | None = None
    fingerprint: str | None = None
    url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_public_until: str | None = None
    sha256: str | None = None  # of the file the recorded release served

    def holds_release(self, current: Version | None) -> bool:
        """Whether `current` (the kind's current version) is made from the file the recorded
        release served: only then is that release already loaded, and only then may it be
        asked for conditionally (an ETag / Last-Modified answered 304 means "the file you
        have", which the store may no longer hold)."""
        return (self.sha256 is not None and current is not None
                and any(s.sha256 == self.sha256 for s in current.sources))

    def failing(self) -> bool:
        """Whether the latest check of the feed failed."""
        return self.last_failure is not None and (
            self.last_success is None or self.last_failure > self.last_success)

    def resting(self, now: datetime) -> bool:
        """A feed that needs a login is left alone until its `not_public_until`."""
        return self.not_public_until is not None and now.isoformat() < self.not_public_until


_COLUMNS: Final = tuple(f.name for f in fields(FeedState))
_UPDATES: Final = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:])


def feed_states(conn: Db) -> dict[str, FeedState]:
    """Every feed's state, by feed (feeds never checked are absent)."""
    rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM publisher_state").fetchall()
    return {row[0]: FeedState(*row) for row in rows}


def feed_state(conn: Db, feed: Feed) -> FeedState:
    """A feed's state (an empty one if it was never checked)."""
    return feed_states(conn).get(feed) or FeedState(feed, PUBLISHER[feed])


def save_states(conn: Db, states: Sequence[FeedState]) -> None:
    """Write feeds' states, each replacing the one before."""
    with transaction(conn):
        write_states(conn, states)


def write_states(conn: Db, states: Sequence[FeedState]) -> None:
    """Write feeds' states inside a transaction the caller holds (a load's: its version and
    its feed's state are committed together), and tell every process: its freshness notes
    follow the check."""
    announce(conn)
    marks = ", ".join("?" * len(_COLUMNS))
    conn.executemany(
        f"INSERT INTO publisher_state ({', '.join(_COLUMNS)}) VALUES ({marks}) "
        f"ON CONFLICT (feed) DO UPDATE SET {_UPDATES}",
        [tuple(getattr(s, c) for c in _COLUMNS) for s in states])


def _stamp(now: datetime) -> str:
    """A check's time to the microsecond: two checks within one second (a start-up check and
    a /reload) must still come in order, or a failure after a success would not be failing."""
    return now.isoformat(timespec="microseconds")


def succeeded(state: FeedState, now: datetime, **changes: Any) -> FeedState:
    """The state after a check that reached the publisher and understood it."""
    stamp = _stamp(now)
    return replace(state, last_checked=stamp, last_success=stamp, not_public_until=None,
                   **changes)


def failed(state: FeedState, now: datetime, reason: str,
           not_public_until: str | None = None) -> FeedState:
    """The state after a check that could not use what the publisher answered."""
    stamp = _stamp(now)
    return replace(state, last_checked=stamp, last_failure=stamp, failure=reason,
                   not_public_until=not_public_until)
