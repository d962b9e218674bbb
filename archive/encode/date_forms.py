"""The forms of dates the appeals use, as regular expressions.

One pattern per form, tried in this order (a range before the dates inside it, a full date
before a month and year); `archive.encode.dates` resolves what they match.

The forms are English; the month names are also Russian and Azerbaijani (`LOCAL_MONTHS`,
taken from the `dateparser` package's locale tables, with the Russian prepositional case
added: "в июле"), with the year words those languages put after a year ("2021 года",
"2024-cü il"). dateparser itself is not the parser: on the dates of the gold texts and
the bundled Russian and Azerbaijani records it took 2.7 ms a date (`dateparser.parse`, after
a first call of 290 ms) against microseconds for these patterns, and its `search_dates`
read "4 aprel 2024-cü ildə" as 2 April of the current year.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path
from typing import Any

ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def _locale_table(code: str) -> dict[str, Any]:
    """dateparser's table of one language, read from its data file alone: importing the
    package (`dateparser/__init__`) costs ~150 ms that every `archive` command would pay."""
    spec = importlib.util.find_spec("dateparser")
    if spec is None or spec.origin is None:
        raise ImportError("the dateparser package is needed for month names (pip install -e .)")
    path = Path(spec.origin).parent / "data" / "date_translation_data" / f"{code}.py"
    # The file is one literal, `info = {...}`: read as data, never run.
    return ast.literal_eval(path.read_text(encoding="utf-8").split("=", 1)[1])


def _local_months() -> dict[str, int]:
    """Lowercase month names of the languages beyond English -> month number."""
    names: dict[str, int] = {}
    ru, az = _locale_table("ru"), _locale_table("az")
    for number, key in enumerate(m.lower() for m in ENGLISH_MONTHS):
        for table in (ru, az):
            for name in table.get(key, []):
                if len(name) > 3:  # abbreviations ("мар", "yan") are words too
                    names[name.replace("İ", "i").lower()] = number + 1
        nominative = max(ru.get(key, []), key=len, default="")
        if nominative and nominative[-1] not in "ая":
            # The prepositional case: "в июле", "в марте", "в мае".
            stem = nominative[:-1] if nominative[-1] in "ьй" else nominative
            names[stem + "е"] = number + 1
    return names


LOCAL_MONTHS = _local_months()
# Compiling the patterns with these names takes 13.7 ms at import instead of 6.2 ms.
_LOCAL = "|".join(
    sorted({f for n in LOCAL_MONTHS for f in (n, n.capitalize())}, key=len, reverse=True)
)
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?"
    rf"|{_LOCAL})"
)
# Words after a year: Russian "2021 года" / "г.", Azerbaijani "2024-cü il(də)".
_YEAR_WORDS = r"(?:\s+(?:года|году|г\.)|-(?:ci|cı|cu|cü)(?:\s+il(?:in|də|dən)?)?)?"
_WEEKDAY = r"(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),?\s+)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
YEAR = r"(?:1[89]\d\d|20\d\d)"
_DASH = r"\s*[-\u2010-\u2015]\s*"
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}  # fmt: skip
_NUMBER = (
    r"(?:\d{1,3}|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[-\s](?:one|two|three"
    r"|four|five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven"
    r"|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|a|an)"
)
_UNIT = r"(?:day|week|month|year|decade)s?"
_EVENT = (
    r"(?:war|conflict|occupation|offensive|siege|blockade|fighting|hostilities|bombardment"
    r"|shelling|ceasefire|truce|campaign)\b"
)

# A day with its month and optional year, in either order: the building block of the rest.
_DMY = rf"(?:{_WEEKDAY}?(?:the\s+)?(?P<{{p}}d1>{_DAY})(?:\s+of)?\s+(?P<{{p}}m1>{_MONTH})(?:,?\s+(?P<{{p}}y1>{YEAR}){_YEAR_WORDS})?)"
_MDY = rf"(?:{_WEEKDAY}?(?P<{{p}}m2>{_MONTH})(?:\s+|(?<=\.))(?P<{{p}}d2>{_DAY})(?:,?\s+(?P<{{p}}y2>{YEAR}))?)"


def _day(prefix: str) -> str:
    return f"(?:{_DMY.format(p=prefix)}|{_MDY.format(p=prefix)})"


PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # "from 27 September to 10 November 2020", "27 September – 10 November 2020"
    (
        "day-range",
        re.compile(
            rf"(?:\b(?i:from|between)\s+)?\b{_day('a')}(?:{_DASH}|\s+(?:to|until|till|and|through)\s+){_day('b')}(?![\w-])"
        ),
    ),
    # "1–3 March 2021", "March 1-3, 2021"
    (
        "days-of-month",
        re.compile(
            rf"(?:\b(?i:from|between)\s+)?\b(?:(?P<d1>{_DAY})(?:{_DASH}|\s+(?:to|and|until|till)\s+)(?P<d2>{_DAY})\s+(?P<m>{_MONTH})(?:,?\s+(?P<y>{YEAR}))?"
            rf"|(?P<mb>{_MONTH})\s+(?P<d1b>{_DAY})(?:{_DASH}|\s+(?:to|and|until|till)\s+)(?P<d2b>{_DAY})(?:,?\s+(?P<yb>{YEAR}))?)(?![\w-])"
        ),
    ),
    # "from 1988 to 1994", "between 1988 and 1994", "1988–1994"
    (
        "year-range",
        re.compile(
            rf"(?:\b(?i:from|between)\s+(?P<y1>{YEAR})\s+(?:to|and|until|till)\s+(?P<y2>{YEAR})"
            rf"|\b(?P<y3>{YEAR}){_DASH}(?P<y4>{YEAR}|\d\d))(?![\w-])"
        ),
    ),
    ("iso", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")),
    ("numeric", re.compile(r"\b(?P<d>\d{1,2})(?P<sep>[./-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})\b")),
    ("day", re.compile(rf"(?<!since )(?<!Since )\b{_day('a')}(?!\w|-\w)")),
    # "since November 2020", "since 2016", "since 4 September"
    (
        "since",
        re.compile(
            rf"\b(?i:since)\s+(?:(?:early|mid-?|late)\s+)?(?:(?:the\s+)?(?P<d>{_DAY})\s+(?:of\s+)?)?(?:(?P<m>{_MONTH})\s*,?\s*)?(?P<y>{YEAR})?(?![\w-])"
        ),
    ),
    # "November 2020", "September–November 2020"
    (
        "month",
        re.compile(
            rf"\b(?:(?P<m1>{_MONTH})(?:{_DASH}|\s+(?:to|and)\s+))?(?P<m>{_MONTH})(?:\s+of)?,?\s+(?P<y>{YEAR}){_YEAR_WORDS}(?![\w-])"
        ),
    ),
    # "the 1990s", "the 90s", "the '90s": a decade
    ("decade", re.compile(r"\b(?i:the)\s+(?P<core>(?P<c>1[89]|20)?['’]?(?P<dd>\d)0['’]?s)\b")),
    # "March this year", "last December", "the first half of 2024"
    (
        "relative-month",
        re.compile(
            rf"\b(?:(?P<m>{_MONTH})\s+(?:of\s+)?this\s+year|(?i:last)\s+(?P<ml>{_MONTH})"
            rf"|(?i:the)\s+(?P<half>first|second)\s+half\s+of\s+(?P<y>{YEAR}))(?![\w-])"
        ),
    ),
    # "the last four months", "over the past year", "in the previous two weeks"
    (
        "last",
        re.compile(
            rf"\b(?:the\s+)(?:last|past|previous)\s+(?:(?P<n>{_NUMBER})\s+)?(?P<unit>{_UNIT})\b",
            re.IGNORECASE,
        ),
    ),
    # "for 44 days", "the 44-day war", "thirty years of occupation": lengths of time
    # that belong to an event; a bare "10 years" (a sentence, an age) is not a date.
    (
        "duration",
        re.compile(
            rf"\b(?:(?:for|lasted|lasting|after)\s+(?:(?:almost|nearly|about|some|over|more\s+than)\s+)?"
            rf"(?P<core>(?P<n>{_NUMBER})\s(?P<unit>{_UNIT}))(?![\w-])"
            rf"|(?P<core2>(?P<n2>{_NUMBER})[-\s](?P<unit2>{_UNIT}))(?:\s+of)?\s+{_EVENT})",
            re.IGNORECASE,
        ),
    ),
    # "in 2008", "during 1994": a year standing for itself
    (
        "year",
        re.compile(
            rf"\b(?:(?i:in)|(?i:during)|the\s+year|early|late|mid-?|the(?=\s+{YEAR}\s+(?:[A-Z][\w-]*\s+){{0,3}}{_EVENT}))\s+(?P<core>(?P<y>{YEAR}))(?![\w-])"
            r"(?!\s+(?!(?:was|has|is|as|its|this|thus)\b)(?:[a-z]+s|people|children|men|women)\b)"
        ),
    ),
]
