"""Taser (CED) use: Home Office force tables, or the Met's record-level Use of Force file.

Home Office "Police use of force statistics" CED tables (cleaned to CSV)
    One row per force; two header variants (``Police Force/Region,Drawn,Aimed,...`` and
    ``Region,Police force,Total,...``).  Only the Metropolitan row is kept: area_type
    "force", one row per deployment type, ``subjects`` <NA> (the tables count uses, not
    people).  The tables carry no dates, so the period comes from the file NAME
    ("april2017-march2018", "january-march2017", "january-december2016", a financial year
    "2019-20", or a bare year "2015" meaning the calendar year); a name with no period is an
    error.

MPS "Use of Force" records (London Datastore; CSV, or .xlsx with the records on sheet "UoF")
    One row per officer per subject.  What is known of the real layout comes from public
    code that reads these files (none publishes the data): the columns ``IncidentDate``,
    ``IncidentTime``, ``Incident Location: ...``, ``Borough``, ``SubjectAge``,
    ``SubjectGender``, ``SubjectEthnicity``, ``PhysicalDisability``, ``MentalDisability``,
    ``CED Used``, ``CED Drawn``, ``CED Aimed``, ``CED Arced``, ``CED Red-Dotted``,
    ``CED Drive Stun``, ``CED Drive Stun Repeat Application``, ``CED Angle Drive Stun``,
    ``CED Fired``, and the same again for a second to fourth device (``CED2 Drawn`` ...,
    where the Met's header spells the arced column ``CED2 ArCED2``).  That code tests
    flag columns (``Firearms Aimed``, ``Outcome: Arrested`` ...) for "Yes" and treats any
    non-blank ``CED Used`` as use, so blank cells occur; the CED type columns are read as
    Yes/No (also Y/N, True/False, 1/0, any case) with a blank meaning No, and any other
    value is an error.  That code reads the CSV exports as Windows-1252, so this format
    alone falls back to cp1252 when the file is not UTF-8; a ';' separator is accepted.

    Output: one "borough" area per distinct ``Borough`` value as published (e.g. "City of
    Westminster", "Heathrow", "Out of force"; rows with an empty Borough count only in the
    force total) and a "force" total over every row.  The period runs from the month of
    the first to the month of the last ``IncidentDate`` (ISO ``YYYY-MM-DD`` or UK
    ``DD/MM/YYYY``, with or without a time).

    deployments: each row whose CED columns (any device) say Yes for a type is one
    deployment of that type, so two officers on one subject make two deployments.

    subjects: the format has no subject or incident reference.  Rows about one subject
    repeat the incident and subject details, which is how public analyses of this file
    de-duplicate it, so a subject is taken to be one distinct combination of IncidentDate,
    IncidentTime, the Incident Location flags, Borough, SubjectAge, SubjectGender,
    SubjectEthnicity, PhysicalDisability and MentalDisability (those present).  Each such
    subject is counted once, under the highest-severity type used on it (the Met's rule;
    order, highest first: angle drive stun, fired, drive stun, arced, red-dotted, aimed,
    drawn), so the subjects of the seven types add up to the people tasered.  This can merge
    two people with identical details at the same time and place, or split one person whose
    officers recorded different details.  Should a file carry a subject reference column
    (``SubjectID``, ``Subject Ref`` ...), subjects per type are instead the distinct
    references with that type on any of their rows.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from datastore.errors import LoadError
from datastore.ingest.loaders import _values as v
from datastore.ingest.loaders._source import CsvTable, Sheet
from datastore.storage.kinds import TASER_TYPES

FORCE_NAME = "Metropolitan Police Service"

# Home Office table header -> deployment type.
HO_TYPES = {
    "drawn": "drawn",
    "aimed": "aimed",
    "red-dot": "red_dot",
    "arced": "arced",
    "fired": "fired",
    "drive stun": "drive_stun",
    "angled drive stun": "angled_drive_stun",
}
HO_NAME_COLUMNS = ("Police Force/Region", "Police force")

# Use of Force column suffix (lower case) -> deployment type.
UOF_TYPES = {
    "drawn": "drawn",
    "aimed": "aimed",
    "arced": "arced",
    "red-dotted": "red_dot",
    "red dotted": "red_dot",
    "drive stun": "drive_stun",
    "angle drive stun": "angled_drive_stun",
    "angled drive stun": "angled_drive_stun",
    "fired": "fired",
}
UOF_PRIMARY = {
    "drawn": "CED Drawn",
    "aimed": "CED Aimed",
    "red_dot": "CED Red-Dotted",
    "arced": "CED Arced",
    "fired": "CED Fired",
    "drive_stun": "CED Drive Stun",
    "angled_drive_stun": "CED Angle Drive Stun",
}
UOF_DATE_COLUMNS = ("IncidentDate", "Incident Date")
UOF_SUBJECT_ID = frozenset({"subjectid", "subjectref", "subjectreference", "subjectnumber"})
UOF_SUBJECT_DETAILS = (
    "IncidentDate",
    "IncidentTime",
    "Borough",
    "SubjectAge",
    "SubjectGender",
    "SubjectEthnicity",
    "PhysicalDisability",
    "MentalDisability",
)
UOF_SHEET = "UoF"
YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0", ""})
# The Met's counting rule, lowest severity first (the Met's page, as quoted in the data notes:
# angle drive stun > fired > drive stun > arced > red-dotted > aimed > drawn).
MET_SEVERITY = ("drawn", "aimed", "red_dot", "arced", "drive_stun", "fired", "angled_drive_stun")

_CED_COLUMN = re.compile(r"(CED\d*)\s+(.+)", re.IGNORECASE)


# --------------------------------------------------------------------------------------
# recognising the formats


def ho_variant(header: list[str]) -> str | None:
    """The Met-row name column of a Home Office CED table header, or None."""
    lowered = {h.lower() for h in header}
    if "drawn" not in lowered or "fired" not in lowered:
        return None
    if "Police Force/Region" in header:
        return "Police Force/Region"
    if "Region" in header and "Police force" in header:
        return "Police force"
    return None


def uof_columns(header: list[str]) -> dict[str, list[str]]:
    """Deployment type -> the CED columns (every device) that record it."""
    found: dict[str, list[str]] = {t: [] for t in TASER_TYPES}
    for name in header:
        m = _CED_COLUMN.fullmatch(name.strip())
        if m is None:
            continue
        device, suffix = m.group(1), " ".join(m.group(2).lower().split())
        if suffix == f"ar{device.lower()}":  # the Met's header has "CED2 ArCED2"
            suffix = "arced"
        kind = UOF_TYPES.get(suffix)
        if kind is not None:
            found[kind].append(name)
    return found


def is_uof(header: list[str]) -> bool:
    """A Use of Force record header: a Borough column and CED type columns."""
    return "Borough" in header and any(uof_columns(header).values())


# --------------------------------------------------------------------------------------
# periods from file names

_MONTH_WORDS = {name.lower(): i + 1 for i, name in enumerate(v.MONTH_NAMES)}
_MONTH_WORDS.update({name[:3].lower(): i + 1 for i, name in enumerate(v.MONTH_NAMES)})
_MONTH_WORDS["sept"] = 9
_M = "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))
_Y = r"(?:19|20)\d\d"
_SEP = r"[-_ .]*"
_RANGE_TWO_YEARS = re.compile(
    rf"(?<![a-z])({_M}){_SEP}({_Y}){_SEP}(?:to{_SEP})?({_M}){_SEP}({_Y})(?!\d)"
)
_RANGE_ONE_YEAR = re.compile(rf"(?<![a-z])({_M}){_SEP}(?:to{_SEP})?({_M}){_SEP}({_Y})(?!\d)")
_FINANCIAL_YEAR = re.compile(rf"(?<!\d)({_Y})[-_/](\d\d)(?!\d)")
_YEAR = re.compile(rf"(?<!\d)({_Y})(?!\d)")


def period_from_name(name: str) -> tuple[int, int] | None:
    """(first YYYYMM, last YYYYMM) from a file name, or None when it names no period."""
    stem = name.lower()
    for suffix in (".gz", ".csv", ".xlsx"):
        stem = stem.removesuffix(suffix)
    m = _RANGE_TWO_YEARS.search(stem)
    if m:
        start = int(m.group(2)) * 100 + _MONTH_WORDS[m.group(1)]
        end = int(m.group(4)) * 100 + _MONTH_WORDS[m.group(3)]
        return (start, end) if start <= end else None
    m = _RANGE_ONE_YEAR.search(stem)
    if m:
        year = int(m.group(3))
        start, end = year * 100 + _MONTH_WORDS[m.group(1)], year * 100 + _MONTH_WORDS[m.group(2)]
        return (start, end) if start <= end else None
    m = _FINANCIAL_YEAR.search(stem)
    if m and int(m.group(2)) == (int(m.group(1)) + 1) % 100:
        year = int(m.group(1))
        return year * 100 + 4, (year + 1) * 100 + 3
    years = {int(y) for y in _YEAR.findall(stem)}
    if len(years) == 1:
        year = years.pop()
        return year * 100 + 1, year * 100 + 12
    return None


def _label(start: int, end: int) -> str:
    if start == end:
        return v.month_label(start)
    return f"{v.month_label(start)} to {v.month_label(end)}"


def _rows(
    areas: list[tuple[str, str]],
    start: int,
    end: int,
    deployments: npt.NDArray[np.int64],
    subjects: npt.NDArray[np.int64] | None,
) -> pd.DataFrame:
    """One row per (area, deployment type); arrays are (areas x TASER_TYPES)."""
    k = len(TASER_TYPES)
    n = len(areas)
    subject_values: Any = (
        pd.array([pd.NA] * (n * k), dtype="Int64")
        if subjects is None
        else pd.array(subjects.reshape(-1), dtype="Int64")
    )
    return pd.DataFrame(
        {
            "area_type": v.as_str(np.repeat([a for a, _ in areas], k)),
            "area_name": v.as_str(np.repeat([b for _, b in areas], k)),
            "period_start": v.as_str([v.month_text(start)] * (n * k)),
            "period_end": v.as_str([v.month_text(end)] * (n * k)),
            "period_label": v.as_str([_label(start, end)] * (n * k)),
            "deployment_type": v.as_str(list(TASER_TYPES) * n),
            "deployments": deployments.reshape(-1).astype(np.int64),
            "subjects": subject_values,
        }
    )


# --------------------------------------------------------------------------------------
# Home Office tables


def load_ho(table: CsvTable, file_name: str) -> tuple[pd.DataFrame, tuple[int, ...]]:
    name_column = ho_variant(table.header)
    if name_column is None:
        raise LoadError(
            table.label,
            "not a taser file: expected a Home Office CED table ('Police Force/Region,Drawn,...'"
            " or 'Region,Police force,Total,...') or MPS Use of Force records (Borough, "
            "IncidentDate, CED Drawn ... CED Fired)",
            row=1,
        )
    by_lower = {h.lower(): h for h in table.header}
    columns: list[str] = []
    for header_name, kind in HO_TYPES.items():
        if header_name not in by_lower:
            raise LoadError(
                table.label, f"the header lacks the {kind} column", row=1, column=header_name
            )
        columns.append(by_lower[header_name])
    names = table.frame[name_column].str.strip().str.lower()
    met = np.flatnonzero(names.str.fullmatch(r"metropolitan(?: police(?: service)?)?"))
    if met.size == 0:
        raise LoadError(
            table.label, "there is no Metropolitan row", row=None, column=name_column
        )
    if met.size > 1:
        rows = ", ".join(str(table.line(int(i))) for i in met)
        raise LoadError(table.label, f"there are several Metropolitan rows: {rows}", row=None)
    period = period_from_name(file_name)
    if period is None:
        raise LoadError(
            table.label,
            "the file name gives no period (e.g. 'april2019-march2020', 'january-march2017', "
            "'2019-20' or a year '2016'); Home Office CED tables carry no dates of their own",
        )
    i = int(met[0])
    met_row = CsvTable(
        label=table.label,
        header=table.header,
        frame=table.frame.iloc[[i]].reset_index(drop=True),
        lines=table.lines[[i]],
    )
    values = v.counts(met_row, columns)[0]
    by_type = dict(zip(HO_TYPES.values(), values, strict=True))
    deployments = np.array([[by_type[t] for t in TASER_TYPES]], dtype=np.int64)
    start, end = period
    frame = _rows([("force", FORCE_NAME)], start, end, deployments, None)
    return frame, v.month_range(start, end)


# --------------------------------------------------------------------------------------
# MPS Use of Force records


def wanted_columns(header: list[str]) -> list[str]:
    """The Use of Force columns the loader reads (those present), in header order."""
    wanted = {"Borough", *UOF_DATE_COLUMNS, *UOF_SUBJECT_DETAILS}
    wanted.update(c for c in header if c.startswith("Incident Location:"))
    wanted.update(c for cols in uof_columns(header).values() for c in cols)
    wanted.update(c for c in header if _is_subject_id(c))
    return [c for c in header if c in wanted]


def _is_subject_id(name: str) -> bool:
    return "".join(name.lower().split()).replace("_", "") in UOF_SUBJECT_ID


def table_from_sheet(label: str, sheet: Sheet) -> CsvTable:
    """Turn an xlsx sheet into a text table of the wanted columns (dates as ISO text).

    Rows are numbered as in the spreadsheet: the header is row 1.
    """
    header = sheet.header
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise LoadError(label, "the column appears twice in the header", row=1, column=name)
        seen.add(name)

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if hasattr(value, "isoformat"):
            return str(value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat())
        return str(value)

    kept = [
        (i + 2, r)
        for i, r in enumerate(sheet.rows)
        if any(c is not None and str(c).strip() for c in r)
    ]
    lines = np.array([line for line, _ in kept], dtype=np.int64)
    index = {name: j for j, name in enumerate(header)}
    data = {
        name: v.as_str([cell(r[index[name]]) if index[name] < len(r) else "" for _, r in kept])
        for name in wanted_columns(header)
    }
    return CsvTable(label=label, header=header, frame=pd.DataFrame(data), lines=lines)


def _flags(table: CsvTable, columns: list[str]) -> npt.NDArray[np.bool_]:
    """Yes/No columns -> True where any says Yes; an unrecognised value is an error."""
    out = np.zeros(len(table.frame), dtype=bool)
    first_bad: tuple[int, int, str] | None = None
    for order, column in enumerate(columns):
        values = table.frame[column].str.strip().str.lower()
        yes = values.isin(YES).to_numpy(dtype=bool)
        bad = v.first(~(yes | values.isin(NO).to_numpy(dtype=bool)))
        if bad is not None and (first_bad is None or (bad, order) < first_bad[:2]):
            first_bad = (bad, order, column)
        out |= yes
    if first_bad is not None:
        bad, _, column = first_bad
        raise LoadError(
            table.label,
            f"{table.frame[column].iat[bad]!r} is not Yes or No",
            row=table.line(bad),
            column=column,
        )
    return out


def _dates(table: CsvTable, column: str) -> npt.NDArray[np.int64]:
    raw = table.frame[column].str.strip()
    day = raw.str.split(r"[ T]", n=1, regex=True).str[0]
    iso = pd.to_datetime(day, format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(day, format="%d/%m/%Y", errors="coerce")
    dates = iso.fillna(uk)
    bad = v.first(dates.isna())
    if bad is not None:
        raise LoadError(
            table.label,
            f"{raw.iat[bad]!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)",
            row=table.line(bad),
            column=column,
        )
    months = np.asarray(dates.dt.year * 100 + dates.dt.month, dtype=np.int64)
    return months


def _subject_key(table: CsvTable) -> tuple[npt.NDArray[np.int64], bool]:
    """A subject number per row, and whether it came from an explicit subject reference."""
    frame = table.frame
    for name in table.header:
        if _is_subject_id(name):
            ids = frame[name].str.strip()
            codes = pd.factorize(ids)[0].astype(np.int64)
            empty = ids.eq("").to_numpy(dtype=bool)  # no reference: the row is its own subject
            codes[empty] = codes.max(initial=-1) + 1 + np.arange(int(empty.sum()))
            return codes, True
    details = [c for c in table.header if c.startswith("Incident Location:")]
    details += [c for c in UOF_SUBJECT_DETAILS if c in table.header]
    keys = frame[details].apply(lambda s: s.str.strip())
    return keys.groupby(details, sort=False, dropna=False).ngroup().to_numpy(np.int64), False


def load_uof(table: CsvTable) -> tuple[pd.DataFrame, tuple[int, ...]]:
    table.require("Borough")
    date_column = next((c for c in UOF_DATE_COLUMNS if c in table.header), None)
    if date_column is None:
        raise LoadError(
            table.label, "the header lacks the incident date", row=1, column=UOF_DATE_COLUMNS[0]
        )
    columns = uof_columns(table.header)
    for kind, primary in UOF_PRIMARY.items():
        if not any(c.upper().startswith("CED ") for c in columns[kind]):
            raise LoadError(table.label, "the header lacks a CED column", row=1, column=primary)
    if table.frame.empty:
        raise LoadError(table.label, "the file has no records")
    used = np.column_stack([_flags(table, columns[t]) for t in TASER_TYPES])  # rows x types
    months = _dates(table, date_column)
    borough = table.frame["Borough"].str.strip().to_numpy(dtype=object)
    subject, explicit = _subject_key(table)

    areas: list[tuple[str, str]] = [("force", FORCE_NAME)]
    masks: list[npt.NDArray[np.bool_]] = [np.ones(len(borough), dtype=bool)]
    for name in sorted({b for b in borough if b}):
        areas.append(("borough", name))
        masks.append(borough == name)

    deployments = np.array([used[m].sum(axis=0) for m in masks], dtype=np.int64)
    subjects = np.zeros_like(deployments)
    if explicit:
        for a, m in enumerate(masks):
            for t in range(len(TASER_TYPES)):
                subjects[a, t] = np.unique(subject[m & used[:, t]]).size
    else:
        # Per subject: which types were used on it (over all its rows), then its highest.
        n_subjects = int(subject.max(initial=-1)) + 1
        per_subject = np.zeros((n_subjects, len(TASER_TYPES)), dtype=bool)
        for t in range(len(TASER_TYPES)):
            per_subject[subject[used[:, t]], t] = True
        rank = np.array([MET_SEVERITY.index(t) for t in TASER_TYPES])
        tasered = per_subject.any(axis=1)
        highest = np.full(n_subjects, -1, dtype=np.int64)
        severity = np.where(per_subject, rank[np.newaxis, :], -1)
        highest[tasered] = np.argmax(severity[tasered], axis=1)
        subject_borough = np.empty(n_subjects, dtype=object)
        subject_borough[subject] = borough
        for a, (area_type, name) in enumerate(areas):
            chosen = tasered if area_type == "force" else tasered & (subject_borough == name)
            subjects[a] = np.bincount(highest[chosen], minlength=len(TASER_TYPES))
    start, end = int(months.min()), int(months.max())
    frame = _rows(areas, start, end, deployments, subjects)
    return frame, v.month_range(start, end)
