"""What chats follow and the digests sent to them: plain functions on a `Db` (parameterised
SQL, dataclasses out).  `ChatStore` (access.py) runs them one at a time in a thread of its
own, off the event loop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

from datastore.storage.access import ChatStore as ChatStore  # where callers find them
from datastore.storage.access import open_chat_store as open_chat_store
from datastore.storage.db import Db
from datastore.storage.lease import check as check_lease
from datastore.storage.store import transaction, versions

# Wards one chat may follow.
MAX_WARDS: Final = 5
# The meta key holding the latest data month whose digests have been queued.
DIGEST_MONTH_KEY: Final = "digest_month"

ChatType = Literal["private", "group", "supergroup"]
CHAT_TYPES: Final[frozenset[str]] = frozenset({"private", "group", "supergroup"})


@dataclass(frozen=True)
class Subscription:
    """One ward one chat follows."""

    chat_id: int
    chat_type: str
    ward_code: str
    district: str  # the postcode district it was made with, e.g. "E1"
    state: str  # "active" or "paused"
    created_at: str


@dataclass(frozen=True)
class SubscribeResult:
    """What /subscribe did, and what the chat follows afterwards."""

    outcome: Literal["added", "already", "resumed", "full"]
    subscriptions: tuple[Subscription, ...]


@dataclass(frozen=True)
class Pending:
    """A digest still to send."""

    chat_id: int
    chat_type: str
    ward_code: str
    data_month: int
    attempts: int


@dataclass(frozen=True)
class SubscriptionCounts:
    active: int
    paused: int
    chats: int


@dataclass(frozen=True)
class DeliveryCounts:
    """The digests of one data month, by status (month None: no digests yet)."""

    month: int | None
    sent: int
    pending: int
    failed: int
    failed_by_error: tuple[tuple[str, int], ...] = ()


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).isoformat(timespec="seconds")


def _subscription(row: tuple[object, ...]) -> Subscription:
    chat_id, chat_type, ward, district, state, created = row
    return Subscription(int(chat_id), str(chat_type), str(ward),  # type: ignore[call-overload]
                        str(district), str(state), str(created))


def for_chat(conn: Db, chat_id: int) -> tuple[Subscription, ...]:
    """The chat's subscriptions, oldest first."""
    rows = conn.execute(
        "SELECT chat_id, chat_type, ward_code, district, state, created_at FROM subscription "
        "WHERE chat_id=? ORDER BY created_at, rowid", (chat_id,)).fetchall()
    return tuple(map(_subscription, rows))


def subscribe(conn: Db, chat_id: int, chat_type: str, ward_code: str,
              district: str, *, now: datetime | None = None,
              limit: int = MAX_WARDS) -> SubscribeResult:
    """Follow a ward, up to `limit` wards a chat.  The chat has just written to us, so any of
    its paused subscriptions are active again."""
    if chat_type not in CHAT_TYPES:
        raise ValueError(f"a {chat_type} chat cannot subscribe")
    with transaction(conn):
        conn.lock("chat", chat_id)  # one change to a chat at a time, from any process
        existing = for_chat(conn, chat_id)
        mine = [s for s in existing if s.ward_code == ward_code]
        paused = any(s.state == "paused" for s in mine)
        conn.execute("UPDATE subscription SET state='active' WHERE chat_id=? AND state='paused'",
                     (chat_id,))
        if mine:
            outcome: Literal["added", "already", "resumed", "full"] = (
                "resumed" if paused else "already")
        elif len(existing) >= limit:
            outcome = "full"
        else:
            conn.execute(
                "INSERT INTO subscription (chat_id, chat_type, ward_code, district, state, "
                "created_at) VALUES (?, ?, ?, ?, 'active', ?)",
                (chat_id, chat_type, ward_code, district, _stamp(now)))
            outcome = "added"
    return SubscribeResult(outcome, for_chat(conn, chat_id))


def unsubscribe(conn: Db, chat_id: int, ward_code: str) -> bool:
    """Stop following a ward (its unsent digest too); False if the chat did not follow it."""
    with transaction(conn):
        gone = conn.execute("DELETE FROM subscription WHERE chat_id=? AND ward_code=?",
                            (chat_id, ward_code)).rowcount
        conn.execute("DELETE FROM delivery WHERE chat_id=? AND ward_code=? AND status='pending'",
                     (chat_id, ward_code))
    return gone > 0


def unsubscribe_all(conn: Db, chat_id: int) -> int:
    """Stop following every ward; return how many."""
    with transaction(conn):
        gone = conn.execute("DELETE FROM subscription WHERE chat_id=?", (chat_id,)).rowcount
        conn.execute("DELETE FROM delivery WHERE chat_id=? AND status='pending'", (chat_id,))
    return gone


def set_chat_state(conn: Db, chat_id: int, state: str) -> int:
    """Pause or resume every subscription of a chat; return how many changed."""
    if state not in ("active", "paused"):
        raise ValueError(f"unknown state {state!r}")
    with transaction(conn):
        return conn.execute("UPDATE subscription SET state=? WHERE chat_id=? AND state<>?",
                            (state, chat_id, state)).rowcount


PauseCause = Literal["send_failed", "removed"]


def pause_cause(conn: Db, chat_id: int) -> PauseCause:
    """Why a paused chat is paused: "send_failed" when Telegram refused a digest to it
    (blocked, removed, the chat gone) and none was delivered since, else "removed" (Telegram
    told us of a block or removal, with no digest refused since the last one delivered)."""
    refused, sent = conn.execute(
        "SELECT MAX(CASE WHEN status='failed' AND error NOT IN (?, ?, ?) THEN updated_at END), "
        "MAX(CASE WHEN status='sent' THEN updated_at END) FROM delivery WHERE chat_id=?",
        (*sorted(_NOT_REFUSED), chat_id)).fetchone()
    return "send_failed" if refused is not None and (sent is None or refused >= sent) \
        else "removed"


# Delivery errors that are not Telegram refusing the chat.
_NOT_REFUSED: Final = frozenset({"paused", "unsubscribed", "superseded"})


def migrate_chat(conn: Db, old_chat_id: int, new_chat_id: int) -> int:
    """A group became a supergroup: move its subscriptions and digest history to the new id
    (where the new id already follows a ward, that one stays).  Return how many moved."""
    if old_chat_id == new_chat_id:
        return 0
    with transaction(conn):
        conn.lock("chat", new_chat_id)
        moved = conn.execute(
            "UPDATE subscription SET chat_id=?, chat_type='supergroup' WHERE chat_id=? "
            "AND ward_code NOT IN (SELECT ward_code FROM subscription WHERE chat_id=?)",
            (new_chat_id, old_chat_id, new_chat_id)).rowcount
        conn.execute("DELETE FROM subscription WHERE chat_id=?", (old_chat_id,))
        conn.execute(
            "UPDATE delivery SET chat_id=? WHERE chat_id=? AND NOT EXISTS (SELECT 1 FROM "
            "delivery d WHERE d.chat_id=? AND d.ward_code=delivery.ward_code "
            "AND d.data_month=delivery.data_month)", (new_chat_id, old_chat_id, new_chat_id))
        conn.execute("DELETE FROM delivery WHERE chat_id=?", (old_chat_id,))
    return moved


def subscription_counts(conn: Db) -> SubscriptionCounts:
    active, paused, chats = conn.execute(
        "SELECT COALESCE(SUM(CASE WHEN state='active' THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN state='paused' THEN 1 ELSE 0 END), 0), "
        "COUNT(DISTINCT chat_id) FROM subscription").fetchone()
    return SubscriptionCounts(int(active), int(paused), int(chats))


# -- digests ----------------------------------------------------------------------------------


def digest_month(conn: Db) -> int | None:
    """The latest data month whose digests have been queued, if any."""
    row = conn.execute("SELECT value FROM meta WHERE key=?", (DIGEST_MONTH_KEY,)).fetchone()
    return int(row[0]) if row else None


def digest_due(conn: Db) -> int | None:
    """The ward crime month whose digests should be queued now, or None.

    Due when the current ward crime version ends in a later month than the previous version
    (a newer month was loaded, by the check or by `wardwatch load`) and that month's digests
    have not been queued yet.  A first load (no previous version) or a forced older load is
    not news.
    """
    current = versions(conn).get("ward_crime")
    previous = versions(conn, "previous").get("ward_crime")
    if current is None or previous is None or current.last_month is None:
        return None
    if previous.last_month is not None and previous.last_month >= current.last_month:
        return None
    done = digest_month(conn)
    if done is not None and done >= current.last_month:
        return None
    return current.last_month


def open_fanout(conn: Db, month: int, *, now: datetime | None = None) -> int:
    """Queue one digest of `month` per active subscription (idempotent: a (chat, ward, month)
    already queued or sent is left alone); unsent digests of older months are dropped as
    superseded.  Return how many were queued."""
    stamp = _stamp(now)
    with transaction(conn):
        conn.execute(
            "UPDATE delivery SET status='failed', error='superseded', updated_at=? "
            "WHERE status='pending' AND data_month<?", (stamp, month))
        queued = conn.execute(
            "INSERT INTO delivery (chat_id, ward_code, data_month, status, attempts, "
            "updated_at) SELECT chat_id, ward_code, ?, 'pending', 0, ? FROM subscription "
            "WHERE state='active' ORDER BY rowid ON CONFLICT DO NOTHING",
            (month, stamp)).rowcount
        done = digest_month(conn)
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                     (DIGEST_MONTH_KEY, str(max(month, done or month))))
    return queued


def take_pending(conn: Db, month: int, *,
                 now: datetime | None = None) -> list[Pending]:
    """The digests of `month` still to send, in the order they were queued.  Those whose
    subscription was paused or removed meanwhile are marked failed, not returned."""
    stamp = _stamp(now)
    with transaction(conn):
        conn.execute(
            "UPDATE delivery SET status='failed', updated_at=?, error=CASE WHEN EXISTS ("
            "SELECT 1 FROM subscription s WHERE s.chat_id=delivery.chat_id "
            "AND s.ward_code=delivery.ward_code) THEN 'paused' ELSE 'unsubscribed' END "
            "WHERE data_month=? AND status='pending' AND NOT EXISTS (SELECT 1 FROM subscription s "
            "WHERE s.chat_id=delivery.chat_id AND s.ward_code=delivery.ward_code "
            "AND s.state='active')", (stamp, month))
        rows = conn.execute(
            "SELECT d.chat_id, s.chat_type, d.ward_code, d.data_month, d.attempts "
            "FROM delivery d JOIN subscription s "
            "ON s.chat_id=d.chat_id AND s.ward_code=d.ward_code "
            "WHERE d.data_month=? AND d.status='pending' ORDER BY d.rowid",
            (month,)).fetchall()
    return [Pending(int(c), str(t), str(w), int(m), int(a)) for c, t, w, m, a in rows]


def pending_wards(conn: Db, chat_id: int, month: int) -> set[str]:
    """The wards whose digest of `month` to this chat is still pending."""
    return {str(w) for (w,) in conn.execute(
        "SELECT ward_code FROM delivery WHERE chat_id=? AND data_month=? AND status='pending'",
        (chat_id, month))}


def drop_pending(conn: Db, month: int, error: str, *,
                 now: datetime | None = None) -> int:
    """Give up on every pending digest of `month` (its data is no longer current)."""
    with transaction(conn):
        return conn.execute(
            "UPDATE delivery SET status='failed', error=?, updated_at=? "
            "WHERE data_month=? AND status='pending'", (error, _stamp(now), month)).rowcount


def pending_months(conn: Db) -> list[int]:
    """Data months with digests still pending, oldest first."""
    return [int(m) for (m,) in conn.execute(
        "SELECT DISTINCT data_month FROM delivery WHERE status='pending' ORDER BY data_month")]


def claim(conn: Db, chat_id: int, ward_code: str, month: int, *,
          now: datetime | None = None, lease: str | None = None) -> bool:
    """Just before sending a digest: count the attempt, if it is still to be sent (pending, and
    its subscription active: not removed, paused or forgotten since it was queued).  With
    `lease` (the sender's leader token) raise LeaseLost, claiming nothing, if another process
    has taken the lease since."""
    with transaction(conn):
        if lease is not None:
            check_lease(conn, lease)
        return conn.execute(
            "UPDATE delivery SET attempts=attempts+1, updated_at=? "
            "WHERE chat_id=? AND ward_code=? AND data_month=? AND status='pending' "
            "AND EXISTS (SELECT 1 FROM subscription s WHERE s.chat_id=delivery.chat_id "
            "AND s.ward_code=delivery.ward_code AND s.state='active')",
            (_stamp(now), chat_id, ward_code, month)).rowcount > 0


def recent_sends(conn: Db, month: int, since: datetime) -> list[tuple[int, str, bool]]:
    """The digests of `month` sent, or claimed and not yet answered, at `since` or later:
    (chat id, when, whether answered), so a new sender's rate limits count what the one
    before it sent in the last window (it may have been another process, killed mid-way)."""
    rows = conn.execute(
        "SELECT chat_id, updated_at, status FROM delivery WHERE data_month=? AND updated_at>=? "
        "AND (status='sent' OR (status='pending' AND attempts>0))",
        (month, _stamp(since))).fetchall()
    return [(int(c), str(t), s == "sent") for c, t, s in rows]


def mark(conn: Db, chat_id: int, ward_code: str, month: int, status: str, *,
         error: str | None = None, now: datetime | None = None) -> bool:
    """Record how a pending digest's attempt went: 'sent', 'failed', or 'pending' (to try
    again, with the error).  False if it was no longer pending."""
    if status not in ("pending", "sent", "failed"):
        raise ValueError(f"unknown delivery status {status!r}")
    with transaction(conn):
        return conn.execute(
            "UPDATE delivery SET status=?, error=?, updated_at=? "
            "WHERE chat_id=? AND ward_code=? AND data_month=? AND status='pending'",
            (status, error, _stamp(now), chat_id, ward_code, month)).rowcount > 0


def fail_chat(conn: Db, chat_id: int, ward_code: str, month: int, error: str,
              *, now: datetime | None = None) -> int:
    """The chat cannot be reached (blocked us, left, gone): this digest failed, the chat's
    subscriptions are paused and its other pending digests fail too.  Return how many
    subscriptions were paused."""
    stamp = _stamp(now)
    with transaction(conn):
        conn.execute(
            "UPDATE delivery SET status='failed', error=?, updated_at=? "
            "WHERE chat_id=? AND ward_code=? AND data_month=? AND status='pending'",
            (error, stamp, chat_id, ward_code, month))
        conn.execute(
            "UPDATE delivery SET status='failed', error='paused', updated_at=? "
            "WHERE chat_id=? AND status='pending'", (stamp, chat_id))
        return conn.execute(
            "UPDATE subscription SET state='paused' WHERE chat_id=? AND state='active'",
            (chat_id,)).rowcount


def delivery_counts(conn: Db, month: int | None = None) -> DeliveryCounts:
    """The digests of `month` (default: the latest queued) by status."""
    month = digest_month(conn) if month is None else month
    if month is None:
        return DeliveryCounts(None, 0, 0, 0)
    counts = dict(conn.execute(
        "SELECT status, COUNT(*) FROM delivery WHERE data_month=? GROUP BY status",
        (month,)).fetchall())
    errors = conn.execute(
        "SELECT COALESCE(error, 'unknown'), COUNT(*) FROM delivery "
        "WHERE data_month=? AND status='failed' GROUP BY 1 ORDER BY 2 DESC, 1", (month,)).fetchall()
    return DeliveryCounts(month, int(counts.get("sent", 0)), int(counts.get("pending", 0)),
                          int(counts.get("failed", 0)),
                          tuple((str(e), int(n)) for e, n in errors))
