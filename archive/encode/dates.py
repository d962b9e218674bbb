"""Dates in running English: full dates, partial ones, periods and spans counted from "now".

Each form the appeals use is one pattern; python-dateutil turns the words it matched into a
calendar date (so "31 February 2021" is refused, not invented) and `relativedelta` counts
spans back from the issue date ("the last four months" before 25 March 2021 runs from
25 November 2020). A date whose year the text leaves out takes it from the nearest year
the same paragraph names, else from the issue date; what cannot be anchored keeps only its
duration and is left for review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from dateutil.parser import ParserError
from dateutil.parser import parse as parse_date
from dateutil.relativedelta import relativedelta

from archive.document import DateSpan
from archive.encode.date_forms import ENGLISH_MONTHS, LOCAL_MONTHS, NUMBER_WORDS, PATTERNS, YEAR
from archive.encode.results import Detection
from archive.encode.spans import SpanSet

# Dates whose year a later day-and-month borrows ("On 27 September 2020 ... on 4 October");
# not spans such as "since 2016", which say nothing of the year of what follows.
_CONTEXT_KINDS = {"day", "day-range", "days-of-month", "month", "iso", "numeric"}


@dataclass(frozen=True)
class DateContext:
    """What relative and partial dates are resolved against."""

    issued: date | None = None
    cert: str | None = None  # the issue date's own certainty, passed on to what hangs on it


def detect_dates(
    text: str, context: DateContext, blocked: list[tuple[int, int]] | None = None
) -> list[Detection]:
    """Every date or period the text names, resolved as far as the text and the issue date
    allow. Spans in `blocked` (treaty names: "Geneva Conventions of 12 August 1949") are
    left alone."""
    taken = SpanSet(blocked or [])
    found: list[tuple[str, re.Match[str]]] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if start == end or taken.overlaps(start, end):
                continue
            taken.add(start, end)
            found.append((kind, match))
    found.sort(key=lambda pair: pair[1].start())
    anchor = _latest_full_date(text, found, context.issued)
    out: list[Detection] = []
    for kind, match in found:
        detection = _resolve(kind, match, text, context, anchor, found)
        if detection is not None:
            out.append(detection)
    return out


# -- resolving one match --------------------------------------------------------------


def _calendar(day: str | None, month: str, year: int) -> date | None:
    """A real calendar date from the words, through dateutil (None if there is none); a
    Russian or Azerbaijani month name is read as its English one."""
    local = LOCAL_MONTHS.get(month.lower())
    if local is not None:
        month = ENGLISH_MONTHS[local - 1]
    words = f"{day or 1} {month.rstrip('.')} {year}"
    try:
        return parse_date(words, default=datetime(year, 1, 1), dayfirst=True).date()
    except (ParserError, ValueError, OverflowError):
        return None


def _month_number(month: str) -> int | None:
    found = _calendar(None, month, 2000)
    return found.month if found else None


def _day_number(day: str) -> int:
    return int(re.sub(r"\D", "", day))


def _num(value: str | None) -> int:
    if not value:
        return 1
    if value.isdigit():
        return int(value)
    total = 0
    for part in re.split(r"[-\s]", value.lower()):
        total += NUMBER_WORDS.get(part, 0)
    return total


def _iso(day: date) -> str:
    return day.isoformat()


def _duration(n: int, unit: str) -> tuple[str, relativedelta]:
    unit = unit.lower().rstrip("s")
    if unit == "day":
        return f"P{n}D", relativedelta(days=n)
    if unit == "week":
        return f"P{n * 7}D", relativedelta(weeks=n)
    if unit == "month":
        return f"P{n}M", relativedelta(months=n)
    if unit == "decade":
        return f"P{n * 10}Y", relativedelta(years=10 * n)
    return f"P{n}Y", relativedelta(years=n)


_RECENT_RE = re.compile(r"\b(?:has|have|recently|to\s+date|so\s+far|this\s+year)\b", re.I)


def _sentence(text: str, start: int) -> str:
    return text[text.rfind(".", 0, start) + 1 : text.find(".", start) + 1 or len(text)]


def _context_year(
    text: str, start: int, found: list[tuple[str, re.Match[str]]], sentence: bool = False
) -> int | None:
    """The year of the nearest earlier date in the same paragraph (or sentence), if any."""
    paragraph_start = text.rfind("\n", 0, start) + 1
    if sentence:
        paragraph_start = max(paragraph_start, text.rfind(". ", 0, start) + 1)
    years = [
        int(y)
        for kind, m in found
        if paragraph_start <= m.start() < start and kind in _CONTEXT_KINDS
        for y in re.findall(rf"\b{YEAR}\b", m.group())
    ]
    return years[-1] if years else None


def _year_for(
    month: int,
    day: int,
    text: str,
    start: int,
    context: DateContext,
    found,
    starts_range: bool = False,
) -> tuple[int | None, str, str | None]:
    """(year, evidence, cert) for a day and month the text gives without a year.

    A year from an earlier sentence of the paragraph that lies more than a year from the
    issue date is not borrowed by a sentence in the present perfect or saying "recently"
    ("signed on 3-4 December 1997. ... have ratified the treaty, most recently Romania on
    30 November", in a text of December 2000, is 2000); "The war began on 27 September
    2020. On 4 October, Ganja was shelled" keeps 2020. A period that starts on or just
    after the issue date stays in the issue date's year."""
    year = _context_year(text, start, found)
    if (
        year is not None
        and context.issued is not None
        and abs(context.issued.year - year) > 1
        and _context_year(text, start, found, sentence=True) is None
        and _RECENT_RE.search(_sentence(text, start))
    ):
        year = None
    if year is not None:
        return year, f"year {year} from the date before it in the same paragraph", None
    if context.issued is None:
        return None, "no year in the text and no issue date", None
    year = context.issued.year
    sentence = text[text.rfind(".", 0, start) + 1 : text.find(".", start) + 1 or len(text)]
    future = re.search(r"\b(will|shall|upcoming|next|scheduled|planned)\b", sentence, re.I)
    try:
        candidate = date(year, month, day)
    except ValueError:
        return None, "no such day in the issue year", None
    if starts_range and 0 <= (candidate - context.issued).days <= 31:
        return year, f"year {year}: a period starting at the issue date", "medium"
    if candidate > context.issued and not future:
        year -= 1
        return year, f"year {year}: the last {candidate:%d %B} before the issue date", "medium"
    return year, f"year {year} from the issue date", "medium"


def _resolve(kind, match, text, context, anchor, found) -> Detection | None:
    g = match.groupdict()
    core = next((name for name in ("core", "core2") if g.get(name)), None)
    start, end = match.span(core) if core else match.span()
    words = text[start:end]
    if core == "core2":
        g = {**g, "n": g["n2"], "unit": g["unit2"]}

    def detection(span: DateSpan, confidence: float, evidence: str, review: bool = False):
        return Detection(
            "date",
            words,
            start,
            end,
            date=span,
            confidence=confidence,
            evidence=evidence,
            needs_review=review,
        )

    if kind == "iso":
        try:
            day = date(int(g["y"]), int(g["m"]), int(g["d"]))
        except ValueError:
            return None
        return detection(DateSpan(when=_iso(day)), 0.99, "ISO date")
    if kind == "numeric":
        d, m = int(g["d"]), int(g["m"])
        try:
            day = date(int(g["y"]), m, d)
        except ValueError:
            return None
        ambiguous = g["sep"] == "/" and d <= 12 and m <= 12 and d != m
        return detection(
            DateSpan(when=_iso(day)),
            0.6 if ambiguous else 0.9,
            "numeric date read day first" + (" (could be month first)" if ambiguous else ""),
            review=ambiguous,
        )
    if kind in ("day", "day-range"):
        return _resolve_days(kind, g, text, start, context, found, detection)
    if kind == "days-of-month":
        month = g["m"] or g["mb"]
        if not (g["y"] or g["yb"]):
            return _resolve_days_of_month(g, text, start, context, found, detection)
        year = int(g["y"] or g["yb"])
        first = _calendar(g["d1"] or g["d1b"], month, year)
        last = _calendar(g["d2"] or g["d2b"], month, year)
        if not first or not last or first > last:
            return None
        return detection(DateSpan(from_=_iso(first), to=_iso(last)), 0.95, "days of one month")
    if kind == "year-range":
        y1 = g["y1"] or g["y3"]
        y2 = g["y2"] or g["y4"]
        if len(y2) == 2:
            y2 = y1[:2] + y2
        if int(y2) <= int(y1):
            return None
        return detection(DateSpan(from_=y1, to=y2), 0.9, "a period of years")
    if kind == "month":
        year = int(g["y"])
        month = _month_number(g["m"])
        if month is None:
            return None
        if g["m1"]:
            first = _month_number(g["m1"])
            if first is None or first > month:
                return None
            return detection(
                DateSpan(from_=f"{year}-{first:02d}", to=f"{year}-{month:02d}"),
                0.9,
                "months of one year",
            )
        return detection(DateSpan(when=f"{year}-{month:02d}"), 0.95, "month and year")
    if kind == "year":
        return detection(DateSpan(when=g["y"]), 0.8, "a year standing alone")
    if kind == "decade":
        century = g["c"] or ("19" if int(g["dd"]) >= 3 else "20")
        first = f"{century}{g['dd']}0"
        return detection(DateSpan(from_=first, to=f"{first[:3]}9"), 0.8, "a decade")
    if kind == "relative-month":
        return _resolve_relative_month(g, context, detection)
    if kind == "since":
        return _resolve_since(g, text, start, context, found, detection)
    if kind == "last":
        n = _num(g["n"])
        dur, delta = _duration(n, g["unit"])
        if context.issued is None:
            return detection(
                DateSpan(dur=dur), 0.5, "counted back from the issue date, which is unknown", True
            )
        begin = context.issued - delta
        return detection(
            DateSpan(from_=_iso(begin), to=_iso(context.issued), dur=dur, cert="medium"),
            0.8,
            f"counted back {dur} from the issue date {context.issued:%d %B %Y}",
        )
    if kind == "duration":
        n = _num(g["n"])
        if n == 0:
            return None
        dur, delta = _duration(n, g["unit"])
        unit = g["unit"].lower().rstrip("s")
        if anchor is None:
            return detection(DateSpan(dur=dur), 0.5, "a length of time with nothing to anchor it")
        anchor_day, anchor_words = anchor
        if unit in ("year", "decade"):
            # Years are round figures in these texts: keep the length and the end only.
            return detection(
                DateSpan(to=_iso(anchor_day), dur=dur, cert="low"),
                0.5,
                f"{dur} ending at the latest date the text names ({anchor_words})",
            )
        return detection(
            DateSpan(
                from_=_iso(anchor_day - delta),
                to=_iso(anchor_day),
                dur=dur,
                cert="medium" if unit == "month" else None,
            ),
            0.6,
            f"{dur} ending at the latest date the text names ({anchor_words})",
        )
    return None


def _resolve_days(kind, g, text, start, context, found, detection):
    parts = []
    for prefix in ("a", "b") if kind == "day-range" else ("a",):
        day = g[f"{prefix}d1"] or g[f"{prefix}d2"]
        month = g[f"{prefix}m1"] or g[f"{prefix}m2"]
        year = g[f"{prefix}y1"] or g[f"{prefix}y2"]
        parts.append((day, month, year))
    if kind == "day-range":
        # "27 September – 10 November 2020": the first date borrows the second's year.
        (d1, m1, y1), (d2, m2, y2) = parts
        if y2 is None and y1 is None:
            # "From March 30 till April 1 this year": the year of its first day.
            month_no = _month_number(m1)
            if month_no is None:
                return None
            resolved, _evidence, _cert = _year_for(
                month_no, _day_number(d1), text, start, context, found, starts_range=True
            )
            if resolved is None:
                return None
            y1 = y2 = str(resolved)
        first = _calendar(d1, m1, int(y1 or y2))
        last = _calendar(d2, m2, int(y2 or y1))
        if not first or not last or first > last:
            return None
        return detection(DateSpan(from_=_iso(first), to=_iso(last)), 0.95, "a period of days")
    day, month, year = parts[0]
    if year:
        found_day = _calendar(day, month, int(year))
        if found_day is None:
            return None
        return detection(DateSpan(when=_iso(found_day)), 0.98, "day, month and year")
    month_no = _month_number(month)
    if month_no is None:
        return None
    if month.startswith("May") and not re.search(r"\d", g["ad2"] or g["ad1"] or ""):
        return None
    resolved, evidence, cert = _year_for(month_no, _day_number(day), text, start, context, found)
    if resolved is None:
        return detection(DateSpan(), 0.3, f"day and month without a year: {evidence}", True)
    found_day = _calendar(day, month, resolved)
    if found_day is None:
        return None
    return detection(DateSpan(when=_iso(found_day), cert=cert), 0.75, evidence)


def _resolve_days_of_month(g, text, start, context, found, detection):
    """'from 14 to 17 October', '19 and 20 October' without a year: the issue date's."""
    month = g["m"] or g["mb"]
    month_no = _month_number(month)
    if month_no is None:
        return None
    d1, d2 = g["d1"] or g["d1b"], g["d2"] or g["d2b"]
    resolved, evidence, cert = _year_for(
        month_no, _day_number(d1), text, start, context, found, starts_range=True
    )
    if resolved is None:
        return detection(DateSpan(), 0.3, f"days of a month without a year: {evidence}", True)
    first, last = _calendar(d1, month, resolved), _calendar(d2, month, resolved)
    if not first or not last or first > last:
        return None
    return detection(DateSpan(from_=_iso(first), to=_iso(last), cert=cert), 0.75, evidence)


def _resolve_relative_month(g, context, detection):
    """'March this year', 'last December' (before the issue date), 'the first half of 2024'."""
    if g["half"]:
        first, last = ("01", "06") if g["half"] == "first" else ("07", "12")
        return detection(
            DateSpan(from_=f"{g['y']}-{first}", to=f"{g['y']}-{last}"), 0.85, "half a year"
        )
    if context.issued is None:
        return detection(DateSpan(), 0.3, "a month counted from an unknown issue date", True)
    month = _month_number(g["m"] or g["ml"])
    if month is None:
        return None
    year = context.issued.year
    if g["ml"] and month >= context.issued.month:
        year -= 1
    return detection(
        DateSpan(when=f"{year}-{month:02d}"), 0.8, f"counted from the issue date {context.issued}"
    )


def _resolve_since(g, text, start, context, found, detection):
    month = _month_number(g["m"]) if g["m"] else None
    if g["y"]:
        year = int(g["y"])
    elif month is not None:
        resolved, _, _ = _year_for(month, _day_number(g["d"] or "1"), text, start, context, found)
        if resolved is None:
            return None
        year = resolved
    else:
        return None
    if g["d"] and month is not None:
        begin_day = _calendar(g["d"], g["m"], year)
        if begin_day is None:
            return None
        begin = _iso(begin_day)
    elif month is not None:
        begin = f"{year}-{month:02d}"
    else:
        begin = str(year)
    if context.issued is None:
        return detection(
            DateSpan(from_=begin), 0.7, "since a date, up to an unknown issue date", True
        )
    return detection(
        DateSpan(from_=begin, to=_iso(context.issued)),
        0.9,
        f"from {begin} up to the issue date {context.issued:%d %B %Y}",
    )


def _latest_full_date(
    text: str, found: list[tuple[str, re.Match[str]]], issued: date | None
) -> tuple[date, str] | None:
    """The anchor for bare lengths of time ("44 days", "thirty years"): the latest day the
    text names (a date, or the end of a period of days) before the issue date; a date line
    giving the issue date itself is not an event. None when the text names no such day:
    a war of 44 days said in a text of today need not have ended today."""
    best: tuple[date, str] | None = None
    for kind, match in found:
        g = match.groupdict()
        if kind == "day":
            prefix = "a"
        elif kind == "day-range":
            prefix = "b"
        else:
            continue
        year = g[f"{prefix}y1"] or g[f"{prefix}y2"]
        if not year:
            continue
        day = _calendar(
            g[f"{prefix}d1"] or g[f"{prefix}d2"], g[f"{prefix}m1"] or g[f"{prefix}m2"], int(year)
        )
        if day is None or (issued is not None and day >= issued):
            continue
        if best is None or day > best[0]:
            best = (day, match.group().strip())
    return best
