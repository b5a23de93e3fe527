"""Benchmark: per-answer latency in-process over real postcodes, and `ask --json -` throughput.

Run: python bench/answers.py [N]   (default N = 20,000; targets: p99 <= 5 ms, >= 5,000/s)

The in-process figure times what a resident's query costs once the bot is running: resolve the
postcode, gather the figures, render the HTML reply and the JSON object. The throughput figure
runs the real `wardwatch ask --json -` process over N lines and reports answers per second,
with and without its start-up (store open and view build), measured by an empty run.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time

from _store import snapshot_store

from datastore.query import lookup
from datastore.query.view import DataView
from datastore.storage import store
from handlers.present import json_out, report, words


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def in_process(view: DataView, queries: list[str]) -> list[float]:
    timings = []
    for q in queries:
        t0 = time.perf_counter()
        answer = await lookup.answer(q, view, None)
        message = report.answer_html(answer)
        json.dumps(json_out.answer_json(answer, words.strip_html(message)))
        timings.append(time.perf_counter() - t0)
    return timings


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with snapshot_store() as db:
        conn = store.connect(db)
        view = DataView.build(conn)
        conn.close()
        rng = random.Random(2026)
        queries = rng.sample(view.postcodes.postcodes(), n)
        asyncio.run(in_process(view, queries[:500]))  # warm the per-view caches
        timings = asyncio.run(in_process(view, queries))
        ms = [t * 1000 for t in timings]
        print(f"in-process, {n:,} real postcodes: p50 {percentile(ms, 0.5):.3f} ms, "
              f"p99 {percentile(ms, 0.99):.3f} ms, mean {statistics.mean(ms):.3f} ms, "
              f"{n / sum(timings):,.0f} answers/s")

        cfg = db.parent / "config.toml"
        cfg.write_text(f'[storage]\npath = "{db.as_posix()}"\n[postcodes]\nbase_url = ""\n')
        env = {**os.environ, "WARDWATCH_CONFIG": str(cfg)}
        cmd = [sys.executable, "-m", "bot", "ask", "--json", "-"]
        t0 = time.perf_counter()
        subprocess.run(cmd, input="", text=True, env=env, check=True, capture_output=True)
        startup = time.perf_counter() - t0
        t0 = time.perf_counter()
        done = subprocess.run(cmd, input="\n".join(queries) + "\n", text=True, env=env,
                              check=True, capture_output=True)
        wall = time.perf_counter() - t0
        lines = done.stdout.count("\n")
        assert lines == n, f"expected {n} answers, got {lines}"
        print(f"ask --json -, {n:,} lines: {wall:.2f} s wall ({n / wall:,.0f} answers/s); "
              f"start-up {startup:.2f} s; excluding start-up {n / (wall - startup):,.0f} "
              "answers/s")


if __name__ == "__main__":
    main()
