"""An LA's identity codes (las.yml ``ons_code:``, ``dfe_code:``) and the return-readiness switch: formats checked,
the ONS code checked against the shipped list of English LAs, the shipped config's demo LA carrying real-format
codes."""

from __future__ import annotations

import pytest

from csc.las import LocalAuthority, identity_codes, load_las
from csc.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit


def test_valid_codes_are_kept_and_found_by_identity_codes(tmp_path):
    path = tmp_path / "las.yml"
    path.write_text('las:\n  - {code: "901", name: T, ons_code: E10000014, dfe_code: "850", '
                    "statutory_readiness: false}\n  - {code: \"902\", name: U}\n")
    first, second = load_las(path)
    assert (first.ons_code, first.dfe_code, first.statutory_readiness) == ("E10000014", "850", False)
    assert (second.ons_code, second.dfe_code, second.statutory_readiness) == (None, None, True)
    assert identity_codes(path, "901") == ("E10000014", "850")
    assert identity_codes(path, "902") == (None, None)
    assert identity_codes(path, "nope") == (None, None)


@pytest.mark.parametrize(("field", "value", "says"), [
    ("ons_code", "E10000999", "not an English LA"),  # the right form, but no such LA in english_las.csv
    ("ons_code", "E07000001", "String should match pattern"),  # a district council: no children's services
    ("ons_code", "10000014", "String should match pattern"),
    ("dfe_code", "85", "String should match pattern"),
    ("dfe_code", "8500", "String should match pattern"),
])
def test_bad_codes_are_refused_naming_the_field(field, value, says):
    with pytest.raises(ValueError) as refused:
        LocalAuthority.model_validate({"code": "901", "name": "T", field: value})
    assert field in str(refused.value) and says in str(refused.value)


def test_the_demo_la_has_real_format_codes():
    demo = next(la for la in load_las(PROJECT_ROOT / "config" / "las.yml") if la.code == "999")
    assert demo.ons_code == "E10000014" and demo.dfe_code == "850" and demo.statutory_readiness
