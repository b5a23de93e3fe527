"""The trend chart: a ward's crime each month, or two wards' side by side; PNG bytes and a
caption in words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from matplotlib.figure import Figure

from datastore.query.figures import month_name
from datastore.query.models import WardTrend
from handlers.present.drawing import (
    BOROUGH_LINE,
    CAPTION_LIMIT,
    CHART_SIZE,
    CRIME_SOURCE,
    LONDON_LINE,
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


@plain_text
def trend_figure(trend: WardTrend) -> Figure:
    """A line chart of the ward's crime each month, per 1,000 residents beside its borough's
    and London's (the ward's count on the right-hand axis)."""
    fig = new_figure(CHART_SIZE)
    ax = fig.add_axes((0.085, 0.19, 0.8, 0.6))
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
        ax.set_ylabel("Crimes per 1,000 residents, per month")
        counts = ax.secondary_yaxis("right", functions=(
            lambda r: np.asarray(r) * population / 1000.0,
            lambda c: np.asarray(c) * 1000.0 / population))
        counts.set_ylabel(f"Crimes recorded in {trend.ward_name}")
        subtitle = (f"{period(trend.months)}. Crimes per 1,000 residents each month; the "
                    f"right-hand axis counts the ward's crimes.")
    else:
        ax.plot(x, trend.counts, color=WARD_LINE, lw=2.6, marker="o", ms=4.5,
                label=f"{trend.ward_name} ward")
        ax.set_ylabel("Crimes recorded per month")
        subtitle = (f"{period(trend.months)}. Crimes recorded each month (no residents figure "
                    "for this ward, so no comparison per 1,000 residents).")
    ax.set_ylim(bottom=0)
    ax.set_xlim(-0.5, len(x) - 0.5)
    ax.set_xticks(x, _month_ticks(trend.months), fontsize=8.5)
    ax.set_xlabel("Month the crime was recorded")
    ax.grid(axis="y", color="#dddddd", lw=0.8)
    ax.spines[["top"]].set_visible(False)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, frameon=False, fontsize=9.5)
    fig.text(0.085, 0.94, f"Crime in {place}, month by month", fontsize=15, weight="bold")
    fig.text(0.085, 0.895, subtitle, fontsize=10, color="#333333")
    fig.text(0.085, 0.025, f"Source: {CRIME_SOURCE}", fontsize=8, color="#444444")
    return fig


def trend_png(trend: WardTrend) -> bytes:
    return png(trend_figure(trend))


def trend_file(trend: WardTrend) -> tuple[bytes, str]:
    """The chart and its caption (media_files.Render names it)."""
    return trend_png(trend), trend_caption(trend)


def trend_caption(trend: WardTrend) -> str:
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
    return fit(" ".join(parts), CAPTION_LIMIT)


COMPARE_LINES: Final = (WARD_LINE, BOROUGH_LINE)


@plain_text
def compare_figure(first: WardTrend, second: WardTrend) -> Figure:
    """Two wards' crime each month per 1,000 residents on one chart, beside London's."""
    fig = new_figure(CHART_SIZE)
    ax = fig.add_axes((0.085, 0.19, 0.86, 0.6))
    months = first.months
    x = np.arange(len(months))
    for trend, colour, style in ((first, COMPARE_LINES[0], "-"), (second, COMPARE_LINES[1], "--")):
        label = f"{trend.ward_name} ({trend.lad_name})"
        if trend.rates is not None:
            ax.plot(x, trend.rates, color=colour, lw=2.6, ls=style, marker="o", ms=4, label=label)
    ax.plot(x, first.london_rates, color=LONDON_LINE, lw=2.2, ls=":",
            label=f"London (all {first.london_wards} Met wards)")
    ax.set_ylabel("Crimes per 1,000 residents, per month")
    ax.set_ylim(bottom=0)
    ax.set_xlim(-0.5, len(x) - 0.5)
    ax.set_xticks(x, _month_ticks(months), fontsize=8.5)
    ax.set_xlabel("Month the crime was recorded")
    ax.grid(axis="y", color="#dddddd", lw=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, frameon=False, fontsize=9.5)
    fig.text(0.085, 0.94, f"Crime in {first.ward_name} and {second.ward_name}, month by month",
             fontsize=15, weight="bold")
    fig.text(0.085, 0.895, f"{period(months)}. Crimes per 1,000 residents (Census 2021) each "
             "month.", fontsize=10, color="#333333")
    fig.text(0.085, 0.025, f"Source: {CRIME_SOURCE}", fontsize=8, color="#444444")
    return fig


def compare_png(first: WardTrend, second: WardTrend) -> bytes:
    return png(compare_figure(first, second))


def compare_file(first: WardTrend, second: WardTrend) -> tuple[bytes, str]:
    return compare_png(first, second), compare_caption(first, second)


def compare_caption(first: WardTrend, second: WardTrend) -> str:
    """The two-ward chart in words (its alt text)."""
    months = first.months
    parts = [f"<b>Line chart: crime per 1,000 residents in {esc(first.ward_name)} "
             f"({esc(first.lad_name)}) and {esc(second.ward_name)} ({esc(second.lad_name)}), "
             f"each month from {period(months)}.</b>"]
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
