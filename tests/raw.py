"""Expected figures computed straight from the bundled raw files with pandas, independently of
the loaders, the store and the view (the code under test)."""

from __future__ import annotations

import gzip
import json
from functools import cache

import numpy as np
import pandas as pd
from scipy import stats

from tests.conftest import SNAPSHOT, TEST_DATA

WARD_CRIME = SNAPSHOT / "mps_ward_crime_recent24m_202404-202603.csv.gz"


@cache
def ward_crime() -> pd.DataFrame:
    return pd.read_csv(WARD_CRIME, dtype={"WardCode": str})


def month_columns() -> list[str]:
    return [c for c in ward_crime().columns if c.isdigit()]


@cache
def postcodes() -> pd.DataFrame:
    return pd.read_csv(SNAPSHOT / "codepoint_open_2025-10_london_postcodes.csv.gz", dtype=str)


WARD_RESIDENTS = SNAPSHOT / "census2021_ts019_migrant_indicator_by_ward2022_london.csv.gz"
BOROUGH_CRIME = SNAPSHOT / "mps_borough_crime_recent24m_202407-202606.csv.gz"
BOROUGH_RESIDENTS = SNAPSHOT / "census2021_ts007a_age_ltla_london.csv"


@cache
def ward_residents() -> pd.Series:
    """Census 2021 usual residents by ward code: the sum of TS019's five categories."""
    ts019 = pd.read_csv(WARD_RESIDENTS, dtype={"Electoral wards and divisions Code": str})
    return ts019.groupby("Electoral wards and divisions Code")["Observation"].sum()


@cache
def ward_borough() -> pd.DataFrame:
    """Each ward's borough (code and name), from the postcode table."""
    pcs = postcodes()
    return (pcs.drop_duplicates("Admin_ward_code")
            .set_index("Admin_ward_code")[["Admin_district_code", "district_name"]]
            .rename(columns={"Admin_district_code": "lad_code", "district_name": "lad_name"}))


@cache
def borough_crime() -> pd.DataFrame:
    """The bundled borough extract (the Met's mid-2026 format: Group, SubGroup, BOCU)."""
    return pd.read_csv(BOROUGH_CRIME)


def borough_months() -> list[str]:
    return [c for c in borough_crime().columns if c.isdigit()]


@cache
def borough_residents() -> pd.Series:
    """Census 2021 usual residents by borough name (TS007A)."""
    return pd.read_csv(BOROUGH_RESIDENTS).set_index("geography")["Age: Total"]


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
    pop = ward_residents()
    pop = pop[pop.index.isin(totals.index)]
    return float(totals[pop.index].sum() / pop.sum() * 1000)


def ward_rates() -> pd.Series:
    wc = ward_crime()
    totals = wc.groupby("WardCode")[twelve_months()].sum().sum(axis=1)
    pop = ward_residents()
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


HO_TASER_2019_20 = (TEST_DATA / "use_of_force"
                    / "homeoffice_ced_by_force_use-of-force_april2019-march2020.csv")


def met_taser_latest() -> dict[str, int]:
    """The Met's row of the Home Office table for April 2019 to March 2020, cleaned to CSV
    (the bundle serves it from the release's own ODS tables)."""
    frame = pd.read_csv(HO_TASER_2019_20)
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
    pop = ward_residents()
    have = [w for w in wards if w in pop.index]
    crimes = wc[wc["WardCode"].isin(have)][full_months()].sum()
    return {m: float(crimes[m] / pop[have].sum() * 1000) for m in full_months()}


def borough_wards(lad_name: str) -> list[str]:
    """The borough's MPS wards: in the crime extract, and in the borough by the population
    table's local authority."""
    lad = ward_borough()
    codes = set(lad.index[lad["lad_name"] == lad_name])
    return sorted(codes & set(ward_crime()["WardCode"]) & set(ward_residents().index))


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
    pop = ward_residents()
    pop = pop[pop.index.isin(totals.index)]
    frame = pd.DataFrame({"crimes": totals[pop.index], "residents": pop,
                          "lad_code": ward_borough().loc[pop.index, "lad_code"]})
    grouped = frame.groupby("lad_code")[["crimes", "residents"]].sum()
    return {str(k): float(v) for k, v in
            (grouped["crimes"] / grouped["residents"] * 1000).items()}


def unusual_reference(history: np.ndarray, now: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stated model, written out again: expected = the area's share of London's crime in
    its history × London now; negative binomial with variance m + d m² (d: the area's own
    method-of-moments spread, at least London's pooled one) plus the share's own variance."""
    expected, p_values = [], []
    london = history.sum(axis=0)
    shares = history.sum(axis=1) / london.sum()
    fits = [share * london for share in shares]
    pooled = (sum(((h - f) ** 2 - f).sum() for h, f in zip(history, fits, strict=True))
              / sum((f ** 2).sum() for f in fits))
    for h, f, x in zip(history, fits, now, strict=True):
        m = (h.sum() / london.sum()) * now.sum()
        d = max(((h - f) ** 2 - f).sum() / (f ** 2).sum(), pooled, 0.0)
        var = m + d * m ** 2 + (now.sum() / london.sum()) ** 2 * (f + d * f ** 2).sum()
        expected.append(m)
        p_values.append(stats.nbinom(m ** 2 / (var - m), m / var).sf(x - 1))
    return np.array(expected), np.array(p_values)


def ward_matrix(frame: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """Ward totals by month from a raw extract, its months in order (the stub dropped)."""
    months = [c for c in frame.columns if c.isdigit()]
    totals = frame[months].sum()
    full = [m for m in months if totals[m] >= totals.median() / 2]
    return full, frame.groupby("WardCode")[full].sum().to_numpy(dtype=float)
