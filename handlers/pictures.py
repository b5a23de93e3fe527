"""Pure picture renderers: figures in, a matplotlib Figure, PNG bytes and a caption out.

matplotlib draws on `Figure` objects with the Agg canvas — no pyplot, no global state — so a
picture can be drawn in a worker thread.  The colours are colour-blind safe: the map's five
bands are ColorBrewer's diverging RdBu (blue below the London average, near-white around it,
red above), the chart's lines Okabe-Ito colours, each with its own line style as well.
Every string is drawn as plain text (`PLAIN`): a `$` in a published name is a dollar sign,
never mathtext.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import shapely
from matplotlib import patheffects, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from matplotlib.transforms import Bbox
from shapely.ops import polylabel

from datastore.query.boundaries import AreaMap, MapArea
from datastore.query.figures import BAND_EDGES, Band, month_name
from datastore.query.models import WardTrend

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType
from handlers.render import esc, fit, n, plural

DPI: Final = 120
CHART_SIZE: Final = (10.0, 6.0)  # inches: 1200 x 720 pixels
CAPTION_LIMIT: Final = 1024  # Telegram's limit for a photo's caption

BANDS: Final[tuple[Band, ...]] = ("well below", "below", "around", "above", "well above")
BAND_COLOURS: Final[dict[Band, str]] = {
    "well below": "#0571b0",
    "below": "#92c5de",
    "around": "#f7f7f7",
    "above": "#f4a582",
    "well above": "#ca0020",
}
NO_RATE_COLOUR: Final = "#bdbdbd"
CITY_COLOUR: Final = "#e0e0e0"
EDGE_COLOUR: Final = "#6e6e6e"

# Okabe-Ito blue and orange, and a dark grey: distinguishable in every common colour-vision
# deficiency, and told apart by line style and markers besides.
WARD_LINE: Final = "#0072b2"
BOROUGH_LINE: Final = "#e69f00"
LONDON_LINE: Final = "#4d4d4d"

OS_ATTRIBUTION: Final = "Contains OS data © Crown copyright and database right"
CRIME_SOURCE: Final = (
    "Crime: Metropolitan Police Service via the London Datastore. Residents: ONS Census 2021 "
    "usual residents. Open Government Licence v3.0."
)
CITY_NOTE: Final = (
    "The City of London (hatched) has its own police force and is not in the Met's figures.")


def _ratio(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def band_labels() -> dict[Band, str]:
    """Each band, lowest first, with its range of times the London average (legend text)."""
    edges = [edge for edge, _ in BAND_EDGES]
    labels: dict[Band, str] = {BANDS[0]: f"well below\nunder {_ratio(edges[0])}×"}
    for i, name in enumerate(BANDS[1:-1], 1):
        labels[name] = f"{name}\n{_ratio(edges[i - 1])}× to {_ratio(edges[i])}×"
    labels[BANDS[-1]] = f"well above\n{_ratio(edges[-1])}× or more"
    return labels


# Text is drawn as it is: matplotlib reads "$...$" as mathtext (TeX-like markup) unless told
# not to, and a ward named "Hackney $\undefinedmacro{x}$ Central" then took the chart down.
# A Text reads this setting when it is made, so every figure is made (and saved) under it
# (rcParams are process-wide for that moment: renders run one at a time).
PLAIN: Final[dict[RcKeyType, bool]] = {"text.parse_math": False, "text.usetex": False}


@rc_context(PLAIN)
def png(fig: Figure) -> bytes:
    """The figure as PNG bytes, at its own size and resolution."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _new_figure(size: tuple[float, float]) -> Figure:
    fig = Figure(figsize=size, dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _period(months: Sequence[int]) -> str:
    return f"{month_name(months[0])} to {month_name(months[-1])}"


# -- the trend chart ---------------------------------------------------------------------------


def _month_ticks(months: Sequence[int]) -> list[str]:
    """'Apr' under each month; the year beneath the first month and every January."""
    out = []
    for i, m in enumerate(months):
        short = month_name(m)[:3]
        out.append(f"{short}\n{m // 100}" if i == 0 or m % 100 == 1 else short)
    return out


@rc_context(PLAIN)
def trend_figure(trend: WardTrend) -> Figure:
    """A line chart of the ward's crime each month, per 1,000 residents beside its borough's
    and London's (the ward's count on the right-hand axis)."""
    fig = _new_figure(CHART_SIZE)
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
        subtitle = (f"{_period(trend.months)}. Crimes per 1,000 residents each month; the "
                    f"right-hand axis counts the ward's crimes.")
    else:
        ax.plot(x, trend.counts, color=WARD_LINE, lw=2.6, marker="o", ms=4.5,
                label=f"{trend.ward_name} ward")
        ax.set_ylabel("Crimes recorded per month")
        subtitle = (f"{_period(trend.months)}. Crimes recorded each month (no residents figure "
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
        f"from {_period(months)}.</b>",
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
                     f"1,000 residents a month, {_ratio(mean / london)} times London's "
                     f"{london:.1f}. Residents: Census 2021 usual residents.")
    return fit(" ".join(parts), CAPTION_LIMIT)


COMPARE_LINES: Final = (WARD_LINE, BOROUGH_LINE)


@rc_context(PLAIN)
def compare_figure(first: WardTrend, second: WardTrend) -> Figure:
    """Two wards' crime each month per 1,000 residents on one chart, beside London's."""
    fig = _new_figure(CHART_SIZE)
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
    fig.text(0.085, 0.895, f"{_period(months)}. Crimes per 1,000 residents (Census 2021) each "
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
             f"each month from {_period(months)}.</b>"]
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


# -- the maps ----------------------------------------------------------------------------------


def _path(geometry: shapely.Geometry) -> Path:
    """A (multi)polygon, holes included, as one matplotlib path."""
    vertices: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for polygon in shapely.get_parts(geometry):
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            code = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
            code[0], code[-1] = Path.MOVETO, Path.CLOSEPOLY
            vertices.append(xy)
            codes.append(code)
    return Path(np.concatenate(vertices), np.concatenate(codes))


def inside_point(geometry: shapely.Geometry) -> shapely.Point:
    """The point of an area farthest inside it (of its largest part): where its colour is
    surest to show."""
    largest = max(shapely.get_parts(geometry), key=lambda p: p.area)
    point: shapely.Point = polylabel(largest, tolerance=1e-5)
    return point


def area_colour(area: MapArea) -> str:
    return BAND_COLOURS[area.band] if area.band else NO_RATE_COLOUR


def _short(name: str) -> str:
    return name.replace(" and ", " & ")


def _edge(geometry: shapely.Geometry, point: shapely.Point, limit: float) -> float:
    """The y where a vertical line from `point` towards `limit` leaves the area."""
    line = shapely.LineString([(point.x, point.y), (point.x, limit)])
    pieces = shapely.get_parts(geometry.intersection(line))
    touching = [p for p in pieces if p.distance(point) < 1e-9] or list(pieces)
    if not touching:
        return float(point.y)
    if limit > point.y:
        return float(max(p.bounds[3] for p in touching))
    return float(min(p.bounds[1] for p in touching))


def _label_highlight(fig: Figure, ax: Axes, area: MapArea) -> None:
    """Name the user's area above it (below it if the map's top is too near), with a leader
    line to its edge, so the name never hides the area's own colour.  Call once the map's
    limits and aspect are fixed: the room is measured in pixels."""
    point = inside_point(area.geometry)
    ymin, ymax = ax.get_ylim()
    room = 60 * fig.dpi / 72  # the leader and the name, in pixels
    box = ax.get_window_extent()
    top = _edge(area.geometry, point, ymax + 1.0)
    bottom = _edge(area.geometry, point, ymin - 1.0)
    target, offset, va = (point.x, top), 30, "bottom"
    if (ax.transData.transform(target)[1] + room > box.y1
            and ax.transData.transform((point.x, bottom))[1] - room >= box.y0):
        target, offset, va = (point.x, bottom), -30, "top"
    xmin, xmax = ax.get_xlim()
    share = (point.x - xmin) / max(xmax - xmin, 1e-9)
    align = "left" if share < 0.25 else "right" if share > 0.75 else "center"
    ax.annotate(
        area.name, xy=target, xytext=(0, offset), textcoords="offset points",
        ha=align, va=va, fontsize=11, weight="bold", zorder=6,
        bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "black", "lw": 1.0},
        arrowprops={"arrowstyle": "-", "color": "black", "lw": 1.4, "shrinkA": 0,
                    "shrinkB": 0},
    )


def _label_points(geometry: shapely.Geometry) -> list[shapely.Point]:
    """Where an area's name may go: its inside point, then those of its lower and upper
    halves (cut at that point)."""
    point = inside_point(geometry)
    xmin, ymin, xmax, ymax = geometry.bounds
    out = [point]
    for box in (shapely.box(xmin, ymin, xmax, point.y), shapely.box(xmin, point.y, xmax, ymax)):
        half = geometry.intersection(box)
        if not half.is_empty and half.area > 0.15 * geometry.area:
            out.append(inside_point(half))
    return out


def _label_areas(fig: Figure, ax: Axes, areas: Sequence[MapArea]) -> None:
    """Every area's name at an inside point, smaller for smaller areas; a name that would
    overlap one already placed moves to another inside point if one is free."""
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    largest = max(a.geometry.area for a in areas)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    placed: list[Bbox] = []
    for area in sorted(areas, key=lambda a: -a.geometry.area):
        size = 5.5 + 2.0 * math.sqrt(area.geometry.area / largest)
        label = ax.text(0, 0, "\n".join(textwrap.wrap(_short(area.name), 12)), ha="center",
                        va="center", fontsize=size, zorder=5, path_effects=halo)
        for point in _label_points(area.geometry):
            label.set_position((point.x, point.y))
            box = label.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed):
                break
        else:
            label.set_position((inside_point(area.geometry).x, inside_point(area.geometry).y))
            box = label.get_window_extent(renderer)
        placed.append(box)


def enclosed_gap(area_map: AreaMap) -> shapely.Geometry | None:
    """The largest hole the areas leave between them (on the borough map: the City of London,
    which has its own police force and is not in the Met's figures)."""
    union = shapely.union_all([a.geometry for a in area_map.areas])
    holes = [shapely.Polygon(ring) for part in shapely.get_parts(union)
             for ring in part.interiors]
    if not holes:
        return None
    hole = max(holes, key=lambda h: h.area)
    # Slivers between neighbouring shapes are not a place.
    return hole if hole.area > 1e-3 * union.area else None


def map_axes_extent(area_map: AreaMap) -> tuple[float, float, float, float]:
    """The lon/lat box the map shows: its areas' bounds."""
    xmin, ymin, xmax, ymax = shapely.total_bounds([a.geometry for a in area_map.areas])
    return float(xmin), float(ymin), float(xmax), float(ymax)


# The map's layout, in inches: a fixed width, the map's height set by the area's shape.
MAP_WIDTH: Final = 9.0
MAP_HEADER: Final = 1.15
MAP_LEGEND: Final = 0.95
MAP_FOOTER: Final = 0.6


@rc_context(PLAIN)
def map_figure(area_map: AreaMap) -> Figure:
    """A choropleth: each area shaded by its band against the London average, the user's ward
    outlined and named, a legend, the period and the attribution."""
    bounds = map_axes_extent(area_map)
    # Longitude shrinks with latitude: this aspect keeps the shapes true at London's latitude.
    aspect = 1.0 / math.cos(math.radians((bounds[1] + bounds[3]) / 2))
    wide = (bounds[2] - bounds[0]) * 1.06
    tall = (bounds[3] - bounds[1]) * 1.06 * aspect
    map_height = min(max((MAP_WIDTH - 0.4) * tall / max(wide, 1e-9), 4.5), 9.0)
    height = MAP_HEADER + map_height + MAP_LEGEND + MAP_FOOTER
    fig = _new_figure((MAP_WIDTH, height))
    bottom = (MAP_LEGEND + MAP_FOOTER) / height
    ax = fig.add_axes((0.02, bottom, 0.96, map_height / height))
    ax.set_axis_off()
    for area in area_map.areas:
        ax.add_patch(PathPatch(_path(area.geometry), facecolor=area_colour(area),
                               edgecolor=EDGE_COLOUR, lw=0.6, zorder=1))
    mine = area_map.highlighted
    if mine is not None:
        ax.add_patch(PathPatch(
            _path(mine.geometry), fill=False, edgecolor="black", lw=2.8, zorder=4,
            path_effects=[patheffects.withStroke(linewidth=5.0, foreground="white")]))
    handles = [Patch(facecolor=BAND_COLOURS[b], edgecolor=EDGE_COLOUR, label=label)
               for b, label in band_labels().items()]
    if area_map.kind == "boroughs":
        gap = enclosed_gap(area_map)
        if gap is not None:
            ax.add_patch(PathPatch(_path(gap), facecolor=CITY_COLOUR, edgecolor=EDGE_COLOUR,
                                   hatch="////", lw=0.6, zorder=1))
            handles.append(Patch(facecolor=CITY_COLOUR, edgecolor=EDGE_COLOUR, hatch="////",
                                 label="City of London:\nits own police force"))
    if any(a.band is None for a in area_map.areas):
        handles.append(Patch(facecolor=NO_RATE_COLOUR, edgecolor=EDGE_COLOUR,
                             label="no residents\nfigure"))
    pad_x, pad_y = (bounds[2] - bounds[0]) * 0.03, (bounds[3] - bounds[1]) * 0.03
    ax.set_xlim(bounds[0] - pad_x, bounds[2] + pad_x)
    ax.set_ylim(bounds[1] - pad_y, bounds[3] + pad_y)
    ax.set_aspect(aspect)
    ax.apply_aspect()  # names are placed in pixels: fix the map's box first
    if mine is not None:
        _label_highlight(fig, ax, mine)
    if area_map.kind == "boroughs":
        _label_areas(fig, ax, area_map.areas)
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False,
               bbox_to_anchor=(0.5, (MAP_FOOTER + 0.05) / height), fontsize=9,
               handlelength=1.6, columnspacing=1.2,
               title="Crime per resident against the London average (times the average)",
               title_fontsize=10)
    period = f"{month_name(area_map.first_month)} to {month_name(area_map.last_month)}"
    if area_map.kind == "wards":
        title = f"Crime in {area_map.title}'s wards against the London average"
    else:
        title = "Crime in London's boroughs against the London average"
    subtitle = (f"Crimes per 1,000 residents over the 12 months {period}; London average "
                f"{area_map.london_rate:,.1f}.")
    if mine is not None:
        subtitle += f"\nOutlined: {mine.name}."
    fig.text(0.5, 1 - 0.4 / height, title, ha="center", fontsize=15, weight="bold")
    fig.text(0.5, 1 - 0.55 / height, subtitle, ha="center", va="top", fontsize=10,
             color="#333333", linespacing=1.5)
    fig.text(0.5, 0.12 / height, f"{OS_ATTRIBUTION}.\n{CRIME_SOURCE}", ha="center",
             fontsize=8, color="#444444")
    return fig


def map_png(area_map: AreaMap) -> bytes:
    return png(map_figure(area_map))


def map_file(area_map: AreaMap) -> tuple[bytes, str]:
    return map_png(area_map), map_caption(area_map)


def _band_counts(areas: Sequence[MapArea]) -> str:
    parts = []
    for band in reversed(BANDS):
        count = sum(1 for a in areas if a.band == band)
        if count:
            parts.append(f"{count} {band}")
    missing = sum(1 for a in areas if a.band is None)
    if missing:
        parts.append(f"{missing} with no residents figure")
    return ", ".join(parts)


def map_caption(area_map: AreaMap) -> str:
    """The map in words (its alt text): the user's ward's band, or the boroughs' extremes."""
    period = f"{month_name(area_map.first_month)} to {month_name(area_map.last_month)}"
    areas = area_map.areas
    what = ("wards" if area_map.kind == "wards" else "boroughs")
    head = (f"<b>Map: {esc(area_map.title)}'s {len(areas)} {what} shaded by crime per 1,000 "
            f"residents over the 12 months {period}, against the London average "
            f"({area_map.london_rate:,.1f}).</b>")
    parts = [head]
    mine = area_map.highlighted
    if mine is not None:
        if mine.band is None or mine.rate is None or mine.ratio is None:
            parts.append(f"{esc(mine.name)} (outlined) has no residents figure, so no rate.")
        else:
            parts.append(f"{esc(mine.name)} (outlined) is <b>{mine.band} the London "
                         f"average</b>: {mine.rate:,.1f} crimes per 1,000 residents, "
                         f"{_ratio(mine.ratio)} times the average.")
    ranked = sorted((a for a in areas if a.ratio is not None), key=lambda a: -(a.ratio or 0))
    if ranked:
        top, bottom = ranked[0], ranked[-1]
        parts.append(f"Highest: {esc(top.name)}, {_ratio(top.ratio or 0)} times the average; "
                     f"lowest: {esc(bottom.name)}, {_ratio(bottom.ratio or 0)} times.")
    parts.append(f"Bands: {_band_counts(areas)}.")
    if area_map.kind == "boroughs":
        parts.append(CITY_NOTE)
    return fit(" ".join(parts), CAPTION_LIMIT)
