"""Small hand-made extracts for the loader's tests, written the way real exports are: every contract table, values
with apostrophes, accents, commas, quotes, line breaks, pound signs and emoji, CRLF, a BOM or Windows-1252 on some
files, upper-case or shuffled headers on others.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from csc.contract import load_contract
from csc.settings import Settings
from csc.warehouse.connection import connect

LA = "999"

# Rows per table (contract column -> value as written). Tables not listed are written with a header only.
SAMPLE_ROWS: dict[str, list[dict[str, str]]] = {
    "ssd_person": [
        {"pers_person_id": "P001", "pers_forename": "Siobhán", "pers_surname": "O'Neil", "pers_sex": "F",
         "pers_dob": "2012-03-04", "pers_single_unique_id": "", "pers_upn_unknown": "UN1"},
        {"pers_person_id": "P002", "pers_forename": "Zoë", "pers_surname": "Smith, Jones", "pers_sex": "M",
         "pers_dob": "04/03/2015", "pers_nationality": "said \"n/a\""},
        {"pers_person_id": "P003", "pers_forename": "Renée", "pers_surname": "Lee", "pers_sex": "U",
         "pers_dob": "2016-07-08 00:00:00.000", "pers_legacy_id": "  spaced  "},
    ],
    "ssd_contacts": [
        {"cont_contact_id": "C1", "cont_person_id": "P001", "cont_contact_date": "2024-01-02 10:30",
         "cont_contact_source_desc": "School, primary\nsecond line",
         "cont_contact_outcome_json": '{"NEW_REFERRAL_FLAG":"Y","NFA_FLAG":"N","ADVICE_FLAG":""}'},
        {"cont_contact_id": "C2", "cont_person_id": "P002", "cont_contact_date": "03/01/2024 09:15:00",
         "cont_contact_source_desc": "£50 bus pass — café 😀"},
    ],
    "ssd_professionals": [
        {"prof_professional_id": "W1", "prof_professional_name": "Dr. Ng", "prof_professional_caseload": "12",
         "prof_full_time_equivalency": "0.8"},
    ],
    "ssd_department": [{"dept_team_id": "T1", "dept_team_name": "Children’s Team — Nörth, £ budget"}],
    "ssd_involvements": [
        {"invo_involvements_id": "I1", "invo_professional_id": "W1",
         "invo_professional_role_id": "ALLOCATED CASE WORKER", "invo_professional_team": "T1",
         "invo_involvement_start_date": "2024-01-05", "invo_person_id": "P001"},
    ],
    "ssd_disability": [
        {"disa_person_id": "P001", "disa_table_id": "D1", "disa_disability_code": "HAND"},
        {"disa_person_id": "P001", "disa_table_id": "D2", "disa_disability_code": "VIS"},
    ],
    "hr_workers": [
        {"worker_id": "W1", "agency_worker": "N", "fte": "0.8", "org_role": "5", "team_id": "T1",
         "role_start_date": "2020-09-01"},
    ],
    "hr_establishment": [{"team_id": "T1", "effective_from": "2024-04-01", "funded_sw_fte": "6.5"}],
}


@dataclass
class ExtractSpec:
    """How to write one extract. Change fields, then ``write``; tests break files afterwards as they need."""

    extract_date: date = date(2025, 3, 31)
    extracted_at: str = "2025-04-01T02:15:00+01:00"
    la_code: str = LA
    rows: dict[str, list[dict[str, str]]] = field(default_factory=lambda: json.loads(json.dumps(SAMPLE_ROWS)))
    encodings: dict[str, str] = field(default_factory=lambda: {"ssd_person": "utf-8-sig",
                                                                "ssd_department": "cp1252"})
    headers: dict[str, str] = field(default_factory=lambda: {"ssd_person": "upper", "ssd_contacts": "shuffled"})
    line_ending: str = "\r\n"
    quote_all: set[str] = field(default_factory=lambda: {"hr_workers"})
    drop_columns: dict[str, list[str]] = field(default_factory=dict)

    def columns(self, table: str) -> list[str]:
        names = [c for c in load_contract().table(table).column_names if c not in self.drop_columns.get(table, [])]
        style = self.headers.get(table)
        if style == "shuffled":
            random.Random(table).shuffle(names)
        return names

    def write(self, landing: Path) -> Path:
        folder = landing / self.la_code / self.extract_date.isoformat()
        folder.mkdir(parents=True)
        for table in load_contract():
            columns = self.columns(table.name)
            header = [c.upper() if self.headers.get(table.name) == "upper" else c for c in columns]
            buffer = io.StringIO(newline="")
            quoting = csv.QUOTE_ALL if table.name in self.quote_all else csv.QUOTE_MINIMAL
            writer = csv.writer(buffer, lineterminator=self.line_ending, quoting=quoting)
            writer.writerow(header)
            for row in self.rows.get(table.name, []):
                writer.writerow([row.get(c, "") for c in columns])
            (folder / table.file_name).write_bytes(buffer.getvalue().encode(self.encodings.get(table.name, "utf-8")))
        write_manifest(folder, self)
        return folder


def write_manifest(folder: Path, spec: ExtractSpec, **overrides) -> dict:
    """(Re)write manifest.json from the files as they are now, then apply ``overrides`` to the document."""
    files = []
    for table in load_contract():
        path = folder / table.file_name
        if not path.exists():
            continue
        data = path.read_bytes()
        files.append({"name": table.file_name, "table": table.name, "rows": len(spec.rows.get(table.name, [])),
                      "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    document = {"la_code": spec.la_code, "la_name": "Demoshire", "extract_date": spec.extract_date.isoformat(),
                "extracted_at": spec.extracted_at, "source_system": "SystemC LCS", "ssd_version": "1.4.5",
                "files": files}
    document.update(overrides)
    (folder / "manifest.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
    return document


def set_file_entry(folder: Path, name: str, **changes) -> None:
    """Edit one file's entry in an existing manifest (e.g. rows) without recomputing the others."""
    path = folder / "manifest.json"
    document = json.loads(path.read_text())
    for entry in document["files"]:
        if entry["name"] == name:
            entry.update(changes)
    path.write_text(json.dumps(document, indent=2))


def refresh_checksums(folder: Path, name: str) -> None:
    """After editing a file on purpose, make the manifest agree with its bytes (rows are left alone)."""
    data = (folder / name).read_bytes()
    set_file_entry(folder, name, bytes=len(data), sha256=hashlib.sha256(data).hexdigest())


def zip_extract(folder: Path, *, inside_folder: bool = False) -> Path:
    target = folder.with_suffix(".zip")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(folder.iterdir()):
            bundle.write(path, f"{folder.name}/{path.name}" if inside_folder else path.name)
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    return target


def raw_rows(settings: Settings, table: str, batch_id: int) -> list[dict]:
    with connect(settings) as conn:
        cursor = conn.execute(f"select * from raw.{table} where _batch_id = %s order by _line_no", (batch_id,))
        names = [d.name for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def raw_fingerprint(settings: Settings) -> dict[str, tuple[int, str]]:
    """Row count and an md5 of every raw table's content: equal fingerprints mean untouched tables."""
    result = {}
    with connect(settings) as conn:
        for table in load_contract():
            result[table.name] = conn.execute(
                f"select count(*), coalesce(md5(string_agg(t::text, '|' order by t::text)), '') from raw.{table.name} t"
            ).fetchone()
    return result


def batches(settings: Settings) -> list[tuple]:
    with connect(settings) as conn:
        return conn.execute("select batch_id, status, extract_date, raw_purged_at is not null "
                            "from ops.extract_batches order by batch_id").fetchall()


def publish(settings: Settings, batch_id: int) -> None:
    """Stand in for the publication step (a later issue): mark a batch published, the LA's previous one superseded."""
    with connect(settings) as conn:
        conn.execute("update ops.extract_batches set status = 'superseded' where status = 'published' and la_code = "
                     "(select la_code from ops.extract_batches where batch_id = %s)", (batch_id,))
        conn.execute("update ops.extract_batches set status = 'published', published_at = now() where batch_id = %s",
                     (batch_id,))
