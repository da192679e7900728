"""The round trip of issue 14: a generated LA through the whole pipeline, its SSDA903 return written by
``csc statutory 903``, imported into another LA code, checked, built by dbt and published: the looked-after
indicators the return supports, at the end of the year it covers, are the source LA's."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from imports_setup import warehouse

from csc.statutory import CollectionYear
from csc.warehouse.connection import connect

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    # Great Expectations' import warns (Python's own re internals); not ours to fix.
    pytest.mark.filterwarnings(r"ignore:module 'sre_constants' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings(r"ignore:module 'sre_parse' is deprecated:DeprecationWarning"),
]

SOURCE, IMPORTED = "999", "901"
AS_OF = date(2026, 6, 30)
YEAR = CollectionYear.latest_complete(AS_OF)  # 2025-26
# What one year's 903 return supports at its 31 March: who is looked after (and not only on short breaks), and
# their placements in the 12 months before (every placement open in the year is in the return).
SUPPORTED = ("CLA_RATE", "CLA_3PLUS_PLACEMENTS")
# The files of the return that come back as they went out (the others are written from the optional SSD tables,
# which a returns batch carries whether the return had them or not).
RETURNED = ("header", "episodes", "reviews", "missing")


def _rows(path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return sorted(csv.reader(handle))


def _period_starts_here(episodes: list[list[str]]) -> list[list[str]]:
    """A child's first row in one year's return that is not RNE S continues a period of care begun in an earlier
    year, which a single imported year does not hold: the imported history starts the period there (RNE S)."""
    header = [r for r in episodes if r[0] == "CHILD"]
    rows = [r for r in episodes if r[0] != "CHILD"]
    firsts, out = set(), []
    for row in sorted(rows, key=lambda r: (r[0], r[1][6:] + r[1][3:5] + r[1][:2])):
        out.append(row if row[0] in firsts else [row[0], row[1], "S", *row[3:]])
        firsts.add(row[0])
    return header + out


def _indicators(settings, la_code: str) -> dict[str, tuple]:
    with connect(settings) as conn:
        rows = conn.execute(
            "select indicator_id, numerator, denominator from marts.indicator_values where la_code = %s "
            "and period_type = 'month' and period_start = %s and indicator_id = any(%s)",
            (la_code, YEAR.end.replace(day=1), list(SUPPORTED))).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def test_a_903_return_imports_back_to_the_same_looked_after_indicators(pg_server, tmp_path):
    from csc.imports.importset import import_returns
    from csc.imports.ssda903 import parse_903
    from csc.ingest import load_extract
    from csc.quality import run_checks
    from csc.statutory.ssda903 import write_903
    from csc.transform import build, publish
    from csc_synthetic import generate
    from csc_synthetic.render import Rendering

    with warehouse(pg_server, tmp_path / "csc-home", dq_data_docs=False) as settings:
        generate(SOURCE, "tiny", 1, AS_OF, settings.landing_dir, faults="none", rendering=Rendering(full_ssd=True))
        loaded = load_extract(settings.landing_dir / SOURCE / AS_OF.isoformat(), settings)
        run_checks(loaded.batch_id, settings, send_alerts=False)
        build(settings)
        publish(settings)
        written = write_903(settings, SOURCE, YEAR, tmp_path / "903")

        imported = import_returns(settings, [parse_903(written.folder, IMPORTED, YEAR.name)])
        assert imported.status == "loaded"
        checked = run_checks(imported.batch_id, settings, send_alerts=False)
        assert checked.outcome != "block", checked.blocking_rules
        build(settings)
        publish(settings)

        source, back = _indicators(settings, SOURCE), _indicators(settings, IMPORTED)
        assert set(source) == set(SUPPORTED), source
        assert source["CLA_RATE"][0] > 0  # a test that can fail: children looked after at 31 March
        assert back["CLA_RATE"][0] == source["CLA_RATE"][0]
        assert back["CLA_3PLUS_PLACEMENTS"] == source["CLA_3PLUS_PLACEMENTS"]
        # and the return written again from the imported LA is the return imported
        again = write_903(settings, IMPORTED, YEAR, tmp_path / "903-again")
        for name in RETURNED:
            went, came = _rows(written.files[name]), _rows(again.files[name])
            if name == "episodes":
                went = _period_starts_here(went)
            assert sorted(map(tuple, came)) == sorted(map(tuple, went)), (
                name, sorted(set(map(tuple, went)) - set(map(tuple, came)))[:5],
                sorted(set(map(tuple, came)) - set(map(tuple, went)))[:5])
        with connect(settings) as conn:
            kinds = dict(conn.execute("select la_code, source_kind from ops.extract_batches "
                                      "where status = 'published'").fetchall())
        assert kinds == {SOURCE: "ssd", IMPORTED: "returns"}
