"""Generated extracts rewritten into a source-system profile's vocabulary, for the profile tests: each value's
generic meaning as the profile writes it (include/csc/contract/profiles), and the LA's `system` configured."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import psycopg
import yaml

from csc.contract.profiles import load_profile
from csc.las import la_registry
from csc.settings import Settings

from dbt_extracts import record_dq_findings


def configure_las(path: Path, systems: dict[str, str], dialects: dict[str, str] | None = None,
                  populations: dict[str, Path] | None = None) -> None:
    """An las.yml naming each LA's source system (`system:`) and, where given, its export dialect (`export:`) and
    its population file (`population:`, e.g. the generator's truth/<la>/<date>/population.csv: the seed describes a
    synthetic LA at its configured size only)."""
    dialects, populations = dialects or {}, populations or {}
    entries = [{"code": code, "name": f"LA {code}", "system": system,
                **({"export": {"dialect": dialects[code]}} if code in dialects else {}),
                **({"population": str(populations[code])} if code in populations else {})}
               for code, system in systems.items()]
    path.write_text(yaml.safe_dump({"las": entries}), encoding="utf-8")
    assert [la.system for la in la_registry(path)] == list(systems.values())


def land_copy(settings: Settings, extract_dir: Path, la_code: str, as_of: date, truth_dir: Path | None) -> int:
    """Load a copy of a generated extract as LA ``la_code``; with ``truth_dir``, its faults are recorded as the
    batch's findings and the batch is marked checked (as dbt_extracts.land_extract does)."""
    from csc.ingest import load_extract

    landed = settings.landing_dir / la_code / as_of.isoformat()
    landed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(extract_dir, landed)
    manifest_path = landed / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["la_code"], manifest["la_name"] = la_code, f"LA {la_code}"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    result = load_extract(landed, settings)
    assert result.status == "loaded", result
    if truth_dir is not None:
        record_dq_findings(settings, result.batch_id, truth_dir / "faults.csv")
    return result.batch_id


def rewrite_in_profile(conn: psycopg.Connection, batch_id: int, system: str, with_flag: bool, *,
                       team_only: bool = True, decoys: str = "insert") -> dict[str, int]:
    """Rewrite the batch's raw values of every vocabulary into ``system``'s: each value's generic meaning, as the
    profile writes it. ``with_flag``: the profile's allocation flag as an extra column (Y on the allocated workers),
    and decoy allocations with flag N: one for every child (``decoys="insert"``), or the team managers'
    involvements turned into them (``decoys="convert"``: no row is added, so the manifest's counts still hold).
    ``team_only``: a team-only involvement in the allocated
    role (no professional), open since 2000, for every child. Returns the values rewritten per concept."""
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
        if decoys == "convert":
            # decoys in place (the manifest's counts hold): the team managers' involvements, which cover the
            # generator's allocation gaps, become CW involvements the flag does not confirm
            conn.execute(f"update raw.ssd_involvements set invo_professional_role_id = %s, "
                         f"_extra = jsonb_build_object('{flag}', 'N') "
                         "where _batch_id = %s and invo_professional_role_id = %s",
                         (allocated, batch_id, role.render("team_manager")))
        else:
            # decoys: every child allocated since 2000 to the busiest allocated worker, as CW not confirmed by the flag
            conn.execute(
                "insert into raw.ssd_involvements (_batch_id, _line_no, invo_involvements_id, invo_professional_id, "
                "invo_professional_role_id, invo_professional_team, invo_involvement_start_date, invo_person_id, "
                "_extra) select _batch_id, _line_no + 100000, 'DECOY-' || pers_person_id, busiest.worker, %s, null, "
                f"'2000-01-01', pers_person_id, jsonb_build_object('{flag}', 'N') "
                "from raw.ssd_person, (select invo_professional_id as worker from raw.ssd_involvements "
                "                      where _batch_id = %s and invo_professional_role_id = %s "
                "                      group by 1 order by count(*) desc, 1 limit 1) busiest "
                "where _batch_id = %s",
                (allocated, batch_id, allocated, batch_id))
    if not team_only:
        return rewritten
    # team-only involvements in the allocated role for every child: the case is held by a team, no worker
    conn.execute(
        "insert into raw.ssd_involvements (_batch_id, _line_no, invo_involvements_id, invo_professional_id, "
        "invo_professional_role_id, invo_professional_team, invo_involvement_start_date, invo_person_id, _extra) "
        "select _batch_id, _line_no + 200000, 'TEAM-' || pers_person_id, null, %s, null, '2000-01-01', "
        "pers_person_id, %s::jsonb from raw.ssd_person where _batch_id = %s",
        (allocated, json.dumps({profile.allocation.flag_column: "Y"}) if with_flag else None, batch_id))
    return rewritten


def write_worker_columns(conn: psycopg.Connection, batch_id: int, system: str) -> int:
    """Write the profile's worker columns as the system does: the worker's name or staff id (ssd_professionals)
    instead of the professional id. Returns the values rewritten."""
    written = 0
    for qualified, kind in load_profile(system).worker_columns.items():
        table, column = qualified.split(".", 1)
        source = "prof_professional_name" if kind == "name" else "prof_staff_id"
        written += conn.execute(
            f"update raw.{table} t set {column} = p.{source} from raw.ssd_professionals p "
            f"where p._batch_id = t._batch_id and t._batch_id = %s and p.prof_professional_id = t.{column} "
            f"and p.{source} is not null", (batch_id,)).rowcount
    return written
