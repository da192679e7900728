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

from datetime import date

import pytest

from csc.settings import Settings
from csc.transform import build
from csc.warehouse.connection import connect

from dbt_truth import indicator_differences, read_truth_indicators, warehouse_indicators
from profile_extracts import configure_las, land_copy, rewrite_in_profile, write_worker_columns

pytestmark = [pytest.mark.integration]

AS_OF = date(2026, 9, 30)
GENERATED_LA = "901"
LAS = {"901": ("systemc", True), "921": ("mosaic", False), "922": ("eclipse", False),
       "923": ("systemc", False), "924": ("generic", False)}
RATES = ("REF_RATE", "S47_RATE", "CPP_RATE", "CLA_RATE", "CIN_RATE")
# DQ_PASS_RATE counts the extract's records, and the test adds involvements (decoys, team-only) to every copy.
ADDED_RECORDS = ("DQ_PASS_RATE",)


@pytest.fixture(scope="module")
def built(dbt_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    from csc_synthetic import generate

    work = tmp_path_factory.mktemp("profiles")
    settings = dbt_settings.model_copy(update={"las_config": work / "las.yml"})
    configure_las(settings.las_config, {code: system for code, (system, _) in LAS.items()})
    night = generate(GENERATED_LA, "tiny", 1, AS_OF, work / "generated", faults="default").nights[0]
    batches, rewritten = {}, {}
    for code, (system, with_flag) in LAS.items():
        batches[code] = land_copy(settings, night.extract_dir, code, AS_OF, night.truth_dir)
        with connect(settings) as conn:
            rewritten[code] = rewrite_in_profile(conn, batches[code], system, with_flag) if system != "generic" \
                else {}
            if system != "generic":
                rewritten[code]["worker_columns"] = write_worker_columns(conn, batches[code], system)
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


def test_a_case_held_by_a_team_with_no_worker_is_listed_as_such(built):
    """Where the generic LA's child has no open allocation at all, every profile's copy holds the team-only
    involvement the test added: the casework list gives the reason as the team holding the case, not as a worker
    missing from the HR extract (there is no worker)."""
    with connect(built["settings"]) as conn:
        reasons = {code: dict(conn.execute(
            "select child_key, reason_unallocated from casework__next.unallocated_cases where la_code = %s",
            (code,)).fetchall()) for code in LAS}
    without = [child for child, reason in reasons["924"].items() if reason == "no open allocation"]
    assert without, "the generic LA has children with no open allocation to compare"
    for code in set(LAS) - {"924"}:
        assert {reasons[code][child] for child in without} == {"held by a team with no worker"}, code


def test_worker_names_and_staff_ids_are_matched_to_the_professional(built):
    """SystemC's worker columns hold names and staff ids: staging keys them to the professional they name, as the
    generic extract's professional ids are keyed (where the name or staff id names exactly one professional)."""
    assert built["rewritten"]["901"]["worker_columns"] > 0
    with connect(built["settings"]) as conn:
        for model, id_column in (("stg_ssd__cin_episodes", "referral_id"), ("stg_ssd__s47_enquiry", "s47_enquiry_id"),
                                 ("stg_ssd__cin_assessments", "assessment_id")):
            keys = {code: dict(conn.execute(f"select {id_column}, worker_key from staging.{model} "
                                            "where la_code = %s", (code,)).fetchall()) for code in ("901", "924")}
            same = sum(1 for k, v in keys["901"].items() if v is not None and keys["924"].get(k) == v)
            assert keys["924"] and same >= 0.9 * sum(1 for v in keys["924"].values() if v is not None), model
