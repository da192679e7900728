"""csc.batches is the only writer of ops.extract_batches: no other module of the product inserts, updates or deletes
its rows (readers may select). The lifecycle's status values are defined once and match the table's constraint."""

from __future__ import annotations

import re
from pathlib import Path

from csc import batches
from csc.batches import BatchStatus
from csc.settings import PROJECT_ROOT

OWNER = PROJECT_ROOT / "include" / "csc" / "batches.py"
MIGRATIONS = PROJECT_ROOT / "include" / "csc" / "warehouse" / "migrations"
# Any SQL that writes the table, however it is spaced or quoted across string pieces.
WRITE = re.compile(
    r"(update\s+(only\s+)?(ops\s*\.\s*)?\"?extract_batches\b"
    r"|insert\s+into\s+(ops\s*\.\s*)?\"?extract_batches\b"
    r"|delete\s+from\s+(only\s+)?(ops\s*\.\s*)?\"?extract_batches\b"
    r"|truncate\s+(table\s+)?(ops\s*\.\s*)?\"?extract_batches\b"
    r"|merge\s+into\s+(ops\s*\.\s*)?\"?extract_batches\b)",
    re.IGNORECASE)


def _writers(root: Path, base: Path = PROJECT_ROOT) -> list[str]:
    found = []
    for path in sorted([*root.rglob("*.py"), *root.rglob("*.sql")]):
        if path == OWNER or MIGRATIONS in path.parents:
            continue
        text = path.read_text(encoding="utf-8")
        # join adjacent string pieces ("update ops." "extract_batches ...") the way Python would
        joined = re.sub(r"\"\s*\n\s*(f|rb|b|r)?\"", "", text)
        for match in WRITE.finditer(joined):
            line = joined.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(base)}:{line} (or a few lines below): {match.group(0)!r}")
    return found


def test_only_the_batch_module_writes_extract_batches():
    writers = _writers(PROJECT_ROOT / "include") + _writers(PROJECT_ROOT / "dags")
    assert writers == [], ("ops.extract_batches is written only by csc.batches (call its transitions instead):\n"
                           + "\n".join(writers))


def test_the_check_finds_a_writer(tmp_path):
    """The check itself works: a module writing the status (even split over string pieces) is reported."""
    (tmp_path / "rogue.py").write_text(
        'conn.execute("update ops."\n    "extract_batches set status = \'published\'")\n'
        "conn.execute('INSERT INTO ops.extract_batches (la_code) values (1)')\n", encoding="utf-8")
    (tmp_path / "reader.py").write_text('conn.execute("select status from ops.extract_batches")\n', encoding="utf-8")
    found = _writers(tmp_path, base=tmp_path)
    assert [f.split(":")[0] for f in found] == ["rogue.py", "rogue.py"], found


def test_statuses_are_those_the_table_allows():
    constraint = (MIGRATIONS / "0003_batch_status_replaced.sql").read_text(encoding="utf-8")
    allowed = set(re.findall(r"'(\w+)'", constraint.split("check (status in", 1)[1].split(")", 1)[0]))
    assert allowed == {s.value for s in BatchStatus}


def test_replaced_never_counts_as_published():
    assert BatchStatus.REPLACED not in batches.EVER_PUBLISHED
    assert BatchStatus.REPLACED not in batches.LIVE
    assert set(batches.EVER_PUBLISHED) == {BatchStatus.PUBLISHED, BatchStatus.SUPERSEDED}
    for name, (sources, (target,)) in batches.TRANSITIONS.items():
        assert target.value == name and sources, name
