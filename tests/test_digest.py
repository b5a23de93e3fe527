"""The digest's figures (pure, from a data view) and its text: the Poisson test by tables, the
figures of real wards against the raw files, and the HTML Telegram will parse."""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest

from datastore.query.digest import ALPHA, Revision, RiseTest, poisson_sf, rise_test, ward_digest
from datastore.query.view import DataView
from handlers.digest_text import digest_html, rise_line
from tests import raw
from tests.conftest import OLD_WARD_CRIME
from tests.fake_bot_api import parse_html


def exact_sf(k: int, mean: float) -> float:
    """1 - P(X <= k - 1) from the textbook formula (fine for small means)."""
    return 1.0 - sum(math.exp(-mean) * mean ** i / math.factorial(i) for i in range(k))


@pytest.mark.parametrize(("k", "mean", "expected"), [
    (0, 3.0, 1.0),
    (1, 1.0, 1 - math.exp(-1)),
    (5, 1.0, 1 - math.exp(-1) * (1 + 1 + 1 / 2 + 1 / 6 + 1 / 24)),
    (3, 10.0, 1 - math.exp(-10) * (1 + 10 + 50)),
    (1, 0.0, 0.0),
    (0, 0.0, 1.0),
    (12, 4.5, exact_sf(12, 4.5)),
    (30, 20.0, exact_sf(30, 20.0)),
    (15, 20.0, exact_sf(15, 20.0)),
])
def test_poisson_upper_tail(k: int, mean: float, expected: float) -> None:
    assert poisson_sf(k, mean) == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(("k", "mean"), [
    (1500, 2000.0), (2000, 2000.0), (2100, 2000.0), (2200, 2000.0), (2600, 2000.0),
    (100, 57.1), (247, 194.4),
])
def test_poisson_upper_tail_for_large_means(k: int, mean: float) -> None:
    """exp(-mean) underflows the textbook formula here; sum the pmf upwards in log space."""
    assert poisson_sf(k, mean) == pytest.approx(exact_sf_large(k, mean), rel=1e-9, abs=1e-15)


def test_poisson_upper_tail_is_a_tail() -> None:
    values = [poisson_sf(k, 180.4) for k in range(120, 260)]
    assert all(a > b for a, b in itertools.pairwise(values))
    assert poisson_sf(180, 180.4) + (1 - poisson_sf(181, 180.4)) == pytest.approx(
        1 + math.exp(-180.4 + 180 * math.log(180.4) - math.lgamma(181)))
    with pytest.raises(ValueError):
        poisson_sf(1, -1.0)


@pytest.mark.parametrize(("observed", "history", "unusual"), [
    # Small counts: even +150 % is not unusual (P(X >= 5 | 2) = 5.3 %).
    (5, [2] * 12, False),
    (3, [1] * 12, False),
    (7, [1] * 12, True),  # P(X >= 7 | 1) = 8.3e-5
    # Large counts: +20 % is (P(X >= 240 | 200) = 0.3 %).
    (240, [200] * 12, True),
    (215, [200] * 12, False),
    # Falls and flat months never are.
    (150, [200] * 12, False),
    (200, [200] * 12, False),
    # The mean, not the last month, is the level: a rise on a low month is not news.
    (110, [100, 120, 80, 100, 110, 90, 100, 100, 95, 105, 100, 100], False),
])
def test_unusual_rises(observed: int, history: list[int], unusual: bool) -> None:
    test = rise_test(observed, history)
    assert test is not None
    assert test.unusual is unusual
    assert test.alpha == ALPHA == 0.01
    assert test.mean == sum(history) / 12 and test.months == 12


def test_no_rise_test_without_a_level() -> None:
    assert rise_test(3, []) is None
    assert rise_test(3, [0] * 12) is None


def ward_of(postcode: str) -> str:
    return str(raw.postcode_row(postcode)["Admin_ward_code"])


def raw_total(frame: pd.DataFrame, ward: str, month: str) -> int:
    return int(frame.loc[frame["WardCode"] == ward, month].sum())


@pytest.mark.parametrize("postcode", ["SW1A 1AA", "W12 8ER", "BR1 1AA", "SE1 7PB"])
def test_a_ward_digest_against_the_raw_files(view: DataView, postcode: str) -> None:
    ward = ward_of(postcode)
    wc = raw.ward_crime()
    old = pd.read_csv(OLD_WARD_CRIME, dtype={"WardCode": str})
    baseline = (202601, {ward: raw_total(old, ward, "202601")})
    d = ward_digest(view, ward, 202603, baseline)
    assert (d.month, d.total) == (202603, raw_total(wc, ward, "202603"))
    assert d.previous is not None
    assert (d.previous.month, d.previous.total) == (202602, raw_total(wc, ward, "202602"))
    rows = wc[wc["WardCode"] == ward].groupby("MinorText")[["202602", "202603"]].sum()
    diffs = {str(k): int(v) for k, v in (rows["202603"] - rows["202602"]).items()}
    assert list(d.rises) == sorted(((k, v) for k, v in diffs.items() if v > 0),
                                   key=lambda kv: (-kv[1], kv[0]))[:3]
    assert list(d.falls) == sorted(((k, v) for k, v in diffs.items() if v < 0),
                                   key=lambda kv: (kv[1], kv[0]))[:3]
    assert d.rate is not None
    assert d.rate.rate == pytest.approx(float(raw.ward_rates()[ward]))
    assert d.rate.london_rate == pytest.approx(raw.london_rate())
    before, after = baseline[1][ward], raw_total(wc, ward, "202601")
    assert d.revision == (Revision(202601, before, after) if before != after else None)
    history = [raw_total(wc, ward, m) for m in raw.month_columns()[-13:-1]]
    assert d.rise is not None
    assert d.rise.mean == pytest.approx(sum(history) / 12)
    assert d.rise.p_value == pytest.approx(exact_sf_large(d.total, sum(history) / 12), rel=1e-9)


def exact_sf_large(k: int, mean: float) -> float:
    """The upper tail by summing the pmf in log space upwards (another route than the code's
    for k <= mean)."""
    log_pmf = [-mean + i * math.log(mean) - math.lgamma(i + 1) for i in range(k, k + 4000)]
    top = max(log_pmf)
    return math.exp(top) * math.fsum(math.exp(v - top) for v in log_pmf)


def test_no_rise_test_without_twelve_months_before(view: DataView) -> None:
    ward = ward_of("SW1A 1AA")
    first_full = view.months[1]  # the extract's first column is a stub month
    d = ward_digest(view, ward, first_full)
    assert d.rise is None and d.revision is None


def test_the_digest_text_is_valid_telegram_html_and_escaped(view: DataView) -> None:
    ward = ward_of("SE1 7PB")  # Waterloo & South Bank: an ampersand in the name
    d = ward_digest(view, ward, 202603, (202601, {ward: 1}))
    html = digest_html(d)
    text, entities = parse_html(html)
    assert "&amp;" in html and text.startswith("Waterloo & South Bank ward, Lambeth: March 2026")
    assert "January 2026 revised from 1 to" in text
    assert len(text) <= 4096 and entities


@pytest.mark.parametrize(("p", "odds"), [
    (0.0031, "about 1 in 320"),
    (0.00016, "about 1 in 6,200"),
    (0.009, "about 1 in 110"),
    (0.00004, "less than 1 in 10,000"),
])
def test_the_unusual_line_states_the_test_and_its_threshold(p: float, odds: str) -> None:
    line = parse_html(rise_line(RiseTest(119, 57.1, 12, p, 0.01)))[0]
    assert f"the chance of this many or more would be {odds}" in line
    assert "Poisson test" in line and "below 1 in 100" in line
    assert "119 crimes against an average of 57 a month over the previous 12 months" in line
