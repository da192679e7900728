"""Outcome JSON as the SSD writes it (issue 11): ``ops.outcome_json`` (rules.sql), the one reading of it that dbt
staging and the check STR_JSON share."""

from __future__ import annotations

import pytest

from csc.warehouse.connection import connect

pytestmark = pytest.mark.integration

V145_REFERRAL = ('{"SINGLE_ASSESSMENT_FLAG": "Y", "CP_CONFERENCE_FLAG": "N", "NUMBER_OF_OUTCOMES": 2, '
                 '"COMMENTS": "mum said "no" \\ to the\r\nvisit"}')


@pytest.mark.parametrize(("written", "read"), [
    ('{"NFA_FLAG": "Y", "ADVICE_FLAG": ""}', {"NFA_FLAG": "Y", "ADVICE_FLAG": ""}),
    # Comments pasted in unescaped (quote, backslash, line break): not JSON, the flags recovered all the same.
    (V145_REFERRAL, {"SINGLE_ASSESSMENT_FLAG": "Y", "CP_CONFERENCE_FLAG": "N", "NUMBER_OF_OUTCOMES": "2",
                     "COMMENTS": "mum said "}),
    ('{"NFA_FLAG": "Y"', {"NFA_FLAG": "Y"}),  # cut short
    ("not an object", None), ("[1, 2]", None), ("{NFA_FLAG: Y}", None), ("  ", None), (None, None),
])
def test_outcome_json_reads_what_the_ssd_writes(warehouse_settings, written, read):
    with connect(warehouse_settings) as conn:
        assert conn.execute("select ops.outcome_json(%s)", (written,)).fetchone()[0] == read


def test_unreadable_outcome_is_named_by_the_check(warehouse_settings):
    from csc.quality.catalogue import load_catalogue

    rule = load_catalogue(warehouse_settings).by_id["STR_JSON.ssd_cin_episodes.cine_referral_outcome_json"]
    assert rule.severity == "warn" and "ops.outcome_json" in (rule.sql_template or "")
