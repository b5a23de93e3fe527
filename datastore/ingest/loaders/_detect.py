"""Telling a file's kind from its content: the CSV header, the JSON shape, the xlsx header."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from datastore.errors import LoadError
from datastore.ingest.loaders import (
    _boundaries,
    _crime,
    _home_office,
    _population,
    _stop_search,
    _taser,
)
from datastore.ingest.loaders import _values as v
from datastore.ingest.loaders._source import (
    GZIP_MAGIC,
    UTF8_BOM,
    ZIP_MAGIC,
    Source,
    check_not_utf16,
    decode_text,
    header_line,
    open_source,
    parse_json,
    read_xlsx,
    split_header,
)
from datastore.storage.kinds import Kind

Format = Literal["csv", "json", "xlsx", "ods"]
# How each kind is recognised, for the error when nothing matches.
ACCEPTED = (
    f"ward_crime (CSV: {_crime.EXPECTED['ward_crime']})",
    f"borough_crime (CSV: {_crime.EXPECTED['borough_crime']})",
    "ward_population (CSV, Census 2021 TS019 by 2022 ward: Electoral wards and divisions "
    "Code,Electoral wards and divisions,Migrant indicator (5 categories) Code,...,Observation)",
    "borough_population (CSV: geography,geography code,Age: Total)",
    "postcodes (CSV: Postcode,...,Admin_district_code,Admin_ward_code,lat_wgs84_derived,"
    "lon_wgs84_derived,ward_name,district_name)",
    "stop_search (police.uk API JSON array of records, or CSV: Type,Date,"
    "Part of a policing operation,...; or the Met's dashboard extract CSV: Borough of Stop,"
    "Borough Code,Year_Month,StopDate,...,Count)",
    "taser (the Home Office's use of force data tables, .ods, with the table 'Use of CED by "
    "type and police force'; a Home Office CED table CSV: 'Police Force/Region,Drawn,...' or "
    "'Region,Police force,Total,...'; or MPS Use of Force records, CSV or .xlsx, "
    "with Borough, IncidentDate and CED Drawn ... CED Fired)",
    "ward_boundaries (GeoJSON FeatureCollection with wdNNcd properties)",
    "borough_boundaries (GeoJSON FeatureCollection with borough_code properties)",
)
_FIRST_TEXT = re.compile(rb"\S")

MIB: Final = 1 << 20
# The largest file of each kind, decompressed, that is read: far above the real ones (the
# ward extract is about 4 MB, the postcode table 25 MB, the Met's stop-and-search extract
# 50-70 MB, a Use of Force year about 75 MB), so only a broken or hostile file is refused.
MAX_BYTES: Final[dict[Kind, int]] = {
    "ward_crime": 64 * MIB, "borough_crime": 16 * MIB, "ward_population": 16 * MIB,
    "borough_population": 16 * MIB, "postcodes": 256 * MIB, "stop_search": 512 * MIB,
    "taser": 512 * MIB, "ward_boundaries": 256 * MIB, "borough_boundaries": 64 * MIB,
}
# And the most rows a CSV of each kind is read with (the real ones: ward crime 18,700, the
# postcode table 181,000, the Met's stop-and-search extract some 300,000).
MAX_ROWS: Final[dict[Kind, int]] = {
    "ward_crime": 200_000, "borough_crime": 20_000, "ward_population": 100_000,
    "borough_population": 1_000, "postcodes": 2_000_000, "stop_search": 5_000_000,
    "taser": 5_000_000, "ward_boundaries": 100_000, "borough_boundaries": 10_000,
}
# The most month columns a crime extract may have: the Met's ward and borough extracts span
# 24 or 25 months and its borough historical file 164 (2010-04 on); 240 (twenty years) leaves
# headroom.  A file of 600 or 1,516 months (1900 on) is no extract, and read whole it took
# gigabytes.  Refused from the header, before a row is read.
MAX_MONTHS: Final[dict[Kind, int]] = {"ward_crime": 240, "borough_crime": 240}
# And the most counts (rows x months) one is read with: each becomes a row of the long
# frame.  The real ward extract has 18,700 x 25 = 467,500; the borough historical file
# about 1,100 x 164 = 180,000.
MAX_CELLS: Final = 2_000_000
DEFAULT_MAX_BYTES: Final = 64 * MIB  # a file whose kind is not recognised
JSON_KINDS: Final[tuple[Kind, ...]] = ("stop_search", "ward_boundaries", "borough_boundaries")


@dataclass(frozen=True)
class Sniffed:
    """A file opened and recognised (kind None: not recognised)."""

    src: Source
    kind: Kind | None
    fmt: Format
    header: list[str]  # CSV / xlsx header ([] for JSON)
    delimiter: str = ","
    taser_format: Literal["ho", "uof"] | None = None
    payload: Any = None  # the parsed JSON, or the opened ODS workbook


def unknown(src: Source, what: str) -> LoadError:
    return LoadError(
        src.label,
        f"not a recognised data file ({what}); accepted kinds are: " + "; ".join(ACCEPTED),
    )


def unknown_header(src: Source, header: list[str]) -> LoadError:
    """The error for a CSV whose header matches no kind: the columns found, and expected."""
    if src.is_zip and _home_office.is_ods(src.data):
        return unknown(src, "an OpenDocument spreadsheet with no table of taser use by type "
                       "and police force")
    if _crime.looks_like_crime(header):
        return _crime.unrecognised(src.label, header)
    shown = ",".join(header[:12]) + (",…" if len(header) > 12 else "")
    return unknown(src, f"its header matches none; its columns are {shown}")


def too_wide(label: str, header: list[str], kind: Kind) -> None:
    """Refuse a crime extract with more month columns than MAX_MONTHS, from its header."""
    months = [h for h in header if v.MONTH_HEADER.fullmatch(h)]
    if len(months) > MAX_MONTHS[kind]:
        raise LoadError(
            label, f"the header has {len(months):,} month columns ({months[0]} to "
            f"{months[-1]}); the Met's extracts span 24 or 25 months and its historical file "
            f"164, so more than {MAX_MONTHS[kind]} is no {kind} extract: refused unread",
            row=1)


def classify_header(header: list[str]) -> tuple[Kind, Literal["ho", "uof"] | None] | None:
    names = set(header)
    if _crime.looks_like_crime(header):
        if names & {"WardCode", "WardName"}:  # a ward extract, complete or not
            return "ward_crime", None
        if _crime.has_fields(header, _crime.BOROUGH_FIELDS):
            return "borough_crime", None
        return None
    if {_population.TS019_CODE, _population.TS019_COUNT} <= names:
        return "ward_population", None
    if _stop_search.is_mps(header):
        return "stop_search", None
    if "geography code" in names:
        return "borough_population", None
    if "Postcode" in names and names & {"Admin_ward_code", "Admin_district_code"}:
        return "postcodes", None
    if header[:3] == ["Type", "Date", "Part of a policing operation"] or {
        "Type",
        "Date",
        "Object of search",
    } <= names:
        return "stop_search", None
    if _home_office.ho_variant(header) is not None:
        return "taser", "ho"
    if _taser.is_uof(header):
        return "taser", "uof"
    return None


def classify_json(src: Source, obj: Any) -> Kind:
    if isinstance(obj, list):
        if _stop_search.is_api_records(obj):
            return "stop_search"
        if not obj:
            raise LoadError(src.label, "the JSON array is empty: no records to recognise")
        raise unknown(src, "a JSON array, but not of police.uk stop-search records")
    if isinstance(obj, dict):
        kind = obj.get("type")
        if kind != "FeatureCollection":
            what = f"a GeoJSON {kind}" if isinstance(kind, str) else "a JSON object"
            raise LoadError(
                src.label,
                f"{what}, not a GeoJSON FeatureCollection: boundaries must be a FeatureCollection",
            )
        features = obj.get("features")
        if not isinstance(features, list) or not features:
            raise LoadError(src.label, "the GeoJSON FeatureCollection has no features")
        props = features[0].get("properties") if isinstance(features[0], dict) else None
        if isinstance(props, dict):
            if _boundaries.ward_keys(props) is not None:
                return "ward_boundaries"
            if "borough_code" in props:
                return "borough_boundaries"
        raise unknown(
            src, "a GeoJSON FeatureCollection without ward (wdNNcd) or borough_code properties"
        )
    raise unknown(src, f"a JSON {type(obj).__name__}")


# How much of a file is read to recognise it (its header, or the start of its JSON).
HEAD_BYTES: Final = 64 * 1024


def cap_for(head: bytes) -> int:
    """The most bytes a file may have, judged from its first bytes (a download's, before the
    rest arrives): the cap of the kind its header shows, the largest JSON kind's for JSON,
    the xlsx taser file's for a zip, DEFAULT_MAX_BYTES for anything unrecognised.  A gzip is
    judged by its first decompressed bytes (and held to that cap, compressed)."""
    data = head
    if data.startswith(GZIP_MAGIC):
        try:
            data = zlib.decompressobj(31).decompress(data, HEAD_BYTES)
        except zlib.error:
            return DEFAULT_MAX_BYTES
    if data.startswith(ZIP_MAGIC):
        return MAX_BYTES["taser"]
    data = data.removeprefix(UTF8_BOM)
    first = _FIRST_TEXT.search(data)
    if first is not None and data[first.start():first.start() + 1] in (b"[", b"{"):
        return max(MAX_BYTES[k] for k in JSON_KINDS)
    line = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", errors="replace")
    for delimiter in (",", ";"):
        found = classify_header(split_header(line, delimiter))
        if found is not None:
            return MAX_BYTES[found[0]]
    return DEFAULT_MAX_BYTES


def sniff(path: str | Path, kind: Kind | None = None, *, full: bool = True) -> Sniffed:
    """Open a file and recognise it; a CSV/xlsx it cannot place comes back with kind None.

    The kind is recognised from the file's first bytes; then (with `full`) the whole file is
    read, refused unread if it is larger than any real file of its kind (or of `kind`, the
    kind the caller expects) could be.  Without `full` only the start is read (a CSV's
    header; JSON and xlsx are always read whole, up to the largest cap).
    """
    head = open_source(path, head=HEAD_BYTES)
    if _home_office.is_ods(head.data):  # the Home Office's data tables, read whole
        src = open_source(path, max_bytes=MAX_BYTES["taser"], what="OpenDocument spreadsheet")
        book, table = _home_office.find_table(src)
        return Sniffed(src, "taser" if table else None, "ods", [],
                       taser_format="ho" if table else None, payload=book)
    if head.is_zip:
        src = open_source(path, max_bytes=MAX_BYTES["taser"], what="xlsx")
        sheet = read_xlsx(src, _taser.UOF_SHEET, header_only=True)
        if _taser.is_uof(sheet.header):
            return Sniffed(src, "taser", "xlsx", sheet.header, taser_format="uof")
        return Sniffed(src, None, "xlsx", sheet.header)
    check_not_utf16(head)
    first = _FIRST_TEXT.search(head.data)
    if first is not None and head.data[first.start() : first.start() + 1] in (b"[", b"{"):
        src = open_source(path, max_bytes=max(MAX_BYTES[k] for k in JSON_KINDS), what="JSON")
        text, _ = decode_text(src)
        obj = parse_json(src, text)
        found_kind = classify_json(src, obj)
        if len(src.data) > MAX_BYTES[found_kind]:
            raise LoadError(src.label, f"the file is larger than "
                            f"{MAX_BYTES[found_kind] >> 20} MB, far above any real "
                            f"{found_kind} file: refused unread")
        return Sniffed(src, found_kind, "json", [], payload=obj)
    line = header_line(head)
    try:
        text_line = line.decode("utf-8")
    except UnicodeDecodeError:
        text_line = line.decode("cp1252", errors="replace")
    header = split_header(text_line, ",")
    found = classify_header(header)
    delimiter = ","
    if found is None and ";" in text_line:
        semi = split_header(text_line, ";")
        semi_found = classify_header(semi)
        if semi_found is not None:
            header, found, delimiter = semi, semi_found, ";"
    capped = found[0] if found is not None else kind
    if capped in MAX_MONTHS:
        too_wide(head.label, header, capped)
    src = head
    if full:
        src = open_source(path, max_bytes=MAX_BYTES[capped] if capped else DEFAULT_MAX_BYTES,
                          what=capped or "")
    if found is None:
        return Sniffed(src, None, "csv", header, delimiter)
    found_kind, taser_format = found
    return Sniffed(src, found_kind, "csv", header, delimiter, taser_format=taser_format)
