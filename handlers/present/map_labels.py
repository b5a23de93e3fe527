"""Naming every area of a map so a resident can find theirs: labels that never overlap, a key,
and the notes that say why an area stands out.

A borough's wards are numbered (alphabetically) at a point inside each ward, with a key of
the numbers and names under the map: a number fits where a name would not (the outlined
ward is named on the map instead).  London's boroughs
are named.  A label goes at the first place, inside its area, where it overlaps nothing placed
before it (the outlined ward's name is placed first); an area with no such place gets its
label just outside, with a leader line.  Every placed box is kept, so no two labels overlap.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Sequence
from typing import Final

import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from shapely.ops import polylabel

from datastore.query.boundaries import AreaMap, MapArea
from handlers.present import texts

# The gids the drawn labels and key entries carry (tests find them by these).
LABEL_GID: Final = "area-label"
KEY_GID: Final = "area-key"
LABEL_SIZE: Final = 8.0  # points: legible on a phone at the map's 1080 pixels
KEY_SIZE: Final = 8.0
KEY_COLUMNS: Final = 3
KEY_LINE: Final = 0.17  # inches per line of the key
GAP: Final = 1.5  # pixels kept clear around every label


def inside_point(geometry: shapely.Geometry) -> shapely.Point:
    """The point of an area farthest inside it (of its largest part): where its colour is
    surest to show."""
    largest = max(shapely.get_parts(geometry), key=lambda p: p.area)
    point: shapely.Point = polylabel(largest, tolerance=1e-5)
    return point


def numbered(areas: Sequence[MapArea]) -> list[tuple[int, MapArea]]:
    """The areas numbered 1, 2, … in alphabetical order (the key's order)."""
    return list(enumerate(sorted(areas, key=lambda a: a.name.casefold()), 1))


def _candidates(geometry: shapely.Geometry) -> Iterator[tuple[float, float]]:
    """Places inside an area for its label, best first: its inside point, those of its
    halves, then a grid of inside points nearest the first."""
    point = inside_point(geometry)
    yield point.x, point.y
    xmin, ymin, xmax, ymax = geometry.bounds
    for box in (shapely.box(xmin, ymin, xmax, point.y), shapely.box(xmin, point.y, xmax, ymax)):
        half = geometry.intersection(box)
        if not half.is_empty and half.area > 0.15 * geometry.area:
            inner = inside_point(half)
            yield inner.x, inner.y
    xs, ys = np.meshgrid(np.linspace(xmin, xmax, 15), np.linspace(ymin, ymax, 15))
    inside = shapely.contains_xy(geometry, xs, ys)
    grid = sorted(zip(xs[inside].tolist(), ys[inside].tolist(), strict=True),
                  key=lambda p: (p[0] - point.x) ** 2 + (p[1] - point.y) ** 2)
    yield from grid


def _clear(box: Bbox, placed: Sequence[Bbox], frame: Bbox) -> bool:
    padded = box.padded(GAP)
    inside = (frame.x0 <= box.x0 and box.x1 <= frame.x1
              and frame.y0 <= box.y0 and box.y1 <= frame.y1)
    return inside and not any(padded.overlaps(other) for other in placed)


def _box_at(centre: np.ndarray, size: tuple[float, float]) -> Bbox:
    """A label's box (display pixels) centred on a point: labels are centred both ways."""
    width, height = size
    return Bbox.from_bounds(centre[0] - width / 2, centre[1] - height / 2, width, height)


def _outside(ax: Axes, label: Text, point: tuple[float, float], size: tuple[float, float],
             placed: Sequence[Bbox], frame: Bbox) -> Bbox:
    """Move a label out from its area's point, in widening rings, to the first clear place;
    a leader line joins it to the point."""
    origin = ax.transData.transform(point)
    inverse = ax.transData.inverted()
    box = _box_at(origin, size)
    for radius in range(14, 400, 6):
        for step in range(16):
            angle = 2 * math.pi * step / 16
            at = origin + radius * np.array([math.cos(angle), math.sin(angle)])
            box = _box_at(at, size)
            if _clear(box, placed, frame):
                where = tuple(inverse.transform(at))
                label.set_position(where)
                ax.annotate("", xy=point, xytext=where,
                            arrowprops={"arrowstyle": "-", "color": "#222222", "lw": 0.7,
                                        "shrinkA": 4, "shrinkB": 0}, zorder=5)
                return box
    return box  # not reached on a real map: the rings cover the whole figure


def place_labels(fig: Figure, ax: Axes, items: Sequence[tuple[str, MapArea]],
                 placed: list[Bbox]) -> list[Text]:
    """Draw each (label, area) at the first clear place inside its area (else just outside,
    with a leader line), smallest areas first, never overlapping anything in `placed`; every
    box placed is added to `placed`.  Call once the map's limits and aspect are fixed."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    halo = [patheffects.withStroke(linewidth=2.6, foreground="white")]
    drawn = []
    for text, area in sorted(items, key=lambda item: item[1].geometry.area):
        label = ax.text(0, 0, text, ha="center", va="center", fontsize=LABEL_SIZE,
                        weight="bold", zorder=6, path_effects=halo, gid=LABEL_GID)
        measured = label.get_window_extent(renderer)  # measured once, then moved
        size = (measured.width, measured.height)
        for x, y in _candidates(area.geometry):
            box = _box_at(ax.transData.transform((x, y)), size)
            if _clear(box, placed, frame):
                label.set_position((x, y))
                break
        else:
            point = inside_point(area.geometry)
            box = _outside(ax, label, (point.x, point.y), size, placed, frame)
        placed.append(box)
        drawn.append(label)
    return drawn


def borough_names(area: MapArea) -> str:
    """A borough's name as the London map prints it ("Kensington & Chelsea", wrapped)."""
    return "\n".join(textwrap.wrap(area.name.replace(" and ", " & "), 12))


def key_rows(count: int) -> int:
    return math.ceil(count / KEY_COLUMNS)


def draw_key(fig: Figure, entries: Sequence[tuple[int, MapArea]], top: float,
             highlight: str | None) -> None:
    """The key of a numbered map: "1  Name" in columns, from `top` (a figure fraction)
    down; the outlined ward's entry in bold (it is named on the map, not numbered)."""
    height = fig.get_figheight()
    rows = key_rows(len(entries))
    width = 0.96 / KEY_COLUMNS
    for i, (number, area) in enumerate(entries):
        column, row = divmod(i, rows)
        mine = area.code == highlight
        fig.text(0.02 + column * width, top - row * KEY_LINE / height,
                 f"{number}  {area.name}" + (" (outlined)" if mine else ""),
                 fontsize=KEY_SIZE, va="top", gid=KEY_GID, weight="bold" if mine else "normal")


def outlier_notes(area_map: AreaMap) -> list[str]:
    """Why the red areas are red, in plain words: a known reason for the places that have one
    (an airport, the West End), and that rates count residents only."""
    high = sorted((a for a in area_map.areas if a.band == "well above"),
                  key=lambda a: -(a.ratio or 0))
    if not high:
        return []
    notes = [f"{a.name}: {texts.OUTLIER_REASONS[a.code]}" for a in high
             if a.code in texts.OUTLIER_REASONS]
    named = ", ".join(f"{a.name} ({a.ratio or 0:.1f}×)" for a in high[:6])
    more = f" and {len(high) - 6} more" if len(high) > 6 else ""
    notes.append(f"Well above the average here: {named}{more}. {texts.RESIDENTS_ONLY}")
    return notes
