"""Formula escaping, CSV fields and small-number suppression, rule by rule."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from csc.returns.csv_files import csv_field
from csc.returns.formula_safety import csv_text, starts_like_formula
from csc.returns.model import Indicator, IndicatorValue
from csc.returns.quarters import FinancialQuarter
from csc.returns.suppression import SUPPRESSED, SmallNumberSuppression

pytestmark = pytest.mark.unit

Q = FinancialQuarter(2026, 2)


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "-1+1", "+44 20", "@SUM(A1)", "\tx", "\rx", "=1"])
def test_formula_starts_are_quoted(text):
    assert starts_like_formula(text)
    assert csv_text(text) == "'" + text


@pytest.mark.parametrize("text", ["Team A", " =1", "1-1", "a=b", "", "'quoted", "[c]"])
def test_ordinary_text_is_left_alone(text):
    assert not starts_like_formula(text)
    assert csv_text(text) == text


def test_csv_fields_keep_numbers_as_numbers():
    assert csv_field(Decimal("-14.1004")) == "-14.1004"
    assert csv_field(-3) == "-3"
    assert csv_field(Decimal("1E+2")) == "100"
    assert csv_field("-3") == "'-3", "text that reads as a number is still text"
    assert csv_field(None) == ""
    assert csv_field(date(2026, 9, 30)) == "2026-09-30"
    assert csv_field(datetime(2026, 10, 1, 9, 30, tzinfo=UTC)) == "2026-10-01T09:30:00+00:00"
    with pytest.raises(TypeError):
        csv_field(True)


def indicator(indicator_id, unit):
    return Indicator(indicator_id, indicator_id, "stock", unit, "lower", "", "", "")


def row(numerator, denominator=None, value=None):
    n = None if numerator is None else Decimal(numerator)
    d = None if denominator is None else Decimal(denominator)
    return IndicatorValue("X", Q, Q.start, Q.end, n, d, Decimal(value) if value is not None else n, None, "red")


SUPPRESS = SmallNumberSuppression(5)


def test_counts_of_one_to_four_are_hidden_zero_and_five_are_not():
    count = indicator("UNALLOCATED", "count")
    assert SUPPRESS.indicator(count, row(4)).value == SUPPRESSED
    assert SUPPRESS.indicator(count, row(1)).numerator == SUPPRESSED
    assert SUPPRESS.indicator(count, row(0)).value == 0
    assert SUPPRESS.indicator(count, row(5)).value == 5
    assert SmallNumberSuppression(None).indicator(count, row(1)).value == 1


def test_percentages_hide_with_either_small_term():
    percent = indicator("REREF_12M", "percent")
    shown = SUPPRESS.indicator(percent, row(3, 120, "2.5"))
    assert (shown.numerator, shown.denominator, shown.value) == (SUPPRESSED, 120, SUPPRESSED)
    shown = SUPPRESS.indicator(percent, row(0, 3, "0"))
    assert (shown.numerator, shown.denominator, shown.value) == (0, SUPPRESSED, SUPPRESSED)
    shown = SUPPRESS.indicator(percent, row(30, 120, "25"))
    assert (shown.numerator, shown.denominator, shown.value) == (30, 120, 25)


def test_population_and_fte_terms_are_not_counts():
    rate = indicator("CPP_RATE", "per_10000")
    shown = SUPPRESS.indicator(rate, row(400, "2.0001", "199.99"))
    assert shown.denominator == Decimal("2.0001") and shown.value == Decimal("199.99")
    assert SUPPRESS.indicator(rate, row(2, "6.0123", "0.3326")).value == SUPPRESSED
    vacancy = indicator("WF_VACANCY_RATE", "percent")
    assert SUPPRESS.indicator(vacancy, row("3.5", "4.5", "77.7778")).value == Decimal("77.7778")
    caseload = indicator("CASELOAD_AVG", "ratio")
    assert SUPPRESS.indicator(caseload, row(60, "3.6", "16.6667")).value == Decimal("16.6667")
    assert SUPPRESS.indicator(caseload, row(3, "0.8", "3.75")).value == SUPPRESSED


def test_a_median_of_few_children_is_hidden_with_them():
    median = indicator("UNALLOCATED_DAYS_MEDIAN", "days")
    shown = SUPPRESS.indicator(median, row("12.5"), built_on=row(3))
    assert (shown.numerator, shown.value) == (SUPPRESSED, SUPPRESSED)
    assert SUPPRESS.indicator(median, row("3"), built_on=row(40)).value == 3, "3 days is not a count"


def test_threshold_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        SmallNumberSuppression(0)
