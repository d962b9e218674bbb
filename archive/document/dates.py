"""Dates as TEI writes them (ISO 8601, possibly partial) and as people read them.

TEI date attributes may be a year (`2021`), a month (`2021-03`), a day (`2021-03-25`) or a
moment (`2020-11-10T00:00:00+03:00`). A partial date stands for the whole period it names,
so every parsed value has an earliest and a latest day; ranges and uncertain spans are
compared on those bounds.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date

from dateutil.parser import isoparse

# Kept in step with the `isoDate` pattern of schemas/appeals-common.rng.
ISO_DATE_RE = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?P<time>T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass(frozen=True)
class IsoDate:
    """A parsed ISO date with the first and last day it may denote."""

    value: str
    earliest: date
    latest: date
    precision: str  # "year", "month", "day" or "time"


@functools.lru_cache(maxsize=16384)
def parse_iso(value: str) -> IsoDate:
    """Parse an ISO 8601 date of year, month or day precision (or a moment).

    Raises ValueError with a readable reason for anything else, including impossible
    calendar dates such as 2021-02-30. Memoised (the result is immutable): reading and
    indexing a document asks for the same few dates several times each.
    """
    match = ISO_DATE_RE.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year = int(match["year"])
    if year == 0:
        raise ValueError(f"{value!r}: year 0000 does not exist")
    if match["month"] is None:
        return IsoDate(value, date(year, 1, 1), date(year, 12, 31), "year")
    month = int(match["month"])
    if not 1 <= month <= 12:
        raise ValueError(f"{value!r}: month {month} does not exist")
    if match["day"] is None:
        last = calendar.monthrange(year, month)[1]
        return IsoDate(value, date(year, month, 1), date(year, month, last), "month")
    try:
        if match["time"]:
            moment = isoparse(value.strip())
            day = moment.date()
            return IsoDate(value, day, day, "time")
        day = date(year, month, int(match["day"]))
    except ValueError as exc:
        raise ValueError(f"{value!r}: {exc}") from None
    return IsoDate(value, day, day, "day")


def is_iso_date(value: str) -> bool:
    try:
        parse_iso(value)
    except ValueError:
        return False
    return True


def human_date(value: str) -> str:
    """'2021-03-25' -> '25 March 2021', '2021-03' -> 'March 2021', '2021' -> '2021'."""
    parsed = parse_iso(value)
    d = parsed.earliest
    if parsed.precision == "year":
        return str(d.year)
    if parsed.precision == "month":
        return f"{calendar.month_name[d.month]} {d.year}"
    return f"{d.day} {calendar.month_name[d.month]} {d.year}"
