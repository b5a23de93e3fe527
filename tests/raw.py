"""Expected figures computed straight from the bundled raw files with pandas, independently of
the loaders, the store and the view (the code under test)."""

from __future__ import annotations

import gzip
import json
from functools import cache

import pandas as pd

from tests.conftest import SNAPSHOT

WARD_CRIME = SNAPSHOT / "mps_ward_crime_recent24m_202404-202603.csv.gz"


@cache
def ward_crime() -> pd.DataFrame:
    return pd.read_csv(WARD_CRIME, dtype={"WardCode": str})


def month_columns() -> list[str]:
    return [c for c in ward_crime().columns if c.isdigit()]


@cache
def postcodes() -> pd.DataFrame:
    return pd.read_csv(SNAPSHOT / "codepoint_open_2025-10_london_postcodes.csv.gz", dtype=str)


@cache
def ward_population() -> pd.DataFrame:
    return pd.read_csv(
        SNAPSHOT / "DERIVED_ward2022_population_census2021_lsoa_bestfit_london.csv.gz")


def postcode_row(postcode: str) -> pd.Series:
    pcs = postcodes()
    return pcs[pcs["Postcode"] == postcode].iloc[0]


def ward_month_total(ward: str, month: str) -> int:
    wc = ward_crime()
    return int(wc.loc[wc["WardCode"] == ward, month].sum())


def ward_by_major(ward: str, month: str) -> dict[str, int]:
    wc = ward_crime()
    got = wc[wc["WardCode"] == ward].groupby("MajorText")[month].sum()
    return {k: int(v) for k, v in got.items() if v}


def twelve_months() -> list[str]:
    return month_columns()[-12:]


def ward_12m(ward: str) -> int:
    wc = ward_crime()
    return int(wc.loc[wc["WardCode"] == ward, twelve_months()].to_numpy().sum())


def london_rate() -> float:
    wc = ward_crime()
    totals = wc.groupby("WardCode")[twelve_months()].sum().sum(axis=1)
    pop = ward_population().set_index("ward_code")["age_total"]
    pop = pop[pop.index.isin(totals.index)]
    return float(totals[pop.index].sum() / pop.sum() * 1000)


def ward_rates() -> pd.Series:
    wc = ward_crime()
    totals = wc.groupby("WardCode")[twelve_months()].sum().sum(axis=1)
    pop = ward_population().set_index("ward_code")["age_total"]
    pop = pop[pop.index.isin(totals.index)]
    return totals[pop.index] / pop * 1000


@cache
def stop_search_by_month() -> dict[str, list[dict[str, object]]]:
    """police.uk's monthly files, by the month each file is published for ("2025-04")."""
    out: dict[str, list[dict[str, object]]] = {}
    for path in sorted(SNAPSHOT.glob("policeuk_api_metropolitan_stops_with_borough_*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            out[path.name.removesuffix(".json.gz")[-7:]] = json.load(fh)
    return out


def met_taser_latest() -> dict[str, int]:
    frame = pd.read_csv(SNAPSHOT / "homeoffice_ced_by_force_use-of-force_april2019-march2020.csv")
    row = frame[frame["Police force"] == "Metropolitan"].iloc[0]
    return {k: int(row[c]) for k, c in [
        ("drawn", "Drawn"), ("aimed", "Aimed"), ("red_dot", "Red-dot"), ("arced", "Arced"),
        ("fired", "Fired"), ("drive_stun", "Drive stun"),
        ("angled_drive_stun", "Angled drive stun"),
    ]}


def full_months() -> list[str]:
    """The month columns with a real month's crime: the extract's stub column (a few dozen
    crimes London-wide) is under half the median month."""
    totals = ward_crime()[month_columns()].sum()
    return [m for m in month_columns() if totals[m] >= totals.median() / 2]


def monthly_rates(wards: list[str]) -> dict[str, float]:
    """Crimes per 1,000 residents in each full month, summed over `wards` (those with
    residents) and divided by their residents."""
    wc = ward_crime()
    pop = ward_population().set_index("ward_code")["age_total"]
    have = [w for w in wards if w in pop.index]
    crimes = wc[wc["WardCode"].isin(have)][full_months()].sum()
    return {m: float(crimes[m] / pop[have].sum() * 1000) for m in full_months()}


def borough_wards(lad_name: str) -> list[str]:
    """The borough's MPS wards: in the crime extract, and in the borough by the population
    table's local authority."""
    pop = ward_population()
    codes = set(pop.loc[pop["lad_name"] == lad_name, "ward_code"])
    return sorted(codes & set(ward_crime()["WardCode"]))


def ward_crime_rows(ward: str) -> dict[tuple[str, str], dict[str, int]]:
    """The ward's published rows: (major, minor) -> {month column: count}."""
    wc = ward_crime()
    rows = wc[wc["WardCode"] == ward]
    return {(r["MajorText"], r["MinorText"]): {m: int(r[m]) for m in month_columns()}
            for _, r in rows.iterrows()}


def borough_rates() -> dict[str, float]:
    """Each borough's 12-month rate per 1,000 residents over its MPS wards, by LAD code."""
    wc = ward_crime()
    totals = wc.groupby("WardCode")[twelve_months()].sum().sum(axis=1)
    pop = ward_population().set_index("ward_code")
    pop = pop[pop.index.isin(totals.index)]
    frame = pop.assign(crimes=totals[pop.index])
    grouped = frame.groupby("lad_code")[["crimes", "age_total"]].sum()
    return {str(k): float(v) for k, v in
            (grouped["crimes"] / grouped["age_total"] * 1000).items()}
