"""Loading downloaded files into the store in a child process, so the bot never waits on it.

Reading and validating a month's extracts holds the interpreter for seconds at a time (a load
in a thread of the bot's process held its event loop for up to 160 ms), and the memory pandas
takes for it is not all given back.  So `run_loads` runs `load_jobs` in a fresh child process
(spawned, one at a time): it opens the store file itself, reads, validates and writes each
kind as a new version in its own transaction, and returns plain results.  The bot then
rebuilds its view from the store.  A child killed mid-load leaves the old version current (an
uncommitted transaction), as any load does.  The child dies with its parent (`children`),
and is killed if the load is cancelled (shutdown); a load writes the states of the feeds it
came from in the same transaction as its version, so data and state never disagree.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from datastore.children import die_with_parent
from datastore.errors import LoadError
from datastore.ingest.state import FeedState, write_states
from datastore.storage.access import backend_errors
from datastore.storage.kinds import COLUMNS, Kind, Loaded
from datastore.storage.store import (
    Db,
    LoadInput,
    Location,
    RefusedUnlessForced,
    SourceFile,
    StoreError,
    Version,
    as_location,
    connect,
    known_wards,
    versions,
    write_failure,
    write_versions,
)

log = logging.getLogger(__name__)

# A kind followed month by month (police.uk's stop and search) keeps this many months.
KEEP_MONTHS: Final = 24
# ... and names at most this many source files in its version.
KEEP_SOURCES: Final = 48

Result = Literal["loaded", "unchanged", "rejected", "failed"]


@dataclass(frozen=True)
class LoadJob:
    """Files of one kind to load as its new version.

    `names` say what each file is (a publisher's title or URL), for versions and messages.
    With `extend`, the files add to the current version (new months, a newer period) rather
    than replace it: each month is then taken from the most complete source that has it.
    """

    kind: Kind
    paths: tuple[str, ...]
    names: tuple[str, ...]
    extend: bool = False
    # The feeds' states to record once loaded, in the version's own transaction.
    states: tuple[FeedState, ...] = ()


@dataclass(frozen=True)
class LoadOutcome:
    kind: str
    result: Result
    detail: str
    version: Version | None = None
    notes: tuple[str, ...] = ()


def current_loaded(conn: Db, kind: Kind) -> Loaded | None:
    """The current version of a kind read back as a Loaded frame (to extend it)."""
    version = versions(conn).get(kind)
    if version is None:
        return None
    import pandas as pd  # in the child process that loads, never in the bot

    columns = list(COLUMNS[kind])
    frame = pd.DataFrame(conn.execute(
        f"SELECT {', '.join(columns)} FROM {kind} WHERE version_id=?", (version.id,)).fetchall(),
        columns=columns)
    if "has_location" in frame:
        frame["has_location"] = frame["has_location"].astype(bool)
    if "subjects" in frame:
        frame["subjects"] = frame["subjects"].astype("Int64")
    for column in columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].astype("str")
    # The months matter where combining goes month by month (stop and search); a taser
    # version's periods are recomputed when it is combined.
    months = tuple(sorted({int(m) for m in frame["month"]})) if "month" in frame else ()
    return Loaded(kind, "current data", frame, months)


def _trim(data: Loaded) -> Loaded:
    """Keep the latest KEEP_MONTHS months of a kind followed month by month."""
    if "month" not in data.frame or len(data.months) <= KEEP_MONTHS:
        return data
    kept = data.months[-KEEP_MONTHS:]
    frame = data.frame[data.frame["month"] >= kept[0]].reset_index(drop=True)
    return Loaded(data.kind, data.source, frame, kept, data.notes)


def _one(conn: Db, job: LoadJob, known: set[str] | None) -> LoadOutcome:
    from datastore.ingest import loaders, sources  # pandas: in the child process only

    named = dict(zip(job.paths, job.names, strict=True))
    failures: tuple[type[BaseException], ...] = (OSError, StoreError,
                                                 *backend_errors(conn.location))

    def said(exc: Exception) -> str:
        text = str(exc)
        for path, name in named.items():
            text = text.replace(path, name)
        return text

    try:
        parts = [loaders.read_file(path, job.kind, known_wards=known) for path in job.paths]
        digests = [SourceFile(name, sources.sha256(Path(path))) for path, name in named.items()]
        current = versions(conn).get(job.kind)
        have = {s.sha256 for s in current.sources} if current is not None else set()
        if have and ({d.sha256 for d in digests} <= have if job.extend
                     else {d.sha256 for d in digests} == have):
            return LoadOutcome(job.kind, "unchanged", "the same files as the current data")
        files = tuple(digests)
        if job.extend:
            before = current_loaded(conn, job.kind)
            if before is not None and current is not None:
                parts.insert(0, before)
                files = (*current.sources, *digests)[-KEEP_SOURCES:]
        data = loaders.combine(job.kind, parts)
        if job.extend:  # only months added to months are trimmed; an extract is as published
            data = _trim(data)
        [version] = write_versions(conn, {job.kind: LoadInput(data, files)},
                                   after_insert=lambda _kind: write_states(conn, job.states))
        return LoadOutcome(job.kind, "loaded", "", version, data.notes)
    except (LoadError, RefusedUnlessForced) as exc:
        return LoadOutcome(job.kind, "rejected", said(exc))
    except failures as exc:
        failure = write_failure(conn.location, exc)
        return LoadOutcome(job.kind, "failed", str(failure or exc))


def load_jobs(where: Location | str, jobs: Sequence[LoadJob]) -> list[LoadOutcome]:
    """Load each job as its kind's new version, each in its own transaction: a bad file of
    one kind leaves the others to load.  Never raises for a bad file or a full disk."""
    location = as_location(where)
    errors: tuple[type[BaseException], ...] = (OSError, *backend_errors(location))
    try:
        conn = connect(location)
    except errors as exc:
        return [LoadOutcome(job.kind, "failed", f"cannot open the store: {exc}") for job in jobs]
    try:
        known = known_wards(conn)
        return [_one(conn, job, known) for job in jobs]
    finally:
        conn.close()


async def run_loads(where: Location | Path | str, jobs: Sequence[LoadJob]) -> list[LoadOutcome]:
    """`load_jobs` in a fresh child process (spawned: nothing of the bot's state is copied),
    which dies with this one; cancelled (a shutdown), the child is killed: a load not yet
    committed is rolled back by the database, as any killed load is."""
    if not jobs:
        return []
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=die_with_parent, initargs=(os.getpid(),))
    try:
        return await asyncio.get_running_loop().run_in_executor(
            pool, load_jobs, as_location(where), tuple(jobs))
    except asyncio.CancelledError:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
