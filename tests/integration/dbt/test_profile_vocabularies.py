"""Who is allocated, and what each code means, under every source-system profile's vocabulary.

One generated (generic) extract of LA 901 is loaded five times, as five LAs, and each copy is rewritten in the raw
tables into one profile's vocabulary (involvement roles, legal statuses, care reasons, care-leaver activity, CP
categories, referral sources), with the LA's `system` set:

- 901 systemc, carrying IS_ALLOCATED_CW_FLAG as an extra column: every allocated-worker involvement has flag Y;
  decoy CW involvements with flag N (every child, open since 2000, to the busiest allocated worker) must not
  count;
- 921 mosaic, 922 eclipse: the profile's role codes;
- 923 systemc without the flag: every CW counts and allocation is reported as approximated;
- 924 generic: the extract as generated.

Every LA also gets team-only involvements (no professional) in the allocated role, open, for every child: a case
held by a team with no worker is unallocated, so they must change nothing. One build; then every indicator equals
the generator's truth (901 entirely but DQ_PASS_RATE, which counts the records the test adds; the relabelled LAs
have no population row, so their rates are not available with reason no_population and are left out), and the
unallocated children equal the generic LA's child by child on every reporting date.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import psycopg
import pytest
import yaml

from csc.contract.profiles import load_profile
from csc.las import la_registry
from csc.settings import Settings
from csc.transform import build
from csc.warehouse.connection import connect

from dbt_extracts import record_dq_findings
from dbt_truth import indicator_differences, read_truth_indicators, warehouse_indicators

pytestmark = [pytest.mark.integration]

AS_OF = date(2026, 9, 30)
GENERATED_LA = "901"
LAS = {"901": ("systemc", True), "921": ("mosaic", False), "922": ("eclipse", False),
       "923": ("systemc", False), "924": ("generic", False)}
RATES = ("REF_RATE", "S47_RATE", "CPP_RATE", "CLA_RATE", "CIN_RATE")
# DQ_PASS_RATE counts the extract's records, and the test adds involvements (decoys, team-only) to every copy.
ADDED_RECORDS = ("DQ_PASS_RATE",)


def las_yml_supports_system() -> bool:
    from csc.las import LocalAuthority

    return "system" in LocalAuthority.model_fields


def configure_las(settings: Settings, path: Path) -> None:
    """An las.yml naming each LA's system. Until config/las.yml accepts `system:` (the loader's profile support),
    the LAs are listed without it and the registry's entries are given their system in this process, where the
    build refreshes the vocabularies (csc.quality.vocabulary reads `la.system`)."""
    entries = [{"code": code, "name": f"LA {code}", **({"system": system} if las_yml_supports_system() else {})}
               for code, (system, _) in LAS.items()]
    path.write_text(yaml.safe_dump({"las": entries}), encoding="utf-8")
    if not las_yml_supports_system():
        registry = la_registry(path)
        for code, (system, _) in LAS.items():
            la = registry.get(code)
            object.__setattr__(la, "system", system)  # the LocalAuthority is frozen: set as the loader will
    assert [getattr(la, "system", None) for la in la_registry(path)] == [s for s, _ in LAS.values()]


def land_copy(settings: Settings, extract_dir: Path, la_code: str, truth_dir: Path) -> int:
    from csc.ingest import load_extract

    landed = settings.landing_dir / la_code / AS_OF.isoformat()
    landed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(extract_dir, landed)
    manifest_path = landed / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["la_code"], manifest["la_name"] = la_code, f"LA {la_code}"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    result = load_extract(landed, settings)
    assert result.status == "loaded", result
    record_dq_findings(settings, result.batch_id, truth_dir / "faults.csv")
    return result.batch_id


def rewrite_in_profile(conn: psycopg.Connection, batch_id: int, system: str, with_flag: bool) -> dict[str, int]:
    """Rewrite the batch's raw values of every vocabulary into ``system``'s: each value's generic meaning, as the
    profile writes it. Returns the values rewritten per concept."""
    generic, profile = load_profile("generic"), load_profile(system)
    rewritten = {}
    for concept, vocabulary in profile.vocabularies.items():
        source = generic.vocabulary(concept)
        assert source.column == vocabulary.column
        table, column = vocabulary.table, vocabulary.column_name
        values = [v for (v,) in conn.execute(
            f"select distinct {column} from raw.{table} where _batch_id = %s and {column} is not null", (batch_id,))]
        count = 0
        for value in values:
            meaning = source.translate(value)
            if meaning is None:
                continue
            written = vocabulary.render(meaning)
            assert vocabulary.translate(written) == meaning, (system, concept, value, written)
            if written != value:
                count += conn.execute(f"update raw.{table} set {column} = %s where _batch_id = %s and {column} = %s",
                                      (written, batch_id, value)).rowcount
        rewritten[concept] = count
    role = profile.vocabulary("involvement_role")
    allocated = role.render("allocated_case_worker")
    if with_flag:
        flag = profile.allocation.flag_column
        conn.execute(f"update raw.ssd_involvements set _extra = jsonb_build_object('{flag}', "
                     "case when invo_professional_role_id = %s then 'Y' else 'N' end) where _batch_id = %s",
                     (allocated, batch_id))
        # decoys: every child allocated since 2000 to the busiest allocated worker, as CW not confirmed by the flag
        conn.execute(
            "insert into raw.ssd_involvements (_batch_id, _line_no, invo_involvements_id, invo_professional_id, "
            "invo_professional_role_id, invo_professional_team, invo_involvement_start_date, invo_person_id, _extra) "
            "select _batch_id, _line_no + 100000, 'DECOY-' || pers_person_id, busiest.worker, %s, null, "
            f"'2000-01-01', pers_person_id, jsonb_build_object('{flag}', 'N') "
            "from raw.ssd_person, (select invo_professional_id as worker from raw.ssd_involvements "
            "                      where _batch_id = %s and invo_professional_role_id = %s "
            "                      group by 1 order by count(*) desc, 1 limit 1) busiest "
            "where _batch_id = %s",
            (allocated, batch_id, allocated, batch_id))
    # team-only involvements in the allocated role for every child: the case is held by a team, no worker
    conn.execute(
        "insert into raw.ssd_involvements (_batch_id, _line_no, invo_involvements_id, invo_professional_id, "
        "invo_professional_role_id, invo_professional_team, invo_involvement_start_date, invo_person_id, _extra) "
        "select _batch_id, _line_no + 200000, 'TEAM-' || pers_person_id, null, %s, null, '2000-01-01', "
        "pers_person_id, %s::jsonb from raw.ssd_person where _batch_id = %s",
        (allocated, json.dumps({profile.allocation.flag_column: "Y"}) if with_flag else None, batch_id))
    return rewritten


@pytest.fixture(scope="module")
def built(dbt_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    from csc_synthetic import generate

    work = tmp_path_factory.mktemp("profiles")
    settings = dbt_settings.model_copy(update={"las_config": work / "las.yml"})
    configure_las(settings, settings.las_config)
    night = generate(GENERATED_LA, "tiny", 1, AS_OF, work / "generated", faults="default").nights[0]
    batches, rewritten = {}, {}
    for code, (system, with_flag) in LAS.items():
        batches[code] = land_copy(settings, night.extract_dir, code, night.truth_dir)
        with connect(settings) as conn:
            rewritten[code] = rewrite_in_profile(conn, batches[code], system, with_flag) if system != "generic" \
                else {}
            conn.commit()
    result = build(settings, exclude=["test_type:unit"])
    assert result.ok, result.summary()
    return {"settings": settings, "truth": night.truth_dir, "batches": batches, "rewritten": rewritten}


def test_the_rewrite_changed_what_each_profile_writes_differently(built):
    rewritten = built["rewritten"]
    assert rewritten["901"]["involvement_role"] > 0 and rewritten["921"]["involvement_role"] > 0
    assert rewritten["922"]["involvement_role"] > 0
    for concept in ("legal_status", "care_start_reason", "cp_initial_category"):
        assert rewritten["901"][concept] > 0, f"systemc writes {concept} as descriptions"


def test_batches_are_read_with_their_las_profile(built):
    with connect(built["settings"]) as conn:
        rows = dict(conn.execute(
            "select la_code, (system_profile, has_allocation_flag, is_allocation_approximated)::text "
            "from staging.stg_ops__build_batches").fetchall())
    assert rows == {"901": "(systemc,t,f)", "921": "(mosaic,f,f)", "922": "(eclipse,f,f)",
                    "923": "(systemc,f,t)", "924": "(generic,f,f)"}


def test_every_indicator_equals_the_truth_under_every_profile(built):
    truth = read_truth_indicators(built["truth"] / "indicators.csv")
    with connect(built["settings"]) as conn:
        for code in LAS:
            left_out = ADDED_RECORDS + (() if code == GENERATED_LA else RATES)
            actual = {k: v for k, v in warehouse_indicators(conn, "marts__next", code).items()
                      if k[1] not in left_out}
            expected = {(code, *k[1:]): v for k, v in truth.items() if k[1] not in left_out}
            differences = indicator_differences(expected, actual)
            assert not differences, f"LA {code} ({LAS[code][0]}): {len(differences)} differences:\n" + \
                "\n".join(differences[:30])


def test_unallocated_children_equal_the_generic_ones_child_by_child_on_every_date(built):
    """On every reporting date (every month end of the history, and the extract date), the unallocated children
    are the same children under every profile, and as many as the truth's UNALLOCATED; the casework list of the
    extract date is the same list."""
    truth = read_truth_indicators(built["truth"] / "indicators.csv")
    truth_counts = {k[4]: int(v[0]) for k, v in truth.items() if k[1] == "UNALLOCATED" and k[2] in ("month", "day")}
    with connect(built["settings"]) as conn:
        children = {code: set(conn.execute(
            "select as_at_date::text, child_key from intermediate.int_unallocated_children_as_at "
            "where la_code = %s", (code,)).fetchall()) for code in LAS}
        lists = {code: set(conn.execute(
            "select child_key from casework__next.unallocated_cases where la_code = %s", (code,)).fetchall())
            for code in LAS}
    generic = children["924"]
    assert sum(truth_counts.values()) >= 10, "the history has unallocated children to compare"
    counted = {day: sum(1 for d, _ in generic if d == day) for day in truth_counts}
    assert counted == truth_counts
    for code in LAS:
        assert children[code] == generic, (
            f"LA {code} ({LAS[code][0]}): missing {sorted(generic - children[code])[:5]}, "
            f"unexpected {sorted(children[code] - generic)[:5]}")
        assert lists[code] == lists["924"], f"LA {code} ({LAS[code][0]}): the casework list differs"
