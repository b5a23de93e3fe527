"""The figures of a ward's monthly digest, computed from a data view: pure functions, no I/O.

A digest says: the month's total and its change on the month before; the crime types that
rose and fell most; the 12-month rate against the London average; whether the Met has revised
the month the last digest reported; and, only when this month's total is unusually high for
the ward, a line saying so.  "Unusually high" is a Poisson test, not a percentage: under the
hypothesis that the month is ordinary, its count is Poisson with the mean of the ward's 12
months before it, and the rise is unusual when P(X >= observed) < ALPHA.  A small count needs a
large relative rise to pass, so small wards do not cry wolf.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from datastore.query import figures
from datastore.query.models import MonthTotal, WardRate
from datastore.query.view import DataView

# The significance level of the unusual-rise test (stated in every digest that flags one).
ALPHA: Final = 0.01
# The months before the digest's month that the test takes as the ward's ordinary level.
HISTORY_MONTHS: Final = 12
# Crime types listed as rising and falling most.
TOP_CHANGES: Final = 3


def poisson_sf(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean), to double precision (no scipy).

    The terms are summed in log space from the side of k where they shrink, so a mean of a
    few thousand neither underflows nor loses the tail to rounding.
    """
    if mean < 0 or math.isnan(mean):
        raise ValueError(f"a Poisson mean must be >= 0, not {mean}")
    if k <= 0:
        return 1.0
    if mean == 0:
        return 0.0

    def log_pmf(i: int) -> float:
        return -mean + i * math.log(mean) - math.lgamma(i + 1)

    terms: list[float] = []
    total, term = 0.0, 1.0
    if k > mean:
        # Upper tail: the terms fall from i = k upwards.
        i = k
        while term > 1e-17 * max(total, 1.0):
            terms.append(term)
            total += term
            term *= mean / (i + 1)
            i += 1
        return min(1.0, math.exp(log_pmf(k)) * math.fsum(terms))
    # Lower tail, 1 - P(X <= k - 1): the terms fall from i = k - 1 downwards.
    i = k - 1
    while i >= 0 and term > 1e-17 * max(total, 1.0):
        terms.append(term)
        total += term
        term *= i / mean
        i -= 1
    return max(0.0, 1.0 - math.exp(log_pmf(k - 1)) * math.fsum(terms))


@dataclass(frozen=True)
class RiseTest:
    """This month's total against the ward's previous months under a Poisson model."""

    observed: int
    mean: float  # the mean monthly total of the previous months
    months: int  # how many previous months
    p_value: float  # P(X >= observed) for X ~ Poisson(mean)
    alpha: float

    @property
    def unusual(self) -> bool:
        """A rise too large to be an ordinary month at significance `alpha`."""
        return self.observed > self.mean and self.p_value < self.alpha


def rise_test(observed: int, history: Sequence[int], alpha: float = ALPHA) -> RiseTest | None:
    """Test `observed` against the mean of `history`; None without history or with a history
    of no crime at all (no level to compare with)."""
    if not history or sum(history) == 0:
        return None
    mean = sum(history) / len(history)
    return RiseTest(observed, mean, len(history), poisson_sf(observed, mean), alpha)


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
    history_months = figures.window(figures.add_months(month, -1), HISTORY_MONTHS)
    rise = None
    if all(m in series for m in history_months):
        rise = rise_test(crime.total, [series[m] for m in history_months])
    revision = None
    if baseline is not None:
        old_month, totals = baseline
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
    )
