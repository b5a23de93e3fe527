"""Population: ward (derived best-fit Census 2021 file) and borough (Census 2021 TS007A)."""

from __future__ import annotations

import pandas as pd

from datastore.ingest.loaders import _values as v
from datastore.ingest.loaders._source import CsvTable

WARD_COLUMNS = ("ward_code", "ward_name", "lad_code", "lad_name", "age_total")
BOROUGH_COLUMNS = ("geography", "geography code", "Age: Total")


def load_ward(table: CsvTable, known_wards: set[str] | None) -> pd.DataFrame:
    table.require(*WARD_COLUMNS)
    code = v.code(table, "ward_code", v.WARD_CODE, "ward code (E05 and six digits)")
    name = v.text(table, "ward_name")
    lad_code = v.code(table, "lad_code", v.LAD_CODE, "local authority district code")
    lad_name = v.text(table, "lad_name")
    v.known(table, code, "ward_code", known_wards, "ward code")
    v.no_duplicates(table, pd.DataFrame({"ward_code": code}), "ward")
    population = v.counts(table, ["age_total"], positive=True)[:, 0]
    return pd.DataFrame(
        {
            "ward_code": code.array,
            "ward_name": name.array,
            "lad_code": lad_code.array,
            "lad_name": lad_name.array,
            "population": population,
        }
    )


def load_borough(table: CsvTable) -> pd.DataFrame:
    table.require(*BOROUGH_COLUMNS)
    code = v.code(
        table, "geography code", v.LAD_CODE, "local authority district (borough) code"
    )
    name = v.text(table, "geography")
    v.no_duplicates(table, pd.DataFrame({"geography code": code}), "borough")
    population = v.counts(table, ["Age: Total"], positive=True)[:, 0]
    return pd.DataFrame(
        {"lad_code": code.array, "lad_name": name.array, "population": population}
    )
