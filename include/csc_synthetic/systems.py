"""The same simulated LA in a source system's conventions (``csc generate --system systemc|mosaic|eclipse``).

The night's tables (contract columns, DfE codes, the product's role words: the generic rendering) are turned into
what the system's SSD deployment writes, using only its profile (``csc.contract.profiles``) and the facts of
REAL_SSD.md. Nothing here changes what the LA holds: the truth files are computed from the generic tables before
any of this, and every change below is either a pure re-spelling that the profile's own maps undo, or one whose
meaning for the indicators is the same in both renderings:

- column renames (Mosaic ``cin_plan_id``); absent columns dropped; the linking columns a profile's derivations read
  added (Mosaic ``cinv_cin_plan_id``, holding a referral of the visit's child), and the contract links those
  derivations read made to name a record of the row's own child: filled where blank by the system's own rule (Mosaic
  ``invo_referral_id`` on leaving-care involvements, which have no referral in the world: the child's referral
  whose dates overlap the involvement, else none), and moved to another record of the child where an injected
  fault gave the linked record an orphan person id (``_link_columns``). Mosaic's rule is the one change that is not
  meaning-preserving: an involvement no referral covers reaches no child, as in a real Mosaic SSD. ``carried``
  gives the tables as the system carries them, from which the truth as carried is computed (``csc_synthetic``
  writes it beside the LA's truth);
- vocabularies rendered through ``Vocabulary.render``: role codes (SystemC ``CW``, Mosaic ``REL.ALLWORK``, Eclipse
  ``AW``), descriptions where the system writes descriptions, SystemC's referral source as a lookup text whose first
  two characters are the DfE code (``6 - Police``);
- worker columns that hold a name or a staff id instead of ``prof_professional_id`` (SystemC);
- SystemC: a team holding a case without a worker is an involvement ``CW`` with no professional id. The generic
  world records those spells as the team manager holding the case ("TEAM MANAGER", not an allocation): a third of
  them are written as team-only involvements, and, with ``is_allocated_cw_flag``, another third as ``CW`` rows of
  the manager flagged ``N``. Neither is an allocation, in truth or under the profile's rule (a team-only involvement
  counts as unallocated, a ``CW`` row needs the flag ``Y`` where the extract carries it). Rows touched by an injected
  fault are left as they are;
- SystemC: ``NEWID()`` keys, new every night, for ``ssd_care_leavers``, ``ssd_linked_identifiers`` and ``ssd_send``
  (each distinct key gets one new key, so a duplicated key stays duplicated); Mosaic: ``cinf_table_id`` blank.

``full_ssd.py`` adds the v1.4.5 tables the product does not use yet.
"""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csc.contract import Column, Table
from csc.contract.profiles import Profile, code_list, load_profile
from csc_synthetic.full_ssd import simulated_contract

SYSTEMS = ("generic", "systemc", "mosaic", "eclipse")
TEAM_ONLY_SYSTEMS = ("systemc",)  # write a team holding a case as an involvement without a professional
NEWID_KEYS = {"systemc": {"ssd_care_leavers": "clea_table_id", "ssd_linked_identifiers": "link_table_id",
                          "ssd_send": "send_table_id"}}
# columns of other tables that hold a NEWID key (they follow it)
NEWID_REFERENCES = {"ssd_send": (("ssd_ehcp_requests", "ehcr_send_table_id"),)}
BLANK_KEYS = {"mosaic": {"ssd_assessment_factors": "cinf_table_id"}}
TEAM_MANAGER = "team_manager"
ALLOCATED = "allocated_case_worker"
# tables whose rows the product reads by child (allocation, last visit, placements in the year): a contract link that
# only carries the child may be pointed at another record of the same child (``_link_columns``)
RELINKED = ("ssd_involvements", "ssd_cp_visits", "ssd_cla_placement")
# The record a system's own rule links a row to where the generic rendering has no link (row start and end columns,
# lookup record since and until columns): Mosaic's script writes as invo_referral_id the child's latest referral
# whose dates overlap the involvement, else none (populate_ssd_data_warehouse.sql, REAL_SSD.md)
COVERING = {"ssd_involvements": ("invo_involvement_start_date", "invo_involvement_end_date",
                                 "cine_referral_date", "cine_close_date")}


@dataclass(frozen=True)
class Shaped:
    """One file of a rendered extract: its frame (file column names) and the table shape ``render.render`` reads."""

    table: Table
    frame: pd.DataFrame


def profile_of(system: str) -> Profile:
    if system not in SYSTEMS:
        raise ValueError(f"unknown --system {system!r} ({', '.join(SYSTEMS)})")
    return load_profile(system)


def shape(tables: dict[str, pd.DataFrame], extra: dict[str, tuple[Table, pd.DataFrame]], system: str,
          ssd_version: str, faulty: set[tuple[str, str]], night: np.datetime64, seed: int,
          allocated_flag: bool) -> list[Shaped]:
    """Every file of the night in ``system``'s conventions: the contract tables (generic rendering: unchanged),
    then ``extra`` (tables beyond the contract, by name: their shape and frame). ``faulty``: (table, primary key)
    of rows an injected fault touched, which keep their values."""
    contract = simulated_contract()
    profile = profile_of(system)
    generic = load_profile("generic")
    frames = {name: frame for name, frame in tables.items()}
    if system != "generic":
        frames = _render_values(frames, profile, generic, faulty, allocated_flag)
    out = []
    for table in contract:
        frame = frames[table.name]
        frame = _link_columns(frames, table, frame, profile)
        out.append(_reshape(table, frame, profile, ssd_version))
    out.extend(Shaped(table, frame) for table, frame in extra.values())
    _new_keys(out, system, night, seed)
    return out


# ---------------------------------------------------------------------------------------------------------------
def _render_values(frames: dict[str, pd.DataFrame], profile: Profile, generic: Profile,
                   faulty: set[tuple[str, str]], allocated_flag: bool) -> dict[str, pd.DataFrame]:
    frames = dict(frames)
    professionals = frames["ssd_professionals"]
    by_id = professionals.drop_duplicates("prof_professional_id").set_index("prof_professional_id")
    for qualified, kind in profile.worker_columns.items():
        table, column = qualified.split(".", 1)
        source = "prof_professional_name" if kind == "name" else "prof_staff_id"
        values = frames[table][column].fillna("").astype(str)
        looked_up = values.map(by_id[source]).fillna(values)
        frames[table] = frames[table].assign(**{column: looked_up.to_numpy(dtype=object)})
    for concept, vocabulary in profile.vocabularies.items():
        if concept == "involvement_role":
            continue
        base = generic.vocabularies.get(concept)
        frame = frames[vocabulary.table]
        values = frame[vocabulary.column_name].fillna("").astype(str)
        mapping = {}
        for value in values.unique():
            code = base.translate(value) if base is not None else None
            mapping[value] = value if code is None else _render_code(vocabulary, code)
        frames[vocabulary.table] = frame.assign(**{vocabulary.column_name: values.map(mapping).to_numpy(dtype=object)})
    frames["ssd_involvements"] = _involvements(frames["ssd_involvements"], profile, generic, faulty, allocated_flag)
    return frames


def _render_code(vocabulary, code: str) -> str:
    if vocabulary.match == "prefix2" and vocabulary.code_list:
        description = code_list(vocabulary.code_list).get(code)
        return code if description is None else f"{code} - {description}"
    try:
        return vocabulary.render(code)
    except KeyError:
        return code


def _involvements(frame: pd.DataFrame, profile: Profile, generic: Profile, faulty: set[tuple[str, str]],
                  allocated_flag: bool) -> pd.DataFrame:
    roles = generic.vocabulary("involvement_role")
    target = profile.vocabulary("involvement_role")
    text = frame["invo_professional_role_id"].fillna("").astype(str)
    product = text.map(lambda v: roles.translate(v) or "").to_numpy(dtype=object)
    ids = frame["invo_involvements_id"].fillna("").astype(str).to_numpy(dtype=object)
    professional = frame["invo_professional_id"].fillna("").astype(str).to_numpy(dtype=object).copy()
    untouched = np.array([("ssd_involvements", key) not in faulty for key in ids], dtype=bool)
    bucket = np.array([zlib.crc32(key.encode()) % 3 for key in ids], dtype=np.int64)
    holding = (product == TEAM_MANAGER) & untouched & (professional != "")
    team_only = np.zeros(len(frame), dtype=bool)
    manager_cw = np.zeros(len(frame), dtype=bool)
    if profile.name in TEAM_ONLY_SYSTEMS:
        team_only = holding & (bucket == 0)
        manager_cw = holding & (bucket == 1) & allocated_flag
    product = np.where(team_only | manager_cw, ALLOCATED, product)
    professional[team_only] = ""
    rendered = {role: _render_role(target, role) for role in set(product.tolist()) if role}
    out_roles = np.array([rendered[p] if p else t for p, t in zip(product, text, strict=True)], dtype=object)
    out = frame.assign(invo_professional_id=professional, invo_professional_role_id=out_roles)
    if allocated_flag:
        flag = np.where((product == ALLOCATED) & ~manager_cw, "Y", "N")
        out[profile.allocation.flag_column] = flag.astype(object)
    return out


def _render_role(vocabulary, role: str) -> str:
    try:
        return vocabulary.render(role)
    except KeyError:
        return role.upper().replace("_", " ")


# ---------------------------------------------------------------------------------------------------------------
def _link_columns(frames: dict[str, pd.DataFrame], table: Table, frame: pd.DataFrame,
                  profile: Profile) -> pd.DataFrame:
    """``frame`` with the linking columns the profile's derivations read (``_derived_links``)."""
    for column in table.column_names:
        derivation = profile.derivation(table.name, column)
        if derivation is not None:
            link, links = _derived_links(frames, table, frame, column, derivation)
            frame = frame.assign(**{link: links.to_numpy(dtype=object)})
    return frame


def _derived_links(frames: dict[str, pd.DataFrame], table: Table, frame: pd.DataFrame, column: str,
                   derivation) -> tuple[str, pd.Series]:
    """The linking column a derivation reads, as the system writes it, so that the derivation gives every row back
    the child its generic rendering names where the system can: an extra column (Mosaic's ``cinv_cin_plan_id``),
    or a contract column (Mosaic's ``invo_referral_id``), pointed at a record of the lookup table that names the
    same child.

    A contract link is kept when its record names the row's child. It is filled where blank with the record the
    system's own rule picks (``COVERING``: Mosaic's involvement takes the child's referral whose dates overlap it,
    else none), or else the child's latest record. For the tables the product reads by child (``RELINKED``), it is
    pointed at another record of the same child (by the system's rule, else its latest) where its own record names
    someone else: an injected fault that orphans a referral's person id (the referral is closed and the child has
    another, ``faults._orphan_safe``) breaks that one rule in the generic rendering, and must not also take an
    involvement, a visit or a placement away from the child in a rendering that finds the child through the
    referral, which no check could report and no truth could account for the same in every rendering. A row whose
    own child is in no record of the lookup (an orphaned ``cppv_person_id``: that child is no one in the extract) is
    pointed at no record, so the derivation finds no child, as the generic rendering's orphan does. A link that
    finds no record is kept: it is the row's own fault (an orphaned ``clap_cla_id``), which the checks report.
    Returns the linking column's name and its values."""
    link, target_key = derivation.via
    lookup = frames[derivation.lookup]
    pairs = lookup[[derivation.take, target_key]].fillna("").astype(str)
    latest = pairs.drop_duplicates(derivation.take, keep="last").set_index(derivation.take)[target_key]
    child_of = pairs.drop_duplicates(target_key, keep="last").set_index(target_key)[derivation.take]
    person = frame[column].fillna("").astype(str)
    found = person.map(latest).fillna("")
    if link not in table.column_names:
        return link, found
    fill = found
    if table.name in COVERING:
        fill = _covering(frame, person, lookup, derivation, COVERING[table.name])
    current = frame[link].fillna("").astype(str)
    linked_child = current.map(child_of).fillna("")
    keep = (current != "") & ((linked_child == person) | (linked_child == "") | (table.name not in RELINKED))
    nowhere = (person != "") & (found == "") & ~person.isin(child_of.index)
    relinked = current.where(keep | (found == ""), fill.where(fill != "", found)).where(current != "", fill)
    if table.name in RELINKED:
        relinked = relinked.where(~(nowhere & (linked_child != "")), person)
    return link, relinked


def _days(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values, errors="coerce").to_numpy().astype("datetime64[D]")


def _covering(frame: pd.DataFrame, person: pd.Series, lookup: pd.DataFrame, derivation,
              dates: tuple[str, str, str, str]) -> pd.Series:
    """Per row of ``frame``: the key of the latest record of its child in ``lookup`` whose dates overlap the row's
    (a record from ``since`` to ``until`` covers a row from ``start`` to ``end`` when since <= end and until >=
    start, a blank end or until being the far future; the latest by ``since``, then by file order), else blank: the
    rule of Mosaic's script, which takes the highest referral id."""
    start, end, since, until = dates
    far = np.datetime64("9999-12-31")
    rows = pd.DataFrame({"row": np.arange(len(frame)), "person": person.to_numpy(dtype=object),
                         "start": _days(frame[start]), "end": _days(frame[end])})
    records = pd.DataFrame({"person": lookup[derivation.take].fillna("").astype(str).to_numpy(dtype=object),
                            "key": lookup[derivation.via[1]].fillna("").astype(str).to_numpy(dtype=object),
                            "since": _days(lookup[since]), "until": _days(lookup[until]),
                            "order": np.arange(len(lookup))})
    records = records[(records["person"] != "") & (records["key"] != "")]
    pairs = rows[rows["person"] != ""].merge(records, on="person")
    row_end = np.where(np.isnat(pairs["end"].to_numpy()), far, pairs["end"].to_numpy())
    record_until = np.where(np.isnat(pairs["until"].to_numpy()), far, pairs["until"].to_numpy())
    covers = (pairs["since"].to_numpy() <= row_end) & (record_until >= pairs["start"].to_numpy())
    chosen = (pairs[covers].sort_values(["row", "since", "order"])
              .drop_duplicates("row", keep="last").set_index("row")["key"])
    return pd.Series(chosen.reindex(np.arange(len(frame))).fillna("").to_numpy(dtype=object), index=frame.index)


@dataclass(frozen=True)
class Carried:
    """The night's tables as a system's SSD carries them: each derived column (``Profile.derived_columns``) holds
    the child the load will derive from the system's link, which is blank where the system's link reaches no child
    (Mosaic writes no ``invo_person_id``, and links a leaving-care involvement that no referral covers to none).
    ``no_child``: per table, the rows whose child is lost that way (``STR_DERIVED_LINK`` reports them); ``relinked``:
    per table, the rows whose contract link the system writes otherwise than the world (filled where blank, or moved
    off a record a fault gave to someone else), which ``truth.carried_failures`` judges again."""

    system: str
    tables: dict[str, pd.DataFrame]
    no_child: dict[str, np.ndarray]
    relinked: dict[str, np.ndarray]

    @property
    def loses_anything(self) -> bool:
        return any(mask.any() for mask in (*self.no_child.values(), *self.relinked.values()))


def deriving_systems() -> tuple[str, ...]:
    """The systems whose SSD links some rows to their child through another record (``Profile.derived_columns``):
    their truth as carried (``carried``) is written beside the LA's."""
    return tuple(s for s in SYSTEMS if profile_of(s).derived_columns)


def carried(tables: dict[str, pd.DataFrame], system: str) -> Carried:
    """``tables`` (generic rendering) as ``system``'s SSD carries them (``Carried``)."""
    profile = profile_of(system)
    out, no_child, relinked = dict(tables), {}, {}
    for table in simulated_contract():
        for column in table.column_names:
            derivation = profile.derivation(table.name, column)
            if derivation is None:
                continue
            frame = tables[table.name]
            link, links = _derived_links(tables, table, frame, column, derivation)
            pairs = tables[derivation.lookup][[derivation.take, derivation.via[1]]].fillna("").astype(str)
            child_of = pairs.drop_duplicates(derivation.via[1], keep="last").set_index(derivation.via[1])
            derived = links.map(child_of[derivation.take]).fillna("")
            person = frame[column].fillna("").astype(str)
            lost = ((person != "") & (derived == "")).to_numpy()
            no_child[table.name] = no_child.get(table.name, np.zeros(len(frame), dtype=bool)) | lost
            if link in table.column_names:  # a contract link: as the system writes it
                written = frame[link].astype(object).to_numpy(copy=True)
                moved = (links != frame[link].fillna("").astype(str)).to_numpy()
                written[moved] = links.to_numpy(dtype=object)[moved]
                relinked[table.name] = relinked.get(table.name, np.zeros(len(frame), dtype=bool)) | moved
                out[table.name] = out[table.name].assign(**{link: written})
            changed = (derived != person).to_numpy()
            if changed.any():
                values = frame[column].astype(object).to_numpy(copy=True)
                values[changed] = derived.to_numpy(dtype=object)[changed]
                values[changed & (derived == "").to_numpy()] = None
                out[table.name] = out[table.name].assign(**{column: values})
    return Carried(system=system, tables=out, no_child=no_child, relinked=relinked)


def file_columns(table: Table, profile: Profile, ssd_version: str, frame_columns: list[str]) -> list[str]:
    """The columns of ``table``'s file for the system, in order: the system's headerless order
    (``Profile.file_columns``: the bcp order for the SSD version, renames applied, absent columns left out), then
    the profile's extra columns the rendering wrote, then any other column the rendering added."""
    renamed = {profile.source_name(table.name, c) for c in frame_columns} | set(frame_columns)
    order = list(profile.file_columns(table, ssd_version, with_extras=False))
    order += [c for c in profile.extra_columns.get(table.name, ()) if c in renamed and c not in order]
    for name in frame_columns:
        source = profile.source_name(table.name, name)
        if source not in order and not profile.is_absent(table.name, name):
            order.append(source)
    return order


def _reshape(table: Table, frame: pd.DataFrame, profile: Profile, ssd_version: str) -> Shaped:
    renames = {profile.source_name(table.name, c): c for c in table.column_names}
    frame = frame.rename(columns={v: k for k, v in renames.items() if k != v})
    order = file_columns(table, profile, ssd_version, [c for c in frame.columns])
    blanks = [c for n, c in BLANK_KEYS.get(profile.name, {}).items() if n == table.name]
    if blanks or any(name not in frame.columns for name in order):
        frame = frame.copy()
    for name in order:
        if name not in frame.columns:
            frame[name] = ""
    for blank in blanks:
        if blank in frame.columns:
            frame[blank] = ""
    columns = []
    for name in order:
        contract_name = renames.get(name, name)
        if contract_name in table.column_names:
            columns.append(table.column(contract_name).model_copy(update={"name": name}))
        else:
            kind = "flag" if name == profile.allocation.flag_column else "text"
            columns.append(Column(name=name, type=kind, description=f"{profile.title}: extra column"))
    key = tuple(profile.source_name(table.name, k) for k in table.primary_key)
    shaped = Table(name=table.name, source=table.source, description=table.description, primary_key=key,
                   columns=tuple(columns))
    return Shaped(shaped, frame[order].reset_index(drop=True))


def _new_keys(files: list[Shaped], system: str, night: np.datetime64, seed: int) -> None:
    """SystemC's NEWID() keys: one new random key per distinct key value, new every night."""
    keys = NEWID_KEYS.get(system, {})
    by_name = {f.table.name: i for i, f in enumerate(files)}
    for name, column in keys.items():
        if name not in by_name:
            continue
        frame = files[by_name[name]].frame
        values = frame[column].fillna("").astype(str)
        distinct = sorted(v for v in values.unique() if v)
        rng = np.random.default_rng([seed, int(night.astype("datetime64[D]").astype(np.int64)),
                                     zlib.crc32(name.encode())])
        fresh = {v: str(uuid.UUID(bytes=rng.bytes(16), version=4)).upper() for v in distinct}
        fresh[""] = ""
        i = by_name[name]
        files[i] = Shaped(files[i].table, frame.assign(**{column: values.map(fresh).to_numpy(dtype=object)}))
        for other, reference in NEWID_REFERENCES.get(name, ()):
            if other in by_name:
                j = by_name[other]
                ref = files[j].frame[reference].fillna("").astype(str)
                files[j] = Shaped(files[j].table, files[j].frame.assign(
                    **{reference: ref.map(lambda v, keys=fresh: keys.get(v, v)).to_numpy(dtype=object)}))
