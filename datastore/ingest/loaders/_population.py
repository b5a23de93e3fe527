"""Population: ward residents (Census 2021 TS019 by 2022 ward) and borough residents (Census
2021 TS007A by local authority).

Ward residents come from the ONS table TS019 "Migrant indicator (5 categories)" by 2022
electoral ward, exported long: one row per (ward, category).  Its population base is all usual
residents (category -8, "Does not apply", holds the under-ones), so a ward's usual residents
are the sum of its five categories.  Every ward must have each of the five exactly once: a
missing or extra category would silently change the sum, so it is refused.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from datastore.errors import LoadError
from datastore.ingest.loaders import _values as v
from datastore.ingest.loaders._source import CsvTable

TS019_CODE: Final = "Electoral wards and divisions Code"
TS019_NAME: Final = "Electoral wards and divisions"
TS019_CATEGORY: Final = "Migrant indicator (5 categories) Code"
TS019_COUNT: Final = "Observation"
WARD_COLUMNS: Final = (TS019_CODE, TS019_NAME, TS019_CATEGORY, TS019_COUNT)
# TS019's five categories: -8 does not apply (under one year old), 0 same address, 1 student
# term-time address, 2 from elsewhere in the UK, 3 from outside the UK.
TS019_CATEGORIES: Final = frozenset({"-8", "0", "1", "2", "3"})
BOROUGH_COLUMNS: Final = ("geography", "geography code", "Age: Total")

# The most residents one row may count: more than any district of England has (the largest,
# Birmingham, about 1.1 million), far less than an int32 holds.
MAX_RESIDENTS = 20_000_000


def load_ward(table: CsvTable, known_wards: set[str] | None) -> pd.DataFrame:
    """One row per ward: its code, name and usual residents (the sum of its five rows)."""
    table.require(*WARD_COLUMNS)
    code = v.code(table, TS019_CODE, v.WARD_CODE, "ward code (E05 and six digits)")
    name = v.text(table, TS019_NAME)
    category = v.text(table, TS019_CATEGORY)
    bad = v.first(~category.isin(TS019_CATEGORIES))
    if bad is not None:
        raise LoadError(
            table.label,
            f"{category.iat[bad]!r} is not one of TS019's five categories "
            f"({', '.join(sorted(TS019_CATEGORIES))})",
            row=table.line(bad),
            column=TS019_CATEGORY,
        )
    v.known(table, code, TS019_CODE, known_wards, "ward code")
    v.no_duplicates(table, pd.DataFrame({"ward": code, "category": category}),
                    "row for (ward, category)")
    observation = v.counts(table, [TS019_COUNT], most=MAX_RESIDENTS)[:, 0]
    frame = pd.DataFrame({"ward_code": code, "ward_name": name, "n": 1,
                          "population": observation})
    wards = frame.groupby("ward_code", sort=False).agg(
        ward_name=("ward_name", "first"), n=("n", "sum"), population=("population", "sum"))
    n = wards["n"].to_numpy(dtype=np.int64)
    short = v.first(n != len(TS019_CATEGORIES))
    if short is not None:
        ward = str(wards.index[short])
        row = v.first(code.eq(ward))
        assert row is not None
        raise LoadError(
            table.label,
            f"ward {ward} has {n[short]} of TS019's "
            f"{len(TS019_CATEGORIES)} categories: its residents cannot be summed",
            row=table.line(row), column=TS019_CATEGORY)
    empty = v.first(wards["population"].to_numpy() == 0)
    if empty is not None:
        raise LoadError(table.label, f"ward {wards.index[empty]} has no residents",
                        column=TS019_COUNT)
    return pd.DataFrame({
        "ward_code": v.as_str(wards.index.to_numpy(dtype=object)),
        "ward_name": v.as_str(wards["ward_name"].to_numpy(dtype=object)),
        "population": wards["population"].to_numpy(dtype=np.int64),
    })


def load_borough(table: CsvTable) -> pd.DataFrame:
    table.require(*BOROUGH_COLUMNS)
    code = v.code(
        table, "geography code", v.LAD_CODE, "local authority district (borough) code"
    )
    name = v.text(table, "geography")
    v.no_duplicates(table, pd.DataFrame({"geography code": code}), "borough")
    population = v.counts(table, ["Age: Total"], positive=True, most=MAX_RESIDENTS)[:, 0]
    return pd.DataFrame(
        {"lad_code": code.array, "lad_name": name.array, "population": population}
    )
