"""The statement of age (issue 18): one function says how old each figure is on the day an
answer is made, and every renderer says it through that function.  Tables of ages, then each
pure surface rendered under a fixed stale clock (2026-12-07, the bundled ward figures to March
2026) and a fixed fresh one (2026-04-20), the clock passed in."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from datastore.query import lookup
from datastore.query.boundaries import read_boundaries, ward_map
from datastore.query.digest import ward_digest
from datastore.query.freshness import Freshness, age_in_months
from datastore.query.models import TaserSummary
from datastore.query.view import DataView
from datastore.storage import store
from datastore.storage.subscriptions import Subscription
from handlers.present import (
    age,
    charts,
    digest_text,
    exports,
    info_text,
    json_out,
    maps,
    report,
    short_answer,
    texts,
    views,
)
from handlers.present.words import strip_html
from tests.clocks import FRESH, STALE, at, says_nothing_stale

DAY = date(2026, 12, 7)


@pytest.mark.parametrize(("end", "today", "months", "words"), [
    (202603, DAY, 8, "8 months old"),  # ward crime to March 2026
    (202504, DAY, 19, "19 months old"),  # stop and search, April 2025
    (202003, DAY, 80, "over 6 years old"),  # taser, April 2019 to March 2020
    (202103, DAY, 68, "over 5 years old"),  # Census 2021
    (202603, date(2026, 4, 20), 0, "under a month old"),
    (202603, date(2026, 4, 30), 0, "under a month old"),
    (202603, date(2026, 5, 1), 1, "1 month old"),
    (202511, date(2027, 11, 30), 23, "23 months old"),
    (202511, date(2027, 12, 1), 24, "2 years old"),
    (202606, date(2026, 4, 20), 0, "under a month old"),  # a period not over yet: never < 0
])
def test_age_is_whole_months_from_the_end_of_the_period(end: int, today: date, months: int,
                                                         words: str) -> None:
    assert age_in_months(end, today) == months
    assert age.age_words(months) == words


def test_the_three_examples_on_7_december_2026() -> None:
    f = at(STALE)
    assert age.headline(f) == "Figures to March 2026, 8 months old"
    assert f"stop and search: {age.month_aged(202504, f)}" == (
        "stop and search: April 2025, 19 months old")
    taser = TaserSummary("force", "Metropolitan Police Service", "2019-04", "2020-03",
                         "April 2019 to March 2020", {"fired": 1}, 1, None)
    assert f"taser: {age.taser_aged(taser, f)}" == (
        "taser: April 2019 to March 2020, over 6 years old")


def test_the_day_is_londons() -> None:
    """Just after midnight in London (still the day before in UTC) it is London's day."""
    f = at(datetime.fromisoformat("2026-04-30T23:30:00+00:00"))  # 00:30 on 1 May in London
    assert f.today == date(2026, 5, 1) and f.age(202603) == 1


def test_current_figures_are_stated_briefly_stale_ones_with_a_plain_warning() -> None:
    assert age.statement(at(FRESH)) == "Figures to March 2026, under a month old."
    stale = age.statement(at(STALE), short=True)
    assert stale == ("Figures to March 2026, 8 months old. ⚠️ Newer figures have been "
                     "published: this copy has not reached the publishers.")
    says_nothing_stale(stale)


# -- every pure surface, under both clocks ----------------------------------------------------

CLOCKS = [
    pytest.param(STALE, "Figures to March 2026, 8 months old", True, id="stale"),
    pytest.param(FRESH, "Figures to March 2026, under a month old", False, id="fresh"),
]


def check(text: str, headline: str, stale: bool) -> None:
    """The statement of age is there; read stale, it warns plainly and claims nothing."""
    assert headline in text, text[:300]
    assert ("Newer figures have been published" in text) is stale
    if stale:
        says_nothing_stale(text)
    else:
        assert "Newer figures" not in text


async def answered(view: DataView, text: str, when: datetime) -> lookup.Answer:
    """An answer made at `when`, as Services makes it (each part's own month)."""
    answer = await lookup.answer(text, view, None)
    parts = tuple(replace(p, freshness=at(when, p.crime.month if p.crime else None))
                  for p in answer.parts)
    month = answer.crime.month if answer.crime is not None else min(
        (p.crime.month for p in parts if p.crime), default=None)
    return replace(answer, parts=parts, freshness=at(when, month))


@pytest.mark.parametrize(("when", "headline", "stale"), CLOCKS)
async def test_a_ward_answer_and_every_view(view: DataView, when: datetime, headline: str,
                                            stale: bool) -> None:
    answer = await answered(view, "E8 1DY", when)
    f = answer.freshness
    summary = strip_html(short_answer.summary_html(answer))
    assert summary.split("\n")[0] == f"E8 1DY: Hackney Central ward, Hackney. {headline}."
    check(summary, headline, stale)
    assert ("April 2025, 19 months old" if stale else "April 2025, 11 months old") in summary
    assert ("over 6 years old" if stale else "6 years old") in summary
    assert "(Census 2021, " + ("over 5 years old" if stale else "5 years old") in summary
    check(strip_html(report.answer_html(answer)), headline, stale)
    assert answer.crime is not None and answer.stop_search is not None
    check(strip_html(views.minor_html(answer.crime, "Hackney Central ward, Hackney", f)),
          headline, stale)
    check(strip_html(views.sources_html(answer)), headline, stale)
    for text in (views.stop_search_detail_html(answer.stop_search, f),
                 views.taser_detail_html(view.taser_history("Hackney"), f)):
        assert (" 19 months old" if stale else " 11 months old") in text or (
            "6 years old" in text)
        if stale:
            says_nothing_stale(strip_html(text))


@pytest.mark.parametrize(("when", "stale"), [(STALE, True), (FRESH, False)])
async def test_the_borough_answer_and_a_comparison(view: DataView, when: datetime,
                                                   stale: bool) -> None:
    borough = await answered(view, "London Borough of Hackney", when)
    headline = ("Figures to June 2026, 5 months old" if stale
                else "Figures to June 2026, under a month old")
    for html in (short_answer.summary_html(borough), report.answer_html(borough)):
        text = strip_html(html)
        assert headline in text
        assert "March 2026, " + ("8 months old" if stale else "under a month old") in text
        if stale:
            says_nothing_stale(text)
    compared = await answered(view, "E8 1DY vs SE15 5AA", when)
    text = strip_html(short_answer.summary_html(compared))
    assert text.split("\n")[1].startswith(
        "Figures to March 2026, 8 months old." if stale
        else "Figures to March 2026, under a month old.")
    if stale:
        says_nothing_stale(text)


@pytest.mark.parametrize(("when", "headline", "stale"), CLOCKS)
async def test_ask_json_gives_each_section_its_age_and_the_day(view: DataView, when: datetime,
                                                                headline: str,
                                                                stale: bool) -> None:
    answer = await answered(view, "E8 1DY", when)
    data = json_out.answer_json(answer, strip_html(report.answer_html(answer)))
    day = when.date().isoformat()
    assert data["as_of"] == day
    crime, ss, taser = data["crime"], data["stop_search"], data["taser"]
    assert (crime["age_months"], crime["as_of"]) == (8 if stale else 0, day)
    assert (ss["age_months"], ss["as_of"]) == (19 if stale else 11, day)
    assert (taser["age_months"], taser["as_of"]) == (80 if stale else 72, day)
    assert crime["population_period"] == "2021-03"
    assert crime["population_age_months"] == (68 if stale else 60)
    assert data["freshness"]["statement"].startswith(headline)
    check(data["message"], headline, stale)


@pytest.mark.parametrize(("when", "headline", "stale"), CLOCKS)
def test_digest_subscriptions_start_help_about(view: DataView, when: datetime, headline: str,
                                               stale: bool) -> None:
    f = at(when)
    ward = "E05009372"
    surfaces = [
        digest_text.digest_html(ward_digest(view, ward, 202603), f),
        digest_text.subscriptions_html(
            [Subscription(1, "private", ward, "E8", "active", "2026-04-01")],
            {ward: ("Hackney Central", "Hackney")}, f=f),
        info_text.start_html(f), info_text.start_html(f, group=True),
        info_text.help_html(f), info_text.help_html(f, group=True),
    ]
    for html in surfaces:
        check(strip_html(html), headline, stale)
    about = strip_html(info_text.about_html(view.periods(), f))
    check(about.replace("ward crime: March", "Figures to March"), headline, stale)
    assert f"How old the figures are on {when.day} {when:%B %Y}: ward crime: " in about
    assert ("stop and search (police.uk's partial sample): April 2025, "
            + ("19 months old" if stale else "11 months old")) in about
    assert "taser (whole Met): April 2019 to March 2020, " in about
    assert "latest" not in about.casefold()


@pytest.mark.parametrize(("when", "headline", "stale"), CLOCKS)
def test_downloads_state_every_figures_age(view: DataView, when: datetime, headline: str,
                                           stale: bool) -> None:
    f = at(when)
    figures = view.ward_figures("E05009372")
    table = list(csv.DictReader(io.StringIO(exports.to_csv(figures, f).decode("utf-8-sig"))))
    day = when.date().isoformat()
    assert {r["as_of"] for r in table} == {day}
    last = [r for r in table if r["section"] == "crime" and r["period"] == "2026-03"]
    assert last and {r["age_months"] for r in last} == {"8" if stale else "0"}
    stops = [r for r in table if r["section"] == "stop_search"]
    assert {r["age_months"] for r in stops} == {"19" if stale else "11"}
    assert not any(r["category"] == "searches" for r in stops)  # a sample, never "searches"
    data = json.loads(exports.to_json(figures, f))
    assert data["as_of"] == day and data["age"].startswith(headline)
    assert data["stop_search"]["age_months"] == (19 if stale else 11)
    assert data["last_12_months"]["age_months"] == (8 if stale else 0)
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(figures, f)))
    notes = dict(list(book["Notes"].iter_rows(values_only=True))[1:])
    check(str(notes["age"]), headline, stale)
    assert "not the number of searches" in str(notes["stop_search"])
    check(strip_html(exports.caption(figures, "csv", f)), headline, stale)


@pytest.fixture(scope="module")
def hackney_map(view: DataView, snapshot_db: Path) -> object:
    conn = store.connect(snapshot_db)
    try:
        return ward_map(view, read_boundaries(conn), "E05009372")
    finally:
        conn.close()


@pytest.mark.parametrize(("when", "headline", "stale"), CLOCKS)
def test_pictures_carry_their_age_on_the_image_and_in_the_caption(
        view: DataView, hackney_map: object, when: datetime, headline: str,
        stale: bool) -> None:
    f = at(when)
    trend = view.ward_trend("E05009372")
    borough = view.borough_trend("E09000012")
    area_map = hackney_map
    for fig, caption in (
            (charts.trend_figure(trend, f), charts.trend_caption(trend, f)),
            (maps.map_figure(area_map, f), maps.map_caption(area_map, f)),  # type: ignore[arg-type]
            (charts.compare_figure(trend, trend, f), charts.compare_caption(trend, trend, f))):
        drawn = " ".join(t.get_text().replace("\n", " ") for t in fig.texts)
        assert f"{headline} as of {when.day} {when:%B %Y}." in drawn
        check(strip_html(caption), headline, stale)
    b_fig = charts.borough_trend_figure(borough, at(when, 202606))
    drawn = " ".join(t.get_text().replace("\n", " ") for t in b_fig.texts)
    assert "Figures to June 2026, " in drawn


def test_no_fixed_text_claims_what_it_cannot_know() -> None:
    """The bot's fixed sentences never say "latest", "last month", "current" or "this month"
    of figures (whatever the day), nor "latest openly published" of taser."""
    for name in dir(texts):
        value = getattr(texts, name)
        if name.isupper() and isinstance(value, str) and name not in {"FEED_NAMES"}:
            low = value.casefold()
            for phrase in ("latest", "last month", "current", "this month", "may exist"):
                assert phrase not in low, (name, phrase)


def test_a_freshness_is_what_every_renderer_takes() -> None:
    """The date is carried with the answer: one Freshness, its `now` the moment it was made."""
    f = at(STALE)
    assert isinstance(f, Freshness) and f.now == STALE and f.today == DAY
