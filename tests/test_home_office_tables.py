"""The Home Office's use of force data tables (the release's own ODS), read for the Met's taser
figures.  Expected figures are computed here from the same table cleaned to CSV (Resistance
Lab's DERIVED copy, and the Home Office CSVs the bundle held before), never from the reader;
and the tables are refused, saying why, when their layout or figures change."""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest

from datastore.errors import LoadError
from datastore.ingest import sources
from datastore.ingest.loaders import _home_office, detect_kind, read_file
from datastore.query.view import DataView
from datastore.storage.kinds import TASER_TYPES
from tests.gov_uk_fake import ODS_2019_20, edited_tables

DATA = Path(__file__).resolve().parent / "data" / "use_of_force"
DERIVED_2019_20 = DATA / "DERIVED_resistancelab_ced_by_type_force_april2019-march2020.csv.gz"
HOME_OFFICE_CSV = {
    ("2017-04", "2018-03"): DATA / "homeoffice_ced_by_force_use-of-force_april2017-march2018.csv",
    ("2018-04", "2019-03"): DATA / "homeoffice_ced_by_force_use-of-force_april2018-march2019.csv",
    ("2019-04", "2020-03"): DATA / "homeoffice_ced_by_force_use-of-force_april2019-march2020.csv",
}
KINDS = {"drawn": "Drawn", "aimed": "Aimed", "red_dot": "Red-dot", "arced": "Arced",
         "fired": "Fired", "drive_stun": "Drive stun", "angled_drive_stun": "Angled drive stun"}
# Anchors in Table 13's XML: the start of the Met's 2019/20 row, and its fired cell.
MET_2019_20 = ('<text:p>Metropolitan</text:p></table:table-cell><table:table-cell '
               'office:value-type="float" office:value="10068"')
FIRED_920 = ('office:value="12" table:style-name="ce173"><text:p>12</text:p></table:table-cell>'
             '<table:table-cell office:value-type="float" office:value="920" '
             'table:style-name="ce173"><text:p>920</text:p>')


def met_row(path: Path) -> dict[str, int]:
    """The Metropolitan row of a cleaned CSV: its seven kinds, Total and Not stated."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        for rec in csv.DictReader(fh):
            if rec["Police force"].strip() == "Metropolitan":
                row = {kind: int(float(rec[h])) for kind, h in KINDS.items()}
                return row | {"total": int(float(rec["Total"])),
                              "not_stated": int(float(rec["Not stated"]))}
    raise AssertionError(f"no Metropolitan row in {path.name}")


def published_in_the_file(path: Path) -> str:
    """The publication date the tables state, read from their XML (not by the reader)."""
    text = zipfile.ZipFile(path).read("content.xml").decode("utf-8")
    found = re.search(r"Publication Date: (\d{1,2} \w+ \d{4})", text)
    assert found is not None
    day, month, year = found.group(1).split()
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
    return date(int(year), months.index(month) + 1, int(day)).isoformat()


def by_period(frame: object) -> dict[tuple[str, str], dict[str, int]]:
    out: dict[tuple[str, str], dict[str, int]] = {}
    for r in frame.itertuples(index=False):  # type: ignore[attr-defined]
        out.setdefault((r.period_start, r.period_end), {})[r.deployment_type] = r.deployments
    return out


def write(tmp_path: Path, body: bytes, name: str = "tables.ods") -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def test_the_mets_rows_are_the_cleaned_tables_rows() -> None:
    loaded = read_file(ODS_2019_20)
    assert loaded.kind == "taser" and detect_kind(ODS_2019_20) == "taser"
    frame = loaded.frame
    assert set(frame["area_type"]) == {"force"}
    assert set(frame["area_name"]) == {"Metropolitan Police Service"}
    periods = by_period(frame)
    assert list(periods) == list(HOME_OFFICE_CSV)  # the table's three financial years
    for period, path in HOME_OFFICE_CSV.items():
        expected = met_row(path)
        assert expected["not_stated"] == 0  # so no "not stated" row: the seven kinds only
        assert periods[period] == {k: expected[k] for k in KINDS}
        assert list(periods[period]) == list(TASER_TYPES)
        assert sum(periods[period].values()) == expected["total"]
    derived = met_row(DERIVED_2019_20)
    latest = periods[("2019-04", "2020-03")]
    assert latest == {k: derived[k] for k in KINDS}
    assert sum(latest.values()) == derived["total"] == 10_068  # as SOURCES.md says of it
    assert latest["fired"] == derived["fired"] == 920
    labels = dict(zip(frame["period_start"], frame["period_label"], strict=False))
    assert labels["2019-04"] == "April 2019 to March 2020"
    assert set(frame["published"]) == {published_in_the_file(ODS_2019_20)} == {"2020-12-17"}
    assert frame["subjects"].isna().all()
    assert (loaded.first_month, loaded.last_month) == (201704, 202003)
    assert loaded.notes == ()


def test_the_first_run_serves_the_ods_figures_with_their_period_and_publication(
        view: DataView) -> None:
    version = view.versions["taser"]
    assert ODS_2019_20.name in {s.name for s in version.sources}
    assert sources.sha256(ODS_2019_20) in {s.sha256 for s in version.sources}
    latest = view.taser_summary()
    assert latest is not None
    derived = met_row(DERIVED_2019_20)
    assert (latest.period_start, latest.period_end) == ("2019-04", "2020-03")
    assert latest.deployments == derived["total"] and latest.by_type["fired"] == derived["fired"]
    assert latest.published == published_in_the_file(ODS_2019_20)
    # The periods the ODS does not cover come from the CSVs, which say no publication date.
    older = [s for s in view.taser_history() if s.period_end < "2017-04"]
    assert older and all(s.published is None for s in older)


def test_a_renamed_table_is_refused_naming_the_sheets_found(tmp_path: Path) -> None:
    path = write(tmp_path, edited_tables(("Use of CED by type and police force",
                                          "Use of batons by police force")))
    with pytest.raises(LoadError) as err:
        read_file(path, "taser")
    assert "no sheet holds the table of conducted energy device (taser) use" in err.value.reason
    assert "Table_13: Table 13. Use of batons by police force" in err.value.reason
    with pytest.raises(LoadError, match="OpenDocument spreadsheet with no table of taser"):
        detect_kind(path)


@pytest.mark.parametrize(("edits", "found"), [
    ([("<text:p>Red-dot</text:p>", "<text:p>Red dot (laser)</text:p>")], "red dot (laser)"),
    ([("<text:p>Fired</text:p>", "<text:p>TMP</text:p>"),
      ("<text:p>Drive stun</text:p>", "<text:p>Fired</text:p>"),
      ("<text:p>TMP</text:p>", "<text:p>Drive stun</text:p>")], "total discharge, fired, drive"),
], ids=["renamed", "swapped"])
def test_a_table_whose_columns_differ_is_refused_naming_found_and_expected(
        tmp_path: Path, edits: list[tuple[str, str]], found: str) -> None:
    path = write(tmp_path, edited_tables(*edits))
    with pytest.raises(LoadError) as err:
        read_file(path, "taser")
    reason = err.value.reason
    assert "its layout changed, so it is not read" in reason
    assert found in reason.split("; expected")[0]
    assert "expected financial year, region, police force, total, total non-discharge, drawn" \
        in reason
    assert err.value.row == 4  # the header row, as the spreadsheet numbers it
    assert err.value.file.endswith("tables.ods [Table_13]")


def test_a_met_row_that_does_not_add_up_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, edited_tables((FIRED_920, FIRED_920.replace("920", "921"))))
    with pytest.raises(LoadError) as err:
        read_file(path, "taser")
    assert "the Metropolitan row for 2019/20 does not add up" in err.value.reason
    assert err.value.row is not None and err.value.column == "total"


def test_uses_of_no_stated_kind_are_kept_so_the_total_is_the_tables(tmp_path: Path) -> None:
    not_stated = ('<table:table-cell office:value-type="float" office:value="0" '
                  'table:style-name="ce172"><text:p>0</text:p></table:table-cell>'
                  '<table:table-cell table:style-name="ce174"/>')
    body = edited_tables((not_stated, not_stated.replace('"0"', '"5"').replace(">0<", ">5<")),
                         after=MET_2019_20)
    body = edited_tables(('office:value="10068"', 'office:value="10073"'), source=body)
    frame = read_file(write(tmp_path, body), "taser").frame
    latest = by_period(frame)[("2019-04", "2020-03")]
    assert latest["not_stated"] == 5
    assert sum(latest.values()) == met_row(DERIVED_2019_20)["total"] + 5


def test_a_broken_or_oversized_spreadsheet_is_refused(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    whole = ODS_2019_20.read_bytes()
    cut = write(tmp_path, whole[: len(whole) // 2], "cut.ods")
    with pytest.raises(LoadError, match="not a readable OpenDocument spreadsheet"):
        read_file(cut, "taser")
    monkeypatch.setattr(_home_office, "MAX_UNPACKED", 1 << 20)  # the real one unpacks to 10 MB
    with pytest.raises(LoadError, match="unpacks to 10,284,341 bytes"):
        read_file(ODS_2019_20, "taser")


def test_an_ods_is_recognised_by_its_content_whatever_its_name(tmp_path: Path) -> None:
    path = write(tmp_path, ODS_2019_20.read_bytes(), "download")
    assert detect_kind(path) == "taser"
    assert not _home_office.is_ods(io.BytesIO(b"PK\x03\x04" + bytes(60)).getvalue())
