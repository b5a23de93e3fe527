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
