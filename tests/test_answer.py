"""The answer to real postcodes, offline: every figure checked against the raw files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datastore.ingest import sources
from datastore.query import lookup
from datastore.query.view import DataView
from datastore.storage import store
from handlers.present import json_out, report, words
from tests import raw
from tests.clocks import STALE, at

# Postcodes in different boroughs, including the ward the Met files under Heathrow's unit.
REAL = ["SW1A 1AA", "N1 9AA", "BR1 1AA", "SE1 7PB", "E14 5AB", "UB7 0EX"]


def _month(col: str) -> int:
    return int(col)


@pytest.mark.parametrize("postcode", REAL)
async def test_ward_figures_match_the_raw_files(view: DataView, postcode: str) -> None:
    row = raw.postcode_row(postcode)
    ward = row["Admin_ward_code"]
    latest, previous = raw.month_columns()[-1], raw.month_columns()[-2]

    answer = await lookup.answer(postcode.lower().replace(" ", ""), view, None)

    assert answer.status == "ok"
    place = answer.resolution.place
    assert place is not None
    assert (place.postcode, place.ward_code, place.lad_code) == (
        postcode, ward, row["Admin_district_code"])
    crime = answer.crime
    assert crime is not None
    assert crime.month == _month(latest)
    assert crime.total == raw.ward_month_total(ward, latest)
    assert crime.previous is not None
    assert crime.previous.total == raw.ward_month_total(ward, previous)
    assert dict(crime.by_major) == raw.ward_by_major(ward, latest)
    assert sum(crime.by_major.values()) == crime.total

    rate = answer.rate
    assert rate is not None
    pop = int(raw.ward_residents()[ward])
    assert rate.total == raw.ward_12m(ward)
    assert rate.population == pop
    assert rate.rate == pytest.approx(raw.ward_12m(ward) / pop * 1000)
    assert rate.london_rate == pytest.approx(raw.london_rate())
    rates = raw.ward_rates()
    assert rate.rank == int((rates > rates[ward]).sum()) + 1
    assert rate.of == len(rates)
    assert (rate.first_month, rate.last_month) == (_month(raw.twelve_months()[0]),
                                                    _month(latest))


@pytest.mark.parametrize("postcode", ["SW1A 1AA", "BR1 1AA"])
async def test_stop_search_matches_the_raw_records(view: DataView, postcode: str) -> None:
    borough = raw.postcode_row(postcode)["district_name"]
    # Each police.uk file is one month (some records are stamped 23:xx UTC on the last day
    # of the month before: midnight or later in London).
    files = raw.stop_search_by_month()
    latest = max(files)
    in_month = files[latest]
    here = [r for r in in_month if r["borough"] == borough]

    answer = await lookup.answer(postcode, view, None)

    ss = answer.stop_search
    assert ss is not None
    assert (ss.borough, ss.month) == (borough, int(latest.replace("-", "")))
    assert ss.total == len(here)
    assert sum(ss.by_type.values()) == len(here)
    persons = sum(1 for r in here if r["type"] == "Person search")
    assert ss.by_type.get("Person search", 0) == persons
    drugs = sum(1 for r in here if r["object_of_search"] == "Controlled drugs")
    assert ss.by_object.get("Controlled drugs", 0) == drugs
    assert ss.no_location == sum(1 for r in in_month if r["location"] is None)


async def test_taser_is_the_latest_met_wide_period(view: DataView) -> None:
    answer = await lookup.answer("N1 9AA", view, None)
    t = answer.taser
    assert t is not None
    expected = raw.met_taser_latest()
    assert t.area_type == "force"
    assert dict(t.by_type) == expected
    assert t.deployments == sum(expected.values())
    assert t.subjects is None
    assert (t.period_start, t.period_end) == ("2019-04", "2020-03")


async def test_reply_text_fits_telegram_and_labels_every_period(view: DataView) -> None:
    for postcode in REAL:
        answer = await lookup.answer(postcode, view, None)
        text = report.answer_html(answer)
        assert len(text) <= words.TELEGRAM_LIMIT
        assert "March 2026" in text and "April 2025 to March 2026" in text
        assert "Open Government Licence" in text and "revises" in text
        assert "Census 2021" in text
        assert "April 2019 to March 2020" in text


async def test_json_contract(view: DataView) -> None:
    answer = await lookup.answer(" n1  9aa ", view, None)
    data = json_out.answer_json(answer, words.strip_html(report.answer_html(answer)))
    json.dumps(data)  # serialisable
    assert data["query"] == " n1  9aa " and data["status"] == "ok"
    assert data["postcode"] == "N1 9AA"
    assert set(data) >= {"message", "ward", "borough", "crime", "stop_search", "taser"}
    crime = data["crime"]
    assert set(crime) >= {"month", "total", "previous_month", "by_major", "last_12_months",
                          "population", "rate_per_1000", "london_rate_per_1000", "band",
                          "rank", "of"}
    assert crime["month"] == "2026-03"
    assert crime["rate_per_1000"] == pytest.approx(
        crime["last_12_months"]["total"] / crime["population"] * 1000)
    assert set(data["stop_search"]) >= {"borough", "month", "total", "by_type", "by_object",
                                        "by_outcome", "by_age", "by_officer_ethnicity",
                                        "no_location"}
    assert set(data["taser"]) >= {"area", "name", "period", "by_type", "deployments",
                                  "subjects"}


async def test_city_of_london_is_outside_the_met_offline(view: DataView) -> None:
    assert raw.postcode_row("E1 6AN")["Admin_district_code"] == "E09000001"
    answer = await lookup.answer("E1 6AN", view, None)
    assert answer.status == "outside_met"
    assert answer.resolution.outside == "city"
    assert "City of London Police" in report.answer_html(answer)


@pytest.mark.parametrize(
    ("text", "status"),
    [("hello", "invalid"), ("", "invalid"), ("E1", "outcode"), ("sw1a", "outcode"),
     ("M1 1AE", "outside_met"), ("EH1 1YZ", "outside_met"), ("EC3M", "outside_met"),
     ("EC2V", "outcode")],
)
async def test_offline_outcomes(view: DataView, text: str, status: str) -> None:
    answer = await lookup.answer(text, view, None)
    assert answer.status == status
    assert report.answer_html(answer)


async def test_outcode_lists_the_districts_wards(view: DataView) -> None:
    pcs = raw.postcodes()
    expected = set(pcs.loc[pcs["Postcode"].str.startswith("E1 "), "ward_name"])
    answer = await lookup.answer("e1", view, None)
    assert {w.ward_name for w in answer.resolution.district_wards} == expected
    example = answer.resolution.example
    assert example is not None and example in set(pcs["Postcode"]) and example.startswith("E1 ")
    assert f"<code>{example}</code>" in report.answer_html(answer)


async def test_unknown_postcode_in_a_london_district_without_network_is_not_found(
        view: DataView) -> None:
    assert "N1 9ZZ" not in set(raw.postcodes()["Postcode"])
    answer = await lookup.answer("N1 9ZZ", view, None)
    assert answer.status == "not_found"
    assert "200 and 1,000" in report.answer_html(answer)


_LONDONISH = st.sampled_from(["E1 6AN", "SW1A 1AA", "N1 9ZZ", "EC3M", "e1", "BR1", "TN16 3AA"])


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=300), _LONDONISH,
                      st.from_regex(r"\A[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}\Z")))
async def test_any_text_gets_a_valid_status_and_a_reply(view: DataView, text: str) -> None:
    answer = await lookup.answer(text, view, None)
    assert answer.status in lookup.STATUSES
    html_text = report.answer_html(answer)
    assert 0 < len(html_text) <= words.TELEGRAM_LIMIT
    data = json_out.answer_json(answer, words.strip_html(html_text))
    assert data["query"] == text and data["status"] == answer.status
    json.dumps(data)


# -- the right figures: bases, boroughs, partial sources, ages -------------------------------


def _borough_raw() -> tuple[pd.DataFrame, list[str], pd.Series]:
    """The borough extract's London boroughs (its Unknown row is in none), its months, and
    their Census 2021 residents."""
    bc = raw.borough_crime()
    residents = raw.borough_residents()
    return bc[bc["BOCU"].isin(residents.index)], raw.borough_months(), residents


async def test_a_borough_answer_comes_from_the_borough_file(view: DataView) -> None:
    bc, months, residents = _borough_raw()
    latest, previous, twelve = months[-1], months[-2], months[-12:]
    hackney = bc[bc["BOCU"] == "Hackney"]
    answer = await lookup.answer("Hackney borough", view, None)
    assert (answer.status, answer.area) == ("ok", "borough")
    crime, rate = answer.crime, answer.rate
    assert crime is not None and rate is not None
    assert (crime.month, crime.total) == (int(latest), int(hackney[latest].sum()))
    assert crime.previous is not None and crime.previous.total == int(hackney[previous].sum())
    assert dict(crime.by_major) == {k: int(v) for k, v in
                                    hackney.groupby("Group")[latest].sum().items() if v}
    totals = bc.groupby("BOCU")[twelve].sum().sum(axis=1)
    rates = totals / residents[totals.index] * 1000
    assert len(rates) == 32
    assert rate.total == int(totals["Hackney"])
    assert rate.population == int(residents["Hackney"])
    assert rate.rate == pytest.approx(rates["Hackney"])
    assert rate.london_rate == pytest.approx(totals.sum() / residents[totals.index].sum() * 1000)
    assert (rate.rank, rate.of) == (int((rates > rates["Hackney"]).sum()) + 1, 32)
    assert (rate.first_month, rate.last_month) == (int(twelve[0]), int(latest))

    text = words.strip_html(report.answer_html(answer))
    assert text.startswith("Hackney: the whole borough, from the Met's borough figures.")
    assert "The borough figures run to June 2026, later than the ward figures (to March 2026)" \
        in text
    assert f"Rank {rate.rank} of 32 boroughs" in text
    data = json_out.answer_json(answer, text)
    assert data["area"] == "borough" and "ward" not in data and "postcode" not in data
    assert data["borough"] == {"code": "E09000012", "name": "Hackney"}
    assert data["crime"]["of"] == 32 and data["crime"]["month"] == "2026-06"
    assert data["crime"]["ward_figures_month"] == "2026-03"
    assert data["crime"]["source"] == [raw.BOROUGH_CRIME.name]
    assert data["crime"]["population_source"] == [raw.BOROUGH_RESIDENTS.name]
    assert data["crime"]["london_basis"] == "the 32 boroughs' crimes ÷ their residents"


@pytest.mark.parametrize(("text", "code"), [
    ("hackney borough", "E09000012"), ("London Borough of Hackney", "E09000012"),
    ("Kensington & Chelsea", "E09000020"), ("kensington and chelsea", "E09000020"),
    ("Richmond upon Thames", "E09000027"), ("Westminster", "E09000033"),
])
async def test_borough_names(view: DataView, text: str, code: str) -> None:
    answer = await lookup.answer(text, view, None)
    assert (answer.status, answer.area, answer.resolution.borough_code) == ("ok", "borough", code)


@pytest.mark.parametrize("text", ["hackney", "HACKNEY ", "crime in hackney please"])
async def test_a_borough_that_names_wards_too_offers_a_choice_borough_first(
        view: DataView, text: str) -> None:
    answer = await lookup.answer(text, view, None)
    assert answer.status == "choose" and answer.resolution.choose_reason == "ambiguous"
    kinds = [(c.kind, c.name) for c in answer.resolution.candidates]
    assert kinds[0] == ("borough", "Hackney")
    crime = raw.ward_crime()
    wards = set(crime.loc[crime["WardName"].str.contains("Hackney"), "WardName"])
    assert {name for _kind, name in kinds[1:]} == wards
    assert all(kind == "ward" for kind, _ in kinds[1:])
    data = json_out.answer_json(answer, words.strip_html(report.answer_html(answer)))
    assert data["status"] == "choose"
    assert data["candidates"][0] == {"kind": "borough", "code": "E09000012", "name": "Hackney",
                                     "borough": "Hackney"}


async def test_the_city_of_london_by_name_is_its_own_force(view: DataView) -> None:
    answer = await lookup.answer("City of London", view, None)
    assert answer.status == "outside_met" and answer.resolution.outside == "city"
    assert words.strip_html(report.answer_html(answer)).startswith(
        "The City of London has its own police force, the City of London Police, not the Met.")
    ward = await lookup.answer("Bishopsgate", view, None)  # one of the City's wards, by name
    assert ward.status == "outside_met" and ward.resolution.outside == "city"
    assert words.strip_html(report.answer_html(ward)).startswith(
        "Bishopsgate is in the City of London, which has its own police force")


async def test_ward_answers_say_what_residents_and_london_are(view: DataView) -> None:
    answer = replace(await lookup.answer("E8 1DY", view, None), freshness=at(STALE))
    text = words.strip_html(report.answer_html(answer))
    ward = raw.postcode_row("E8 1DY")["Admin_ward_code"]
    assert (f"({int(raw.ward_residents()[ward]):,} residents, Census of March 2021, over 5 "
            "years old)") in text
    assert "London average (every Met ward's crimes ÷ its residents)" in text
    assert "approximate" not in text and "best" not in text
    data = json_out.answer_json(answer, text)
    assert data["area"] == "ward"
    assert data["crime"]["population"] == int(raw.ward_residents()[ward])
    assert data["crime"]["population_basis"] == "Census 2021 usual residents (ONS)"
    assert data["crime"]["population_source"] == [raw.WARD_RESIDENTS.name]
    assert data["crime"]["source"] == [raw.WARD_CRIME.name]


async def test_partial_stop_search_is_shares_not_a_total(view: DataView) -> None:
    files = raw.stop_search_by_month()
    latest = max(files)
    here = [r for r in files[latest] if r["borough"] == "Hackney"]
    answer = replace(await lookup.answer("E8 1DY", view, None), freshness=at(STALE))
    text = words.strip_html(report.answer_html(answer))
    assert (f"Stop and search in Hackney, April 2025, 19 months old: shares of {len(here)} "
            "records in police.uk's open API") in text
    assert f"{len(here)} searches" not in text
    persons = sum(1 for r in here if r["type"] == "Person search")
    assert f"Person search {persons / len(here) * 100:.0f}%" in text
    assert "police.uk's open API holds only part of the Met's searches" in text
    data = json_out.answer_json(answer, text)["stop_search"]
    assert data["complete"] is False and data["total"] == len(here)
    assert data["total_is"] == "records in police.uk's open API (a sample, not the number of " \
        "searches)"
    assert data["caveat"].startswith("police.uk's open API holds only part")
    assert data["months_before_crime_figures"] == 11
    assert (data["age_months"], data["as_of"]) == (19, "2026-12-07")
    assert data["source"].startswith("police.uk open API (partial")


async def test_taser_says_how_old_it_is(view: DataView) -> None:
    """Its age on the day (not how much older than the crime month it is), and never that it
    is the latest published: the Home Office has published years since."""
    answer = replace(await lookup.answer("E8 1DY", view, None), freshness=at(STALE))
    text = words.strip_html(report.answer_html(answer))
    assert ("Taser use, Metropolitan Police Service, April 2019 to March 2020, over 6 years "
            "old: ") in text
    assert "latest" not in text and "openly published" not in text
    assert "the newest year this copy holds" in text
    assert "no longer openly downloadable" in text
    data = json_out.answer_json(answer, text)["taser"]
    assert data["months_before_crime_figures"] == 72
    assert (data["age_months"], data["age"]) == (80, "over 6 years old")
    assert data["source"].startswith("Home Office")


async def test_the_mets_own_stop_search_extract_gives_totals(db_copy: Path) -> None:
    fixture = Path(__file__).parent / "data" / "loaders" / "mps_stop_search_dashboard_sample.csv"
    rows = pd.read_csv(fixture, dtype=str, keep_default_na=False)
    conn = store.connect(db_copy)
    store.write_versions(conn, sources.read_sources([str(fixture)]), force=True)  # 8 rows
    view = DataView.build(conn)
    conn.close()
    answer = await lookup.answer("E8 1DY", view, None)
    ss = answer.stop_search
    assert ss is not None and ss.complete and ss.source == "mps"
    hackney = rows[(rows["Borough of Stop"] == "Hackney") & (rows["Year_Month"] == "2026-09")]
    assert ss.total == hackney["Count"].astype(int).sum()
    text = words.strip_html(report.answer_html(answer))
    assert f"Stop and search in Hackney, September 2026: {ss.total} search" in text
    assert "police.uk's open API" not in text
    assert json_out.answer_json(answer, text)["stop_search"]["complete"] is True


async def test_a_store_with_a_month_missing_still_answers(db_copy: Path) -> None:
    """Written around the loaders (which now refuse such a file): the view must not crash on
    data it did not expect; an answer it cannot compute says so."""
    loads = sources.read_sources([str(raw.WARD_CRIME)])
    item = loads["ward_crime"]
    frame = item.data.frame[item.data.frame["month"] != 202510]
    months = tuple(m for m in item.data.months if m != 202510)
    gappy = {"ward_crime": store.LoadInput(
        store.Loaded("ward_crime", "gap.csv", frame, months), item.sources)}
    conn = store.connect(db_copy)
    store.write_versions(conn, gappy, force=True)
    view = DataView.build(conn)
    conn.close()
    answer = await lookup.answer("E8 1DY", view, None)
    assert answer.status == "ok" and answer.crime is not None and answer.rate is None
    assert "No 12-month rate" in words.strip_html(report.answer_html(answer))
    assert not view.has_twelve_months()
