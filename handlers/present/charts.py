"""The trend chart: a ward's crime each month, a borough's from the Met's borough file, or two
wards' side by side; PNG bytes and a caption in words.  Every chart carries, drawn on it, how
old its figures are on the day it was made (handlers/present/age.py), so a forwarded picture
still says so."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Final

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from datastore.query.figures import month_name
from datastore.query.freshness import Freshness
from datastore.query.models import BoroughTrend, WardTrend
from handlers.present import age
from handlers.present.drawing import (
    BOROUGH_LINE,
    CAPTION_LIMIT,
    CHART_SIZE,
    CRIME_SOURCE,
    LONDON_LINE,
    STALE_COLOUR,
    WARD_LINE,
    new_figure,
    period,
    plain_text,
    png,
)
from handlers.present.words import esc, fit, n, plural, ratio


def _month_ticks(months: Sequence[int]) -> list[str]:
    """'Apr' under each month; the year beneath the first month and every January."""
    out = []
    for i, m in enumerate(months):
        short = month_name(m)[:3]
        out.append(f"{short}\n{m // 100}" if i == 0 or m % 100 == 1 else short)
    return out


def _frame(fig: Figure, ax: Axes, months: Sequence[int], title: str, subtitle: str,
           fresh: Freshness) -> None:
    """What every trend chart shares: the month axis, the grid, the legend above the plot,
    the title, the statement of age and the source."""
    x = np.arange(len(months))
    ax.set_ylim(bottom=0)
    ax.set_xlim(-0.5, len(x) - 0.5)
    ax.set_xticks(x, _month_ticks(months), fontsize=8.5)
    ax.set_xlabel("Month the crime was recorded")
    ax.grid(axis="y", color="#dddddd", lw=0.8)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, frameon=False, fontsize=9.5)
    fig.text(0.085, 0.94, title, fontsize=15, weight="bold")
    fig.text(0.085, 0.895, subtitle, fontsize=10, color="#333333")
    stale = fresh.stale
    fig.text(0.085, 0.045, "\n".join(textwrap.wrap(age.picture_line(fresh, months[-1]), 120)),
             fontsize=9, va="bottom", color=STALE_COLOUR if stale else "#222222",
             weight="bold" if stale else "normal")
    fig.text(0.085, 0.018, f"Source: {CRIME_SOURCE}", fontsize=8, color="#444444")


def _count_axis(ax: Axes, population: int, name: str) -> None:
    """Rates on the left; the area's own count of crimes on the right-hand axis."""
    ax.set_ylabel("Crimes per 1,000 residents, per month")
    counts = ax.secondary_yaxis("right", functions=(
        lambda r: np.asarray(r) * population / 1000.0,
        lambda c: np.asarray(c) * 1000.0 / population))
    counts.set_ylabel(f"Crimes recorded in {name}")


@plain_text
def trend_figure(trend: WardTrend, fresh: Freshness) -> Figure:
    """A line chart of the ward's crime each month, per 1,000 residents beside its borough's
    and London's (the ward's count on the right-hand axis)."""
    fig = new_figure(CHART_SIZE)
    ax = fig.add_axes((0.085, 0.23, 0.8, 0.56))
    x = np.arange(len(trend.months))
    place = f"{trend.ward_name} ward, {trend.lad_name}"
    population = trend.population
    if trend.rates is not None and population:
        ax.plot(x, trend.rates, color=WARD_LINE, lw=2.6, marker="o", ms=4.5,
                label=f"{trend.ward_name} ward", zorder=3)
        if trend.borough_rates:
            ax.plot(x, trend.borough_rates, color=BOROUGH_LINE, lw=2.2, ls="--",
                    label=f"{trend.lad_name} (its {trend.borough_wards} wards)")
        ax.plot(x, trend.london_rates, color=LONDON_LINE, lw=2.2, ls=":",
                label=f"London (all {trend.london_wards} Met wards)")
        _count_axis(ax, population, trend.ward_name)
        subtitle = (f"{period(trend.months)}. Crimes per 1,000 residents each month; the "
                    f"right-hand axis counts the ward's crimes.")
    else:
        ax.plot(x, trend.counts, color=WARD_LINE, lw=2.6, marker="o", ms=4.5,
                label=f"{trend.ward_name} ward")
        ax.set_ylabel("Crimes recorded per month")
        subtitle = (f"{period(trend.months)}. Crimes recorded each month (no residents figure "
                    "for this ward, so no comparison per 1,000 residents).")
    ax.spines[["top"]].set_visible(False)
    _frame(fig, ax, trend.months, f"Crime in {place}, month by month", subtitle, fresh)
    return fig


def trend_png(trend: WardTrend, fresh: Freshness) -> bytes:
    return png(trend_figure(trend, fresh))


def trend_file(trend: WardTrend, fresh: Freshness) -> tuple[bytes, str]:
    """The chart and its caption (media_files.Render names it)."""
    return trend_png(trend, fresh), trend_caption(trend, fresh)


def _age_words(fresh: Freshness, month: int) -> str:
    return esc(age.statement(fresh, month, short=True))


def trend_caption(trend: WardTrend, fresh: Freshness) -> str:
    """The chart in words (its alt text), as Telegram HTML within a caption's limit."""
    months, counts = trend.months, trend.counts
    last = len(months) - 1
    high = max(range(len(counts)), key=lambda i: (counts[i], months[i]))
    low = min(range(len(counts)), key=lambda i: (counts[i], -months[i]))
    parts = [
        f"<b>Line chart: crime in {esc(trend.ward_name)} ward, {esc(trend.lad_name)}, each month "
        f"from {period(months)}.</b>",
        f"In {month_name(months[last])}: {plural(counts[last], 'crime')}.",
    ]
    rates = trend.rates
    if rates is not None and trend.london_rates:
        borough = (f", {trend.borough_rates[last]:.1f} across {esc(trend.lad_name)}"
                   if trend.borough_rates else "")
        parts[-1] = (f"In {month_name(months[last])}: {plural(counts[last], 'crime')}, "
                     f"{rates[last]:.1f} per 1,000 residents{borough} and "
                     f"{trend.london_rates[last]:.1f} across London.")
    parts.append(f"Highest month: {month_name(months[high])} ({n(counts[high])}); lowest: "
                 f"{month_name(months[low])} ({n(counts[low])}).")
    if rates is not None and trend.london_rates:
        mean = sum(rates) / len(rates)
        london = sum(trend.london_rates) / len(trend.london_rates)
        parts.append(f"Over the {len(months)} months the ward averaged {mean:.1f} crimes per "
                     f"1,000 residents a month, {ratio(mean / london)} times London's "
                     f"{london:.1f}. Residents: Census 2021 usual residents.")
    parts.insert(1, f"<i>{_age_words(fresh, months[-1])}</i>")
    return fit(" ".join(parts), CAPTION_LIMIT)


@plain_text
def borough_trend_figure(trend: BoroughTrend, fresh: Freshness) -> Figure:
    """A line chart of a borough's crime each month from the Met's borough file, per 1,000
    residents beside London's on the same file (the borough's count on the right-hand axis)."""
    fig = new_figure(CHART_SIZE)
    ax = fig.add_axes((0.085, 0.23, 0.8, 0.56))
    x = np.arange(len(trend.months))
    population = trend.population
    if trend.rates is not None and population:
        ax.plot(x, trend.rates, color=WARD_LINE, lw=2.6, marker="o", ms=4.5,
                label=f"{trend.borough_name} (the whole borough)", zorder=3)
        ax.plot(x, trend.london_rates, color=LONDON_LINE, lw=2.2, ls=":",
                label=f"London (the {trend.boroughs} boroughs)")
        _count_axis(ax, population, trend.borough_name)
        subtitle = (f"{period(trend.months)}. Crimes per 1,000 residents each month, from the "
                    "Met's borough figures; the right-hand axis counts them.")
    else:
        ax.plot(x, trend.counts, color=WARD_LINE, lw=2.6, marker="o", ms=4.5,
                label=f"{trend.borough_name} (the whole borough)")
        ax.set_ylabel("Crimes recorded per month")
        subtitle = f"{period(trend.months)}. Crimes recorded each month, the Met's borough figures."
    ax.spines[["top"]].set_visible(False)
    _frame(fig, ax, trend.months, f"Crime in {trend.borough_name} (the whole borough), month "
           "by month", subtitle, fresh)
    return fig


def borough_trend_file(trend: BoroughTrend, fresh: Freshness) -> tuple[bytes, str]:
    """The borough's chart and its caption (media_files.Render names it)."""
    return png(borough_trend_figure(trend, fresh)), borough_trend_caption(trend, fresh)


def borough_trend_caption(trend: BoroughTrend, fresh: Freshness) -> str:
    """The borough's chart in words (its alt text)."""
    months, counts = trend.months, trend.counts
    last = len(months) - 1
    name = esc(trend.borough_name)
    parts = [f"<b>Line chart: crime in {name}, the whole borough (the Met's borough figures), "
             f"each month from {period(months)}.</b>",
             f"<i>{_age_words(fresh, months[-1])}</i>",
             f"In {month_name(months[last])}: {plural(counts[last], 'crime')}."]
    if trend.rates is not None and trend.london_rates:
        parts[-1] = (f"In {month_name(months[last])}: {plural(counts[last], 'crime')}, "
                     f"{trend.rates[last]:.1f} per 1,000 residents against "
                     f"{trend.london_rates[last]:.1f} across London's {trend.boroughs} "
                     "boroughs.")
    return fit(" ".join(parts), CAPTION_LIMIT)


COMPARE_LINES: Final = (WARD_LINE, BOROUGH_LINE)


@plain_text
def compare_figure(first: WardTrend, second: WardTrend, fresh: Freshness) -> Figure:
    """Two wards' crime each month per 1,000 residents on one chart, beside London's."""
    fig = new_figure(CHART_SIZE)
    ax = fig.add_axes((0.085, 0.23, 0.86, 0.56))
    months = first.months
    x = np.arange(len(months))
    for trend, colour, style in ((first, COMPARE_LINES[0], "-"), (second, COMPARE_LINES[1], "--")):
        label = f"{trend.ward_name} ({trend.lad_name})"
        if trend.rates is not None:
            ax.plot(x, trend.rates, color=colour, lw=2.6, ls=style, marker="o", ms=4, label=label)
    ax.plot(x, first.london_rates, color=LONDON_LINE, lw=2.2, ls=":",
            label=f"London (all {first.london_wards} Met wards)")
    ax.set_ylabel("Crimes per 1,000 residents, per month")
    ax.spines[["top", "right"]].set_visible(False)
    _frame(fig, ax, months, f"Crime in {first.ward_name} and {second.ward_name}, month by month",
           f"{period(months)}. Crimes per 1,000 residents (Census 2021) each month.", fresh)
    return fig


def compare_png(first: WardTrend, second: WardTrend, fresh: Freshness) -> bytes:
    return png(compare_figure(first, second, fresh))


def compare_file(first: WardTrend, second: WardTrend, fresh: Freshness) -> tuple[bytes, str]:
    return compare_png(first, second, fresh), compare_caption(first, second, fresh)


def compare_caption(first: WardTrend, second: WardTrend, fresh: Freshness) -> str:
    """The two-ward chart in words (its alt text)."""
    months = first.months
    parts = [f"<b>Line chart: crime per 1,000 residents in {esc(first.ward_name)} "
             f"({esc(first.lad_name)}) and {esc(second.ward_name)} ({esc(second.lad_name)}), "
             f"each month from {period(months)}.</b>",
             f"<i>{_age_words(fresh, months[-1])}</i>"]
    for t in (first, second):
        if t.rates is None:
            parts.append(f"{esc(t.ward_name)} has no residents figure, so no rate.")
        else:
            parts.append(f"{esc(t.ward_name)} averaged {sum(t.rates) / len(t.rates):.1f} a "
                         f"month ({t.rates[-1]:.1f} in {month_name(months[-1])}).")
    london = first.london_rates
    if london:
        parts.append(f"London averaged {sum(london) / len(london):.1f}.")
    return fit(" ".join(parts), CAPTION_LIMIT)
