"""Pure computations on the figures: months, rates, bands, ranks. No I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Literal

Band = Literal["well below", "below", "around", "above", "well above"]

# A ward's 12-month rate divided by the London average falls in one of five bands.  The edges
# are symmetric on a log scale (0.8 ~ 1/1.25, 0.5 = 1/2): "around" is within a quarter either
# way, "well" means at least double, or at most half.
BAND_EDGES: Final[tuple[tuple[float, Band], ...]] = (
    (0.5, "well below"),
    (0.8, "below"),
    (1.25, "around"),
    (2.0, "above"),
)


def band(ratio: float) -> Band:
    """Name the band of a rate that is `ratio` times the London average."""
    for edge, name in BAND_EDGES:
        if ratio < edge:
            return name
    return "well above"


def month_label(month: int) -> str:
    """202603 -> '2026-03'."""
    return f"{month // 100:04d}-{month % 100:02d}"


MONTH_NAMES: Final = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)


def month_name(month: int) -> str:
    """202603 -> 'March 2026'."""
    return f"{MONTH_NAMES[month % 100 - 1]} {month // 100}"


def add_months(month: int, delta: int) -> int:
    """Shift a YYYYMM month by `delta` months."""
    index = (month // 100) * 12 + (month % 100 - 1) + delta
    return (index // 12) * 100 + index % 12 + 1


def months_between(earlier: int, later: int) -> int:
    """How many months `later` is after `earlier` (YYYYMM each)."""
    return (later // 100 - earlier // 100) * 12 + later % 100 - earlier % 100


def window(last: int, length: int = 12) -> tuple[int, ...]:
    """The `length` months ending at `last`, oldest first."""
    return tuple(add_months(last, -i) for i in range(length - 1, -1, -1))


def rate_per_1000(crimes: float, population: float) -> float:
    """Crimes per 1,000 residents."""
    return crimes / population * 1000.0


def complete_months(
    totals: Mapping[int, int], share: float = 0.5
) -> tuple[int, ...]:
    """The months whose London-wide total is at least `share` of the median month's.

    The Met's extract can carry a stub column (a month with a few dozen crimes London-wide,
    kept as published); drawn as a month it would look like crime fell to nothing.
    """
    if not totals:
        return ()
    ordered = sorted(totals.values())
    middle = len(ordered) // 2
    median = (ordered[middle] if len(ordered) % 2
              else (ordered[middle - 1] + ordered[middle]) / 2)
    return tuple(m for m in sorted(totals) if totals[m] >= share * median)


def rank_of(code: str, rates: Mapping[str, float]) -> int:
    """Rank of `code` among `rates` (1 = highest rate); ties share the better rank."""
    mine = rates[code]
    return 1 + sum(1 for r in rates.values() if r > mine)


def ranks(rates: Mapping[str, float]) -> dict[str, int]:
    """Every code's rank_of, computed at once."""
    ordered = sorted(rates.values(), reverse=True)
    first: dict[float, int] = {}
    for i, r in enumerate(ordered, 1):
        first.setdefault(r, i)
    return {code: first[r] for code, r in rates.items()}


def top_changes(
    now: Mapping[str, int], before: Mapping[str, int], n: int = 3
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The `n` largest rises and falls between two {category: count} maps, as (name, change)."""
    names = set(now) | set(before)
    changes = sorted(((k, now.get(k, 0) - before.get(k, 0)) for k in names),
                     key=lambda kv: (-kv[1], kv[0]))
    rises = [c for c in changes if c[1] > 0][:n]
    falls = sorted((c for c in changes if c[1] < 0), key=lambda kv: (kv[1], kv[0]))[:n]
    return rises, falls


def count_by(values: Sequence[str]) -> dict[str, int]:
    """Count each distinct value, largest first (ties by name)."""
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
