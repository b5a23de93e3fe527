"""Following the publishers: ask each one what it has, download only what is new, and load it.

Six feeds, each checked on its own (a failure in one leaves the others to load, and is
recorded for that one):

* the Met's ward and borough crime extracts, from the London Datastore's crime dataset (its
  newest "most recent 24 months" release of each);
* the Met's stop-and-search dashboard extract, from its own Datastore dataset, when public;
* police.uk's stop-and-search months (its open API): every month later than the current
  data's (on a first run the latest FIRST_MONTHS), placed in boroughs by the loader;
* the Met's use of force (taser) file, when public (it has asked for a login since 2025:
  asked again after NOT_PUBLIC_REST, not daily);
* the Home Office's yearly "Police use of force statistics" on GOV.UK (the content API's
  statistics collection, its newest release, that release's ODS data tables): the Met-wide
  taser figures (publishers/gov_uk.py).

Nothing is downloaded twice: a release whose fingerprint (id, URL, hash, size, timestamp)
is the one the current data came from is skipped unasked, and a download is conditional on
the ETag / Last-Modified seen before; both only while the current version holds the file that
release served (state.FeedState.holds_release), whatever loaded data since (release.py).
Downloads stream to a temporary folder with a cap per kind and are refused whole if cut
short.  Loading runs in a child process (worker.py); what each feed did is written to
`publisher_state` (state.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final, Literal

import httpx

from datastore.ingest.publishers import NotPublic, PublisherError, gov_uk
from datastore.ingest.publishers.london_datastore import (
    Catalogue,
    Resource,
    ResourceKind,
    choose,
    fetch_catalogue,
)
from datastore.ingest.publishers.police_uk import PoliceUk
from datastore.ingest.release import Listed, Settled, fetch
from datastore.ingest.state import (
    KIND,
    PUBLISHER,
    Feed,
    FeedState,
    failed,
    feed_states,
    save_states,
    succeeded,
)
from datastore.ingest.worker import LoadJob, LoadOutcome
from datastore.query.figures import month_label
from datastore.storage.store import Location, Store, Version

log = logging.getLogger(__name__)

# police.uk months fetched on a first run (no stop-and-search data yet) and at most per check.
FIRST_MONTHS: Final = 12
# A feed that needs a login is asked again after this long (not every day).
NOT_PUBLIC_REST: Final = timedelta(days=30)

Result = Literal["loaded", "unchanged", "rejected", "failed", "not_public", "resting"]
Progress = Callable[[str], None]
Loader = Callable[[Location, Sequence[LoadJob]], Awaitable[list[LoadOutcome]]]


@dataclass(frozen=True)
class Publishers:
    """Where each publisher is, and which datasets to follow."""

    london_datastore: str
    police_uk: str
    crime_dataset: str = "exy3m"
    stop_search_dataset: str = "e6yjz"
    use_of_force_dataset: str = "use-of-force"
    force: str = "metropolitan"
    gov_uk: str = "https://www.gov.uk"
    use_of_force_collection: str = "government/collections/police-use-of-force-statistics"


@dataclass(frozen=True)
class FeedOutcome:
    """What one feed's check did."""

    feed: Feed
    result: Result
    detail: str
    version: Version | None = None


@dataclass(frozen=True)
class FollowReport:
    outcomes: tuple[FeedOutcome, ...]

    @property
    def loaded(self) -> tuple[Version, ...]:
        seen: dict[int, Version] = {}
        for o in self.outcomes:
            if o.version is not None:
                seen[o.version.id] = o.version
        return tuple(seen.values())

    def of(self, feed: Feed) -> FeedOutcome | None:
        return next((o for o in self.outcomes if o.feed == feed), None)


@dataclass
class _Pending:
    """A feed's downloaded files waiting to be loaded, and the state to save after."""

    feed: Feed
    state: FeedState
    paths: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    detail: str = ""


def _resource_kind(feed: Feed) -> ResourceKind:
    kinds: dict[Feed, ResourceKind] = {
        "ward_crime": "ward_crime", "borough_crime": "borough_crime",
        "stop_search_mps": "stop_search", "taser": "taser"}
    return kinds[feed]


def _period(resource: Resource) -> str | None:
    return resource.coverage_to or resource.timestamp


class _Check:
    """One run of the check over every feed."""

    def __init__(self, store: Store, http: httpx.AsyncClient, where: Publishers, now: datetime,
                 workdir: Path, progress: Progress | None) -> None:
        self.store = store
        self.http = http
        self.where = where
        self.now = now
        self.workdir = workdir
        self.progress = progress
        self.states: dict[str, FeedState] = {}
        self.current: Mapping[str, Version] = {}
        self.outcomes: list[FeedOutcome] = []
        self.pending: list[_Pending] = []
        self.saved: list[FeedState] = []
        self._catalogues: dict[str, Catalogue | PublisherError] = {}

    def say(self, message: str) -> None:
        log.info("%s", message)
        if self.progress is not None:
            self.progress(message)

    def state(self, feed: Feed) -> FeedState:
        return self.states.get(feed) or FeedState(feed, PUBLISHER[feed])

    def finish(self, feed: Feed, result: Result, detail: str, state: FeedState) -> None:
        self.outcomes.append(FeedOutcome(feed, result, detail))
        self.saved.append(state)

    def fail(self, feed: Feed, exc: PublisherError | str) -> None:
        reason = str(exc)
        if isinstance(exc, NotPublic):
            until = (self.now + NOT_PUBLIC_REST).isoformat(timespec="seconds")
            self.say(f"{feed}: not public ({reason}); asked again after {until[:10]}")
            self.finish(feed, "not_public", reason, failed(self.state(feed), self.now, reason,
                                                           not_public_until=until))
            return
        self.say(f"{feed}: {reason}")
        self.finish(feed, "failed", reason, failed(self.state(feed), self.now, reason))

    async def catalogue(self, dataset: str) -> Catalogue:
        if dataset not in self._catalogues:
            try:
                self._catalogues[dataset] = await fetch_catalogue(
                    self.http, self.where.london_datastore, dataset)
            except PublisherError as exc:
                self._catalogues[dataset] = exc
        found = self._catalogues[dataset]
        if isinstance(found, PublisherError):
            raise found
        return found

    # -- the London Datastore's feeds -----------------------------------------------------

    async def datastore_feed(self, feed: Feed, dataset: str) -> None:
        state = self.state(feed)
        if state.resting(self.now):
            self.outcomes.append(FeedOutcome(feed, "resting", f"not public: asked again after "
                                             f"{(state.not_public_until or '')[:10]}"))
            return
        try:
            catalogue = await self.catalogue(dataset)
        except PublisherError as exc:
            self.fail(feed, exc)
            return
        try:
            resource = choose(catalogue.resources, _resource_kind(feed), url=catalogue.url)
        except PublisherError as exc:  # listed, but not public
            self.fail(feed, exc)
            return
        if resource is None:
            titles = "; ".join(r.title for r in catalogue.resources[:8]) or "none"
            self.fail(feed, PublisherError(
                catalogue.url, f"the London Datastore lists no {KIND[feed]} release in "
                f"dataset {dataset} (titles listed: {titles})"))
            return
        await self.release(feed, state, Listed(resource.title, resource.url,
                                               resource.fingerprint(), _period(resource),
                                               size=resource.size, hash=resource.hash))

    # -- GOV.UK: the Home Office's yearly tables ------------------------------------------

    async def gov_uk_feed(self) -> None:
        feed: Feed = "taser_home_office"
        state = self.state(feed)
        try:
            found = await gov_uk.fetch_tables(self.http, self.where.gov_uk,
                                              self.where.use_of_force_collection)
        except PublisherError as exc:
            self.fail(feed, exc)
            return
        name = found.attachment.title or found.attachment.filename or found.release.title
        period = f"published {found.published}" if found.published else None
        await self.release(feed, state, Listed(name, found.attachment.url,
                                               found.fingerprint(), period, found.release.title))

    # -- one release, any publisher ------------------------------------------------------

    async def release(self, feed: Feed, state: FeedState, item: Listed) -> None:
        """Download the release's file unless the current data is made from it (release.py),
        and queue it to load."""
        got = await fetch(self.store, self.http, self.workdir, feed, state, item, self.now,
                          self.say, self.progress)
        if isinstance(got, PublisherError):
            self.fail(feed, got)
        elif isinstance(got, Settled):
            self.finish(feed, "unchanged", got.detail, got.state)
        else:
            self.pending.append(_Pending(feed, got.state, [str(got.path)], [item.title]))

    # -- police.uk ------------------------------------------------------------------------

    async def police_uk_feed(self) -> None:
        feed: Feed = "stop_search_police_uk"
        state = self.state(feed)
        client = PoliceUk(self.http, self.where.police_uk)
        try:
            months = await client.stop_search_months(self.where.force)
        except PublisherError as exc:
            self.fail(feed, exc)
            return
        listed = {"release_title": "stops-force", "release_period":
                  month_label(months[0]) if months else None}
        have = self.current.get("stop_search")
        last = have.last_month if have is not None else None
        wanted = sorted(m for m in months if last is None or m > last)[-FIRST_MONTHS:]
        pending = _Pending(feed, state)
        try:
            for month in wanted:
                records = await client.stops(month, self.where.force)
                if not records:
                    pending.detail = f"{month_label(month)} listed but not published yet"
                    break  # later months wait for this one
                path = self.workdir / f"policeuk_stops_{self.where.force}_{month}.json"
                await asyncio.to_thread(_write_json, path, records)  # off the event loop
                pending.paths.append(str(path))
                pending.names.append(f"data.police.uk stops-force {month_label(month)}")
                self.say(f"{feed}: {month_label(month)}: {len(records):,} records")
        except PublisherError as exc:
            self.fail(feed, exc)
            return
        pending.state = succeeded(state, self.now, **listed)
        if not pending.paths:
            detail = pending.detail or "no month later than the current data"
            self.finish(feed, "unchanged", detail, pending.state)
            return
        self.pending.append(pending)

    # -- loading --------------------------------------------------------------------------

    def jobs(self) -> list[tuple[LoadJob, list[_Pending]]]:
        """One job per kind: the two stop-and-search feeds load together (the more complete
        source wins each month); stop and search and taser add to their current data."""
        by_kind: dict[str, list[_Pending]] = {}
        for p in self.pending:
            by_kind.setdefault(KIND[p.feed], []).append(p)
        out = []
        for kind, items in by_kind.items():
            paths = tuple(path for p in items for path in p.paths)
            names = tuple(name for p in items for name in p.names)
            job = LoadJob(kind, paths, names,  # type: ignore[arg-type]
                          extend=kind in ("stop_search", "taser"),
                          states=tuple(p.state for p in items))  # saved with the version
            out.append((job, items))
        return out

    def loaded(self, items: list[_Pending], outcome: LoadOutcome) -> None:
        for p in items:
            if outcome.result in ("loaded", "unchanged"):
                detail = outcome.detail or ", ".join(p.names)
                self.outcomes.append(FeedOutcome(p.feed, outcome.result, detail,
                                                 outcome.version))
                self.saved.append(p.state)
            else:
                # The publisher answered; its file was not usable: the failure is recorded,
                # and the fingerprint kept as before so the release is tried again.
                self.outcomes.append(FeedOutcome(p.feed, outcome.result, outcome.detail))
                old = self.state(p.feed)
                self.saved.append(failed(replace(old, release_title=p.state.release_title,
                                                 release_period=p.state.release_period),
                                         self.now, outcome.detail))


async def follow(store: Store, http: httpx.AsyncClient, where: Publishers, *, now: datetime,
                 load: Loader,
                 progress: Progress | None = None) -> FollowReport:
    """Check every feed, download what is new and load it (with `load`: worker.run_loads
    in a child process, or in this one).  Never raises for a publisher's answer or a file."""
    with tempfile.TemporaryDirectory(prefix="wardwatch-update-") as tmp:
        check = _Check(store, http, where, now, Path(tmp), progress)
        check.states = await store.run(feed_states)
        check.current = await store.versions()
        await check.datastore_feed("ward_crime", where.crime_dataset)
        await check.datastore_feed("borough_crime", where.crime_dataset)
        await check.datastore_feed("stop_search_mps", where.stop_search_dataset)
        await check.police_uk_feed()
        await check.datastore_feed("taser", where.use_of_force_dataset)
        await check.gov_uk_feed()
        jobs = check.jobs()
        if jobs:
            check.say("loading " + ", ".join(job.kind for job, _ in jobs))
            outcomes = await load(store.location, [job for job, _ in jobs])
            for (_job, items), outcome in zip(jobs, outcomes, strict=True):
                check.loaded(items, outcome)
    await store.run(lambda conn: save_states(conn, check.saved))
    order = {feed: i for i, feed in enumerate(PUBLISHER)}
    return FollowReport(tuple(sorted(check.outcomes, key=lambda o: order[o.feed])))


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value), encoding="utf-8")
