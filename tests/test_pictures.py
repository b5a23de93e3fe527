"""The pictures: the trend's and maps' figures against the raw files, and the PNGs opened and
looked at pixel by pixel (size, not blank, each area in the colour of its band, the legend)."""

from __future__ import annotations

import dataclasses
import io
from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest
import shapely
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from PIL import Image

from datastore.query import figures
from datastore.query.boundaries import AreaMap, Boundaries, london_map, ward_map
from datastore.query.figures import month_label, month_name
from datastore.query.models import WardTrend
from datastore.query.view import DataView
from handlers.present import charts, drawing, maps
from tests import raw
from tests.clocks import STALE, at
from tests.fake_bot_api import parse_html

RGB = tuple[int, int, int]

# ColorBrewer's diverging RdBu, 5 classes (colour-blind safe), lowest band first: the colours a
# reader sees in the legend, stated here independently of the code.
RDBU_5: dict[str, str] = {
    "well below": "#0571b0", "below": "#92c5de", "around": "#f7f7f7", "above": "#f4a582",
    "well above": "#ca0020",
}


def rgb(hex_colour: str) -> RGB:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def opened(data: bytes) -> np.ndarray:
    """A PNG's pixels as rows x columns x RGB."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return np.asarray(image.convert("RGB"))


def colour_count(pixels: np.ndarray, colour: str) -> int:
    return int(np.all(pixels == np.array(rgb(colour)), axis=-1).sum())


def not_blank(pixels: np.ndarray) -> None:
    white = np.all(pixels == 255, axis=-1)
    assert 0.05 < 1 - white.mean() < 0.95
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50


def pixel_of(fig: Figure, ax: Axes, x: float, y: float) -> tuple[int, int]:
    """The image (row, column) of a lon/lat point, once the figure has been drawn."""
    px, py = ax.transData.transform((x, y))
    height = round(fig.get_figheight() * fig.dpi)
    return int(height - py), int(px)


def inner_points(geometry: shapely.Geometry, step: int = 25) -> Iterator[tuple[float, float]]:
    """A grid of points well inside an area (clear of its drawn edges)."""
    inner = geometry.buffer(-0.0004)
    if inner.is_empty:
        return
    xmin, ymin, xmax, ymax = inner.bounds
    xs, ys = np.meshgrid(np.linspace(xmin, xmax, step), np.linspace(ymin, ymax, step))
    inside = shapely.contains_xy(inner, xs, ys)
    yield from zip(xs[inside].tolist(), ys[inside].tolist(), strict=True)


def shown_colour(pixels: np.ndarray, fig: Figure, ax: Axes,
                 geometry: shapely.Geometry) -> RGB | None:
    """The colour most of an area's inside shows (a label or a leader line covers a little)."""
    seen = Counter(tuple(int(c) for c in pixels[pixel_of(fig, ax, x, y)])
                   for x, y in inner_points(geometry))
    return seen.most_common(1)[0][0] if seen else None  # type: ignore[return-value]


def expected_band(ratio: float) -> str:
    return RDBU_5[figures.band(ratio)]


# -- the trend ---------------------------------------------------------------------------------


def _trend(view: DataView, postcode: str) -> tuple[str, WardTrend]:
    ward = str(raw.postcode_row(postcode)["Admin_ward_code"])
    return ward, view.ward_trend(ward)


@pytest.mark.parametrize("postcode", ["SW1A 1AA", "BR6 0AA"])
def test_trend_figures_match_the_raw_files(view: DataView, postcode: str) -> None:
    ward, trend = _trend(view, postcode)
    months = raw.full_months()
    assert "202403" not in months  # the extract's stub column is left out of the trend
    assert [month_label(m).replace("-", "") for m in trend.months] == months
    assert trend.counts == tuple(raw.ward_month_total(ward, m) for m in months)
    lad = str(raw.ward_borough().loc[ward, "lad_name"])
    assert trend.lad_name == lad and trend.population == int(raw.ward_residents()[ward])
    mine = raw.monthly_rates([ward])
    borough = raw.monthly_rates(raw.borough_wards(lad))
    london = raw.monthly_rates(sorted(set(raw.ward_crime()["WardCode"])))
    assert trend.rates == pytest.approx([mine[m] for m in months])
    assert trend.borough_rates == pytest.approx([borough[m] for m in months])
    assert trend.london_rates == pytest.approx([london[m] for m in months])
    assert trend.borough_wards == len(raw.borough_wards(lad))


def test_trend_png_is_a_readable_chart(view: DataView) -> None:
    _ward, trend = _trend(view, "SW1A 1AA")
    fig = charts.trend_figure(trend, at(STALE))
    pixels = opened(drawing.png(fig))
    assert pixels.shape == (720, 1200, 3)
    not_blank(pixels)
    # Three lines, each in its own colour.
    for colour in (drawing.WARD_LINE, drawing.BOROUGH_LINE, drawing.LONDON_LINE):
        assert colour_count(pixels, colour) > 300, colour
    ax = fig.axes[0]
    assert "per 1,000 residents" in ax.get_ylabel() and "Month" in ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) == len(raw.full_months())
    assert labels[0] == "Apr\n2024" and labels[1] == "May" and "Jan\n2025" in labels
    [right] = ax.child_axes
    assert right.get_ylabel() == "Crimes recorded in St James's"
    shown = ax.get_legend()
    assert shown is not None
    legend = [t.get_text() for t in shown.get_texts()]
    assert legend == ["St James's ward", "Westminster (its 18 wards)",
                      f"London (all {raw.ward_crime()['WardCode'].nunique()} Met wards)"]
    words = " ".join(t.get_text() for t in fig.texts)
    first, last = raw.full_months()[0], raw.full_months()[-1]
    assert f"{month_name(int(first))} to {month_name(int(last))}" in words
    assert "Metropolitan Police Service" in words and "Census 2021" in words


def test_trend_caption_states_the_key_numbers(view: DataView) -> None:
    ward, trend = _trend(view, "SW1A 1AA")
    caption = charts.trend_caption(trend, at(STALE))
    text, _ = parse_html(caption)  # valid Telegram HTML
    assert len(text) <= 1024
    last = raw.full_months()[-1]
    london = raw.monthly_rates(sorted(set(raw.ward_crime()["WardCode"])))
    assert f"In {month_name(int(last))}: {raw.ward_month_total(ward, last):,} crimes" in text
    assert f"{london[last]:.1f} across London" in text
    counts = {m: raw.ward_month_total(ward, m) for m in raw.full_months()}
    high = max(counts, key=lambda m: counts[m])
    assert f"Highest month: {month_name(int(high))} ({counts[high]:,})" in text


# -- the maps ----------------------------------------------------------------------------------


def _ward_map(view: DataView, bounds: Boundaries, postcode: str) -> tuple[str, AreaMap]:
    ward = str(raw.postcode_row(postcode)["Admin_ward_code"])
    found = ward_map(view, bounds, ward)
    assert found is not None
    return ward, found


# SE1 7PB: Waterloo & South Bank is the top of Lambeth, so its name goes below it.
@pytest.mark.parametrize("postcode", ["SW1A 1AA", "BR6 0AA", "TW9 1AA", "SE1 7PB"])
def test_ward_map_shades_every_ward_by_its_band(view: DataView, bounds: Boundaries,
                                                postcode: str) -> None:
    ward, area_map = _ward_map(view, bounds, postcode)
    rates, london = raw.ward_rates(), raw.london_rate()
    lads = raw.ward_borough()
    lad = lads.loc[ward, "lad_code"]
    in_borough = set(lads.index[lads["lad_code"] == lad])
    assert {a.code for a in area_map.areas} == in_borough & set(raw.ward_crime()["WardCode"])
    fig = maps.map_figure(area_map, at(STALE))
    data = drawing.png(fig)
    pixels = opened(data)
    # The key of ward numbers and the notes under the map make it taller (under 2,200).
    assert pixels.shape[1] == 1080 and 900 < pixels.shape[0] < 2200
    not_blank(pixels)
    ax = fig.axes[0]
    # The user's ward: the pixel at its innermost point is exactly its band's colour.
    mine = area_map.highlighted
    assert mine is not None and mine.code == ward
    colour = expected_band(rates[ward] / london)
    point = maps.inside_point(mine.geometry)
    assert tuple(pixels[pixel_of(fig, ax, point.x, point.y)]) == rgb(colour)
    # Every ward of the borough shows its own band's colour.
    for area in area_map.areas:
        assert shown_colour(pixels, fig, ax, area.geometry) == rgb(
            expected_band(rates[area.code] / london)), area.name
    # Outlined in black, and named inside the map's box (clear of the title and legend).
    assert colour_count(pixels, "#000000") > 500
    [label] = [t for t in ax.texts if t.get_text() == mine.name]
    placed, box = label.get_window_extent(), ax.get_window_extent()
    assert box.y0 <= placed.y0 and placed.y1 <= box.y1


def test_map_legend_period_and_attribution(view: DataView, bounds: Boundaries) -> None:
    _ward, area_map = _ward_map(view, bounds, "SW1A 1AA")
    fig = maps.map_figure(area_map, at(STALE))
    pixels = opened(drawing.png(fig))
    [legend] = fig.legends
    labels = [t.get_text() for t in legend.get_texts()]
    assert [label.split("\n")[0] for label in labels] == [
        "well below", "below", "around", "above", "well above"]
    assert labels[2] == "around\n0.8× to 1.25×"
    for handle, label in zip(legend.legend_handles, labels, strict=True):
        assert isinstance(handle, Patch)
        assert to_hex(handle.get_facecolor()) == RDBU_5[label.split("\n")[0]]
    # Every band's swatch is drawn, even for a band no ward of the borough is in.
    for colour in RDBU_5.values():
        assert colour_count(pixels, colour) > 100, colour
    words = " ".join(t.get_text() for t in fig.texts)
    months = raw.twelve_months()
    assert f"{month_name(int(months[0]))} to {month_name(int(months[-1]))}" in words
    assert f"London average {raw.london_rate():,.1f}" in words
    assert "Contains OS data © Crown copyright and database right" in words


def test_map_caption_states_the_band(view: DataView, bounds: Boundaries) -> None:
    ward, area_map = _ward_map(view, bounds, "BR6 0AA")
    text, _ = parse_html(maps.map_caption(area_map, at(STALE)))
    ratio = raw.ward_rates()[ward] / raw.london_rate()
    name = raw.postcode_row("BR6 0AA")["ward_name"]
    assert f"{name} (outlined) is {figures.band(ratio)} the London average" in text
    assert f"{raw.ward_rates()[ward]:,.1f} crimes per 1,000 residents" in text
    assert "Bromley's 22 wards" in text and len(text) <= 1024


def test_london_map_shades_every_borough(view: DataView, bounds: Boundaries) -> None:
    area_map = london_map(view, bounds)
    assert area_map is not None and area_map.highlighted is None
    rates, london = raw.borough_rates(), raw.london_rate()
    assert {a.code for a in area_map.areas} == set(rates)
    fig = maps.map_figure(area_map, at(STALE))
    pixels = opened(drawing.png(fig))
    not_blank(pixels)
    ax = fig.axes[0]
    for area in area_map.areas:
        assert shown_colour(pixels, fig, ax, area.geometry) == rgb(
            expected_band(rates[area.code] / london)), area.name
    # The City of London, the hole in the middle, is hatched and explained.
    gap = maps.enclosed_gap(area_map)
    assert gap is not None and gap.contains(shapely.Point(-0.092, 51.515))  # Bank junction
    assert shown_colour(pixels, fig, ax, gap) == rgb(drawing.CITY_COLOUR)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[-1].startswith("City of London")
    names = {t.get_text().replace("\n", " ") for t in ax.texts}
    assert "Westminster" in names and "Kensington & Chelsea" in names
    text, _ = parse_html(maps.map_caption(area_map, at(STALE)))
    top = max(rates, key=lambda c: rates[c])
    assert f"Highest: {bounds.boroughs[top].name}" in text and "City of London" in text


def test_a_ward_without_residents_still_gets_a_chart_and_a_grey_map(
        view: DataView, bounds: Boundaries) -> None:
    """No real ward lacks a residents figure today; a new ward code could."""
    _ward, trend = _trend(view, "N1 9AA")
    bare = dataclasses.replace(trend, population=None, rates=None)
    fig = charts.trend_figure(bare, at(STALE))
    pixels = opened(drawing.png(fig))
    assert pixels.shape == (720, 1200, 3) and colour_count(pixels, drawing.WARD_LINE) > 300
    assert fig.axes[0].get_ylabel() == "Crimes recorded per month" and not fig.axes[0].child_axes
    text, _ = parse_html(charts.trend_caption(bare, at(STALE)))
    assert "per 1,000" not in text and "Highest month" in text

    ward, area_map = _ward_map(view, bounds, "N1 9AA")
    areas = tuple(dataclasses.replace(a, rate=None, ratio=None, band=None) if a.code == ward
                  else a for a in area_map.areas)
    grey = dataclasses.replace(area_map, areas=areas)
    fig = maps.map_figure(grey, at(STALE))
    pixels = opened(drawing.png(fig))
    mine = grey.highlighted
    assert mine is not None
    point = maps.inside_point(mine.geometry)
    assert tuple(pixels[pixel_of(fig, fig.axes[0], point.x, point.y)]) == rgb(
        drawing.NO_RATE_COLOUR)
    assert fig.legends[0].get_texts()[-1].get_text() == "no residents\nfigure"
    text, _ = parse_html(maps.map_caption(grey, at(STALE)))
    assert "Caledonian (outlined) has no residents figure, so no rate." in text
