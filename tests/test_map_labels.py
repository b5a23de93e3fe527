"""Maps a resident can read (issue 21): every ward of a borough's map labelled, no two labels
overlapping (their boxes compared on the drawn figure), a key naming each number, the red
outliers explained on the image, and which basis each London average uses."""

from __future__ import annotations

import itertools

import pytest
import shapely
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

from datastore.query.boundaries import AreaMap, Boundaries, borough_map, london_map
from datastore.query.view import DataView
from handlers.present import drawing, map_labels, maps
from tests import raw
from tests.clocks import FRESH, STALE, at


def drawn(area_map: AreaMap) -> Figure:
    """The map drawn as the PNG is (its texts laid out by a real draw)."""
    fig = maps.map_figure(area_map, at(STALE))
    drawing.png(fig)
    return fig


def boxes(fig: Figure, texts: list[Text]) -> list[Bbox]:
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    return [t.get_window_extent(renderer) for t in texts]


def overlapping(named: list[tuple[str, Bbox]]) -> list[tuple[str, str]]:
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(named, 2)
            if box_a.overlaps(box_b)]


def lad_code(name: str) -> str:
    lads = raw.ward_borough()
    return str(lads.loc[lads["lad_name"] == name, "lad_code"].iloc[0])


# Croydon has the most wards (28); Tower Hamlets and Westminster small central ones; Hillingdon
# holds Heathrow.
@pytest.mark.parametrize("borough", ["Croydon", "Tower Hamlets", "Westminster", "Hillingdon"])
def test_every_ward_is_numbered_without_overlaps_and_keyed(view: DataView, bounds: Boundaries,
                                                           borough: str) -> None:
    area_map = borough_map(view, bounds, lad_code(borough))
    assert area_map is not None
    fig = drawn(area_map)
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_gid() == map_labels.LABEL_GID]
    key = [t for t in fig.texts if t.get_gid() == map_labels.KEY_GID]
    # The key: every ward of the borough (from the raw files) once, numbered 1, 2, … by name.
    wards = {a.code: a for a in area_map.areas}
    names = raw.ward_crime().drop_duplicates("WardCode").set_index("WardCode")["WardName"]
    expected = sorted((names[c] for c in wards), key=str.casefold)
    entries = [t.get_text().split("  ", 1) for t in key]
    assert [name for _n, name in entries] == expected
    assert [int(n) for n, _name in entries] == list(range(1, len(expected) + 1))
    by_number = {n: name for n, name in entries}
    # On the map: one number per ward, legible, inside its own ward (or led to it by a line).
    assert sorted(int(t.get_text()) for t in labels) == list(range(1, len(expected) + 1))
    assert all(t.get_fontsize() >= 8 for t in labels)
    leaders = [a for a in ax.texts if isinstance(a, Annotation) and a.get_text() == ""]
    for label in labels:
        area = next(a for a in area_map.areas if a.name == by_number[label.get_text()])
        x, y = label.get_position()
        inside = shapely.contains_xy(area.geometry, x, y)
        led = any(shapely.contains_xy(area.geometry, *a.xy) and a.xyann == (x, y)
                  for a in leaders)
        assert inside or led, area.name
    # No two labels overlap, nor a label and a key entry, nor two key entries.
    named = list(zip([f"label {t.get_text()}" for t in labels], boxes(fig, labels),
                     strict=True))
    named += list(zip([f"key {t.get_text()}" for t in key], boxes(fig, key), strict=True))
    assert overlapping(named) == []
    frame = ax.get_window_extent()
    assert all(frame.contains(b.x0, b.y0) and frame.contains(b.x1, b.y1)
               for _n, b in named[:len(labels)])


def test_the_outlined_ward_is_named_and_no_number_hides_it(view: DataView,
                                                           bounds: Boundaries) -> None:
    from datastore.query.boundaries import ward_map

    ward = str(raw.postcode_row("E8 1DY")["Admin_ward_code"])
    area_map = ward_map(view, bounds, ward)
    assert area_map is not None
    fig = drawn(area_map)
    ax = fig.axes[0]
    [name] = [t for t in ax.texts if t.get_text() == "Hackney Central"]
    labels = [t for t in ax.texts if t.get_gid() == map_labels.LABEL_GID]
    assert len(labels) == len(area_map.areas) - 1  # every other ward by its number
    named = [("Hackney Central", Text.get_window_extent(name))]
    named += [(t.get_text(), b) for t, b in zip(labels, boxes(fig, labels), strict=True)]
    assert overlapping(named) == []
    key = [t.get_text() for t in fig.texts if t.get_gid() == map_labels.KEY_GID]
    assert any(entry.endswith("  Hackney Central (outlined)") for entry in key)


def test_the_london_map_names_every_borough_without_overlaps(view: DataView,
                                                             bounds: Boundaries) -> None:
    area_map = london_map(view, bounds)
    assert area_map is not None
    fig = drawn(area_map)
    labels = [t for t in fig.axes[0].texts if t.get_gid() == map_labels.LABEL_GID]
    assert {t.get_text().replace("\n", " ") for t in labels} == {
        a.name.replace(" and ", " & ") for a in area_map.areas}
    assert overlapping([(t.get_text(), b) for t, b in zip(labels, boxes(fig, labels),
                                                          strict=True)]) == []


def words(fig: Figure) -> str:
    return " ".join(t.get_text().replace("\n", " ") for t in fig.texts)


@pytest.mark.parametrize(("borough", "ward", "reason"), [
    ("Hillingdon", "Heathrow Villages", "it holds Heathrow Airport"),
    ("Westminster", "West End", "the heart of the West End"),
])
def test_what_makes_an_outlier_is_said_on_the_image(view: DataView, bounds: Boundaries,
                                                    borough: str, ward: str,
                                                    reason: str) -> None:
    area_map = borough_map(view, bounds, lad_code(borough))
    assert area_map is not None
    text = words(drawn(area_map))
    ratio = raw.ward_rates()[raw.ward_crime().set_index("WardName").loc[ward, "WardCode"]
                             .iloc[0]] / raw.london_rate()
    assert ratio >= 2  # well above the average: red on the map
    assert f"{ward}: {reason}" in text
    assert f"{ward} ({ratio:.1f}×)" in text
    assert "Rates count crimes against residents only" in text


def test_the_london_map_says_which_basis_each_average_uses(view: DataView,
                                                           bounds: Boundaries) -> None:
    """The map's average is every Met ward's crimes ÷ residents (101.2 on the bundled data);
    a borough answer's is the borough file's (103.6): the image names both, with their
    bases, both computed here from the raw files."""
    area_map = london_map(view, bounds)
    assert area_map is not None
    bc = raw.borough_crime()
    residents = raw.borough_residents()
    london = bc[bc["BOCU"].isin(residents.index)]
    twelve = raw.borough_months()[-12:]
    totals = london.groupby("BOCU")[twelve].sum().sum(axis=1)
    borough_basis = totals.sum() / residents[totals.index].sum() * 1000
    text = words(drawn(area_map))
    assert (f"London average {raw.london_rate():,.1f} (every Met ward's crimes ÷ its "
            "residents)") in text
    assert (f"borough answers use the Met's borough figures, where London's is "
            f"{borough_basis:,.1f} (12 months to June 2026)") in text
    assert "Westminster: it holds the West End and St James's" in text


@pytest.mark.parametrize(("when", "line"), [
    (STALE, "Figures to March 2026, 8 months old as of 7 December 2026. Newer figures have "
            "been published"),
    (FRESH, "Figures to March 2026, under a month old as of 20 April 2026."),
])
def test_a_map_carries_its_age_on_the_image(view: DataView, bounds: Boundaries,
                                            when: object, line: str) -> None:
    area_map = borough_map(view, bounds, lad_code("Hackney"))
    assert area_map is not None
    fig = maps.map_figure(area_map, at(when))  # type: ignore[arg-type]
    assert line in words(fig)
