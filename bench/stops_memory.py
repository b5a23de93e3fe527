"""Benchmark: the memory one police.uk stops-force answer takes, and the event loop's longest
pause meanwhile, for a hostile answer under the size cap.

Run: python bench/stops_memory.py [MB]   (MB: the size of the body, default 60)
Target: a body of empty objects ({} repeated, which police.uk never sends) is refused
without holding it: peak memory of the fetching process near its baseline, and no pause of
the event loop longer than a real answer's.

The fake data.police.uk of the tests (127.0.0.1) answers stops-force with MB megabytes of
`[{}, {}, ...]`, made on the fly.  A fresh Python process (so nothing else is counted) asks
for it with `PoliceUk.stops`, as the daily check does, while a task samples the event
loop's lag every 5 ms; it prints whether the answer was refused, its VmHWM (the peak RSS,
read from /proc) before and after, and the longest lag.  Then the same for a real month
(police.uk's bundled records of 2025-04) as the baseline of a real answer.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' fake publishers

from tests.publishers_fake import Answer, FakePoliceUk, snapshot_months  # noqa: E402

CHILD = textwrap.dedent("""
    import asyncio, sys, time
    from datastore.ingest.publishers import PublisherError, make_client
    from datastore.ingest.publishers.police_uk import PoliceUk

    def hwm():
        status = open("/proc/self/status").read()
        return int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmHWM:")))

    async def main():
        lags = []
        async def ticker():
            loop = asyncio.get_running_loop()
            while True:
                start = loop.time()
                await asyncio.sleep(0.005)
                lags.append(loop.time() - start - 0.005)
        tick = asyncio.create_task(ticker())
        before = hwm()
        async with make_client(timeout=30) as http:
            try:
                records = await PoliceUk(http, sys.argv[1]).stops(int(sys.argv[2]))
                said = f"accepted {len(records):,} records"
            except PublisherError as exc:
                said = "refused: " + str(exc)[:160]
        await asyncio.sleep(0.05)  # the ticker's sample of any pause just ended
        tick.cancel()
        print(said)
        print(f"VmHWM {before / 1024:.0f} MB before, {hwm() / 1024:.0f} MB after; "
              f"longest event-loop pause {max(lags) * 1000:.0f} ms")

    asyncio.run(main())
""")


def empty_objects(megabytes: int) -> Iterator[bytes]:
    block = b"{}, " * (1 << 18)  # 1 MB
    yield b"["
    for _ in range(megabytes):
        yield block
    yield b"{}]"


def fake_body(fake: FakePoliceUk, month: int) -> bytes:
    """The body the fake answers for a published month."""
    from tests.publishers_fake import Request

    return fake.generate(Request("GET", "/api/stops-force", {
        "force": "metropolitan", "date": f"{month // 100}-{month % 100:02d}"}, {})).payload()


def run(base: str, month: int) -> str:
    done = subprocess.run([sys.executable, "-c", CHILD, base, str(month)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    return (done.stdout + done.stderr).strip()


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    with FakePoliceUk() as fake:
        months = fake.publish_snapshot(snapshot_months()[-1])
        fake.set(fake.stops_path(209901), Answer(200, stream=lambda: empty_objects(megabytes)))
        print(f"{megabytes} MB of empty objects:")
        print("  " + run(fake.base_url, 209901).replace("\n", "\n  "))
        print(f"a real month ({months[-1]}, {len(json.loads(fake_body(fake, months[-1]))):,} "
              "records):")
        print("  " + run(fake.base_url, months[-1]).replace("\n", "\n  "))


if __name__ == "__main__":
    main()
