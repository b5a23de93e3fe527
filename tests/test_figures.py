"""Pure computations and renderer helpers: parametrised tables, no files, no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datastore.query import figures
from handlers.present import words


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [(0.0, "well below"), (0.49, "well below"), (0.5, "below"), (0.79, "below"),
     (0.8, "around"), (1.0, "around"), (1.249, "around"), (1.25, "above"), (1.99, "above"),
     (2.0, "well above"), (7.5, "well above")],
)
def test_band_edges(ratio: float, expected: str) -> None:
    assert figures.band(ratio) == expected


@pytest.mark.parametrize(
    ("month", "delta", "expected"),
    [(202603, -1, 202602), (202601, -1, 202512), (202512, 1, 202601), (202404, -12, 202304),
     (202603, -11, 202504), (202001, 0, 202001)],
)
def test_add_months(month: int, delta: int, expected: int) -> None:
    assert figures.add_months(month, delta) == expected


def test_window_is_twelve_months_ending_at_last() -> None:
    w = figures.window(202603)
    assert len(w) == 12
    assert w[0] == 202504 and w[-1] == 202603
    assert list(w) == sorted(w)


def test_rank_of_highest_is_one_and_ties_share() -> None:
    rates = {"a": 10.0, "b": 30.0, "c": 20.0, "d": 20.0}
    assert figures.rank_of("b", rates) == 1
    assert figures.rank_of("c", rates) == 2
    assert figures.rank_of("d", rates) == 2
    assert figures.rank_of("a", rates) == 4


def test_rate_per_1000() -> None:
    assert figures.rate_per_1000(50, 10_000) == pytest.approx(5.0)


def test_top_changes() -> None:
    rises, falls = figures.top_changes({"a": 10, "b": 1, "c": 5}, {"a": 4, "b": 3, "d": 2}, n=2)
    assert rises == [("a", 6), ("c", 5)]
    assert falls == [("b", -2), ("d", -2)]


def test_count_by_orders_largest_first() -> None:
    assert list(figures.count_by(["x", "y", "y", "z", "z", "z"]).items()) == [
        ("z", 3), ("y", 2), ("x", 1)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("THEFT", "Theft"), ("VIOLENCE AGAINST THE PERSON", "Violence against the person"),
     ("NFIB FRAUD", "Fraud passed to Action Fraud (NFIB)"), ("HOMICIDE", "Homicide"),
     ("", "")],
)
def test_category_shown_names(name: str, expected: str) -> None:
    assert words.category(name) == expected


def test_month_names() -> None:
    assert figures.month_name(202603) == "March 2026"
    assert figures.month_label(202404) == "2024-04"


def test_fit_keeps_short_text_and_cuts_long_text_at_a_line() -> None:
    assert words.fit("short") == "short"
    long = "\n".join(f"<b>line {i}</b> " + "x" * 80 for i in range(200))
    cut = words.fit(long)
    assert len(cut) <= words.TELEGRAM_LIMIT
    assert cut.endswith("\n…")
    assert cut.count("<b>") == cut.count("</b>")


@given(st.text(max_size=20_000))
def test_fit_never_exceeds_the_limit(text: str) -> None:
    assert len(words.fit(text)) <= words.TELEGRAM_LIMIT


def test_esc_escapes_markup() -> None:
    assert words.esc("<b>&") == "&lt;b&gt;&amp;"
