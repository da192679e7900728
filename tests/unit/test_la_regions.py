"""config/las.yml ``region:`` (issue 14, regional pooling): the LAs naming one region are pooled; a region of one
LA (a misspelt name, most likely) and a name that is not a plain identifier are refused, naming the file."""

from __future__ import annotations

import pytest

from csc.las import la_registry, load_las

pytestmark = pytest.mark.unit


def _config(tmp_path, *entries: tuple[str, str | None]):
    path = tmp_path / "las.yml"
    path.write_text("las:\n" + "".join(f'  - code: "{code}"\n    name: LA {code}\n'
                                       + (f"    region: {region}\n" if region else "")
                                       for code, region in entries), encoding="utf-8")
    return path


def test_the_las_of_each_region_in_the_order_of_the_file(tmp_path):
    path = _config(tmp_path, ("903", "north_east"), ("999", None), ("901", "north_east"), ("902", "south"),
                   ("904", "south"))
    registry = la_registry(path)
    assert registry.regions() == {"north_east": ["903", "901"], "south": ["902", "904"]}
    assert registry.get("999").region is None


def test_a_region_of_one_la_is_refused(tmp_path):
    path = _config(tmp_path, ("903", "north_east"), ("901", "north_easst"), ("902", "north_east"))
    with pytest.raises(ValueError, match=r"las\.yml: a region pools several LAs, but only one LA names region\(s\) "
                                         r"north_easst"):
        load_las(path)


@pytest.mark.parametrize("name", ["North East", "1north", "north-east", "x" * 41])
def test_a_region_name_is_a_plain_identifier(tmp_path, name):
    path = _config(tmp_path, ("903", f'"{name}"'), ("901", f'"{name}"'))
    with pytest.raises(ValueError, match=r"(?s)entry 1 of 'las' is invalid.*region"):
        load_las(path)
