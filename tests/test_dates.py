from datetime import date

import pytest

from archive.document.dates import human_date, parse_iso
from archive.document.model import DateSpan


@pytest.mark.parametrize(
    ("value", "earliest", "latest", "precision"),
    [
        ("2021", date(2021, 1, 1), date(2021, 12, 31), "year"),
        ("2020-02", date(2020, 2, 1), date(2020, 2, 29), "month"),
        ("2021-03-25", date(2021, 3, 25), date(2021, 3, 25), "day"),
        ("2020-11-10T00:00:00+03:00", date(2020, 11, 10), date(2020, 11, 10), "time"),
    ],
)
def test_partial_iso_dates_cover_the_period_they_name(value, earliest, latest, precision):
    parsed = parse_iso(value)
    assert (parsed.earliest, parsed.latest, parsed.precision) == (earliest, latest, precision)


@pytest.mark.parametrize("value", ["2021-02-30", "2021-13", "25-03-2021", "March 2021", "0000", ""])
def test_impossible_or_non_iso_dates_are_refused(value):
    with pytest.raises(ValueError):
        parse_iso(value)


def test_human_date_follows_precision():
    assert human_date("2021-03-25") == "25 March 2021"
    assert human_date("2021-03") == "March 2021"
    assert human_date("2021") == "2021"


def test_uncertain_span_reads_as_between_and_covers_every_year():
    span = DateSpan(not_before="2020-11-10", not_after="2021-04-22")
    assert span.kind == "uncertain"
    assert span.is_uncertain
    assert span.label() == "between 10 November 2020 and 22 April 2021"
    assert span.years == [2020, 2021]


def test_open_ended_uncertain_date_still_has_a_year():
    span = DateSpan(not_after="2021-05-17")
    assert span.label() == "not after 17 May 2021"
    assert span.years == [2021]
    assert span.earliest is None and span.latest == date(2021, 5, 17)


def test_exact_date_with_medium_certainty_says_so():
    assert DateSpan(when="2021-03-25", cert="medium").label() == "25 March 2021 (uncertain)"


def test_span_round_trips_through_dict():
    span = DateSpan(from_="2020-09-27", to="2020-11-10", dur="P44D")
    assert DateSpan.from_dict(span.to_dict()) == span
