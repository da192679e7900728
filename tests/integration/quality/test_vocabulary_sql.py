"""The vocabularies in the warehouse mean what the profiles say: ``ops.vocabulary_target`` (read by the checks; dbt's
map_vocabulary macro runs the same two lookups on the same rows) gives, for a batch, exactly what
``Vocabulary.translate`` of the batch's LA's profile (with the LA's `vocabulary:` overrides) gives, for every known
value and for variants (case, spacing, prefix2 lookup ids, unknown values); a batch is read with its LA's profile,
and a batch of an LA that is not configured with the generic one."""

from __future__ import annotations

from datetime import date

import pytest

from csc.contract.profiles import available_systems, load_profile
from csc.las import la_registry
from csc.quality.vocabulary import ANY_LA, refresh_vocabularies
from csc.settings import Settings
from csc.warehouse.connection import connect

pytestmark = [pytest.mark.integration]

OVERRIDES = {"involvement_role": {"map": {"SW1": "allocated_case_worker"}},
             "referral_source": {"map": {"LOOKUP 77": "5D"}}}


def batch(conn, la_code: str) -> int:
    return conn.execute(
        "insert into ops.extract_batches (la_code, extract_date, extracted_at, content_sha256, landing_path, status) "
        "values (%s, %s, now(), md5(random()::text), '/nowhere', 'loaded') returning batch_id",
        (la_code, date(2026, 9, 30))).fetchone()[0]


def variants(value: str) -> list[str]:
    return [value, value.lower(), f"  {value} ", value.replace(" ", "  "), f"{value}0042", f"{value[:2]} x", "??"]


@pytest.fixture(scope="module")
def warehouse(module_settings: Settings) -> tuple[Settings, dict[str, int]]:
    # The LAs of the module's las.yml (999, 903) read as systemc (999, with overrides) and mosaic (903), set as the
    # loader's profile support sets them from config/las.yml `system:` and `vocabulary:`.
    registry = la_registry(module_settings)
    object.__setattr__(registry.get("999"), "system", "systemc")
    object.__setattr__(registry.get("999"), "vocabulary", OVERRIDES)
    object.__setattr__(registry.get("903"), "system", "mosaic")
    with connect(module_settings) as conn:
        counts = refresh_vocabularies(conn, module_settings)
        batches = {code: batch(conn, code) for code in ("999", "903", "777")}
        conn.commit()
    assert set(counts) == {"999", "903", ANY_LA}
    return module_settings, batches


@pytest.mark.parametrize(("la_code", "system", "overrides"), [
    ("999", "systemc", OVERRIDES), ("903", "mosaic", None), ("777", "generic", None)])
def test_sql_lookup_equals_the_profile_translation(warehouse, la_code, system, overrides):
    settings, batches = warehouse
    profile = load_profile(system).with_vocabulary(overrides)
    cases = []
    for concept, vocabulary in profile.vocabularies.items():
        values = set(vocabulary.entries()) | set(vocabulary.map) | {"Mystery", "LOOKUP 77", "SW1", "1A-99", "10"}
        for value in sorted(values):
            cases += [(concept, v, vocabulary.translate(v)) for v in variants(value)]
    with connect(settings) as conn:
        assert conn.execute("select ops.batch_system(%s)", (batches[la_code],)).fetchone()[0] == system
        got = conn.execute(
            "select ops.vocabulary_target(%s, c.concept, c.value) from unnest(%s::text[], %s::text[]) "
            "with ordinality as c(concept, value, n) order by n",
            (batches[la_code], [c for c, _, _ in cases], [v for _, v, _ in cases])).fetchall()
    differences = [(c, v, want, have) for (c, v, want), (have,) in zip(cases, got, strict=True) if want != have]
    assert len(cases) > 500
    assert not differences, differences[:20]


def test_overrides_apply_to_the_la_only_and_every_profile_is_kept(warehouse):
    settings, batches = warehouse
    with connect(settings) as conn:
        rows = set(conn.execute("select la_code, system from ops.la_source_systems").fetchall())
        assert rows == {(la, s) for la in ("999", "903", ANY_LA) for s in available_systems()}
        own = dict(conn.execute("select la_code, system from ops.la_source_systems where is_configured").fetchall())
        assert own == {"999": "systemc", "903": "mosaic", ANY_LA: "generic"}
        sw1 = dict(conn.execute("select la_code, target from ops.la_vocabulary where system = 'systemc' "
                                "and concept = 'involvement_role' and source_value = 'SW1'").fetchall())
        assert sw1 == {"999": "allocated_case_worker"}
        flags = conn.execute("select system, allocation_flag_column from ops.batch_source_systems "
                             "where batch_id = %s", (batches["999"],)).fetchall()
        assert flags == [("systemc", "is_allocated_cw_flag")]


def test_the_profile_the_loader_recorded_for_the_batch_wins(warehouse):
    settings, _ = warehouse
    with connect(settings) as conn:
        # the loader's profile support records it in ops.extract_batches.source_profile (migration 1201)
        conn.execute("alter table ops.extract_batches add column if not exists source_profile text")
        recorded = {code: batch(conn, code) for code in ("999", "777")}
        conn.execute("update ops.extract_batches set source_profile = 'mosaic' where batch_id = %s", (recorded["999"],))
        conn.execute("update ops.extract_batches set source_profile = 'Eclipse ' where batch_id = %s",
                     (recorded["777"],))
        systems = {code: conn.execute("select ops.batch_system(%s)", (b,)).fetchone()[0]
                   for code, b in recorded.items()}
        # LA 999's own vocabulary: entries apply under the recorded profile too
        sw1 = conn.execute("select ops.vocabulary_target(%s, 'involvement_role', 'sw1')", (recorded["999"],)).fetchone()
        conn.rollback()
    assert systems == {"999": "mosaic", "777": "eclipse"}
    assert sw1 == ("allocated_case_worker",)
