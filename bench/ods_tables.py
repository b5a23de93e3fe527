"""Benchmark: reading the Home Office's use-of-force tables (the bundled 511 KB ODS, 10 MB of
XML inside) for the Met's taser rows — wall time and the process's peak memory.

Run: python bench/ods_tables.py   (each reader in a fresh process; 3 runs each)

Readers: WardWatch's (`_home_office.load_ods`, python-calamine) and, for comparison when odfpy
is installed (it is not a dependency), pandas' `read_excel(engine="odf")` of the one sheet.
Peak memory is the child's ru_maxrss less its ru_maxrss with pandas imported and nothing read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ODS = (Path(__file__).resolve().parent.parent / "datastore" / "snapshot"
       / "police-use-of-force-apr2019-mar2020-hosb3720-tables.ods")

CHILD = """
import json, resource, sys, time
import pandas as pd
from datastore.ingest.loaders import _home_office, _source
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
if sys.argv[1] == "wardwatch":
    frame, months, notes = _home_office.load_ods(_source.open_source(sys.argv[2]))
    rows = len(frame)
else:
    rows = len(pd.read_excel(sys.argv[2], engine="odf", sheet_name="Table_13", header=None))
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "mb": (peak - base) / 1024, "rows": rows}))
"""


def run(reader: str) -> dict[str, float] | None:
    done = subprocess.run([sys.executable, "-c", CHILD, reader, str(ODS)], capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0:
        print(f"{reader}: failed ({done.stderr.strip().splitlines()[-1]})")
        return None
    out: dict[str, float] = json.loads(done.stdout)
    return out


def main() -> None:
    print(f"{ODS.name}: {ODS.stat().st_size:,} bytes")
    for reader in ("wardwatch", "odfpy"):
        runs = [r for r in (run(reader) for _ in range(3)) if r is not None]
        if runs:
            times = ", ".join(f"{r['seconds']:.3f}" for r in runs)
            mbs = ", ".join(f"{r['mb']:.0f}" for r in runs)
            print(f"{reader}: {times} s; peak memory +{mbs} MB ({int(runs[0]['rows'])} rows)")


if __name__ == "__main__":
    main()
