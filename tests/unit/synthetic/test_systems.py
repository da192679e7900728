"""``csc generate --system``: the same simulated LA in each source system's conventions, in every dialect.

Each rendering is parsed back with the loader's own dialect reader (csc.ingest.dialects), the profile is undone with
the profile's own maps (renames, ``translate``, worker columns, allocation rule), and the result is compared with
the generic rendering cell for cell. The truth files do not depend on the rendering.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csc.contract import Table
from csc.contract.profiles import Profile, load_profile
from csc.ingest.dialects import DialectStream, dialect, typed_kinds
from csc_synthetic import _write_night, generate, postcodes, snapshot, systems, world
from csc_synthetic import faults as fault_catalogue
from csc_synthetic import nights as night_changes
from csc_synthetic.config import load_config
from csc_synthetic.context import Context
from csc_synthetic.full_ssd import extra_tables, simulated_contract
from csc_synthetic.render import Rendering

from .conftest import AS_OF

pytestmark = pytest.mark.unit

SYSTEMS = ("systemc", "mosaic", "eclipse")
DIALECTS = ("csv", "ssms", "bcp")
GUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")


@dataclass
class Night:
    ctx: Context
    injected: fault_catalogue.Injected
    night: np.datetime64

    def write(self, out: Path, rendering: Rendering, night: np.datetime64 | None = None) -> Path:
        rendering.check(False)
        result = _write_night(self.ctx, simulated_contract(), self.injected.tables, self.injected,
                              night if night is not None else self.night, out, False, rendering)
        return result.extract_dir


@pytest.fixture(scope="module")
def tinyshire() -> Night:
    """One night of Tinyshire with the default faults, simulated once and rendered many ways."""
    config = load_config()
    la = config.la("901")
    ctx = Context(config=config, la=la, size=config.size(la.size), seed=7, as_of=np.datetime64(AS_OF, "D"),
                  nights=1)
    simulated = world.build(ctx, lambda message: None)
    night = ctx.night_dates[0]
    tables = night_changes.corrections(ctx, snapshot.take(ctx, simulated, night), night)
    plan = fault_catalogue.plan_from("default", config)
    injected = fault_catalogue.inject(ctx, plan, tables, night, last_night=False, previous_rows=None)
    return Night(ctx, injected, night)


@pytest.fixture(scope="module")
def generic(tinyshire, tmp_path_factory) -> dict[str, pd.DataFrame]:
    folder = tinyshire.write(tmp_path_factory.mktemp("generic"), Rendering())
    return {t.name: read(folder / t.file_name, "csv") for t in simulated_contract()}


def read(path: Path, dialect_name: str, columns: tuple[str, ...] | None = None, shape: Table | None = None
         ) -> pd.DataFrame:
    """A file as the loader reads it (DialectStream: UTF-16, NULL, NUL, no header, typed bcp fields checked)."""
    data = path.read_bytes()
    if dialect_name == "csv" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-8")
    else:
        kinds = typed_kinds(shape, columns) if shape is not None and columns else None
        stream = DialectStream(io.BytesIO(data), dialect(dialect_name), path.name, columns or (), "utf-8",
                               kinds=kinds)
        text = b"".join(iter(lambda: stream.read(1 << 16), b"")).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return pd.DataFrame(rows[1:], columns=rows[0], dtype=object)


def minutes(value: str) -> str:
    """Any date form the renderings write, to the minute (CAST(datetime AS varchar) has no seconds)."""
    if not value:
        return ""
    for form in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%b %d %Y %I:%M%p"):
        try:
            return pd.to_datetime(re.sub(r"\s+", " ", value), format=form).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            continue
    raise AssertionError(f"unparseable date {value!r}")


def unquoted(value: str) -> str:
    """What an unquoted export writes for a value with a line break or a tab (README: one space each)."""
    return value.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")


def undo(system_files: dict[str, pd.DataFrame], generic: dict[str, pd.DataFrame], profile: Profile,
         dialect_name: str) -> None:
    """Undo the profile on every contract table and compare with the generic rendering, cell for cell."""
    base = load_profile("generic")
    professionals = generic["ssd_professionals"].set_index("prof_professional_id")
    for table in simulated_contract():
        rendered = system_files[table.name].rename(columns=profile.renames_for(table.name))
        expected = generic[table.name]
        assert len(rendered) == len(expected), table.name
        for column in table.columns:
            name = column.name
            if profile.is_absent(table.name, name):
                assert name not in rendered.columns, f"{table.name}.{name} is absent in {profile.name}"
                continue
            got = rendered[name].fillna("")
            want = expected[name].fillna("")
            if dialect_name != "csv":
                want = want.map(unquoted)
            if column.type == "datetime":
                got, want = got.map(minutes), want.map(minutes)
            kind = profile.worker_columns.get(f"{table.name}.{name}")
            vocabulary = next((v for v in profile.vocabularies_for(table.name) if v.column_name == name), None)
            if kind is not None:
                source = "prof_professional_name" if kind == "name" else "prof_staff_id"
                want = want.map(lambda v, s=source: professionals[s].get(v, v) if v else v)
            elif vocabulary is not None and vocabulary.concept != "involvement_role":
                generic_vocabulary = base.vocabulary(vocabulary.concept)
                got = got.map(lambda v, voc=vocabulary: voc.translate(v) or v)
                want = want.map(lambda v, voc=generic_vocabulary: voc.translate(v) or v)
            if (table.name, name) in SPECIAL:
                SPECIAL[(table.name, name)](got, want, rendered, expected, profile)
                continue
            mismatched = got.to_numpy() != want.to_numpy()
            assert not mismatched.any(), (
                f"{profile.name} {dialect_name} {table.name}.{name}: {got[mismatched].head(3).tolist()} != "
                f"{want[mismatched].head(3).tolist()}")


def _roles(got, want, rendered, expected, profile):
    """Roles mean the same; the allocated rows under the profile's rule are the generic allocations, row by row."""
    ours = profile.vocabulary("involvement_role")
    theirs = load_profile("generic").vocabulary("involvement_role")
    got_role = got.map(lambda v: ours.translate(v) or v)
    want_role = want.map(lambda v: theirs.translate(v) or v)
    professional = rendered["invo_professional_id"].fillna("")
    flag = rendered.get(profile.allocation.flag_column or "", pd.Series("Y", index=rendered.index)).fillna("")
    allocated = (got_role == "allocated_case_worker") & (professional != "") & (flag == "Y")
    assert (allocated.to_numpy() == (want_role == "allocated_case_worker").to_numpy()).all()
    changed = (got_role != want_role).to_numpy()
    assert (want_role[changed] == "team_manager").all()  # team-held spells, written as the system writes them


def _professional(got, want, rendered, expected, profile):
    blank = (got == "").to_numpy() & (want != "").to_numpy()
    assert (got.to_numpy()[~blank] == want.to_numpy()[~blank]).all()
    role = load_profile("generic").vocabulary("involvement_role")
    assert (expected["invo_professional_role_id"][blank].map(role.translate) == "team_manager").all()


def _newid(got, want, rendered, expected, profile):
    if profile.name != "systemc":
        assert (got.to_numpy() == want.to_numpy()).all()
        return
    assert got.map(lambda v: bool(GUID.match(v))).all()
    pairs = pd.DataFrame({"g": got.to_numpy(), "w": want.to_numpy()}).drop_duplicates()
    assert pairs["g"].is_unique and pairs["w"].is_unique  # one new key per key: duplicates stay duplicates


def _factors_key(got, want, rendered, expected, profile):
    if profile.name == "mosaic":
        assert (got == "").all()
    else:
        assert (got.to_numpy() == want.to_numpy()).all()


def _link(got, want, rendered, expected, profile):
    """A contract column Mosaic reaches the child through (``invo_referral_id``, ``cppv_cp_plan_id``,
    ``clap_cla_id``): other systems write it as it is; Mosaic changes it only to make the derivation give the
    generic child back (checked in ``derivations_give_the_child_back``)."""
    if profile.name != "mosaic":
        assert (got.to_numpy() == want.to_numpy()).all()


def derivations_give_the_child_back(files: dict[str, pd.DataFrame], generic: dict[str, pd.DataFrame],
                                    profile: Profile, carried: systems.Carried) -> int:
    """Every derived column (Mosaic's person ids, absent from its files) of a table the product reads by child
    (``systems.RELINKED``, and the CIN visits' added link), read through the rendered link, gives the generic
    rendering's child where that child is in a record of the lookup table and the system's rule links the row to
    one (``carried.no_child`` lists the rows it cannot: Mosaic's involvement that no referral of its child covers);
    otherwise no child at all (the generic value is an injected orphan id: that child is no one), and none where
    the generic link itself names no record (an orphaned ``clap_cla_id``: the row's own fault). A link is only
    changed where it was blank, where its record names another child, or names none while the generic child is no
    one. Returns the rows whose link was changed."""
    changed = 0
    people = set(generic["ssd_person"]["pers_person_id"]) - {""}
    for qualified, derivation in profile.derived_columns.items():
        table, column = qualified.split(".", 1)
        link, target_key = derivation.via
        if table not in systems.RELINKED and link in generic[table].columns:
            continue  # read by its own record (a CP review by its plan), not by child
        lookup = files[derivation.lookup]
        child_of = lookup.drop_duplicates(target_key, keep="last").set_index(target_key)[derivation.take]
        derived = files[table][link].map(child_of).fillna("").to_numpy()
        want = generic[table][column].fillna("").to_numpy()
        known = pd.Series(want).isin(set(lookup[derivation.take])).to_numpy()
        if link in generic[table].columns:
            before = generic[table][link].fillna("")
            own_fault = ((before != "") & ~before.isin(set(lookup[target_key]))).to_numpy()
            moved = files[table][link].fillna("").to_numpy() != before.to_numpy()
            was = before[moved].map(child_of).fillna("").to_numpy()
            assert (was[before[moved] != ""] != want[moved][before[moved] != ""]).all(), (
                f"{qualified}: a link to the child's own record was changed")
            assert (derived[own_fault] == "").all(), qualified
            known = known & ~own_fault
            changed += int(moved.sum())
        lost = carried.no_child.get(table, np.zeros(len(want), dtype=bool))
        assert (derived[lost] == "").all(), qualified
        known = known & ~lost
        assert (derived[known] == want[known]).all(), qualified
        assert not pd.Series(derived[~known]).isin(people).any(), qualified
    return changed


SPECIAL = {("ssd_involvements", "invo_professional_role_id"): _roles,
           ("ssd_involvements", "invo_professional_id"): _professional,
           ("ssd_care_leavers", "clea_table_id"): _newid,
           ("ssd_assessment_factors", "cinf_table_id"): _factors_key,
           ("ssd_involvements", "invo_referral_id"): _link,
           ("ssd_cp_visits", "cppv_cp_plan_id"): _link,
           ("ssd_cla_placement", "clap_cla_id"): _link}


@pytest.mark.parametrize("dialect_name", DIALECTS)
@pytest.mark.parametrize("system", SYSTEMS)
def test_every_system_and_dialect_undoes_to_the_generic_rendering(tinyshire, generic, system, dialect_name,
                                                                     tmp_path):
    profile = load_profile(system)
    utf16 = dialect_name == "bcp" or (dialect_name == "ssms" and system == "mosaic")
    rendering = Rendering(dialect=dialect_name, system=system, encoding="utf-16" if utf16 else None,
                          datetime_style="sqlserver-text" if dialect_name != "csv" else "iso")
    folder = tinyshire.write(tmp_path / "out", rendering)
    headers = tinyshire.write(tmp_path / "headers", Rendering(system=system))  # the same columns, with a header
    files = {}
    for table in simulated_contract():
        columns = tuple(next(csv.reader(io.StringIO((headers / table.file_name).read_text("utf-8")))))
        shape = _shape(table, columns, profile)
        files[table.name] = read(folder / table.file_name, dialect_name, columns, shape)
        assert tuple(files[table.name].columns) == columns
    undo(files, generic, profile, dialect_name)
    if system == "mosaic":
        visits, episodes = files["ssd_cin_visits"], files["ssd_cin_episodes"]
        person = episodes.set_index("cine_referral_id")["cine_person_id"]
        derived = visits["cinv_cin_plan_id"].map(person).fillna("")
        want = generic["ssd_cin_visits"]["cinv_person_id"]
        # a child no referral names (an orphan-id fault in cinv_person_id) cannot be linked: derived blank
        linkable = want.isin(set(generic["ssd_cin_episodes"]["cine_person_id"])).to_numpy()
        assert linkable.sum() > len(want) / 2
        assert (derived.to_numpy()[linkable] == want.to_numpy()[linkable]).all()
        assert (derived.to_numpy()[~linkable] == "").all()
        # an involvement whose referral an injected fault gave an orphan person id reaches its child through another
        # referral of the child (the tiny LA has one such involvement; leaving-care involvements get one too)
        carried = systems.carried(tinyshire.injected.tables, system)
        assert derivations_give_the_child_back(files, generic, profile, carried) > 0


def _shape(table: Table, columns: tuple[str, ...], profile: Profile) -> Table:
    renames = profile.renames_for(table.name)
    out = []
    for name in columns:
        contract_name = renames.get(name, name)
        if contract_name in table.column_names:
            out.append(table.column(contract_name).model_copy(update={"name": name}))
        else:
            out.append(table.columns[0].model_copy(update={"name": name, "type": "text", "code_list": None}))
    return table.model_copy(update={"columns": tuple(out)})


def test_systemc_writes_codes_names_team_only_involvements_and_the_allocation_flag(tinyshire, generic, tmp_path):
    folder = tinyshire.write(tmp_path, Rendering(system="systemc"))
    involvements = read(folder / "ssd_involvements.csv", "csv")
    assert "is_allocated_cw_flag" in involvements.columns
    cw = involvements["invo_professional_role_id"] == "CW"
    assert cw.sum() > 0 and not (involvements["invo_professional_role_id"] == "ALLOCATED CASE WORKER").any()
    team_only = cw & (involvements["invo_professional_id"] == "")
    assert team_only.any(), "no team-only involvement"
    assert (cw & (involvements["is_allocated_cw_flag"] == "N") & (involvements["invo_professional_id"] != "")).any()
    referrals = read(folder / "ssd_cin_episodes.csv", "csv")
    names = set(generic["ssd_professionals"]["prof_professional_name"])
    worker = referrals["cine_referral_worker_id"]
    named = worker[worker != ""].isin(names)
    assert named.mean() > 0.9  # an orphan-id fault stays an id no worker has
    source = referrals["cine_referral_source_code"]
    assert source[source != ""].str.match(r"^(\d{1,2}[A-F]?) - ").mean() > 0.9  # invalid-code faults stay as they are
    legal = read(folder / "ssd_legal_status.csv", "csv")["lega_legal_status"]
    assert legal.str.len().min() > 3  # descriptions, not codes
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["source_system"] == "systemc"
    without = tinyshire.write(tmp_path / "no_flag", Rendering(system="systemc", allocated_flag=False))
    involvements = read(without / "ssd_involvements.csv", "csv")
    assert "is_allocated_cw_flag" not in involvements.columns
    assert ((involvements["invo_professional_role_id"] == "CW") & (involvements["invo_professional_id"] == "")).any()


def test_systemc_keys_are_new_every_night(tinyshire, tmp_path):
    first = tinyshire.write(tmp_path / "a", Rendering(system="systemc"))
    again = tinyshire.write(tmp_path / "b", Rendering(system="systemc"))
    later = tinyshire.write(tmp_path / "c", Rendering(system="systemc"), tinyshire.night + np.timedelta64(1, "D"))
    for name, key in (("ssd_care_leavers", "clea_table_id"), ("ssd_send", "send_table_id"),
                      ("ssd_linked_identifiers", "link_table_id")):
        a, b, c = (read(folder / f"{name}.csv", "csv")[key] for folder in (first, again, later))
        assert len(a) and a.tolist() == b.tolist()  # deterministic
        assert not set(a) & set(c), f"{name}: keys kept from one night to the next"
    requests = read(first / "ssd_ehcp_requests.csv", "csv")["ehcr_send_table_id"]
    assert requests.isin(set(read(first / "ssd_send.csv", "csv")["send_table_id"])).all()


def test_full_ssd_tables_hold_the_v145_columns_and_rows_consistent_with_the_children(tinyshire, tmp_path):
    folder = tinyshire.write(tmp_path, Rendering(system="eclipse"))
    people = read(folder / "ssd_person.csv", "csv")
    person_ids = set(people["pers_person_id"])
    looked_after = set(read(folder / "ssd_cla_episodes.csv", "csv")["clae_person_id"]) & person_ids
    manifest = {f["name"] for f in json.loads((folder / "manifest.json").read_text())["files"]}
    for name, table in extra_tables().items():
        frame = read(folder / table.file_name, "csv")
        assert tuple(frame.columns) == tuple(table.column_names), name
        assert table.file_name in manifest
        for column in frame.columns:
            if column.endswith("_person_id") and column != "moth_childs_person_id":
                assert frame[column].isin(person_ids).all(), f"{name}.{column}"
    assert len(extra_tables()) == 23
    mothers = read(folder / "ssd_mother.csv", "csv")
    assert sorted(mothers["moth_person_id"]) == sorted(people.loc[people["pers_is_mother"] == "Y", "pers_person_id"])
    assert set(read(folder / "ssd_sdq_scores.csv", "csv")["csdq_person_id"]) <= looked_after
    health = set(read(folder / "ssd_cla_health.csv", "csv")["clah_person_id"])
    assert health and health <= looked_after
    addresses = read(folder / "ssd_address.csv", "csv")
    assert set(addresses["addr_person_id"]) == person_ids
    assert set(addresses["addr_address_postcode"]) <= set(postcodes.by_area()["E06000017"]), "real, in Rutland"
    send = read(folder / "ssd_send.csv", "csv")
    assert sorted(send["send_person_id"]) == sorted(people.loc[people["pers_send_flag"] == "Y", "pers_person_id"])
    contract_only = tinyshire.write(tmp_path / "contract", Rendering(system="eclipse", full_ssd=False))
    assert not (contract_only / "ssd_address.csv").exists()
    assert (Path(contract_only) / "ssd_person.csv").read_bytes() == (folder / "ssd_person.csv").read_bytes()


def test_generic_with_the_full_ssd_keeps_the_contract_files(tinyshire, tmp_path):
    plain = tinyshire.write(tmp_path / "plain", Rendering())
    full = tinyshire.write(tmp_path / "full", Rendering(full_ssd=True))
    for table in simulated_contract():
        assert (plain / table.file_name).read_bytes() == (full / table.file_name).read_bytes()
    assert (full / "ssd_family.csv").exists() and not (plain / "ssd_family.csv").exists()


def test_the_truth_is_the_same_whatever_the_rendering(tmp_path):
    renderings = {"generic": Rendering(), "systemc": Rendering(system="systemc", dialect="bcp", encoding="utf-16"),
                  "mosaic": Rendering(system="mosaic", dialect="ssms", datetime_style="sqlserver"),
                  "eclipse": Rendering(system="eclipse", full_ssd=True)}
    truths = {}
    for name, rendering in renderings.items():
        result = generate("901", None, 7, AS_OF, tmp_path / name, faults="default", rendering=rendering)
        folder = result.nights[0].truth_dir
        truths[name] = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
                        if p.is_file()}
    assert set(truths["generic"]) == {"indicators.csv", "faults.csv", "exceptions.csv", "population.csv",
                                      "systems/mosaic/indicators.csv", "systems/mosaic/carried.csv"}
    for name in SYSTEMS:
        assert truths[name] == truths["generic"], name


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"system": "mosaic", "allocated_flag": True}, "no allocation flag"),
    ({"system": "caredirector"}, "unknown system"),
])
def test_impossible_renderings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Rendering(**kwargs).check(False)
    with pytest.raises(ValueError, match="--messy"):
        Rendering(system="systemc").check(True)


def test_mosaic_carries_an_involvement_only_through_a_referral_that_covers_it(tinyshire):
    """Mosaic's script links an involvement to its child's latest referral whose dates overlap it, else to none: the
    rendering does the same (``systems.COVERING``), and ``systems.carried`` lists as losing its child exactly the
    involvements with a child and no referral of that child covering them, whatever the world linked them to."""
    tables = tinyshire.injected.tables
    carried = systems.carried(tables, "mosaic")
    inv, referrals = tables["ssd_involvements"], tables["ssd_cin_episodes"]
    far = pd.Timestamp("2262-01-01")
    by_child: dict[str, list[tuple[pd.Timestamp, int, pd.Timestamp, str]]] = {}
    for j, (person, key, since, until) in enumerate(zip(
            referrals["cine_person_id"].fillna(""), referrals["cine_referral_id"],
            pd.to_datetime(referrals["cine_referral_date"]), pd.to_datetime(referrals["cine_close_date"]),
            strict=True)):
        if person and not pd.isna(since):  # latest first by date, then by file order
            by_child.setdefault(str(person), []).append((since, j, far if pd.isna(until) else until, str(key)))
    world_link = inv["invo_referral_id"].fillna("").astype(str)
    carried_link = carried.tables["ssd_involvements"]["invo_referral_id"].fillna("").astype(str)
    lost = carried.no_child["ssd_involvements"]
    filled = 0
    for i, (person, start, end) in enumerate(zip(inv["invo_person_id"].fillna("").astype(str),
                                                 pd.to_datetime(inv["invo_involvement_start_date"]),
                                                 pd.to_datetime(inv["invo_involvement_end_date"]), strict=True)):
        end = far if pd.isna(end) else end
        covering = sorted((since, j, key) for since, j, until, key in by_child.get(person, ())
                          if since <= end and until >= start)
        if world_link.iloc[i] == "":
            assert carried_link.iloc[i] == (covering[-1][2] if covering else ""), i
            assert lost[i] == (person != "" and not covering), i
            filled += bool(covering)
    # the tiny LA has both: leaving-care involvements that start on the day the child's referral closed (linked to
    # it), and one that starts later (no referral covers it)
    assert lost.sum() > 0 and filled > 0
    assert (carried.tables["ssd_involvements"]["invo_person_id"].fillna("").to_numpy()[lost] == "").all()
    changed = {name for name, frame in carried.tables.items() if not frame.equals(tables[name])}
    assert changed <= {"ssd_involvements", "ssd_cin_visits", "ssd_cp_visits", "ssd_cp_reviews", "ssd_cla_placement"}
    assert systems.deriving_systems() == ("mosaic",)
    assert not systems.carried(tables, "systemc").loses_anything
