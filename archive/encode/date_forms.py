"""The English forms of dates the appeals use, as regular expressions.

One pattern per form, tried in this order (a range before the dates inside it, a full date
before a month and year); `archive.encode.dates` resolves what they match.
"""

from __future__ import annotations

import re

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
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
_DMY = rf"(?:{_WEEKDAY}?(?:the\s+)?(?P<{{p}}d1>{_DAY})(?:\s+of)?\s+(?P<{{p}}m1>{_MONTH})(?:,?\s+(?P<{{p}}y1>{YEAR}))?)"
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
            rf"\b(?:(?P<m1>{_MONTH})(?:{_DASH}|\s+(?:to|and)\s+))?(?P<m>{_MONTH})(?:\s+of)?,?\s+(?P<y>{YEAR})(?![\w-])"
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
