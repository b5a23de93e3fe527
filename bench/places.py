"""How fast the place resolver reads a message, in-process, on the bundled snapshot.

    python bench/places.py [N]          (default N = 20,000)

Builds a store and a view from the snapshot, then the PlaceIndex (its build time and the memory
it holds, by tracemalloc), and times `understand` over:
  (a) N random real postcodes typed in sentences, in the ways people write them;
  (b) ward and borough names as typed (case, "&"/"and", "St"/"Saint", apostrophes dropped,
      one letter dropped or two swapped) and chat that is no place;
  (c) near-miss postcodes: a look-alike (O/0, I/1, S/5, Z/2, B/8), a letter dropped or
      doubled, a neighbour swapped, the halves swapped;
  (d) the gazetteer's neighbourhoods and stations as typed (alone, lower case, in a sentence,
      "<station> station", a letter dropped: a guess);
  (e) its streets (alone, in a sentence, with their district, "Rd"/"Ln" for Road/Lane).
The index is also built without the gazetteer, to show what the gazetteer costs.
Target: a query under 2 ms p99.  Prints p50, p99 and max for each.
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

from _store import snapshot_store

from datastore.query.places import CITY_OF_LONDON, PlaceIndex, understand
from datastore.query.places.gazetteer import GazetteerPlace, read_gazetteer
from datastore.query.view import DataView
from datastore.storage import store

TEMPLATES = ["{}", "what's crime like in {}?", "my postcode is {}", "{} London",
             "Hi, I just moved to {}. Is it safe?", "crime stats for {} please", "({})"]
WRITINGS: list[Callable[[str], str]] = [
    lambda p: p, lambda p: p.lower(), lambda p: p.replace(" ", ""),
    lambda p: p.replace(" ", "-"), lambda p: p.replace(" ", "."),
    lambda p: " ".join(p.replace(" ", "")).lower(),
]
LOOKS = {"0": "O", "1": "I", "5": "S", "2": "Z", "8": "B", "O": "0", "I": "1", "S": "5"}
CHAT = ["thanks", "hello", "help", "hi there", "good morning", "cheers mate", "ok thanks",
        "how do i use this", "what can you do", "👍", "", "is it safe?", "brilliant, thanks"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(index: PlaceIndex, queries: list[str]) -> list[float]:
    """Milliseconds per `understand` call, one per query."""
    out = []
    for q in queries:
        t0 = time.perf_counter()
        understand(q, index)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def report(what: str, ms: list[float]) -> None:
    print(f"{what} ({len(ms):,} queries): p50 {percentile(ms, 0.5):.3f} ms, "
          f"p99 {percentile(ms, 0.99):.3f} ms, max {max(ms):.2f} ms, "
          f"mean {statistics.mean(ms):.3f} ms")


def typo(rng: random.Random, text: str) -> str:
    """One letter dropped or two neighbours swapped, somewhere inside a word."""
    spots = [i for i in range(1, len(text) - 1) if text[i].isalpha() and text[i + 1].isalpha()]
    if not spots:
        return text
    i = rng.choice(spots)
    if rng.random() < 0.5:
        return text[:i] + text[i + 1:]
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def name_queries(rng: random.Random, view: DataView, n: int) -> list[str]:
    names = sorted({w.name for w in view.wards.values()} | {lad for _c, lad in
                                                            view.ward_lad.values()})
    out = []
    for _ in range(n):
        name = rng.choice(names)
        form = rng.random()
        if form < 0.25:
            text = name.lower()
        elif form < 0.4:
            text = name.replace("&", "and").replace("'", "").replace("St ", "Saint ")
        elif form < 0.75:
            text = typo(rng, name.lower())
        elif form < 0.9:
            text = f"what's crime like in {typo(rng, name)}?"
        else:
            text = rng.choice(CHAT)
        out.append(text)
    return out


def near_miss_queries(rng: random.Random, postcodes: list[str], n: int) -> list[str]:
    out = []
    for pc in rng.sample(postcodes, n):
        outward, inward = pc.split(" ")
        form = rng.randrange(5)
        if form == 0 and any(c in LOOKS for c in pc):
            i = rng.choice([i for i, c in enumerate(pc) if c in LOOKS])
            text = pc[:i] + LOOKS[pc[i]] + pc[i + 1:]
        elif form == 1:
            text = f"{outward} {inward[:-1]}"  # a letter missing
        elif form == 2:
            text = f"{outward} {inward}{inward[-1]}"  # a letter doubled
        elif form == 3:
            text = f"{inward} {outward}"  # halves swapped
        else:
            text = f"{outward} {inward[1]}{inward[0]}{inward[2]}"  # neighbours swapped
        out.append(text.lower() if rng.random() < 0.3 else text)
    return out


def place_queries(rng: random.Random, places: list[GazetteerPlace], n: int) -> list[str]:
    out = []
    for place in rng.choices(places, k=n):
        name, form = place.name, rng.random()
        if form < 0.3:
            text = name
        elif form < 0.5:
            text = name.lower()
        elif form < 0.7:
            text = rng.choice(TEMPLATES).format(name)
        elif form < 0.85 and place.kind == "station":
            text = f"{name} station"
        elif place.kind == "street":
            text = (f"{name} {place.district}" if rng.random() < 0.5 else
                    name.replace(" Road", " Rd").replace(" Lane", " Ln"))
        else:
            text = typo(rng, name)
        out.append(text)
    return out


def without_gazetteer(view: DataView) -> PlaceIndex:
    """The index as it was before the gazetteer: postcodes, wards and boroughs only."""
    wards = {code: (code, w.name, *view.ward_lad[code]) for code, w in view.wards.items()
             if code in view.ward_lad}
    for ward in view.postcodes.wards_in(CITY_OF_LONDON):
        wards.setdefault(ward[0], ward)
    boroughs = {w[2]: w[3] for w in wards.values()}
    return PlaceIndex.build(view.postcodes.placed(), wards.values(), boroughs.items())


def traced(build: Callable[[], PlaceIndex]) -> tuple[PlaceIndex, float, float]:
    """An index built under tracemalloc: it, and the MB it holds and peaked at."""
    gc.collect()
    tracemalloc.start()
    index = build()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return index, held / 2**20, peak / 2**20


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with snapshot_store() as db:
        conn = store.connect(db)
        view = DataView.build(conn)
        conn.close()
        run(view, n)


def run(view: DataView, n: int) -> None:
    """The measurements, while the store is there (the view reads postcodes from it)."""
    gc.collect()
    t0 = time.perf_counter()
    index = without_gazetteer(view)
    bare = time.perf_counter() - t0
    del index
    gc.collect()
    t0 = time.perf_counter()
    index = view._build_place_index()  # unmemoised: each call builds anew
    build = time.perf_counter() - t0
    del index
    # built again, traced (tracing slows it: not timed)
    _bare, bare_held, bare_peak = traced(lambda: without_gazetteer(view))
    del _bare
    index, held, peak = traced(view._build_place_index)
    gazetteer = read_gazetteer()
    print(f"index build: {build:.2f} s ({bare:.2f} s without the gazetteer); holds "
          f"{held:.1f} MB ({bare_held:.1f} MB without), peak {peak:.0f} MB while building "
          f"({bare_peak:.0f} MB without); {len(view.postcodes):,} postcodes, "
          f"{len(view.wards):,} Met wards, {len(gazetteer):,} gazetteer places")

    rng = random.Random(2026)
    postcodes = view.postcodes.postcodes()
    sentences = [rng.choice(TEMPLATES).format(rng.choice(WRITINGS)(p))
                 for p in rng.sample(postcodes, n)]
    names = name_queries(rng, view, 5_000)
    near = near_miss_queries(rng, postcodes, 5_000)
    areas = place_queries(rng, [p for p in gazetteer.places if p.kind != "street"], 5_000)
    streets = place_queries(rng, [p for p in gazetteer.places if p.kind == "street"], 5_000)
    timed(index, sentences[:500] + names[:500] + near[:500] + areas[:500])  # warm up
    report("(a) real postcodes in sentences", timed(index, sentences))
    report("(b) names, typos and chat", timed(index, names))
    report("(c) near-miss postcodes", timed(index, near))
    report("(d) neighbourhoods and stations", timed(index, areas))
    report("(e) streets", timed(index, streets))


if __name__ == "__main__":
    main()
