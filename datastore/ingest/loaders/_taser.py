"""Taser (CED) use: the Met's record-level Use of Force file, and the rows every taser loader
makes (the Home Office's force tables are read by ``_home_office``).

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


def _label(start: int, end: int) -> str:
    if start == end:
        return v.month_label(start)
    return f"{v.month_label(start)} to {v.month_label(end)}"


def frame_rows(
    areas: list[tuple[str, str]],
    start: int,
    end: int,
    deployments: npt.NDArray[np.int64],
    subjects: npt.NDArray[np.int64] | None,
    published: str | None = None,
) -> pd.DataFrame:
    """One row per (area, deployment type); arrays are (areas x TASER_TYPES); `published`
    the date the figures were published (ISO), when the file says it."""
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
            "published": v.as_str(np.array([published] * (n * k), dtype=object)),
        }
    )


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
    frame = frame_rows(areas, start, end, deployments, subjects)
    return frame, v.month_range(start, end)
