"""Round trip at parse level (issue 14): a generated LA (``tiny``) loaded, checked, built and published; its CIN
census of the latest complete year and its Annex A written by the statutory-return commands, then parsed back. The
children, referrals, assessments, section 47 enquiries and CP plans the parsers read equal what the warehouse holds
(the staging tables and marts the writers read), compared as (child, dates, codes), since the returns carry no ids.

The warehouse fixture is the statutory tests' one (tests/integration/statutory/conftest.py), on ``tiny`` and kept
in this module, as the statutory folder's conftest cannot be imported from here."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from csc.imports.annex_a import parse_annex_a, six_months_before
from csc.imports.cin import parse_cin
from csc.settings import Settings
from csc.statutory import CollectionYear
from csc.statutory.annex_a import write_annex_a
from csc.statutory.cin import write_cin
from csc.warehouse.connection import Target, connect

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    # Great Expectations' import warns (Python's own re internals); not ours to fix.
    pytest.mark.filterwarnings(r"ignore:module 'sre_constants' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:module 'sre_parse' is deprecated:DeprecationWarning"),
]

LA = "999"
AS_OF = date(2026, 6, 30)
YEAR = CollectionYear.latest_complete(AS_OF)  # 2025-26


@pytest.fixture(scope="module")
def settings(pg_server: Target, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    from csc.ingest import load_extract
    from csc.quality import run_checks
    from csc.transform import build, publish
    from csc.warehouse.bootstrap import init_warehouse
    from csc_synthetic import generate
    from csc_synthetic.render import Rendering

    root = tmp_path_factory.mktemp("import-round-trip")
    dbname = f"csc_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    built = Settings(home=root / "csc-home", warehouse_url=pg_server.for_database(dbname).conninfo(),
                     airflow_database=f"{dbname}_af", dq_data_docs=False, dbt_threads=4)
    try:
        init_warehouse(built)
        generate(LA, "tiny", 1, AS_OF, built.landing_dir, faults="none", rendering=Rendering(full_ssd=True))
        loaded = load_extract(built.landing_dir / LA / AS_OF.isoformat(), built)
        run_checks(loaded.batch_id, built, send_alerts=False)
        build(built)
        publish(built)
        yield built
    finally:
        with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
            for name in (dbname, f"{dbname}_af"):
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def query(settings: Settings, text: str, params: dict) -> Counter:
    with connect(settings) as conn:
        return Counter(tuple(row) for row in conn.execute(text, params))


def parsed_rows(parsed, table: str, *columns: str, where=lambda row: True) -> Counter:
    return Counter(tuple(row[c] for c in columns) for row in parsed.tables[table] if where(row))


# The writer's referrals of the year: open at any time in it, same-day duplicates left out, children with a person.
REFERRALS = """
    select r.referral_key, p.person_id, r.referral_date,
           case when r.closure_date <= %(ye)s then r.closure_date end as closure_date,
           r.referral_source_code, r.primary_need_code,
           case when r.closure_date <= %(ye)s then r.closure_reason_code end as closure_reason_code,
           r.is_no_further_action
    from staging.stg_ssd__cin_episodes r
    join (select distinct on (child_key) child_key, person_id from staging.stg_ssd__person
          where la_code = %(la)s order by child_key) p on p.child_key = r.child_key
    where r.la_code = %(la)s and r.referral_date <= %(ye)s and (r.closure_date is null or r.closure_date >= %(ys)s)
      and not exists (select 1 from marts.fct_referrals f where f.la_code = r.la_code
                      and f.referral_key = r.referral_key and f.is_same_day_duplicate)"""


def test_cin_census_parses_back_to_the_warehouse_year(settings: Settings, tmp_path: Path) -> None:
    census = write_cin(settings, LA, YEAR, tmp_path / "cin")
    parsed = parse_cin(census.path, LA, YEAR.name)
    assert parsed.window == (YEAR.start, YEAR.end) and parsed.year == "2025-26"
    p = {"la": LA, "ys": YEAR.start, "ye": YEAR.end}
    referrals = f"with refs as ({REFERRALS}) "

    # children: who, and their sex, ethnicity, date of birth and UPN as the census carries them
    children = query(settings, referrals + """
        select distinct pe.person_id, coalesce(pe.sex, 'U'), coalesce(pe.ethnicity, 'NOBT'), pe.date_of_birth
        from refs join staging.stg_ssd__person pe on pe.la_code = %(la)s and pe.person_id = refs.person_id""", p)
    assert len(children) > 5
    assert parsed_rows(parsed, "ssd_person", "pers_person_id", "pers_sex", "pers_ethnicity", "pers_dob") == children

    # referrals (CIN episodes) with their codes and closure
    expected = query(settings, referrals + """
        select person_id, referral_date, referral_source_code, primary_need_code, closure_date, closure_reason_code,
               case when is_no_further_action then 'Y' else 'N' end from refs""", p)
    assert sum(expected.values()) > 5
    assert parsed_rows(parsed, "ssd_cin_episodes", "cine_person_id", "cine_referral_date",
                       "cine_referral_source_code", "cine_cin_primary_need_code", "cine_close_date",
                       "cine_close_reason", "cine_referral_nfa") == expected

    # assessments of those referrals touching the year (authorisation after the year end is not in the census)
    by_referral = {r["cine_referral_id"]: (r["cine_person_id"], r["cine_referral_date"])
                   for r in parsed.tables["ssd_cin_episodes"]}
    assessments = Counter((*by_referral[a["cina_referral_id"]], a["cina_assessment_start_date"],
                           a["cina_assessment_auth_date"]) for a in parsed.tables["ssd_cin_assessments"])
    assert sum(assessments.values()) > 0
    assert assessments == query(settings, referrals + """
        select refs.person_id, refs.referral_date, a.assessment_start_date,
               case when a.assessment_authorised_date <= %(ye)s then a.assessment_authorised_date end
        from staging.stg_ssd__cin_assessments a join refs on refs.referral_key = a.referral_key
        where a.la_code = %(la)s and a.assessment_start_date <= %(ye)s
          and (a.assessment_authorised_date is null or a.assessment_authorised_date >= %(ys)s)""", p)

    # section 47 enquiries touching the year
    s47 = query(settings, referrals + """
        select refs.person_id, s.s47_start_date
        from staging.stg_ssd__s47_enquiry s join refs on refs.referral_key = s.referral_key
        left join lateral (select i.conference_date from staging.stg_ssd__initial_cp_conference i
                           where i.la_code = s.la_code and i.s47_enquiry_key = s.s47_enquiry_key
                           order by i.conference_date nulls last limit 1) c on true
        where s.la_code = %(la)s and s.s47_start_date <= %(ye)s
          and (coalesce(c.conference_date, s.s47_end_date) is null
               or coalesce(c.conference_date, s.s47_end_date) >= %(ys)s)""", p)
    assert sum(s47.values()) > 0
    assert parsed_rows(parsed, "ssd_s47_enquiry", "s47e_person_id", "s47e_s47_start_date") == s47

    # initial conferences held in the year: after an enquiry (its first), or on the episode alone
    enquiry = {r["s47e_s47_enquiry_id"]: (r["s47e_person_id"], r["s47e_s47_start_date"])
               for r in parsed.tables["ssd_s47_enquiry"]}
    conferences = Counter(((*enquiry[c["icpc_s47_enquiry_id"]], c["icpc_icpc_date"]) if c["icpc_s47_enquiry_id"]
                           else (c["icpc_person_id"], None, c["icpc_icpc_date"]))
                          for c in parsed.tables["ssd_initial_cp_conference"] if c["icpc_icpc_date"])
    # (tiny's 60 children had their 5 conferences before 2025-26: the mapping itself is unit-tested on the product's
    # own census, tests/unit/imports/test_cin_parser.py)
    assert conferences == query(settings, referrals + """
        select refs.person_id, s.s47_start_date, c.conference_date
        from staging.stg_ssd__s47_enquiry s join refs on refs.referral_key = s.referral_key
        join lateral (select i.conference_date from staging.stg_ssd__initial_cp_conference i
                      where i.la_code = s.la_code and i.s47_enquiry_key = s.s47_enquiry_key
                      order by i.conference_date nulls last limit 1) c on true
        where s.la_code = %(la)s and s.s47_start_date <= %(ye)s and c.conference_date between %(ys)s and %(ye)s
        union all
        select refs.person_id, null, min(i.conference_date)
        from staging.stg_ssd__initial_cp_conference i join refs on refs.referral_key = i.referral_key
        where i.la_code = %(la)s and i.s47_enquiry_key is null and i.conference_date between %(ys)s and %(ye)s
        group by refs.referral_key, refs.person_id""", p)

    # CP plans open in the year, with their categories, and their reviews held in the year
    plans = query(settings, referrals + """
        select refs.person_id, cp.cp_plan_start_date,
               case when cp.cp_plan_end_date <= %(ye)s then cp.cp_plan_end_date end,
               cp.initial_category_of_abuse, coalesce(cp.latest_category_of_abuse, cp.initial_category_of_abuse)
        from staging.stg_ssd__cp_plans cp join refs on refs.referral_key = cp.referral_key
        where cp.la_code = %(la)s and cp.cp_plan_start_date <= %(ye)s
          and (cp.cp_plan_end_date is null or cp.cp_plan_end_date >= %(ys)s)""", p)
    assert sum(plans.values()) > 0
    assert parsed_rows(parsed, "ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date",
                       "cppl_cp_plan_initial_category", "cppl_cp_plan_latest_category") == plans
    plan_start = {r["cppl_cp_plan_id"]: (r["cppl_person_id"], r["cppl_cp_plan_start_date"])
                  for r in parsed.tables["ssd_cp_plans"]}
    assert Counter((*plan_start[r["cppr_cp_plan_id"]], r["cppr_cp_review_date"])
                   for r in parsed.tables["ssd_cp_reviews"]) == query(settings, referrals + """
        select refs.person_id, cp.cp_plan_start_date, rv.review_date
        from staging.stg_ssd__cp_reviews rv
        join staging.stg_ssd__cp_plans cp on cp.la_code = rv.la_code and cp.cp_plan_key = rv.cp_plan_key
        join refs on refs.referral_key = cp.referral_key
        where rv.la_code = %(la)s and rv.review_date between %(ys)s and %(ye)s
          and cp.cp_plan_start_date <= %(ye)s and (cp.cp_plan_end_date is null or cp.cp_plan_end_date >= %(ys)s)""",
                                                                   p)

    # CIN plans touching the year, and the children's disabilities
    assert parsed_rows(parsed, "ssd_cin_plans", "cinp_person_id", "cinp_cin_plan_start_date") == \
        query(settings, referrals + """
        select refs.person_id, c.cin_plan_start_date from staging.stg_ssd__cin_plans c
        join refs on refs.referral_key = c.referral_key
        where c.la_code = %(la)s and c.cin_plan_start_date <= %(ye)s
          and (c.cin_plan_end_date is null or c.cin_plan_end_date >= %(ys)s)""", p)
    assert set(parsed_rows(parsed, "ssd_disability", "disa_person_id", "disa_disability_code")) == \
        set(query(settings, referrals + """
        select distinct refs.person_id, upper(d.disability_code) from staging.stg_ssd__disability d
        join staging.stg_ssd__person pe on pe.la_code = d.la_code and pe.child_key = d.child_key
        join refs on refs.person_id = pe.person_id
        where d.la_code = %(la)s and d.disability_code is not null and upper(d.disability_code) <> 'NONE'""", p))


def test_annex_a_parses_back_to_the_warehouse_lists(settings: Settings, tmp_path: Path) -> None:
    written = write_annex_a(settings, LA, AS_OF, tmp_path / "annex")
    parsed = parse_annex_a(written.path, LA, AS_OF)
    window = {"la": LA, "d": AS_OF, "w": six_months_before(AS_OF)}
    assert parsed.window == (date(2025, 12, 31), AS_OF)
    person = " join staging.stg_ssd__person p on p.la_code = f.la_code and p.child_key = f.child_key " \
             "where f.la_code = %(la)s and "

    contacts = query(settings, "select p.person_id, f.contact_date, coalesce(f.contact_source_code, '10') "
                     "from staging.stg_ssd__contacts f" + person +
                     "f.contact_date > %(w)s and f.contact_date <= %(d)s", window)
    assert sum(contacts.values()) > 0
    assert parsed_rows(parsed, "ssd_contacts", "cont_person_id", "cont_contact_date",
                       "cont_contact_source_code") == contacts

    # List 3 (every referral has a source, 10 when unknown) and List 6 (every episode a need, N0 when unknown)
    referrals = query(settings, "select p.person_id, f.referral_date from marts.fct_referrals f" + person +
                      "f.referral_date > %(w)s and f.referral_date <= %(d)s and not f.is_same_day_duplicate", window)
    assert sum(referrals.values()) > 0
    assert parsed_rows(parsed, "ssd_cin_episodes", "cine_person_id", "cine_referral_date",
                       where=lambda r: r["cine_referral_source_code"] is not None) == referrals
    episodes = query(settings, "select p.person_id, f.referral_date, coalesce(f.primary_need_code, 'N0') "
                     "from marts.fct_referrals f" + person +
                     "f.referral_date <= %(d)s and (f.closure_date is null or f.closure_date > %(w)s) "
                     "and not f.is_same_day_duplicate and not coalesce(f.is_no_further_action, false)", window)
    assert parsed_rows(parsed, "ssd_cin_episodes", "cine_person_id", "cine_referral_date",
                       "cine_cin_primary_need_code",
                       where=lambda r: r["cine_cin_primary_need_code"] is not None) == episodes

    assert parsed_rows(parsed, "ssd_cin_assessments", "cina_person_id", "cina_assessment_start_date") == \
        query(settings, "select p.person_id, f.assessment_start_date from marts.fct_assessments f" + person +
              "f.assessment_start_date > %(w)s and f.assessment_start_date <= %(d)s", window)
    assert parsed_rows(parsed, "ssd_s47_enquiry", "s47e_person_id", "s47e_s47_start_date") == \
        query(settings, "select p.person_id, f.s47_start_date from marts.fct_s47_enquiries f" + person +
              "f.s47_start_date > %(w)s and f.s47_start_date <= %(d)s", window)
    assert parsed_rows(parsed, "ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date",
                       "cppl_cp_plan_initial_category", "cppl_cp_plan_latest_category") == \
        query(settings, "select p.person_id, f.cp_plan_start_date, f.initial_category_of_abuse, "
              "coalesce(f.latest_category_of_abuse, f.initial_category_of_abuse) "
              "from marts.fct_cp_plans f" + person +
              "f.cp_plan_start_date <= %(d)s and (f.cp_plan_end_date is null or f.cp_plan_end_date > %(w)s)", window)
    looked_after = query(settings, "select distinct p.person_id from marts.fct_cla_episodes f" + person +
                         "f.episode_start_date <= %(d)s and (f.episode_ceased_date is null "
                         "or f.episode_ceased_date > %(w)s)", window)
    assert set(parsed_rows(parsed, "ssd_cla_episodes", "clae_person_id")) == set(looked_after)
    # every child of every list is a person of the import, with the sex the warehouse holds
    sexes = query(settings, "select distinct person_id, coalesce(sex, 'U') from staging.stg_ssd__person "
                  "where la_code = %(la)s and person_id = any(%(ids)s)",
                  {"la": LA, "ids": [r["pers_person_id"] for r in parsed.tables["ssd_person"]]})
    assert set(parsed_rows(parsed, "ssd_person", "pers_person_id", "pers_sex")) == set(sexes)
