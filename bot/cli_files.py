"""`wardwatch chart`, `map` and `export`: one file for a place, written whole or not at all,
and an exit status that says which (EXIT_NO_FILE when the query has no file to give)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from datastore.services import Services
from handlers.present import report, texts, words
from handlers.render_process import RenderUnavailable

# The file asked for was not written because the query has none to give (the answer printed
# says why): a script can tell a file written from one that was not.
EXIT_NO_FILE = 3


def no_file(command: str, why: str) -> int:
    """Say on stderr that no file was written, and why; the exit status that says it."""
    print(f"wardwatch {command}: no file written: {why}", file=sys.stderr)
    return EXIT_NO_FILE


def why_no_file(command: str, status: str) -> str:
    """Why a query's answer gives no file (its message, printed, says more)."""
    what = {"chart": "a chart", "map": "a map"}.get(command, "an export")
    return {
        "choose": "several places answer to that; ask again with one of them",
        "compare": f"that names two places; {what} is of one",
        "outcode": "that is a postcode district; ask again with one of its wards or postcodes",
    }.get(status, "that is not a place I have figures for")


def write_new(out: Path, data: bytes) -> None:
    """Write the file whole or not at all: a temporary file beside it, renamed over it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


async def write_one(args: argparse.Namespace,
                    opened: AbstractAsyncContextManager[Services]) -> int:
    """chart, map and export: write one file for a place, with the services `opened` gives.
    A query with no file to give prints the answer's message instead, writes nothing and
    exits EXIT_NO_FILE."""
    from handlers import media_files
    from handlers.present.exports import FORMATS

    out = Path(args.out)
    query = " ".join(args.query)
    wanted = getattr(args, "format", None) or out.suffix.lstrip(".").lower()
    fmt = next((f for f in FORMATS if f == wanted), None)
    if args.command == "export" and fmt is None:
        print("wardwatch export: give --format csv, json or xlsx (or an --out file ending in "
              "one of them)", file=sys.stderr)
        return 2
    try:
        async with opened as svc:
            if args.command == "map" and query.strip().lower() == media_files.LONDON:
                made = await media_files.area_map(svc, None)
            else:
                answer = await svc.answer(query)
                res = answer.resolution
                place = res.place
                if answer.status == "ok" and res.area == "borough" and res.borough_code:
                    # the whole borough: its wards' map, its trend and figures from its own file
                    code = res.borough_code
                    made = (await media_files.area_map(svc, code) if args.command == "map"
                            else await media_files.trend(svc, code) if args.command == "chart"
                            else await media_files.export(svc, code, fmt or "csv"))
                elif answer.status != "ok" or place is None:
                    print(words.strip_html(report.answer_html(answer)))
                    return no_file(args.command, why_no_file(args.command, answer.status))
                elif args.command == "map":
                    made = await media_files.area_map(svc, place.ward_code)
                elif args.command == "chart":
                    made = await media_files.trend(svc, place.ward_code)
                else:
                    made = await media_files.export(svc, place.ward_code, fmt or "csv")
    except RenderUnavailable as exc:  # a renderer's error, in one line: no traceback
        print(f"wardwatch {args.command}: no file written: {exc}", file=sys.stderr)
        return 1
    if made is None:
        return no_file(args.command, words.strip_html(texts.NO_MAP))
    try:
        await asyncio.to_thread(write_new, out, made.data)
    except OSError as exc:
        print(f"wardwatch {args.command}: no file written: cannot write {out}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Wrote {out} ({len(made.data):,} bytes).")
    print(words.strip_html(made.caption))
    return 0
