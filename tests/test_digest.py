"""The digest's figures (pure, from a data view) and its text: the unusual-month test by
tables and calibrated on the real history, the figures of real wards against the raw files,
and the HTML Telegram will parse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from datastore.query.digest import (
    ALPHA,
    HISTORY_MONTHS,
    Revision,
    RiseTest,
    rise_tests,
    ward_digest,
)
from datastore.query.view import DataView
from handlers.present.digest_text import digest_html, rise_line
from tests import raw
from tests.clocks import FRESH, STALE, at, says_nothing_stale
from tests.conftest import OLD_WARD_CRIME
from tests.fake_bot_api import parse_html


def steady(levels: list[float], months: int = 12) -> np.ndarray:
    """Areas whose every month is exactly their level."""
    return np.array([[level] * months for level in levels], dtype=float)


def unusual(history: np.ndarray, now: list[float]) -> list[bool]:
    t = rise_tests(history, np.array(now, dtype=float))
    return [bool(o > e and p < ALPHA)
            for o, e, p in zip(t.observed, t.expected, t.p_value, strict=True)]


WOBBLY = np.array([[200, 260, 140, 230, 170, 250, 150, 200, 215, 185, 235, 165],
                   [2, 3, 1, 2, 4, 1, 2, 2, 3, 1, 2, 1],
                   [100, 90, 110, 95, 105, 100, 98, 102, 97, 103, 100, 100]], dtype=float)


@pytest.mark.parametrize(("history", "now", "expected"), [
    # An ordinary month for everyone.
    (WOBBLY, [200, 2, 100], [False, False, False]),
    # Small counts: even 5 where about 2 is usual is not unusual.
    (WOBBLY, [200, 5, 100], [False, False, False]),
    # A large count doubling is.
    (WOBBLY, [420, 2, 100], [True, False, False]),
    # All of London up by a quarter (the season, or anything city-wide): no ward stands out.
    (WOBBLY, [250, 2.5, 125], [False, False, False]),
    # Falls never are, however large.
    (WOBBLY, [60, 0, 30], [False, False, False]),
    # A ward with no crime at all in its history has no level to compare with.
    (np.vstack([WOBBLY, np.zeros((1, 12))]), [200, 2, 100, 9], [False, False, False, False]),
])
def test_unusual_months_by_table(history: np.ndarray, now: list[float],
                                 expected: list[bool]) -> None:
    assert unusual(history, now) == expected


def test_the_spread_is_never_below_londons() -> None:
    """A ward whose twelve months happen to be flat gets London's pooled spread, not none:
    a steady-looking ward is not flagged for a rise that would be ordinary elsewhere."""
    history = np.vstack([WOBBLY, steady([100])])
    t = rise_tests(history, np.array([200, 2, 100, 135.0]))
    assert t.dispersion[3] == pytest.approx(t.dispersion.min())
    assert t.dispersion[3] > 0
    assert t.p_value[3] > rise_tests(history, np.array([200, 2, 100, 160.0])).p_value[3]


def test_the_model_against_a_reference_on_real_wards(view: DataView) -> None:
    months, counts = raw.ward_matrix(raw.ward_crime())
    col = months.index("202603")
    expected, p_values = raw.unusual_reference(counts[:, col - 12:col], counts[:, col])
    codes = sorted(set(raw.ward_crime()["WardCode"]))
    for ward in ("E05013570", codes[0], codes[300], codes[-1]):  # Heathrow Villages and others
        d = ward_digest(view, ward, 202603)
        assert d.rise is not None
        assert d.rise.expected == pytest.approx(expected[codes.index(ward)], rel=1e-9)
        assert d.rise.p_value == pytest.approx(p_values[codes.index(ward)], rel=1e-6, abs=1e-12)


def flagged_share(frame: pd.DataFrame) -> tuple[float, int]:
    """The share of ward-months flagged at ALPHA over every month with 12 complete months
    before it, by the reference model on a raw extract."""
    months, counts = raw.ward_matrix(frame)
    flags = total = 0
    for col in range(HISTORY_MONTHS, len(months)):
        history = counts[:, col - HISTORY_MONTHS:col]
        expected, p_values = raw.unusual_reference(history, counts[:, col])
        flags += int(((counts[:, col] > expected) & (p_values < ALPHA)).sum())
        total += len(counts)
    return flags / total, total


@pytest.mark.parametrize("extract", [raw.WARD_CRIME, OLD_WARD_CRIME])
def test_unusual_months_are_about_as_rare_as_stated_on_the_real_history(extract: object) -> None:
    """With nothing special happening, a test at 1 % should flag about 1 % of ward-months;
    the old Poisson test flagged 15-133 of 679 wards a month (several per cent).  Within
    twice the nominal rate, either way."""
    share, ward_months = flagged_share(pd.read_csv(extract, dtype={"WardCode": str}))
    assert ward_months >= 679 * 11
    assert ALPHA / 2 <= share <= 2 * ALPHA


def test_the_code_flags_what_the_reference_flags(view: DataView) -> None:
    months, counts = raw.ward_matrix(raw.ward_crime())
    codes = sorted(set(raw.ward_crime()["WardCode"]))
    for month in ("202505", "202603"):
        col = months.index(month)
        expected, p_values = raw.unusual_reference(counts[:, col - 12:col], counts[:, col])
        want = {c for c, x, e, p in zip(codes, counts[:, col], expected, p_values, strict=True)
                if x > e and p < ALPHA}
        got = {c for c in codes if (t := ward_digest(view, c, int(month)).rise) and t.unusual}
        assert got == want and want


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
    assert d.rise is not None and d.rise.months == 12
    # The data moved on two months since January: the digest gives both.
    assert d.since_month == 202601
    assert [(m.month, m.total) for m in d.new_months] == [
        (202602, raw_total(wc, ward, "202602")), (202603, raw_total(wc, ward, "202603"))]
    feb, mar = (f"{raw_total(wc, ward, m):,}" for m in ("202602", "202603"))
    assert f"\nSince January 2026: February {feb}, March {mar}.\n" in digest_html(d, at(FRESH))
    one_month = ward_digest(view, ward, 202603, (202602, {}))
    assert one_month.since_month is None and one_month.new_months == ()


def test_no_rise_test_without_twelve_months_before(view: DataView) -> None:
    ward = ward_of("SW1A 1AA")
    first_full = view.months[1]  # the extract's first column is a stub month
    d = ward_digest(view, ward, first_full)
    assert d.rise is None and d.revision is None


def test_the_digest_text_is_valid_telegram_html_and_escaped(view: DataView) -> None:
    ward = ward_of("SE1 7PB")  # Waterloo & South Bank: an ampersand in the name
    d = ward_digest(view, ward, 202603, (202601, {ward: 1}))
    html = digest_html(d, at(FRESH))
    text, entities = parse_html(html)
    assert "&amp;" in html and text.startswith("Waterloo & South Bank ward, Lambeth: March 2026")
    assert "January 2026 revised from 1 to" in text
    assert len(text) <= 4096 and entities


def test_a_digest_of_an_old_month_says_so(view: DataView) -> None:
    """Read on the day it is sent: a digest of March 2026 on 7 December 2026 says it is 8
    months old and that newer figures have been published; on 20 April 2026 it is current."""
    d = ward_digest(view, ward_of("E8 1DY"), 202603)
    stale = parse_html(digest_html(d, at(STALE)))[0]
    first, second = stale.split("\n")[:2]
    assert first == "Hackney Central ward, Hackney: March 2026"
    assert second.startswith("Figures to March 2026, 8 months old. ⚠️ Newer figures have "
                             "been published")
    assert "12 months to March 2026: " in stale
    says_nothing_stale(stale)
    fresh = parse_html(digest_html(d, at(FRESH)))[0]
    assert fresh.split("\n")[1] == "Figures to March 2026, under a month old."
    assert "Newer figures" not in fresh


def test_the_unusual_line_says_it_in_plain_words() -> None:
    line = parse_html(rise_line(RiseTest(119, 57.4, 12, 0.0031, 0.01)))[0]
    assert line.startswith("⚠️ Unusually high for this ward: 119 crimes, where an ordinary "
                           "month would bring about 57 (its last 12 months, allowing for the "
                           "season and for London as a whole).")
    assert "higher than this ward sees in about 99 months out of 100" in line
    assert "One unusual month is not a trend" in line
    assert "Poisson" not in line and "negative binomial" not in line
