"""Every rule's SQL is valid PostgreSQL (as GX runs it and as the failing-record writer runs it), and the
normalisations and working-day calendar the rules read behave as staging and INDICATORS.md say."""

from __future__ import annotations

from datetime import date

import pytest

from csc.quality.catalogue import BatchContext, load_catalogue
from csc.quality.findings import failing_records_query
from csc.quality.reference import refresh_reference_data
from csc.quality.work import create_work_tables, drop_work_tables, work_prefix
from csc.warehouse.bootstrap import LOADER
from csc.warehouse.connection import connect

pytestmark = pytest.mark.integration


def test_every_rule_query_is_valid_sql(module_settings):
    catalogue = load_catalogue(module_settings)
    ctx = BatchContext(batch_id=1, extract_date=date(2025, 3, 31), previous_batch_id=2,
                       expected_extract_date=date(2025, 3, 31), work_prefix=work_prefix(991))
    problems = {}
    with connect(module_settings, role=LOADER, autocommit=True) as conn:
        create_work_tables(conn, catalogue.contract, ctx, module_settings)
        try:
            for rule in catalogue:
                queries = []
                if rule.sql_template is not None:  # as Great Expectations runs it
                    queries.append(catalogue.rule_sql(rule, ctx).format(batch=ctx.work_table(rule.table)))
                if rule.subject == "record":  # as the failing records are written
                    queries.append(failing_records_query(rule, catalogue, ctx))
                for query in queries:
                    try:
                        conn.execute("explain " + query)
                    except Exception as exc:  # collect them all, then fail once
                        problems[rule.id] = str(exc).splitlines()[0]
            for name in catalogue.measures:
                conn.execute("explain " + catalogue.measure_sql(name, ctx))
        finally:
            assert drop_work_tables(conn, 991) == len(catalogue.contract.tables) + 3
    assert not problems


def test_normalisations_read_raw_text_as_staging_does(module_settings):
    with connect(module_settings, role=LOADER) as conn:
        dates = conn.execute(
            "select ops.dq_date(v) from unnest(array['2025-03-31', ' 31/03/2025 ', '1/4/2025 10:30', "
            "'2025-03-31T08:00:00', '31/02/2025', '2025-13-01', 'yesterday', null]) v").fetchall()
        # ' 31/03/2025 ' is not a date: the loader refuses a padded value, and the SQL rule is the loader's.
        assert [d for (d,) in dates] == [date(2025, 3, 31), None, date(2025, 4, 1), date(2025, 3, 31),
                                         None, None, None, None]
        codes = conn.execute(
            "select ops.dq_normalised_code('sex', '1'), ops.dq_normalised_code('sex', ' f '), "
            "ops.dq_normalised_code('category_of_abuse', 'Physical abuse'), "
            "ops.dq_normalised_code('legal_status', 'c2'), "
            "ops.dq_flag(' y'), ops.dq_flag('X'), ops.dq_collection_year(date '2024-04-01'), "
            "ops.dq_collection_year(date '2024-03-31'), ops.dq_is_json('{\"A\": \"Y\"}'), ops.dq_is_json('{\"A\": ')"
        ).fetchone()
        assert codes == ("M", "F", "PHY", "C2", True, None, 2024, 2023, True, False)


def test_working_days_follow_the_bank_holiday_seed(module_settings):
    with connect(module_settings, role=LOADER, autocommit=True) as conn:
        refresh_reference_data(conn, module_settings)
        assert refresh_reference_data(conn, module_settings) == {"code_lists": False, "bank_holidays": False,
                                                                 "la_population": False}
        row = conn.execute(
            "select ops.dq_working_days(date '2024-12-20', date '2025-01-03'), "  # 25, 26 Dec and 1 Jan are holidays
            "ops.dq_working_days(date '2025-03-28', date '2025-03-31'), "        # Friday to Monday: 1
            "ops.dq_working_days(date '2025-03-31', date '2025-03-31'), "
            "ops.dq_add_working_days(date '2025-04-17', 1), "                    # Thursday before Easter -> Tuesday
            "(select count(*) from ops.dq_code_lists where code_list = 'placement_type' and code = 'K3' "
            " and valid_from_year = 2024)").fetchone()
    assert row == (7, 1, 0, date(2025, 4, 22), 1)
