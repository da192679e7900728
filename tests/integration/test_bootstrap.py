"""`csc init` against a real server: idempotent, roles and privileges as the README says."""

import psycopg
import pytest

from csc.warehouse.bootstrap import BI_READER, OWNER, SCHEMAS, init_warehouse
from csc.warehouse.connection import connect, resolve_target

pytestmark = pytest.mark.integration


def test_init_is_idempotent(warehouse_settings):
    again = init_warehouse(warehouse_settings)
    assert again.created_databases == [] and again.created_roles == [] and again.applied_migrations == []


def test_schemas_exist_and_belong_to_the_owner(warehouse_settings):
    with connect(warehouse_settings) as conn:
        owners = dict(conn.execute(
            "select nspname, pg_get_userbyid(nspowner) from pg_namespace where nspname = any(%s)",
            (list(SCHEMAS),)).fetchall())
    assert owners == {schema: OWNER for schema in SCHEMAS}


def test_bi_reader_is_not_privileged(warehouse_settings):
    with connect(warehouse_settings) as conn:
        row = conn.execute("select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles "
                           "where rolname = %s", (BI_READER,)).fetchone()
        owned = conn.execute("select count(*) from pg_class where relowner = (select oid from pg_roles "
                             "where rolname = %s)", (BI_READER,)).fetchone()[0]
    assert row == (False, False, False, False)
    assert owned == 0


def test_bi_reader_cannot_read_raw_or_ops(warehouse_settings):
    for table in ("raw.ssd_person", "ops.extract_batches"):
        with connect(warehouse_settings, role=BI_READER) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"select * from {table}")


def test_loader_writes_raw_but_not_marts(warehouse_settings):
    with connect(warehouse_settings, role="csc_loader") as conn:
        conn.execute("insert into raw.ssd_person (_batch_id, _line_no, pers_person_id) values (1, 2, 'P1')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("create table marts.sneaky (x int)")


def test_target_display_hides_password(warehouse_settings):
    target = resolve_target(warehouse_settings)
    assert "csc_test_" in target.display()
