"""Source-system profiles (include/csc/contract/profiles/): they load, agree with the contract, and map values."""

from __future__ import annotations

import pytest

from csc.contract import load_contract
from csc.contract.profiles import UnknownSystem, available_systems, check_profile, load_profile


def test_every_profile_loads_and_agrees_with_the_contract() -> None:
    assert {"generic", "systemc", "mosaic", "eclipse"} <= set(available_systems())
    for name in available_systems():
        check_profile(load_profile(name), load_contract())


def test_an_unknown_system_names_the_profiles_there_are() -> None:
    with pytest.raises(UnknownSystem, match="systemc"):
        load_profile("caredirector")


@pytest.mark.parametrize(("system", "written", "role"), [
    ("systemc", " cw ", "allocated_case_worker"),
    ("systemc", "Allocated Case Worker", "allocated_case_worker"),  # v1.4.0-1.4.3 wrote the description
    ("mosaic", "REL.ALLWORKCF", "allocated_case_worker"),
    ("eclipse", "AW", "allocated_case_worker"),
    ("generic", "ALLOCATED CASE WORKER", "allocated_case_worker"),
    ("systemc", "XYZ", None),
])
def test_involvement_roles_map_per_system(system: str, written: str, role: str | None) -> None:
    assert load_profile(system).vocabulary("involvement_role").translate(written) == role


def test_descriptions_map_to_dfe_codes_and_render_back() -> None:
    legal = load_profile("systemc").vocabulary("legal_status")
    assert legal.translate("interim  CARE order") == "C1"
    assert legal.translate("C2") == "C2"  # a code is accepted where descriptions are expected
    assert legal.translate(legal.render("E1")) == "E1"
    assert load_profile("systemc").vocabulary("referral_source").translate("6 - Police") == "6"
    assert load_profile("mosaic").vocabulary("legal_status").translate("Interim care order") is None


def test_every_rendering_translates_back_for_every_system() -> None:
    for name in available_systems():
        profile = load_profile(name)
        for vocabulary in profile.vocabularies.values():
            targets = set(vocabulary.map.values()) or set()
            if vocabulary.code_list:
                from csc.contract.profiles import code_list
                targets |= set(code_list(vocabulary.code_list))
            for target in targets:
                assert vocabulary.translate(vocabulary.render(target)) == target, (name, vocabulary.concept, target)


def test_an_la_extends_and_overrides_a_vocabulary() -> None:
    profile = load_profile("mosaic").with_vocabulary(
        {"involvement_role": {"map": {"REL.SW": "allocated_case_worker", "REL.ALLWORKCF": "other"}}})
    role = profile.vocabulary("involvement_role")
    assert role.translate("rel.sw") == "allocated_case_worker"
    assert role.translate("REL.ALLWORKCF") == "other"
    assert role.translate("REL.ALLWORK") == "allocated_case_worker"


def test_natural_keys_and_derivations() -> None:
    assert load_profile("systemc").natural_key("ssd_care_leavers") == ("clea_person_id",)
    assert load_profile("generic").natural_key("ssd_care_leavers") is None
    derivation = load_profile("mosaic").derivation("ssd_involvements", "invo_person_id")
    assert derivation is not None and derivation.lookup == "ssd_cin_episodes"
