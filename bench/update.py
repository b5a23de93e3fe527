"""Benchmark: a full update from the publishers while answers are being given.

Run: python bench/update.py [MB]   (MB: size of the stop-and-search extract, default 70)
Targets: no answer held up more than 50 ms by the update; peak memory of the update under
500 MB, the largest stop-and-search file included.

A store built from the bundled snapshot with the older ward extract loaded over it (so the
bundled one is two months newer) follows the fake London Datastore, data.police.uk and GOV.UK
of the tests (127.0.0.1), which list: the bundled ward and borough extracts, police.uk's
bundled months, a stop-and-search dashboard extract of MB megabytes in the Met's layout, and
the Home Office's use-of-force collection (its newest tables the bundled ODS). No real
copy of that extract exists here, so this one is made for the benchmark from police.uk's
bundled records (their fields in the Met's columns, repeated over 24 months): a load of the
right size and shape, not data for the product.  Meanwhile a task answers real postcodes in
a loop; the event loop's lag is sampled every 5 ms.  Loads run in the child process, as in
the bot: its peak memory is the child's own VmHWM, read from /proc every 50 ms while it runs
(not ru_maxrss, which on Linux carries the parent's peak into a forked child).
"""

from __future__ import annotations

import asyncio
import csv
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _store import snapshot_store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' fake publishers

from datastore.ingest import sources
from datastore.ingest.check import check_publishers
from datastore.ingest.follow import Publishers
from datastore.ingest.publishers import USER_AGENT
from datastore.services import open_services
from datastore.storage import store
from tests.gov_uk_fake import FakeGovUk, use_of_force_collection
from tests.publishers_fake import (
    WARD_OLD,
    FakeLondonDatastore,
    FakePoliceUk,
    exy3m_catalogue,
    release,
    snapshot_months,
)

HEADER = ["Borough of Stop", "Borough Code", "Year_Month", "StopDate", "Gender", "Age Group",
          "Ethnic Appearance", "Self Defined Ethnicity Group", "Legislation", "Search Reason",
          "Outcome", "Count"]


def big_extract(path: Path, megabytes: int) -> int:
    """Write a stop-and-search extract of about `megabytes` MB; return its rows."""
    records = []
    for month_file in snapshot_months():
        with gzip.open(month_file, "rt", encoding="utf-8") as fh:
            records += [r for r in json.load(fh) if r.get("borough")]
    months = [f"{2024 + (9 + i) // 12}-{(9 + i) % 12 + 1:02d}" for i in range(24)]
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        while fh.tell() < megabytes << 20:
            for month in months:
                for r in records[:2000]:
                    out.writerow([r["borough"], "E09000000", month, f"15/{month[5:]}/{month[:4]}",
                                  r.get("gender") or "", r.get("age_range") or "",
                                  r.get("officer_defined_ethnicity") or "",
                                  r.get("self_defined_ethnicity") or "", r.get("legislation") or "",
                                  r.get("object_of_search") or "", r.get("outcome") or "", 1])
                    rows += 1
            random.shuffle(records)
    return rows


def vm_hwm_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM), in MB; 0 if it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    kb = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), "0")
    return int(kb) / 1024


def child_pids() -> list[int]:
    """This process's children (the loading worker among them)."""
    me = os.getpid()
    try:
        return [int(p) for p in Path(f"/proc/{me}/task/{me}/children").read_text().split()]
    except OSError:
        return []


async def serve(db: str, datastore_url: str, police_url: str, gov_uk_url: str) -> None:
    """The bot's side, in a process of its own: answer postcodes while the update runs."""
    async with open_services(Path(db), postcodes_url=None) as svc, httpx.AsyncClient(
            timeout=120, headers={"User-Agent": USER_AGENT}) as http:
        svc.following = True
        postcodes = random.Random(1).sample(svc.view.postcodes.postcodes(), 5000)
        before = vm_hwm_mb(os.getpid())
        child_peak = 0.0
        lags: list[float] = []
        answers = 0
        stop = False

        async def answering() -> None:
            nonlocal answers
            while not stop:
                t = time.perf_counter()
                await asyncio.sleep(0.005)
                lags.append(time.perf_counter() - t - 0.005)
                await svc.answer(postcodes[answers % len(postcodes)])
                answers += 1

        async def watching_children() -> None:
            nonlocal child_peak
            while not stop:
                for pid in child_pids():
                    child_peak = max(child_peak, vm_hwm_mb(pid))
                await asyncio.sleep(0.05)

        task = asyncio.create_task(answering())
        watcher = asyncio.create_task(watching_children())
        started = time.perf_counter()
        result = await check_publishers(
            svc, http, Publishers(datastore_url, police_url, gov_uk=gov_uk_url),
            trigger="admin")
        seconds = time.perf_counter() - started
        stop = True
        await task
        await watcher
    for o in result.feeds.outcomes if result.feeds else ():
        print(f"  {o.feed}: {o.result} {o.detail[:80]}")
    lags.sort()
    own = vm_hwm_mb(os.getpid())
    child = child_peak
    print(f"update: {seconds:.1f} s; {answers:,} answers given meanwhile")
    print(f"event-loop lag: p50 {lags[len(lags) // 2] * 1000:.1f} ms, p99 "
          f"{lags[int(len(lags) * 0.99)] * 1000:.1f} ms, max {lags[-1] * 1000:.1f} ms; "
          f"{sum(1 for v in lags if v > 0.05)} samples over 50 ms of {len(lags):,}")
    print(f"peak RSS: the bot's process {own:.0f} MB ({before:.0f} MB before the update), "
          f"the loading child {child:.0f} MB")


def main(megabytes: int) -> None:
    with snapshot_store() as db, tempfile.TemporaryDirectory() as tmp:
        conn = store.connect(db)
        store.write_versions(conn, sources.read_sources([str(WARD_OLD)]), force=True)
        conn.close()
        extract = Path(tmp) / "LDS_Extract.csv"
        rows = big_extract(extract, megabytes)
        print(f"stop-and-search extract: {extract.stat().st_size / (1 << 20):.0f} MB, "
              f"{rows:,} rows")
        with FakeLondonDatastore() as datastore, FakePoliceUk() as police, \
                FakeGovUk() as gov_uk:
            gov_uk.publish(use_of_force_collection())
            datastore.publish("exy3m", *exy3m_catalogue())
            datastore.publish("e6yjz", release(extract, "lds", "LDS_Extract.csv",
                                               "2026-10-02T09:00:00+00:00"))
            police.publish_snapshot()
            subprocess.run([sys.executable, __file__, "--serve", str(db), datastore.base_url,
                            police.base_url, gov_uk.base_url], check=True, timeout=1800)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        asyncio.run(serve(*sys.argv[2:6]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 70)
