"""A clean extract is shaped as a real LA's data is, so that the DfE SSDA903 validator's rules hold on it (rule
numbers of csc-validator-be-903 0.1.17; the end-to-end check is tests/integration/statutory)."""

from __future__ import annotations

import ast
import csv

import numpy as np
import pandas as pd
import pytest

from csc.settings import PROJECT_ROOT
from csc_synthetic import postcodes
from csc_synthetic.care import NO_URN, TEMPORARY
from csc_synthetic.config import load_config
from csc_synthetic.render import Rendering

from .conftest import run

pytestmark = pytest.mark.unit

DATES = {"ssd_cla_placement": ["clap_cla_placement_start_date", "clap_cla_placement_end_date"],
         "ssd_legal_status": ["lega_legal_status_start_date", "lega_legal_status_end_date"],
         "ssd_cla_episodes": ["clae_cla_episode_start_date", "clae_cla_episode_ceased_date"],
         "ssd_person": ["pers_dob"]}


def _table(result, name: str) -> pd.DataFrame:
    frame = pd.read_csv(result.nights[0].extract_dir / f"{name}.csv", dtype=str, keep_default_na=False)
    for column in DATES.get(name, []):
        frame[column] = pd.to_datetime(frame[column].str[:10], errors="coerce")
    return frame


@pytest.fixture(scope="module", params=["tiny", "small"])
def extract(request):
    return request.getfixturevalue(request.param)


def _la(result):
    return load_config().la(result.nights[0].extract_dir.parent.name)


def test_the_postcode_sample_covers_every_area_and_the_sampling_script_agrees_with_the_config():
    config = load_config()
    areas = postcodes.by_area()
    wanted = {la.ons_code for la in config.las.values()} | {n for la in config.las.values() for n in la.neighbours}
    assert wanted == set(areas)
    assert all(len(values) >= 100 for values in areas.values())
    script = (PROJECT_ROOT / "tools" / "postcodes" / "sample_postcodes.py").read_text(encoding="utf-8")
    assigned = next(node.value for node in ast.parse(script).body
                    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "AREAS")
    assert set(ast.literal_eval(assigned)) == wanted
    with postcodes.POSTCODES_PATH.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert all(r["postcode"] == r["postcode"].upper() and len(r["postcode"].split(" ")) == 2 for r in rows)


def test_placement_postcodes_are_real_and_own_provision_is_in_the_la_area(extract):
    la = _la(extract)
    pl = _table(extract, "ssd_cla_placement")
    areas = postcodes.by_area()
    own = set(areas[la.ons_code])
    anywhere = own.union(*(set(areas[n]) for n in la.neighbours))
    given = pl[pl["clap_cla_placement_postcode"] != ""]
    assert len(given) == len(pl) > 5
    assert set(given["clap_cla_placement_postcode"]) <= anywhere
    inside = given[(given["clap_cla_placement_provider"] == "PR1") | (given["clap_cla_placement_type"] == "K3")]
    assert len(inside) and set(inside["clap_cla_placement_postcode"]) <= own


def test_ofsted_urn_exactly_where_the_placement_type_needs_one(extract):
    pl = _table(extract, "ssd_cla_placement")
    needs = ~pl["clap_cla_placement_type"].isin(NO_URN)
    assert (pl.loc[needs, "clap_cla_placement_urn"].str.fullmatch(r"SC\d{6}")).all()
    assert (pl.loc[~needs, "clap_cla_placement_urn"] == "").all()


def test_legal_statuses_fit_the_placements(small):
    pl = _table(small, "ssd_cla_placement")
    legal = _table(small, "ssd_legal_status")
    # police protection lasts at most 72 hours (rule 361)
    l1 = legal[legal["lega_legal_status"] == "L1"]
    assert len(l1) and ((l1["lega_legal_status_end_date"] - l1["lega_legal_status_start_date"]).dt.days <= 3).all()
    # nobody accommodated under section 20 is placed with parents (rule 378)
    both = pl.merge(legal[legal["lega_legal_status"] == "V2"], left_on="clap_person_id", right_on="lega_person_id")
    far = pd.Timestamp("2100-01-01")
    end = both["clap_cla_placement_end_date"].where(both["clap_cla_placement_end_date"].notna(), far)
    ls_end = both["lega_legal_status_end_date"].where(both["lega_legal_status_end_date"].notna(), far)
    overlap = (both["lega_legal_status_start_date"] < end) & (ls_end > both["clap_cla_placement_start_date"])
    assert not (overlap & (both["clap_cla_placement_type"] == "P1")).any()
    # a placement for adoption is under a placement order (rule 408), made that day for current carers (rule 217)
    adopted = pl[pl["clap_cla_placement_type"].isin(["A5", "A6"])]
    assert len(adopted)
    orders = legal[legal["lega_legal_status"] == "E1"].groupby("lega_person_id")["lega_legal_status_start_date"].min()
    made = adopted["clap_person_id"].map(orders)
    assert (made <= adopted["clap_cla_placement_start_date"]).all()
    a5 = adopted["clap_cla_placement_type"] == "A5"
    assert (made[a5] == adopted.loc[a5, "clap_cla_placement_start_date"]).all()


def test_temporary_placements_last_a_week_at_most_and_the_child_returns(small):
    pl = _table(small, "ssd_cla_placement").sort_values(["clap_cla_id", "clap_cla_placement_start_date"])
    seen = 0
    for _, rows in pl.groupby("clap_cla_id"):
        rows = rows.reset_index(drop=True)
        assert rows.loc[0, "clap_cla_placement_type"] not in TEMPORARY, "a period never starts temporarily (380)"
        for i in np.flatnonzero(rows["clap_cla_placement_type"].isin(TEMPORARY)):
            seen += 1
            span = rows.loc[i, "clap_cla_placement_end_date"] - rows.loc[i, "clap_cla_placement_start_date"]
            assert span.days <= 7, "rule 379"
            assert rows.loc[i, "clap_cla_placement_change_reason"] == ""
            assert rows.loc[i - 1, "clap_cla_placement_change_reason"] == "", "rule 226"
            if i + 1 < len(rows):  # rule 383: back to the same placement type and address
                for column in ("clap_cla_placement_type", "clap_cla_placement_postcode"):
                    assert rows.loc[i + 1, column] == rows.loc[i - 1, column]
    assert seen


def test_a_childs_missing_periods_never_overlap(small):
    """Rule 574: a child's missing period starts once the previous one has ended (the same day at the latest); a
    period still open at the extract date is the child's last."""
    ms = pd.read_csv(small.nights[0].extract_dir / "ssd_missing.csv", dtype=str, keep_default_na=False)
    ms = ms.assign(start=pd.to_datetime(ms["miss_missing_episode_start_date"].str[:10]),
                   end=pd.to_datetime(ms["miss_missing_episode_end_date"].str[:10], errors="coerce"))
    ms = ms.sort_values(["miss_person_id", "start"])
    previous_end = ms.groupby("miss_person_id")["end"].shift(1)
    later = ms["miss_person_id"].duplicated()
    assert later.any(), "children missing more than once"
    assert previous_end[later].notna().all(), "only a child's last period may be open"
    assert (ms.loc[later, "start"] >= previous_end[later]).all()


def test_children_in_care_have_a_903_need_a_known_sex_and_a_upn_once_of_school_age(extract):
    episodes = _table(extract, "ssd_cla_episodes")
    assert set(episodes["clae_cla_primary_need_code"]) <= {f"N{k}" for k in range(1, 9)}
    person = _table(extract, "ssd_person")
    in_care = person[person["pers_person_id"].isin(episodes["clae_person_id"])]
    assert len(in_care) and "U" not in set(in_care["pers_sex"])
    as_of = pd.Timestamp(str(extract.nights[0].extract_dir.name))
    age = (as_of - person["pers_dob"]).dt.days / 365.25
    un1 = person["pers_upn_unknown"] == "UN1"
    assert un1.any() and (age[un1] < 4).all()
    assert (person.loc[~un1 & (person["pers_upn_unknown"] == ""), "pers_upn"] != "").all()


@pytest.fixture(scope="module")
def full_ssd(tmp_path_factory):
    """Demoshire with the full SSD table set (the optional tables the returns read), clean, one night."""
    return run(tmp_path_factory.mktemp("full-ssd"), la="999", seed=1, rendering=Rendering(full_ssd=True))


def _full(result, name: str) -> pd.DataFrame:
    frame = pd.read_csv(result.nights[0].extract_dir / f"{name}.csv", dtype=str, keep_default_na=False)
    for column in frame.columns:
        if (column.endswith("_date") or column == "pers_dob") and not column.startswith("lapp_"):
            frame[column] = pd.to_datetime(frame[column].str[:10], format="%Y-%m-%d", errors="coerce")
    return frame


def test_the_las_dfe_numbers_are_those_of_their_areas_and_agree_with_config_las_yml():
    import yaml

    config = load_config()
    for la in config.las.values():
        assert la.dfe_code and len(la.neighbour_dfe_codes) == len(la.neighbours), la.code
    installed = yaml.safe_load((PROJECT_ROOT / "config" / "las.yml").read_text(encoding="utf-8"))["las"]
    for entry in installed:
        if entry["code"] in config.las and entry.get("dfe_code"):
            la = config.la(entry["code"])
            assert (la.ons_code, la.dfe_code) == (entry["ons_code"], entry["dfe_code"]), la.code


def test_upns_carry_the_las_dfe_number_and_a_valid_check_letter(full_ssd):
    from csc_synthetic.ids import UPN_CHECK_LETTERS, upns

    person = _full(full_ssd, "ssd_person")
    given = person.loc[person["pers_upn"] != "", "pers_upn"]
    assert len(given) > 100 and given.str.fullmatch(r"[A-Z]850\d{9}").all(), "CIN rule 1530: a real LA number"
    for upn in given:
        weights = sum(int(d) * w for d, w in zip(upn[1:], range(2, 14), strict=True))
        assert upn[0] == UPN_CHECK_LETTERS[weights % 23]
    # without a DfE number (an area the config does not know) the UPNs carry 999, from the same draws
    plain = upns(np.random.default_rng(3), 5, "")
    numbered = upns(np.random.default_rng(3), 5, "850")
    assert all(u[1:4] == "999" for u in plain) and [u[4:] for u in plain] == [u[4:] for u in numbered]


def test_homes_are_real_postcodes_of_the_la_from_birth_so_every_episode_has_one(full_ssd):
    la = _la(full_ssd)
    addresses = _full(full_ssd, "ssd_address")
    assert set(addresses["addr_address_postcode"]) <= set(postcodes.by_area()[la.ons_code])
    person = _full(full_ssd, "ssd_person").set_index("pers_person_id")
    first = addresses.groupby("addr_person_id")["addr_address_start_date"].min()
    assert (first == person["pers_dob"].reindex(first.index)).all(), "the first home starts at birth"
    episodes = _full(full_ssd, "ssd_cla_episodes")
    starts = episodes["clae_person_id"].map(first)
    assert (starts <= episodes["clae_cla_episode_start_date"]).all(), "rule 392b: a home open when it starts"


def test_sdq_reasons_and_previous_permanence_las_are_dfe_codes(full_ssd):
    la = _la(full_ssd)
    sdq = _full(full_ssd, "ssd_sdq_scores")
    reasons = set(sdq["csdq_sdq_reason"]) - {""}
    assert reasons and reasons <= {"SDQ2", "SDQ4", "SDQ5"}, "never SDQ1 (aged under 4 or over 16, rule 157)"
    assert (sdq.loc[sdq["csdq_sdq_reason"] != "", "csdq_sdq_score"] == "").all()
    previous = _full(full_ssd, "ssd_cla_previous_permanence")
    assert len(previous) and set(previous["lapp_previous_permanence_la"]) <= {"Same LA", *la.neighbour_dfe_codes}


def test_permanence_records_follow_the_episodes_of_each_adoption(full_ssd):
    from csc_synthetic.full_ssd import ADOPTERS

    episodes = _full(full_ssd, "ssd_cla_episodes").sort_values(["clae_cla_id", "clae_cla_episode_start_date"])
    placements = _full(full_ssd, "ssd_cla_placement").set_index("clap_cla_placement_id")
    legal = _full(full_ssd, "ssd_legal_status")
    perm = _full(full_ssd, "ssd_permanence")
    adoption = perm[perm["perm_permanence_order_type"] == "Adoption"].set_index("perm_cla_id")
    periods = episodes.groupby("clae_cla_id")
    ended = periods.last()
    adopted = ended[ended["clae_cla_episode_ceased_reason"].isin(["E11", "E12"])]
    assert len(adopted) and set(adopted.index) <= set(adoption.index)
    # every child under a placement order has a decision that they should be placed for adoption (rule 553)
    assert set(legal.loc[legal["lega_legal_status"] == "E1", "lega_person_id"]) <= set(adoption["perm_person_id"])
    combos = {(n, s, ls) for n, s, ls in ADOPTERS}
    for period, record in adoption.iterrows():
        first_start = periods.get_group(period)["clae_cla_episode_start_date"].min()
        decided = record["perm_adm_decision_date"]
        assert first_start <= decided, "rules 334, 1003: decided while looked after"
        for later in ("perm_placement_order_date", "perm_matched_date", "perm_placed_for_adoption_date"):
            assert pd.isna(record[later]) or decided <= record[later], (period, later)  # rules 333, 552, 554
        if period in adopted.index:
            last = adopted.loc[period]
            assert record["perm_matched_date"] <= last["clae_cla_episode_start_date"], "rule 331"
            assert record["perm_permanence_order_date"] == last["clae_cla_episode_ceased_date"]
            place = placements.loc[last["clae_cla_placement_id"], "clap_cla_placement_type"]
            assert (record["perm_adopted_by_carer_flag"] == "Y") == (place in ("A3", "A5")), "rule 335"
            assert (record["perm_number_of_adopters"], record["perm_adopter_sex"],
                    record["perm_adopter_legal_status"]) in combos, "rules 511, 514, 517-520, 524"
        else:
            assert pd.isna(record["perm_permanence_order_date"]), "not adopted yet: no order"
