"""The pure parts of the import set: the extraction time of a revision, stored imports' bytes, the CLI's parsers
found by name (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from csc.imports import ParsedReturn
from csc.imports.importset import deserialise, revision_time, serialise

pytestmark = pytest.mark.unit


def test_a_revision_is_dated_at_the_end_of_its_extract_date_and_always_after_the_last():
    first = revision_time(date(2025, 3, 31), "Europe/London", None)
    assert first == datetime(2025, 3, 31, 23, 0, tzinfo=UTC)  # midnight BST
    assert revision_time(date(2025, 3, 31), "Europe/London", first) == datetime(2025, 3, 31, 23, 0, 1, tzinfo=UTC)
    later = revision_time(date(2026, 3, 31), "Europe/London", first)
    assert later == datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
    assert revision_time(date(2025, 12, 31), "Europe/London", None) == datetime(2026, 1, 1, tzinfo=UTC)


def test_a_stored_import_reads_back_as_parsed_and_its_bytes_do_not_depend_on_order():
    parsed = ParsedReturn(kind="903", la_code="901", year="2024-25", as_of=None,
                          window=(date(2024, 4, 1), date(2025, 3, 31)),
                          tables={"ssd_person": [{"pers_person_id": "C1", "pers_dob": date(2010, 2, 1)}],
                                  "ssd_missing": []})
    payload = serialise(parsed)
    again = deserialise(payload)
    assert (again.kind, again.la_code, again.year, again.window) == ("903", "901", "2024-25", parsed.window)
    assert again.tables["ssd_person"] == [{"pers_person_id": "C1", "pers_dob": "2010-02-01"}]
    shuffled = ParsedReturn(kind="903", la_code="901", year="2024-25", as_of=None, window=parsed.window,
                            tables={"ssd_missing": [], "ssd_person": [{"pers_dob": date(2010, 2, 1),
                                                                       "pers_person_id": "C1"}]})
    assert serialise(shuffled) == payload


def test_every_kind_of_import_has_its_parser_and_its_command():
    import importlib

    from csc.cli import imports

    for kind, (module, function) in imports.PARSERS.items():
        assert callable(getattr(importlib.import_module(module), function)), kind
    assert set(imports.PARSERS) == set(imports.import_returns.commands) - {"report"}


def test_one_date_reader_for_every_kind_of_return():
    from csc.imports.values import parse_date

    day = date(2025, 4, 1)
    for value in ("01/04/2025", "1/4/2025", "2025-04-01", "2025-04-01T00:00:00Z", "01/04/2025 00:00", "45748",
                  "45748.0", 45748, 45748.5, day, datetime(2025, 4, 1, 13, 5)):
        assert parse_date(value) == day, value
    for value in ("31/02/2025", "2025-13-01", "12", 12, "next week", ""):
        assert parse_date(value) is None, value


def test_ids_are_stable_and_tell_la_kind_and_record_apart():
    from csc.imports.ids import stable_id

    one = stable_id("901", "cin-ref", "C1", date(2025, 4, 1))
    assert one == stable_id("901", "cin-ref", "C1", date(2025, 4, 1)) and one.startswith("CIN-REF-")
    assert len({one, stable_id("902", "cin-ref", "C1", date(2025, 4, 1)), stable_id("901", "aa-ref", "C1",
                date(2025, 4, 1)), stable_id("901", "cin-ref", "C2", date(2025, 4, 1))}) == 4
