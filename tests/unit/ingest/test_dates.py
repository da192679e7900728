"""The date forms the loader accepts: exactly the calendar, in the four agreed shapes, and nothing else."""

import random

import numpy as np
import pytest

from csc.ingest.dates import ISO_WIDTH, first_bad_line, is_date, iso_dates

pytestmark = pytest.mark.unit

ACCEPTED = [
    "2024-03-01", "2024-02-29", "2000-02-29", "2023-12-31", "1999-04-30",
    "2024-03-01 00:00", "2024-03-01 23:59:59", "2024-03-01T09:05:00", "2024-03-01 10:11:12.123",
    "2024-03-01 10:11:12.1234567",
    "01/03/2024", "1/3/2024", "29/02/2024", "31/12/2023", "30/04/2024", "01/03/2024 09:05", "01/03/2024 23:59:59",
    "2024-12-10 00:00:00.000", "Jun 14 2022 12:00AM", "Jun  4 2022  9:05PM", "Feb 29 2024", "Dec 31 2023 11:59PM",
]
REFUSED = [
    "", "2024-02-30", "2023-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "0000-01-01",
    "2024-3-1", "24-03-01", "2024-03-01 24:00", "2024-03-01 12:60", "2024-03-01 12:00:61", "2024-03-01Z",
    "2024-03-01 10:11:12.12345678", "2024-03-01T10:11:12+01:00", " 2024-03-01", "2024-03-01 ",
    "31/04/2024", "29/02/2023", "32/01/2024", "01/13/2024", "01/03/24", "01/03/2024 9:05", "01-03-2024",
    "2024/03/01", "March 1 2024", "NULL",
    "Jun 31 2022", "Feb 29 2023 12:00AM", "Jun 14 2022 13:00PM", "Jun 14 2022 12:00", "jun 14 2022", "Jun 0 2022",
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


def _iso_dates(values: list[bytes]) -> list[bool]:
    rows = np.zeros((len(values), ISO_WIDTH), dtype=np.uint8)
    for i, value in enumerate(values):
        cut = value[:ISO_WIDTH] + b"9:-" * ISO_WIDTH  # what follows a value is arbitrary: never read as part of it
        rows[i] = np.frombuffer(cut[:ISO_WIDTH], dtype=np.uint8)
    return iso_dates(rows, np.array([len(v) for v in values])).tolist()


def test_iso_dates_vouches_only_for_what_is_date_accepts():
    values = [v.encode() for v in ACCEPTED + REFUSED]
    assert _iso_dates(values) == [is_date(v) and b"/" not in v and v[:1].isdigit() for v in values]


def test_iso_dates_agrees_with_is_date_on_random_values():
    rng = random.Random(7)
    pieces = ["0", "1", "2", "3", "9", "00", "12", "29", "30", "31", "59", "60", "-", ":", ".", " ", "T", "/", "x"]
    values = []
    for _ in range(20_000):
        value = bytearray(b"%04d-%02d-%02d" % (rng.choice([0, 1, 4, 100, 1900, 2000, 2023, 2024, 9999]),
                                               rng.randint(0, 13), rng.randint(0, 32)))
        if rng.random() < 0.6:
            value += b"%s%02d:%02d" % (rng.choice([b" ", b"T", b"_"]), rng.randint(0, 25), rng.randint(0, 61))
            if rng.random() < 0.6:
                value += b":%02d" % rng.randint(0, 61)
                if rng.random() < 0.5:
                    value += b"." + b"7" * rng.randint(0, 9)
        for _ in range(rng.choice([0, 0, 0, 1, 2])):  # a random edit
            at = rng.randrange(len(value) + 1)
            value[at:at + rng.randint(0, 2)] = rng.choice(pieces).encode()
        values.append(bytes(value))
    found = _iso_dates(values)
    assert found == [is_date(v) and b"/" not in v for v in values]
    assert 0.2 < sum(found) / len(found) < 0.8
