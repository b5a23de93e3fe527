"""The figures of a ward's monthly digest, computed from a data view: pure functions, no I/O.

A digest says: the month's total and its change on the month before; the crime types that
rose and fell most; the 12-month rate against the London average; whether the Met has revised
the month the last digest reported; and, only when this month's total is unusually high for
the ward, a line saying so.

"Unusually high" is a test against what the ward would see in an ordinary month, not a
percentage.  The ward's expected count is its share of London's crime over its previous 12
months applied to London's total this month: that carries the season (and anything that moved
all of London) into the expectation.  Month-to-month counts vary more than a Poisson model
allows (on the bundled data the median variance/mean is about 2), so the count is taken as
negative binomial with that mean and the ward's own extra spread, estimated by the method of
moments from its previous 12 months, but never less than London's (pooled over every ward:
twelve months are too few to trust a small spread), plus the uncertainty of the ward's share
itself.  The month is unusual when P(X >= observed) < ALPHA.  Calibrated on the bundled
history, 0.8-1.0 % of ward-months pass at ALPHA = 1 % (ARCHITECTURE.md; tests/test_digest.py
checks it on the real data).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt

from datastore.query import figures
from datastore.query.models import MonthTotal, WardRate
from datastore.query.view import DataView

# The level of the unusual-rise test: a month is unusual when a month this high would come
# less often than once in 1 / ALPHA ordinary months.
ALPHA: Final = 0.01
# The months before the digest's month that the test takes as the ward's ordinary level.
HISTORY_MONTHS: Final = 12
# Crime types listed as rising and falling most.
TOP_CHANGES: Final = 3

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RiseTests:
    """The unusual-rise test of every area in one month (arrays, one entry per area)."""

    observed: Floats
    expected: Floats  # the expected count this month
    p_value: Floats  # P(X >= observed) for an ordinary month
    dispersion: Floats  # the negative binomial's extra spread used (variance = m + d m²)


def rise_tests(history: Floats, observed: Floats) -> RiseTests:
    """Test each area's `observed` count (one per row of `history`) against its months in
    `history` (areas x months, oldest first), London being the sum over all the areas.

    An area with no crime in its history has no level to compare with: its p-value is 1.
    """
    from scipy import stats  # only digests need it; kept off the answers' start-up path

    hist = np.asarray(history, dtype=float)
    now = np.asarray(observed, dtype=float)
    london_then = hist.sum(axis=0)
    london_now = now.sum()
    share = hist.sum(axis=1) / london_then.sum()
    fitted = share[:, None] * london_then[None, :]
    expected = share * london_now
    excess = ((hist - fitted) ** 2 - fitted).sum(axis=1)
    scale = (fitted ** 2).sum(axis=1)
    own = np.where(scale > 0, excess / np.where(scale > 0, scale, 1.0), 0.0)
    pooled = max(float(excess.sum() / scale.sum()), 0.0) if scale.sum() else 0.0
    dispersion = np.maximum(np.clip(own, 0.0, None), pooled)
    variance = expected + dispersion * expected ** 2
    # The share is itself estimated from the history: its variance, carried to this month.
    variance += (london_now / london_then.sum()) ** 2 * (
        fitted + dispersion[:, None] * fitted ** 2).sum(axis=1)
    level = expected > 0
    p = np.where(level, expected / np.where(variance > 0, variance, 1.0), 1.0)
    r = np.where(level, expected ** 2 / np.where(variance > expected, variance - expected, 1.0),
                 1.0)
    p_value = np.where(level, stats.nbinom.sf(now - 1, r, np.clip(p, 1e-12, 1.0)), 1.0)
    return RiseTests(now, expected, p_value, dispersion)


@dataclass(frozen=True)
class RiseTest:
    """One ward's month against what an ordinary month would bring."""

    observed: int
    expected: float  # the expected count, allowing for the season and for London
    months: int  # the previous months the expectation comes from
    p_value: float  # the chance of a month at least this high in an ordinary month
    alpha: float

    @property
    def unusual(self) -> bool:
        """A rise too large for an ordinary month, at level `alpha`."""
        return self.observed > self.expected and self.p_value < self.alpha


@lru_cache(maxsize=4)
def _month_tests(view: DataView, month: int) -> tuple[dict[str, int], RiseTests] | None:
    """Every ward's test for a month of the view, if it has HISTORY_MONTHS complete months
    before it."""
    months = figures.window(figures.add_months(month, -1), HISTORY_MONTHS)
    if month not in view.months or not set(months) <= set(view.complete_months):
        return None
    totals = view.ward_totals()
    cols = [view.months.index(m) for m in months]
    tests = rise_tests(totals[:, cols], totals[:, view.months.index(month)])
    return {code: i for i, code in enumerate(view.wards)}, tests


def rise_test(view: DataView, ward_code: str, month: int,
              alpha: float = ALPHA) -> RiseTest | None:
    """The ward's unusual-rise test for a month; None without 12 complete months before it,
    or with no crime at all in them (no level to compare with)."""
    found = _month_tests(view, month)
    if found is None:
        return None
    index, tests = found
    i = index[ward_code]
    if tests.expected[i] <= 0:
        return None
    return RiseTest(int(tests.observed[i]), float(tests.expected[i]), HISTORY_MONTHS,
                    float(tests.p_value[i]), alpha)


@dataclass(frozen=True)
class Revision:
    """A month's total as the last digest had it, and as the Met publishes it now."""

    month: int
    before: int
    after: int


@dataclass(frozen=True, eq=False)
class Digest:
    """One ward's digest for one month."""

    ward_code: str
    ward_name: str
    borough: str
    month: int
    total: int
    previous: MonthTotal | None
    rises: tuple[tuple[str, int], ...]  # (minor crime type, change), largest first
    falls: tuple[tuple[str, int], ...]
    rate: WardRate | None
    revision: Revision | None
    rise: RiseTest | None
    # When the data moved on by more than one month since the last digests: each new month,
    # oldest first, after `since_month` (the month the last digests reported).
    since_month: int | None = None
    new_months: tuple[MonthTotal, ...] = ()


def _by_type(view: DataView, ward_code: str, month: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for minors in view.ward_month(ward_code, month).by_minor.values():
        for minor, count in minors.items():
            out[minor] = out.get(minor, 0) + count
    return out


def ward_digest(view: DataView, ward_code: str, month: int,
                baseline: tuple[int, Mapping[str, int]] | None = None) -> Digest:
    """The digest of a ward for a month of the view.  `baseline` is (month, ward totals) as
    the previous data version published them: the month the last digests reported."""
    crime = view.ward_month(ward_code, month)
    before: dict[str, int] = {}
    if crime.previous is not None:
        before = _by_type(view, ward_code, crime.previous.month)
    rises, falls = figures.top_changes(_by_type(view, ward_code, month), before, TOP_CHANGES)
    series = {m.month: m.total for m in view.ward_series(ward_code)}
    rise = rise_test(view, ward_code, month)
    revision = None
    since_month: int | None = None
    new_months: tuple[MonthTotal, ...] = ()
    if baseline is not None:
        old_month, totals = baseline
        months = tuple(MonthTotal(m, series[m]) for m in sorted(series) if old_month < m <= month)
        if len(months) > 1:
            since_month, new_months = old_month, months
        old = totals.get(ward_code)
        if old is not None and old_month < month and old_month in series \
                and series[old_month] != old:
            revision = Revision(old_month, old, series[old_month])
    borough = view.ward_lad[ward_code][1] if ward_code in view.ward_lad \
        else view.wards[ward_code].borough_name
    return Digest(
        ward_code=ward_code,
        ward_name=crime.ward_name,
        borough=borough,
        month=month,
        total=crime.total,
        previous=crime.previous,
        rises=tuple(rises),
        falls=tuple(falls),
        rate=view.ward_rate(ward_code, month),
        revision=revision,
        rise=rise,
        since_month=since_month,
        new_months=new_months,
    )
