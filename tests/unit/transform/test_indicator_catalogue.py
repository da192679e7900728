"""The indicator catalogue seed is docs/INDICATORS.md as data; targets only for indicators that can be judged."""

import csv
import re

import pytest

from csc.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

SEEDS = PROJECT_ROOT / "dbt_project" / "seeds" / "reference"
INDICATORS_MD = PROJECT_ROOT / "docs" / "INDICATORS.md"
KINDS = {"flow": "flow", "stock": "stock", "flow (rolling 12m)": "rolling_12_months"}


def markdown_catalogue() -> dict[str, dict[str, str]]:
    rows = {}
    section = INDICATORS_MD.read_text(encoding="utf-8").split("## Catalogue", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 7 or cells[0] in ("id", "---") or set(cells[0]) <= {"-"}:
            continue
        rows[cells[0]] = dict(zip(("name", "kind", "numerator", "denominator", "polarity", "reference"), cells[1:],
                                  strict=True))
    return rows


def seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_catalogue_seed_matches_indicators_md():
    expected = markdown_catalogue()
    assert len(expected) == 29
    rows = {row["indicator_id"]: row for row in seed("indicator_catalogue.csv")}
    assert list(rows) == list(expected), "same indicators in the same order"
    for indicator_id, md in expected.items():
        row = rows[indicator_id]
        assert row["indicator_name"] == md["name"]
        assert row["kind"] == KINDS[md["kind"]]
        assert row["numerator_definition"] == md["numerator"]
        assert row["denominator_definition"] == md["denominator"]
        assert row["polarity"] == re.match(r"\w+", md["polarity"]).group(0)
        assert row["reference"] == md["reference"]


def test_units_follow_the_denominators():
    for row in seed("indicator_catalogue.csv"):
        denominator = row["denominator_definition"]
        if "population" in denominator:
            assert (row["unit"], row["denominator_basis"]) == ("per_10000", "population"), row["indicator_id"]
        elif denominator.startswith("—") or denominator == "—":
            assert row["denominator_basis"] == "none" and row["unit"] in ("count", "days"), row["indicator_id"]
        else:
            assert row["denominator_basis"] == "records", row["indicator_id"]
    by_id = {row["indicator_id"]: row for row in seed("indicator_catalogue.csv")}
    assert by_id["UNALLOCATED_DAYS_MEDIAN"]["aggregation"] == "median"
    assert [i for i, row in by_id.items() if row["is_extract_date_only"] == "true"] == ["DQ_PASS_RATE"]


def test_targets_only_for_judged_indicators_and_consistent_thresholds():
    polarity = {row["indicator_id"]: row["polarity"] for row in seed("indicator_catalogue.csv")}
    targets = seed("indicator_targets.csv")
    assert targets, "the demo LA has targets"
    for row in targets:
        assert polarity[row["indicator_id"]] in ("higher", "lower"), f"{row['indicator_id']} has no polarity to judge"
        target, amber = float(row["target"]), float(row["amber_threshold"])
        if polarity[row["indicator_id"]] == "higher":
            assert amber <= target, row
        else:
            assert amber >= target, row
    assert {(r["la_code"], r["indicator_id"], r["target"]) for r in targets} >= {("999", "UNALLOCATED_CP", "0")}
