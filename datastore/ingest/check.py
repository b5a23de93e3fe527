"""The daily check: follow the publishers (follow.py), or, when `[sources]` names files, ask
those for a newer month; load what is newer as new versions in a child process (validated
like any load: a bad file is rejected and nothing changes), refresh the view, and keep a log
of every check.  Also what the previous version said, for digests that note revisions."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal, Protocol

import httpx

from datastore.errors import LoadError
from datastore.ingest import sources
from datastore.ingest.follow import FollowReport, Loader, Publishers, follow
from datastore.ingest.worker import LoadJob, run_loads
from datastore.query.figures import month_label
from datastore.query.view import DataView
from datastore.storage import blobs
from datastore.storage.kinds import Kind
from datastore.storage.store import (
    WRITE_FAILURES,
    Db,
    RefusedUnlessForced,
    Store,
    StoreWriteError,
    Version,
    transaction,
    versions,
)

log = logging.getLogger(__name__)


class Served(Protocol):
    """What a check needs of the running services (datastore/services.py `Services`): the
    store, and the in-memory view and feed states to refresh after a load.  A protocol, so
    ingest does not import the services that are built on it."""

    store: Store
    view: DataView

    async def refresh_view(self) -> DataView: ...

    async def refresh_feeds(self) -> None: ...

Result = Literal["loaded", "unchanged", "rejected", "failed"]
Trigger = Literal["schedule", "admin", "start", "update"]
Progress = Callable[[str], None]

# The kinds whose sources publish a new month each month, and which the check looks at.
CRIME_KINDS: Final[tuple[Kind, ...]] = ("ward_crime", "borough_crime")
# Checks kept in the log.
KEEP_CHECKS: Final = 200


@dataclass(frozen=True)
class CheckRecord:
    """One check, as logged."""

    checked_at: str  # ISO 8601, UTC
    trigger: str
    result: str  # a Result
    detail: str
    ward_month: int | None  # the current ward crime month after the check


@dataclass(frozen=True)
class CheckResult:
    """A check and what it loaded."""

    record: CheckRecord
    loaded: tuple[Version, ...] = ()
    ward_month_before: int | None = None
    feeds: FollowReport | None = None  # a check of the publishers: what each feed did

    @property
    def result(self) -> str:
        return self.record.result

    @property
    def new_ward_month(self) -> int | None:
        """The ward crime month that became current, if the check loaded a newer one."""
        for v in self.loaded:
            if v.kind == "ward_crime" and v.last_month is not None and (
                    self.ward_month_before is None or v.last_month > self.ward_month_before):
                return v.last_month
        return None


@dataclass(frozen=True)
class Peeked:
    """A source file and what its header says."""

    name: str
    kind: Kind | None
    last_month: int | None


def bundled_crime_files() -> list[Path]:
    """The bundled snapshot's crime extracts: what the check reads when no source is set."""
    return [p for p in sources.bundled_files() if p.name.startswith("mps_")]


def newer_kinds(peeked: Sequence[Peeked], current: Mapping[str, Version]) -> dict[Kind, int]:
    """The crime kinds whose sources end in a later month than the current version (or that
    have no current version), with that month."""
    latest: dict[Kind, int] = {}
    for p in peeked:
        if p.kind in CRIME_KINDS and p.last_month is not None:
            latest[p.kind] = max(p.last_month, latest.get(p.kind, 0))
    out: dict[Kind, int] = {}
    for kind, month in latest.items():
        have = current.get(kind)
        if have is None or have.last_month is None or month > have.last_month:
            out[kind] = month
    return out


def describe_sources(peeked: Sequence[Peeked], current: Mapping[str, Version]) -> str:
    """One line for the log: the latest month in the sources against the current data."""
    parts = []
    for kind in CRIME_KINDS:
        months = [p.last_month for p in peeked if p.kind == kind and p.last_month is not None]
        have = current.get(kind)
        if months:
            now = month_label(have.last_month) if have and have.last_month else "none"
            parts.append(f"{kind}: source {month_label(max(months))}, current {now}")
    others = [p.name for p in peeked if p.kind not in CRIME_KINDS]
    if others:
        parts.append("not crime extracts, ignored: " + ", ".join(others))
    return "; ".join(parts) or "no crime extract among the sources"


def peek_newer(srcs: Sequence[str], current: Mapping[str, Version],
               names: Mapping[Path, str] | None = None) -> tuple[list[LoadJob], list[Peeked]]:
    """Peek at each local source's header (URLs are downloaded first: `sources.fetch`, whose
    `names` say what each path is), and make a load job for each kind with a newer month.
    Synchronous: run it in a worker thread."""
    from datastore.ingest import loaders  # pandas, shapely: from the first check on

    paths, local_names = sources.materialise(srcs)
    names = {**local_names, **(names or {})}
    peeked = []
    for path in paths:
        try:
            kind, months = loaders.peek_months(path)
        except LoadError as exc:
            raise sources.named(exc, names) from None
        peeked.append(Peeked(names.get(path, path.name), kind, months[-1] if months else None))
    newer = newer_kinds(peeked, current)
    jobs = []
    for kind in newer:
        wanted = [(path, p) for path, p in zip(paths, peeked, strict=True) if p.kind == kind]
        latest = max(wanted, key=lambda pair: pair[1].last_month or 0)  # one extract a kind
        jobs.append(LoadJob(kind, (str(latest[0]),), (latest[1].name,)))
    return jobs, peeked


def _loaded_detail(loaded: Sequence[Version], before: Mapping[str, Version]) -> str:
    parts = []
    for v in loaded:
        old = before.get(v.kind)
        was = month_label(old.last_month) if old and old.last_month else "none"
        now = month_label(v.last_month) if v.last_month else "?"
        parts.append(f"{v.kind}: {was} -> {now} ({', '.join(s.name for s in v.sources)})")
    return "; ".join(parts)


async def _finish(services: Served, stamp: str, trigger: Trigger, result: Result,
                  detail: str, loaded: tuple[Version, ...], ward_before: int | None,
                  feeds: FollowReport | None = None) -> CheckResult:
    if loaded:
        await services.refresh_view()
    after = services.view.versions.get("ward_crime")
    record = CheckRecord(stamp, trigger, result, detail, after.last_month if after else None)
    try:
        await services.store.run(lambda conn: record_check(conn, record))
    except StoreWriteError as exc:  # a full disk: what the check did still stands and is said
        log.warning("the check could not be logged: %s", exc)
        record = replace(record, detail=f"{record.detail}; this check could not be written to "
                                        f"the log of checks: {WRITE_FAILURES[exc.code]}")
    return CheckResult(record, loaded, ward_before, feeds)


async def check_sources(services: Served, srcs: Sequence[str], *, trigger: Trigger,
                        now: datetime | None = None, load: Loader = run_loads,
                        http: httpx.AsyncClient | None = None) -> CheckResult:
    """Check the sources (none: the bundled snapshot's crime extracts) for a newer month and
    load what is newer (in a child process: answers go on meanwhile); log the check.  URLs
    are downloaded with `http` (a publishers' client), as every download is.  Never raises
    for a bad file or a failed download: the result says `rejected` and the current data
    stays current."""
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    before = await services.store.versions()
    ward_before = before["ward_crime"].last_month if "ward_crime" in before else None
    chosen = list(srcs) or [str(p) for p in bundled_crime_files()]
    loaded: tuple[Version, ...] = ()
    try:
        with tempfile.TemporaryDirectory(prefix="wardwatch-check-") as tmp:
            paths, names = await sources.fetch(chosen, Path(tmp), http)
            jobs, peeked = await asyncio.to_thread(
                peek_newer, [str(p) for p in paths], before, names)
            outcomes = await load(services.store.location, jobs)
        loaded = tuple(o.version for o in outcomes if o.version is not None)
        refused = [o for o in outcomes if o.result in ("rejected", "failed")]
        if refused:
            result: Result = "rejected" if any(o.result == "rejected" for o in refused) \
                else "failed"
            detail = "; ".join(o.detail for o in refused)
            if loaded:
                detail = _loaded_detail(loaded, before) + "; " + detail
        elif loaded:
            result, detail = "loaded", _loaded_detail(loaded, before)
        else:
            result, detail = "unchanged", describe_sources(peeked, before)
        if loaded and result != "loaded":
            result = "loaded"
    except (LoadError, RefusedUnlessForced) as exc:
        result, detail = "rejected", str(exc)
    except Exception as exc:  # a bug or the disk: logged, reported, and the data unchanged
        log.exception("the data check failed")
        result, detail = "failed", f"{type(exc).__name__}: {exc}"
    return await _finish(services, stamp, trigger, result, detail, loaded, ward_before)


async def check_publishers(services: Served, http: httpx.AsyncClient, where: Publishers, *,
                           trigger: Trigger, now: datetime | None = None,
                           load: Loader = run_loads,
                           progress: Progress | None = None) -> CheckResult:
    """Follow the publishers (follow.py): every feed on its own; log the check.  The result
    is `loaded` if any feed loaded, else `rejected` / `failed` if any was, else `unchanged`;
    the detail says what each feed did."""
    when = now or datetime.now(UTC)
    stamp = when.isoformat(timespec="seconds")
    before = await services.store.versions()
    ward_before = before["ward_crime"].last_month if "ward_crime" in before else None
    try:
        report = await follow(services.store, http, where, now=when, load=load,
                              progress=progress)
    except Exception as exc:  # a bug or the disk: logged, reported, and the data unchanged
        log.exception("the publishers check failed")
        return await _finish(services, stamp, trigger, "failed",
                             f"{type(exc).__name__}: {exc}", (), ward_before)
    finally:
        await services.refresh_feeds()
    results = {o.result for o in report.outcomes}
    result: Result = ("loaded" if report.loaded else "rejected" if "rejected" in results
                      else "failed" if "failed" in results else "unchanged")
    detail = "; ".join(f"{o.feed}: {o.result}" + (f" ({o.detail})" if o.detail else "")
                       for o in report.outcomes)
    return await _finish(services, stamp, trigger, result, detail, report.loaded, ward_before,
                         report)


# -- the log of checks ------------------------------------------------------------------------


def record_check(conn: Db, record: CheckRecord) -> None:
    """Append a check to the log, keeping the latest KEEP_CHECKS."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO check_log (checked_at, trigger, result, detail, ward_month) "
            "VALUES (?, ?, ?, ?, ?)",
            (record.checked_at, record.trigger, record.result, record.detail,
             record.ward_month))
        conn.execute("DELETE FROM check_log WHERE id <= "
                     "(SELECT MAX(id) FROM check_log) - ?", (KEEP_CHECKS,))


def last_check(conn: Db) -> CheckRecord | None:
    row = conn.execute("SELECT checked_at, trigger, result, detail, ward_month FROM check_log "
                       "ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    return CheckRecord(str(row[0]), str(row[1]), str(row[2]), str(row[3]),
                       None if row[4] is None else int(row[4]))


# -- what the previous version said -----------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """Every ward's total in one month as the previous ward crime version published it: the
    month the last digests reported, to say when the Met has since revised it."""

    month: int
    totals: Mapping[str, int]


def previous_baseline(conn: Db) -> Baseline | None:
    """The previous ward crime version's totals for its latest month, if it ends before the
    current version (a forced older load has no such baseline)."""
    current = versions(conn).get("ward_crime")
    previous = versions(conn, "previous").get("ward_crime")
    if (current is None or previous is None or previous.last_month is None
            or current.last_month is None or previous.last_month >= current.last_month):
        return None
    matrix = blobs.stored_matrix(conn, previous.id)
    return Baseline(previous.last_month, blobs.area_totals(matrix, previous.last_month))
