"""Issue 16 item 1: a corrected extract can be re-delivered for the same night.

Two LAs before their first publication, as the outside testing found them:
- LA 999's night is blocked (extracts dated after the night: STR_DATE_NOT_FUTURE); its corrected extract for the
  same night is loaded, replaces the blocked batch, and passes the checks, FRESH_EXPECTED_NIGHT included, with the
  night expected.
- LA 901's night is checked (with warnings) but not yet published when a corrected extract arrives: the candidate is
  replaced and the correction passes the checks.
Both corrections are then built by dbt and published; the replaced batches are ``replaced`` (never published) and
count as published nowhere (freshness, backfill's "night done")."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from csc.ingest import load_extract
from csc.orchestration.backfill import night_done
from csc.quality import run_checks
from csc.settings import Settings
from csc.transform import build, publish
from csc.warehouse.bootstrap import ANALYST
from csc.warehouse.connection import connect

pytestmark = [
    pytest.mark.integration,
    # Great Expectations' imports (the real checks run here), as in tests/integration/quality/dq_helpers.py
    pytest.mark.filterwarnings(r"ignore:module 'sre_constants' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:module 'sre_parse' is deprecated:DeprecationWarning"),
]

NIGHT = date(2026, 9, 30)


def deliver(settings: Settings, work: Path, la_code: str, faults: str) -> int:
    """Generate the LA's extract of NIGHT (same seed: a correction differs only by its faults), land it, load it."""
    from csc_synthetic import generate

    out = work / f"{la_code}-{Path(faults).stem}"
    night = generate(la_code, "tiny", 1, NIGHT, out, faults=faults).nights[0]
    landed = settings.landing_dir / la_code / NIGHT.isoformat()
    landed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(night.extract_dir, landed)
    result = load_extract(landed, settings)
    assert result.status == "loaded", result.message
    return result.batch_id


def statuses(settings: Settings) -> dict[int, str]:
    with connect(settings) as conn:
        return dict(conn.execute("select batch_id, status from ops.extract_batches").fetchall())


def freshness(settings: Settings, dq_run_id: int) -> str:
    with connect(settings) as conn:
        return conn.execute("select status from ops.dq_results where dq_run_id = %s "
                            "and rule_id = 'FRESH_EXPECTED_NIGHT'", (dq_run_id,)).fetchone()[0]


@pytest.fixture(scope="module")
def redelivered(dbt_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    settings = dbt_settings
    work = tmp_path_factory.mktemp("redelivered")
    blocking, warnings = work / "blocking.yml", work / "warnings.yml"
    blocking.write_text("rates:\n  future_date: 0.003\n")
    warnings.write_text("rates:\n  end_before_start: 0.05\n  event_before_birth: 0.05\n  duplicate_person: 0.05\n")

    blocked_batch = deliver(settings, work, "999", str(blocking))
    blocked = run_checks(blocked_batch, settings, expected_extract_date=NIGHT, send_alerts=False)
    candidate_batch = deliver(settings, work, "901", str(warnings))
    candidate = run_checks(candidate_batch, settings, expected_extract_date=NIGHT, send_alerts=False)

    corrected_batch = deliver(settings, work, "999", "none")
    done_before = night_done(settings, "999", NIGHT)
    corrected = run_checks(corrected_batch, settings, expected_extract_date=NIGHT, send_alerts=False)
    replacement_batch = deliver(settings, work, "901", "none")
    replacement = run_checks(replacement_batch, settings, expected_extract_date=NIGHT, send_alerts=False)

    built = build(settings)
    published = publish(settings)
    return {"settings": settings, "blocked": blocked, "candidate": candidate, "corrected": corrected,
            "replacement": replacement, "built": built, "published": published, "done_before": done_before}


def test_the_first_deliveries_are_blocked_and_checked(redelivered):
    blocked, candidate = redelivered["blocked"], redelivered["candidate"]
    assert blocked.outcome == "block"
    assert any(r.startswith("STR_DATE_NOT_FUTURE") for r in blocked.blocking_rules), blocked.blocking_rules
    assert candidate.outcome == "warn" and candidate.warning_rules


def test_the_corrected_extract_of_a_blocked_night_passes_freshness(redelivered):
    corrected = redelivered["corrected"]
    assert freshness(redelivered["settings"], corrected.dq_run_id) == "pass"
    assert corrected.outcome in ("pass", "warn"), corrected.blocking_rules


def test_the_correction_of_an_unpublished_candidate_passes_freshness(redelivered):
    replacement = redelivered["replacement"]
    assert freshness(redelivered["settings"], replacement.dq_run_id) == "pass"
    assert replacement.outcome in ("pass", "warn"), replacement.blocking_rules


def test_the_corrections_build_and_publish(redelivered):
    settings = redelivered["settings"]
    corrected, replacement = redelivered["corrected"], redelivered["replacement"]
    assert redelivered["built"].ok
    assert sorted(redelivered["published"].published_batches) == sorted([corrected.batch_id,
                                                                        replacement.batch_id])
    assert redelivered["published"].superseded_batches == []
    assert statuses(settings) == {
        redelivered["blocked"].batch_id: "replaced", redelivered["candidate"].batch_id: "replaced",
        corrected.batch_id: "published", replacement.batch_id: "published"}
    with connect(settings, role=ANALYST) as conn:
        days = conn.execute("select la_code, extract_date, count(*) from marts.indicator_daily "
                            "group by 1, 2 order by 1").fetchall()
    assert [(la, d) for la, d, _ in days] == [("901", NIGHT), ("999", NIGHT)]


def test_a_replaced_batch_does_not_make_the_night_done(redelivered):
    assert redelivered["done_before"] is None
    assert night_done(redelivered["settings"], "999", NIGHT) == \
        f"already done (batch {redelivered['corrected'].batch_id}, published)"
