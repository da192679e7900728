"""Each rule defined once, end to end on a real extract, real checks and a real dbt build.

- The visit standards are settings: the data-quality lists (EXC_CP_VISIT_OVERDUE, EXC_CLA_VISIT_OVERDUE), the
  indicators (CPP_VISIT_10WD, CLA_VISIT_TIMELY) and the casework lists read the same value, so changing the setting
  moves them together.
- An LA without population rows builds; its five population rates are published as not available with reason
  ``no_population`` (never blank, never 0), and the checks warn naming the LA and the year.

The extract is a generated one whose LA code is changed to one that has no row in
``dbt_project/seeds/reference/la_population.csv``: the same records, an LA the population file does not know.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import psycopg
import pytest

from csc.settings import Settings
from csc.transform import build, publish
from csc.warehouse.connection import connect

pytestmark = [pytest.mark.integration, pytest.mark.slow,
              # Great Expectations (the checks) warns at import; not ours to fix (as in tests/integration/quality).
              pytest.mark.filterwarnings(r"ignore:module 'sre_constants' is deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings(r"ignore:module 'sre_parse' is deprecated:DeprecationWarning")]

LA = "905"  # not in la_population.csv
AS_OF = date(2026, 9, 30)  # a month end: the month's stock indicators are as at the extract date
RATES = ("REF_RATE", "S47_RATE", "CPP_RATE", "CLA_RATE", "CIN_RATE")


def land_unknown_la(settings: Settings, work: Path) -> int:
    """Generate LA 901's extract, relabel it as LA 905 (manifest only: the records carry no LA code), load it."""
    from csc.ingest import load_extract
    from csc.synthetic import generate

    night = generate("901", "small", 1, AS_OF, work / "generated", faults="none").nights[0]
    landed = settings.landing_dir / LA / AS_OF.isoformat()
    landed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(night.extract_dir, landed)
    manifest_path = landed / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["la_code"], manifest["la_name"] = LA, "Unknownshire"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    result = load_extract(landed, settings)
    assert result.status == "loaded", result
    return result.batch_id


def check(settings: Settings, batch_id: int) -> dict[str, object]:
    """Run the real checks; what the visit rules listed (distinct children) and the population rule said."""
    from csc.quality import run_checks

    run = run_checks(batch_id, settings, send_alerts=False)
    with connect(settings) as conn:
        def children(rule: str, table: str, key: str, person: str) -> int:
            return conn.execute(
                f"select count(distinct t.{person}) from ops.dq_failing_records f "
                f"join raw.{table} t on t._batch_id = %s and t.{key} = f.record_key "
                "where f.dq_run_id = %s and f.rule_id = %s", (batch_id, run.dq_run_id, rule)).fetchone()[0]

        population = conn.execute(
            "select status, sample_keys from ops.dq_results where dq_run_id = %s and rule_id = %s",
            (run.dq_run_id, "REF_POPULATION_AVAILABLE")).fetchone()
        return {
            "cp": children("EXC_CP_VISIT_OVERDUE", "ssd_cp_plans", "cppl_cp_plan_id", "cppl_person_id"),
            "cla": children("EXC_CLA_VISIT_OVERDUE", "ssd_cla_episodes", "clae_cla_episode_id", "clae_person_id"),
            "population": population,
        }


def built_figures(settings: Settings) -> dict[str, int]:
    """Children not seen in time at the extract date: by the indicators (denominator - numerator of the month
    ending on it) and by the casework lists, in the shadow schemas the build just wrote."""
    with connect(settings) as conn:
        def not_in_time(indicator: str) -> int:
            row = conn.execute(
                "select denominator - numerator from marts__next.indicator_values where la_code = %s "
                "and indicator_id = %s and period_type = 'month' and period_end = %s", (LA, indicator, AS_OF)
            ).fetchone()
            return int(row[0])

        def listed(table: str) -> int:
            return conn.execute(f"select count(distinct child_key) from casework__next.{table} where la_code = %s",
                                (LA,)).fetchone()[0]

        return {"cp_indicator": not_in_time("CPP_VISIT_10WD"), "cp_list": listed("overdue_cp_visits"),
                "cla_indicator": not_in_time("CLA_VISIT_TIMELY"), "cla_list": listed("overdue_cla_visits")}


@pytest.fixture(scope="module")
def rounds(dbt_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The same batch checked and built with the default visit standards, then with stricter ones."""
    batch_id = land_unknown_la(dbt_settings, tmp_path_factory.mktemp("extract"))
    found = {}
    for name, update in (("default", {}),
                         ("strict", {"dq_cp_visit_working_days": 3, "dq_cla_visit_days": 14})):
        settings = dbt_settings.model_copy(update={"dq_data_docs": False, **update})
        checked = check(settings, batch_id)
        result = build(settings, exclude=["test_type:unit"])
        assert result.ok, result.summary()
        found[name] = {**checked, **built_figures(settings)}
    publish(dbt_settings)
    return found


def test_a_visit_standard_moves_the_dq_list_and_the_indicator_together(rounds):
    default, strict = rounds["default"], rounds["strict"]
    for figures in (default, strict):
        assert figures["cp"] == figures["cp_indicator"] == figures["cp_list"], figures
        assert figures["cla"] == figures["cla_indicator"] == figures["cla_list"], figures
    # The stricter standards list more children, in the checks and in the indicators alike.
    assert strict["cp"] > default["cp"] and strict["cla"] > default["cla"], rounds


def test_rates_of_an_la_without_population_are_not_available_with_a_reason(rounds, dbt_settings: Settings):
    with psycopg.connect(dbt_settings.warehouse_url.get_secret_value()) as conn:
        rows = conn.execute(
            "select indicator_id, count(*), count(numerator), count(denominator), count(value), "
            "array_agg(distinct not_available_reason) from marts.indicator_values where la_code = %s "
            "group by indicator_id", (LA,)).fetchall()
    by_indicator = {indicator: rest for indicator, *rest in rows}
    for rate in RATES:
        periods, numerators, denominators, values, reasons = by_indicator[rate]
        assert periods > 0 and (numerators, denominators, values) == (0, 0, 0), (rate, by_indicator[rate])
        assert reasons == ["no_population"], rate
    others = {indicator: rest[-1] for indicator, rest in by_indicator.items() if indicator not in RATES}
    assert others and all(reasons == [None] for reasons in others.values()), others


def test_the_checks_warn_naming_the_la_and_the_year(rounds):
    status, lines = rounds["default"]["population"]
    assert status == "fail", "the rule is a warning that fails (warns) for an LA without population"
    for year in range(2020, 2027):  # six years of history before 30 September 2026: 2020-21 to 2026-27
        assert any(f"LA {LA} has no population aged 0-17 for year {year} " in line for line in lines), (year, lines)
