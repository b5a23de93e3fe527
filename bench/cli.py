"""Benchmark: `wardwatch ask` as a resident runs it: a fresh clone's first answer (the store
built from the bundled snapshot), a warm answer, and peak memory over 10,000 postcodes.

Run: python bench/cli.py [N]   (default N = 10,000; targets: first answer <= 5 s on 2 cores,
warm <= 1 s, peak RSS <= 150 MB)

Each figure is a real `wardwatch ask` process on a store in a new temporary folder:

- first answer: `wardwatch ask "SW1A 2AA"` with no store yet, timed from the start of the
  process to the answer on its standard output (and to its exit: it finishes writing the
  store after answering);
- warm: the same command again, start to exit, best of five;
- memory: `wardwatch ask --json -` over N postcodes of the bundled table, its peak resident
  set (the kernel's high-water mark, VmHWM in /proc/PID/status) from getrusage in a helper
  process whose only child it is.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def env_for(folder: Path) -> dict[str, str]:
    config = folder / "config.toml"
    config.write_text(f'[storage]\npath = "{folder / "store" / "wardwatch.sqlite3"}"\n'
                      '[postcodes]\nbase_url = ""\n')
    return dict(os.environ, WARDWATCH_CONFIG=str(config))


def first_answer(env: dict[str, str]) -> tuple[float, float, str]:
    """Seconds to the first line of the answer, seconds to exit, and that line."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "ask", "SW1A 2AA"], env=env,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    answered = time.perf_counter() - started
    proc.stdout.read()
    proc.wait()
    return answered, time.perf_counter() - started, line.strip()


# Launches a command and prints its peak RSS in kB: the high-water mark of this helper's only
# child, so no earlier process (the store build) is counted.
PEAK = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
        "stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)")


def peak_rss(cmd: list[str], env: dict[str, str], stdin: Path) -> tuple[float, int]:
    """Seconds and peak RSS (kB) of one run of `cmd` reading `stdin`."""
    started = time.perf_counter()
    with stdin.open() as fh:
        done = subprocess.run([sys.executable, "-c", PEAK, *cmd], env=env, stdin=fh,
                              stderr=subprocess.PIPE, text=True, check=True)
    return time.perf_counter() - started, int(done.stderr.strip().splitlines()[-1])


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    ask = [sys.executable, "-m", "bot", "ask"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = env_for(folder)
        answered, exited, line = first_answer(env)
        print(f"fresh clone, `wardwatch ask \"SW1A 2AA\"` with no store: answer after "
              f"{answered:.2f} s, exit after {exited:.2f} s ({line[:40]}…)")
        warm = min(timed([*ask, "SW1A 2AA"], env) for _ in range(5))
        print(f"warm `wardwatch ask \"SW1A 2AA\"`: {warm:.2f} s (best of 5)")
        conn = sqlite3.connect(folder / "store" / "wardwatch.sqlite3")
        postcodes = [r[0] for r in conn.execute("SELECT postcode FROM postcodes")]
        conn.close()
        queries = folder / "queries.txt"
        queries.write_text("\n".join(random.Random(2026).sample(postcodes, n)) + "\n")
        seconds, peak = peak_rss([*ask, "--json", "-"], env, queries)
        print(f"`wardwatch ask --json -` over {n:,} postcodes: {seconds:.2f} s, peak RSS "
              f"{peak / 1024:.0f} MB")
        seconds, peak = peak_rss([*ask, "SW1A 2AA"], env, queries)
        print(f"`wardwatch ask \"SW1A 2AA\"` (warm): peak RSS {peak / 1024:.0f} MB")


if __name__ == "__main__":
    main()
