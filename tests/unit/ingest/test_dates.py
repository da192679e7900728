"""The date forms the loader accepts: exactly the calendar, in the four agreed shapes, and nothing else."""

import pytest

from csc.ingest.dates import first_bad_line, is_date

pytestmark = pytest.mark.unit

ACCEPTED = [
    "2024-03-01", "2024-02-29", "2000-02-29", "2023-12-31", "1999-04-30",
    "2024-03-01 00:00", "2024-03-01 23:59:59", "2024-03-01T09:05:00", "2024-03-01 10:11:12.123",
    "2024-03-01 10:11:12.1234567",
    "01/03/2024", "1/3/2024", "29/02/2024", "31/12/2023", "30/04/2024", "01/03/2024 09:05", "01/03/2024 23:59:59",
]
REFUSED = [
    "", "2024-02-30", "2023-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "0000-01-01",
    "2024-3-1", "24-03-01", "2024-03-01 24:00", "2024-03-01 12:60", "2024-03-01 12:00:61", "2024-03-01Z",
    "2024-03-01 10:11:12.12345678", "2024-03-01T10:11:12+01:00", " 2024-03-01", "2024-03-01 ",
    "31/04/2024", "29/02/2023", "32/01/2024", "01/13/2024", "01/03/24", "01/03/2024 9:05", "01-03-2024",
    "2024/03/01", "March 1 2024", "NULL",
]


@pytest.mark.parametrize("value", ACCEPTED)
def test_accepted_forms(value):
    assert is_date(value.encode())


@pytest.mark.parametrize("value", REFUSED)
def test_refused_forms(value):
    assert not is_date(value.encode())


def test_first_bad_line_finds_the_first_bad_value_and_allows_blanks():
    good = b"2024-01-01\n\n01/02/2024\n"
    assert first_bad_line(good) is None
    assert first_bad_line(good + b"2024-02-30\n2024-01-01\n31/02/2024\n") == 3


def test_first_bad_line_on_a_long_column_does_not_backtrack():
    column = b"2024-01-01 10:00:00\n" * 200_000 + b"not a date\n"
    assert first_bad_line(column) == 200_000
