"""The shaded map: a borough's wards, or London's boroughs, banded against the London
average; PNG bytes and a caption in words.  Every area is named (handlers/present/map_labels.py),
the red ones explained, each average's basis said, and how old the figures are drawn on it."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Final

import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from datastore.query.boundaries import AreaMap, MapArea
from datastore.query.figures import month_name
from datastore.query.freshness import Freshness
from handlers.present import age, map_labels, texts
from handlers.present.drawing import (
    BAND_COLOURS,
    BANDS,
    CAPTION_LIMIT,
    CITY_COLOUR,
    CITY_NOTE,
    CRIME_SOURCE,
    EDGE_COLOUR,
    NO_RATE_COLOUR,
    OS_ATTRIBUTION,
    STALE_COLOUR,
    band_labels,
    new_figure,
    plain_text,
    png,
)
from handlers.present.map_labels import inside_point
from handlers.present.words import esc, fit, ratio

__all__ = ["enclosed_gap", "inside_point", "map_caption", "map_figure", "map_file", "map_png"]


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


def area_colour(area: MapArea) -> str:
    return BAND_COLOURS[area.band] if area.band else NO_RATE_COLOUR


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


def _label_highlight(fig: Figure, ax: Axes, area: MapArea) -> list[Bbox]:
    """Name the user's area above it (below it if the map's top is too near), with a leader
    line to its edge, so the name never hides the area's own colour; the boxes it takes.
    Call once the map's limits and aspect are fixed: the room is measured in pixels."""
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
    note = ax.annotate(
        area.name, xy=target, xytext=(0, offset), textcoords="offset points",
        ha=align, va=va, fontsize=11, weight="bold", zorder=7,
        bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "black", "lw": 1.0},
        arrowprops={"arrowstyle": "-", "color": "black", "lw": 1.4, "shrinkA": 0,
                    "shrinkB": 0},
    )
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    note.update_positions(renderer)
    # The name, padded by its box (pad 0.3 of the font size, and its edge), and the leader.
    boxes = [Text.get_window_extent(note, renderer).padded(0.3 * 11 * fig.dpi / 72 + 2)]
    if note.arrow_patch is not None:
        boxes.append(note.arrow_patch.get_window_extent(renderer))
    return boxes


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


MAP_FOOTER: Final = 0.85


NOTE_LINE: Final = 0.17  # inches per line of the notes under the key


NOTE_WIDTH: Final = 125  # characters per line of a note


def _notes(area_map: AreaMap) -> list[str]:
    """The lines under the map's key: why the red areas are red."""
    return [line for note in map_labels.outlier_notes(area_map)
            for line in textwrap.wrap(note, NOTE_WIDTH)]


def basis_line(area_map: AreaMap) -> str:
    """Which basis the map's London average uses, and the borough answers' beside it."""
    text = f"London average {area_map.london_rate:,.1f} ({texts.WARD_LONDON_BASIS})"
    if area_map.borough_london_rate is not None and area_map.borough_month is not None:
        text += (f"; borough answers use the Met's borough figures, where London's is "
                 f"{area_map.borough_london_rate:,.1f} (12 months to "
                 f"{month_name(area_map.borough_month)})")
    return text + "."


@plain_text
def map_figure(area_map: AreaMap, fresh: Freshness) -> Figure:
    """A choropleth: each area shaded by its band against the London average and named (a
    borough's wards by number, with a key), the user's ward outlined and named, why the red
    areas are red, a legend, the period, each average's basis, how old the figures are and
    the attribution."""
    bounds = map_axes_extent(area_map)
    # Longitude shrinks with latitude: this aspect keeps the shapes true at London's latitude.
    aspect = 1.0 / math.cos(math.radians((bounds[1] + bounds[3]) / 2))
    wide = (bounds[2] - bounds[0]) * 1.06
    tall = (bounds[3] - bounds[1]) * 1.06 * aspect
    map_height = min(max((MAP_WIDTH - 0.4) * tall / max(wide, 1e-9), 4.5), 9.0)
    entries = map_labels.numbered(area_map.areas) if area_map.kind == "wards" else []
    key = (map_labels.key_rows(len(entries)) * map_labels.KEY_LINE + 0.15) if entries else 0.0
    notes = _notes(area_map)
    below = key + (len(notes) * NOTE_LINE + 0.1 if notes else 0.0)
    height = MAP_HEADER + map_height + below + MAP_LEGEND + MAP_FOOTER
    fig = new_figure((MAP_WIDTH, height))
    bottom = (below + MAP_LEGEND + MAP_FOOTER) / height
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
    placed = _label_highlight(fig, ax, mine) if mine is not None else []
    if entries:
        # The outlined ward is named on the map already; every other ward by its number.
        map_labels.place_labels(fig, ax, [(str(i), a) for i, a in entries
                                          if a.code != area_map.highlight], placed)
        map_labels.draw_key(fig, entries, bottom - 0.1 / height, area_map.highlight)
    else:
        map_labels.place_labels(fig, ax, [(map_labels.borough_names(a), a)
                                          for a in area_map.areas], placed)
    for i, line in enumerate(notes):
        fig.text(0.02, (MAP_LEGEND + MAP_FOOTER + len(notes) * NOTE_LINE - i * NOTE_LINE)
                 / height, line, fontsize=8, va="top", color="#333333")
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
    subtitle = (f"Crimes per 1,000 residents over the 12 months {period}.\n"
                f"{basis_line(area_map)}")
    if mine is not None:
        subtitle += f" Outlined: {mine.name}."
    fig.text(0.5, 1 - 0.4 / height, title, ha="center", fontsize=15, weight="bold")
    fig.text(0.5, 1 - 0.55 / height, "\n".join(
        line for part in subtitle.split("\n") for line in textwrap.wrap(part, 118)),
        ha="center", va="top", fontsize=9.5, color="#333333", linespacing=1.4)
    stale = fresh.stale
    fig.text(0.5, 0.45 / height, "\n".join(textwrap.wrap(
        age.picture_line(fresh, area_map.last_month), 110)), ha="center", va="bottom",
        fontsize=9, color=STALE_COLOUR if stale else "#222222",
        weight="bold" if stale else "normal")
    fig.text(0.5, 0.12 / height, f"{OS_ATTRIBUTION}.\n{CRIME_SOURCE}", ha="center",
             fontsize=8, color="#444444")
    return fig


def map_png(area_map: AreaMap, fresh: Freshness) -> bytes:
    return png(map_figure(area_map, fresh))


def map_file(area_map: AreaMap, fresh: Freshness) -> tuple[bytes, str]:
    return map_png(area_map, fresh), map_caption(area_map, fresh)


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


def map_caption(area_map: AreaMap, fresh: Freshness) -> str:
    """The map in words (its alt text): the user's ward's band, or the boroughs' extremes."""
    period = f"{month_name(area_map.first_month)} to {month_name(area_map.last_month)}"
    areas = area_map.areas
    what = ("wards" if area_map.kind == "wards" else "boroughs")
    head = (f"<b>Map: {esc(area_map.title)}'s {len(areas)} {what} shaded by crime per 1,000 "
            f"residents over the 12 months {period}, against the London average "
            f"({area_map.london_rate:,.1f}, {texts.WARD_LONDON_SHORT}).</b>")
    parts = [head, f"<i>{esc(age.statement(fresh, area_map.last_month, short=True))}</i>"]
    mine = area_map.highlighted
    if mine is not None:
        if mine.band is None or mine.rate is None or mine.ratio is None:
            parts.append(f"{esc(mine.name)} (outlined) has no residents figure, so no rate.")
        else:
            parts.append(f"{esc(mine.name)} (outlined) is <b>{mine.band} the London "
                         f"average</b>: {mine.rate:,.1f} crimes per 1,000 residents, "
                         f"{ratio(mine.ratio)} times the average.")
    ranked = sorted((a for a in areas if a.ratio is not None), key=lambda a: -(a.ratio or 0))
    if ranked:
        top, bottom = ranked[0], ranked[-1]
        parts.append(f"Highest: {esc(top.name)}, {ratio(top.ratio or 0)} times the average; "
                     f"lowest: {esc(bottom.name)}, {ratio(bottom.ratio or 0)} times.")
    parts.append(f"Bands: {_band_counts(areas)}.")
    if area_map.kind == "boroughs":
        parts.append(CITY_NOTE)
    return fit(" ".join(parts), CAPTION_LIMIT)
