"""Measure: how long the first answer to a postcode is, over real bundled postcodes.

Run: python bench/answer_lengths.py [N]   (default N = 1,000; target: every answer <= 900)

The sample is deterministic (random.Random(2026) over the postcode table's postcodes, sorted).
Each answer is rendered as the bot sends it (`short_answer.summary_html`), once as it reads while
the figures are fresh and once six months on, with the warning that newer figures have been
published and when the publishers were last reached (the longest date: "30 September 2026"),
and measured as the user sees it: the text Telegram shows, after the HTML tags are parsed
away. The old full answer (`report.answer_html`, still what `ask` prints) is
measured beside it for comparison.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
from dataclasses import replace
from datetime import UTC, datetime

from _store import snapshot_store

from datastore.query import lookup
from datastore.query.figures import add_months
from datastore.query.freshness import PublisherCheck, freshness, month_end
from datastore.query.view import DataView
from datastore.storage import store
from handlers.present import report, short_answer, words

LIMIT = 900


def percentile(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def describe(name: str, lengths: list[int]) -> str:
    over = sum(1 for v in lengths if v > LIMIT)
    return (f"{name}: min {min(lengths):,}, p50 {percentile(lengths, 0.5):,}, "
            f"p90 {percentile(lengths, 0.9):,}, p99 {percentile(lengths, 0.99):,}, "
            f"max {max(lengths):,}, mean {statistics.mean(lengths):,.0f}; "
            f"over {LIMIT}: {over}")


async def measure(view: DataView, postcodes: list[str]) -> dict[str, list[int]]:
    month = view.latest_month
    fresh_at = month_end(month)  # the day the month ends: the figures are as fresh as can be
    stale_at = month_end(add_months(month, 6))
    reached = [PublisherCheck("London Datastore", datetime(2026, 9, 30, tzinfo=UTC))]
    out: dict[str, list[int]] = {"fresh": [], "stale": [], "full": []}
    for postcode in postcodes:
        answer = await lookup.answer(postcode, view, None)
        assert answer.status == "ok", (postcode, answer.status)
        for key, now in (("fresh", fresh_at), ("stale", stale_at)):
            dated = replace(answer, freshness=freshness(now, month, reached, following=True))
            out[key].append(len(words.strip_html(short_answer.summary_html(dated))))
        stale = replace(answer, freshness=freshness(stale_at, month, reached, following=True))
        out["full"].append(len(words.strip_html(report.answer_html(stale))))
    return out


async def boroughs(view: DataView) -> list[int]:
    """Every borough's first answer, six months on (its month is the borough file's)."""
    reached = [PublisherCheck("London Datastore", datetime(2026, 9, 30, tzinfo=UTC))]
    out = []
    for code in sorted(view.boroughs):
        answer = lookup.figures_for(lookup.borough_resolution(code, code, view), view)
        month = view.borough_latest_month or view.latest_month
        now = month_end(add_months(month, 6))
        dated = replace(answer, freshness=freshness(now, month, reached, following=True))
        out.append(len(words.strip_html(short_answer.summary_html(dated))))
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
    with snapshot_store() as db:
        conn = store.connect(db)
        view = DataView.build(conn)
        conn.close()
        met = [p for p in sorted(view.postcodes.postcodes())
               if (place := view.place(p)) is not None and view.is_met_ward(place.ward_code)]
        sample = random.Random(2026).sample(met, n)
        lengths = asyncio.run(measure(view, sample))
        lengths["boroughs"] = asyncio.run(boroughs(view))
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    print(f"first answers to {n:,} real postcodes (characters as shown, {today}):")
    print("  " + describe("fresh figures", lengths["fresh"]))
    print("  " + describe("six months on (newer figures published)", lengths["stale"]))
    print("  " + describe("the old full answer", lengths["full"]))
    print("  " + describe("the 32 boroughs' answers, six months on", lengths["boroughs"]))


if __name__ == "__main__":
    main()
