"""Where the generator finds the repository's reference data (the dbt seeds it reads and writes).

The generator's own copy of the repository root: it depends on nothing of ``csc`` but the extract contract.
"""

from __future__ import annotations

from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_SEEDS = REPOSITORY_ROOT / "dbt_project" / "seeds" / "reference"
