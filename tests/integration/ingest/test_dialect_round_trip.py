"""Export dialects (issue 11 item 4): every dialect loads losslessly, or is refused naming file, line and column.

Round trip: the generator renders the same simulated LA (tiny, with its default faults) as csv and in each other
dialect; each is loaded into a real warehouse, and raw must equal the csv rendering's raw cell for cell. The only
difference allowed is what an unquoted dialect cannot represent: a line break or the delimiter inside a value,
which the export (and the generator) writes as a space (``csc_synthetic.render.unquotable``). Dates are compared
as written: the csv rendering uses the same date style.
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml
from psycopg import sql

from csc.contract import load_contract
from csc.ingest import load_extract
from csc.warehouse.connection import connect
from csc_synthetic import generate
from csc_synthetic.render import Rendering, unquotable

pytestmark = pytest.mark.integration

AS_OF = date(2026, 11, 30)
LA = "901"

# name: (generator rendering, the dialect and delimiter the loader is told (None: from las.yml, or detected),
#        the LA's export settings in las.yml, if any)
CASES = {
    "csv-utf16-sqlserver": (Rendering(encoding="utf-16", datetime_style="sqlserver"), (None, None), None),
    "ssms-utf16-null-sqlserver-text": (Rendering(dialect="ssms", encoding="utf-16", datetime_style="sqlserver-text"),
                                       ("ssms", None), None),
    "bcp-tab-nul-sqlserver": (Rendering(dialect="bcp", datetime_style="sqlserver"), ("bcp", None), None),
    "bcp-detected-sqlserver-text": (Rendering(dialect="bcp", datetime_style="sqlserver-text"), (None, None), None),
    "bcp-pipe-declared-without-manifest": (
        Rendering(dialect="bcp", delimiter="|", datetime_style="sqlserver", manifest=False), (None, None),
        {"dialect": "bcp", "delimiter": "|", "manifest": "optional"}),
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny extracts of one simulated LA: csv in both SQL Server date styles, and each case."""
    out = tmp_path_factory.mktemp("dialects")
    folders = {}
    for style in ("sqlserver", "sqlserver-text"):
        result = generate(LA, "tiny", 1, AS_OF, out / f"csv-{style}", faults="default",
                          rendering=Rendering(datetime_style=style))
        folders[f"csv-{style}"] = result.nights[-1].extract_dir
    for name, (rendering, _, _) in CASES.items():
        folders[name] = generate(LA, "tiny", 1, AS_OF, out / name, faults="default",
                                 rendering=rendering).nights[-1].extract_dir
    return folders


def with_export(settings, folder: Path, export: dict | None):
    """Settings whose las.yml declares LA 901 with that ``export:`` section."""
    if export is None:
        return settings
    path = folder / "las.yml"
    path.write_text(yaml.safe_dump({"las": [{"code": LA, "name": "Tinyshire", "export": export}]}))
    return settings.model_copy(update={"las_config": path})


def _raw(settings, batch_id: int) -> dict[str, Counter]:
    tables = {}
    with connect(settings) as conn:
        for table in load_contract():
            columns = sql.SQL(", ").join(map(sql.Identifier, table.column_names))
            rows = conn.execute(sql.SQL("select {} from raw.{} where _batch_id = %s").format(
                columns, sql.Identifier(table.name)), (batch_id,)).fetchall()
            tables[table.name] = Counter(rows)
    return tables


def _land(folder: Path, landing: Path) -> Path:
    target = landing / LA / AS_OF.isoformat()
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(folder, target)
    return target


def _expected(csv_raw: dict[str, Counter], delimiter: str | None) -> dict[str, Counter]:
    if delimiter is None:
        return csv_raw
    return {name: Counter({tuple(None if v is None else (unquotable(v, delimiter) or None) for v in row): n
                           for row, n in rows.items()}) for name, rows in csv_raw.items()}


def test_the_generator_renders_each_dialect_and_the_truth_is_the_same(rendered):
    truths = {name: folder.parents[1] / "truth" / LA / AS_OF.isoformat() for name, folder in rendered.items()}
    reference = truths["csv-sqlserver"]
    files = sorted(p.relative_to(reference) for p in reference.rglob("*") if p.is_file())
    assert Path("indicators.csv") in files and Path("systems/mosaic/indicators.csv") in files
    for name, folder in truths.items():
        assert sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file()) == files, name
        for path in files:
            assert (folder / path).read_bytes() == (reference / path).read_bytes(), f"{name}: truth {path} differs"
    person = {name: (folder / "ssd_person.csv").read_bytes() for name, folder in rendered.items()}
    assert not (rendered["bcp-pipe-declared-without-manifest"] / "manifest.json").exists()
    assert (rendered["bcp-pipe-declared-without-manifest"] / "READY").exists()
    assert person["csv-utf16-sqlserver"].startswith(b"\xff\xfe")
    assert person["ssms-utf16-null-sqlserver-text"].startswith(b"\xff\xfe")
    assert "NULL".encode("utf-16-le") in person["ssms-utf16-null-sqlserver-text"]
    assert " 12:00AM".encode("utf-16-le") in person["ssms-utf16-null-sqlserver-text"]
    bcp = person["bcp-tab-nul-sqlserver"]
    assert b"\0" in bcp and b"\t" in bcp and not bcp.startswith(b"pers_person_id") and b".000\t" in bcp
    assert b"|" in person["bcp-pipe-declared-without-manifest"]


@pytest.mark.parametrize("case", list(CASES))
def test_each_dialect_loads_cell_for_cell_as_the_csv_rendering(case, rendered, warehouse_settings, landing,
                                                               tmp_path):
    rendering, (dialect, delimiter), export = CASES[case]
    reference = load_extract(_land(rendered[f"csv-{rendering.datetime_style}"], landing), warehouse_settings)
    csv_raw = _raw(warehouse_settings, reference.batch_id)
    settings = with_export(warehouse_settings, tmp_path, export)
    loaded = load_extract(_land(rendered[case], landing), settings, dialect=dialect, delimiter=delimiter)
    assert loaded.status == "loaded"
    assert loaded.rows == reference.rows
    got = _raw(warehouse_settings, loaded.batch_id)
    unquoted = rendering.dialect != "csv"
    expected = _expected(csv_raw, (rendering.delimiter or "\t") if unquoted else None)
    for table in load_contract():
        assert got[table.name] == expected[table.name], f"{case}: raw.{table.name} differs from the csv rendering"
    if rendering.encoding == "utf-16":
        assert {f.encoding for f in loaded.files} == {"utf-16-le"}
    with connect(warehouse_settings) as conn:  # lines are the file's: bcp's first record is line 1
        first = conn.execute("select min(_line_no) from raw.ssd_person where _batch_id = %s",
                             (loaded.batch_id,)).fetchone()[0]
        sha = conn.execute("select sha256 from ops.file_loads where batch_id = %s and file_name = 'ssd_person.csv'",
                           (loaded.batch_id,)).fetchone()[0]
    assert first == (1 if rendering.dialect == "bcp" else 2)
    import hashlib

    assert sha == hashlib.sha256((rendered[case] / "ssd_person.csv").read_bytes()).hexdigest()
