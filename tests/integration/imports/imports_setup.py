"""Helpers of the import tests (a uniquely named module: every test folder's ``conftest`` is named ``conftest``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from csc.settings import Settings
from csc.warehouse.connection import Target

LOADED = ("loaded", "checked", "blocked", "published")


@contextmanager
def warehouse(pg_server: Target, home: Path, **settings: object) -> Iterator[Settings]:
    """A fresh, initialised warehouse database (dropped afterwards) with its own CSC_HOME."""
    from csc.warehouse.bootstrap import init_warehouse

    dbname = f"csc_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    made = Settings(home=home, warehouse_url=pg_server.for_database(dbname).conninfo(),
                    airflow_database=f"{dbname}_af", **settings)
    try:
        init_warehouse(made)
        yield made
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            for name in (dbname, f"{dbname}_af"):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def raw_content(settings: Settings, batch_id: int) -> dict[str, list[tuple]]:
    """Every contract table's rows of a batch (contract columns, in line order)."""
    from csc.contract import load_contract
    from csc.warehouse.connection import connect

    out = {}
    with connect(settings) as conn:
        for table in load_contract():
            query = sql.SQL("select {} from raw.{} where _batch_id = %s order by _line_no").format(
                sql.SQL(", ").join(map(sql.Identifier, table.column_names)), sql.Identifier(table.name))
            out[table.name] = conn.execute(query, (batch_id,)).fetchall()
    return out


def stored_state(settings: Settings) -> dict[str, object]:
    """What an import may change: the ops records of imports and batches, raw's rows, the stored imports."""
    from csc.contract import load_contract
    from csc.warehouse.connection import connect

    with connect(settings) as conn:
        state: dict[str, object] = {
            "imports": conn.execute("select * from ops.return_imports order by 1").fetchall(),
            "revisions": conn.execute("select * from ops.return_import_revisions order by 1").fetchall(),
            "batches": conn.execute("select batch_id, status, source_kind from ops.extract_batches "
                                    "order by 1").fetchall(),
            "raw": {t.name: conn.execute(sql.SQL("select count(*) from raw.{}").format(
                sql.Identifier(t.name))).fetchone()[0] for t in load_contract()},
        }
    folder = settings.home / "imports"
    state["stored"] = sorted(p.name for p in folder.rglob("*")) if folder.exists() else []
    return state


HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
REVIEWS = "CHILD,DOB,REVIEW,REVIEW_CODE\n"

# Three years of one LA's 903 return, as its files were sent: C1 looked after across all three (one placement
# running across two year ends), C2 in the first year only, C3 starting in the last; legacy sex codes before 2024.
YEARS: dict[str, dict[str, str]] = {
    "2022-23": {
        "header.csv": HEADER + "C1,1,01/02/2010,WBRI,,,\nC2,2,05/06/2012,WIRI,,,\n",
        "episodes.csv": EPISODES + "C1,01/06/2022,S,C2,N1,U1,PR1,,,,,AB1 2CD,SC1\n"
                                   "C2,01/09/2022,S,V2,N2,U4,PR1,01/12/2022,E13,,,AB1 3EF,SC2\n",
        "reviews.csv": REVIEWS + "C1,01/02/2010,20/06/2022,PN1\nC1,01/02/2010,15/09/2022,PN1\n",
    },
    "2023-24": {
        "header.csv": HEADER + "C1,1,01/02/2010,WBRI,,,\n",
        "episodes.csv": EPISODES + "C1,01/06/2022,S,C2,N1,U1,PR1,01/11/2023,X1,,,AB1 2CD,SC1\n"
                                   "C1,01/11/2023,L,E1,N1,U1,PR1,,,,,AB1 2CD,SC1\n",
        "reviews.csv": REVIEWS + "C1,01/02/2010,10/03/2023,PN1\nC1,01/02/2010,01/09/2023,PN2\n",
    },
    "2024-25": {
        "header.csv": HEADER + "C1,M,01/02/2010,WBRI,A123456789012,,\nC3,F,01/01/2015,WBRI,,,\n",
        "episodes.csv": EPISODES + "C1,01/11/2023,L,E1,N1,U1,PR1,01/08/2024,X1,CHP,,AB1 2CD,SC1\n"
                                   "C1,01/08/2024,P,E1,N1,U3,PR1,,,,,CD4 5EF,SC3\n"
                                   "C3,01/01/2025,S,V2,N4,U4,PR1,,,,,AB1 3EF,SC2\n",
        "reviews.csv": REVIEWS + "C1,01/02/2010,20/08/2024,PN1\nC3,01/01/2015,25/01/2025,PN0\n",
    },
}


def write_year(folder: Path, year: str, files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in (files or YEARS[year]).items():
        (folder / name).write_text(content, encoding="utf-8", newline="")
    return folder
