"""The authority registers: treaties, persons, organisations and places.

Documents point into these registers with private URIs (`treaty:gc-1949-iv`,
`person:umud-mirzayev`, `org:anama`, `place:ganja`). A register knows every name a record
goes by, so that "the Ottawa Treaty", "APMBC" and `apmbc-1997` all reach the same record,
and it says so when a name fits more than one record ("Protocol II") instead of guessing.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from anyascii import anyascii
from lxml import etree

from archive.document.tei import NS, XML_ID, inline_text, parse_tei, read_bytes, split_refs
from archive.errors import BadQuery, InvalidDocument, NotFound, Problem, UnknownName

ICRC_TREATY_URL = "https://ihl-databases.icrc.org/en/ihl-treaties/{slug}"
WIKIDATA_URL = "https://www.wikidata.org/wiki/{qid}"

# idno type of an id a record once had (merged into it, or renamed from it).
FORMER_ID = "former"

REGISTER_FILES = {
    "treaty": "treaties.xml",
    "person": "persons.xml",
    "org": "organisations.xml",
    "place": "places.xml",
}

# Letters that Unicode does not decompose but that readers type without their marks.
_FOLD = str.maketrans({"ə": "a", "Ə": "a", "ı": "i", "ł": "l", "ø": "o", "æ": "ae", "ß": "ss"})


def normalize_name(text: str) -> str:
    """The key under which a name is looked up: case, accents, punctuation, a leading
    article and repeated spaces do not matter ("The Ottawa-Treaty" == "ottawa treaty")."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ")
    text = re.sub(r"[^\w]+", " ", text).strip()
    return re.sub(r"^the\s+", "", text)


def latin_key(text: str) -> str:
    """`text` in Latin letters when it is written in another script (anyascii: Мирзаев ->
    Mirzaev, Միրզաև -> Mirzaev), else "": the key under which a name written in Cyrillic or
    Armenian is also found by a reader typing Latin letters. anyascii (ISC licence) rather
    than Unidecode (GPL): on the register's Cyrillic and Armenian names (16,000 calls) it took
    6.0 us a name against 8.9, and Unidecode makes Միրզաև "Mirzaew", Рей "Rei"."""
    if text.isascii() or all(
        not c.isalpha() or "LATIN" in unicodedata.name(c, "LATIN") for c in text
    ):
        return ""
    return anyascii(text)


@dataclass(frozen=True)
class Record:
    """What every register record has: an id, a preferred name and other names."""

    id: str
    name: str
    variants: tuple[str, ...] = ()
    external_ids: tuple[tuple[str, str], ...] = ()
    note: str | None = None
    line: int | None = None

    kind = "record"

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.variants)

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def label(self) -> str:
        """The name for running text, facet lists and messages."""
        return self.name

    @property
    def wikidata(self) -> str | None:
        return dict(self.external_ids).get("wikidata")

    @property
    def links(self) -> list[tuple[str, str]]:
        """(label, url) pairs for the record's identifiers elsewhere."""
        out = []
        for scheme, value in self.external_ids:
            if scheme == "wikidata":
                out.append(("Wikidata", WIKIDATA_URL.format(qid=value)))
            elif scheme == "URI":
                out.append(("Website", value))
            elif scheme == "ICRC":
                out.append(("ICRC IHL Databases", ICRC_TREATY_URL.format(slug=value)))
        return out


@dataclass(frozen=True)
class Treaty(Record):
    short_title: str = ""
    abbreviations: tuple[str, ...] = ()
    category: str = "treaty"  # "group", "treaty" or "protocol"
    parent: str | None = None
    adopted: str | None = None
    opened: str | None = None
    entry_into_force: str | None = None

    kind = "treaty"

    @property
    def is_group(self) -> bool:
        return self.category == "group"

    @property
    def icrc_slug(self) -> str | None:
        return dict(self.external_ids).get("ICRC")

    @property
    def icrc_url(self) -> str | None:
        slug = self.icrc_slug
        return ICRC_TREATY_URL.format(slug=slug) if slug else None

    @property
    def label(self) -> str:
        return self.short_title or self.name


@dataclass(frozen=True)
class Affiliation:
    role: str | None
    org_id: str | None
    text: str


@dataclass(frozen=True)
class Person(Record):
    affiliations: tuple[Affiliation, ...] = ()

    kind = "person"


@dataclass(frozen=True)
class Organisation(Record):
    category: str = ""
    abbreviations: tuple[str, ...] = ()
    place_id: str | None = None
    description: str | None = None

    kind = "org"


@dataclass(frozen=True)
class Place(Record):
    category: str = ""
    latitude: float | None = None
    longitude: float | None = None
    parent: str | None = None

    kind = "place"


R = TypeVar("R", bound=Record)
H = TypeVar("H", Treaty, Place)


@dataclass
class Register(Generic[R]):
    """The records of one kind, with lookup by id and by any of their names."""

    kind: str
    path: Path
    records: dict[str, R] = field(default_factory=dict)
    # Ids a record once had (merged into it, or renamed): {former id: current id}. They
    # keep answering, so that nothing that cites them breaks.
    former: dict[str, str] = field(default_factory=dict)
    _by_name: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def add(self, record: R) -> None:
        self.records[record.id] = record
        for scheme, value in record.external_ids:
            if scheme == FORMER_ID:
                self.former[value] = record.id
        names = [*record.names, *filter(None, map(latin_key, record.names))]
        keys = {normalize_name(n) for n in names} | {record.id}
        keys |= {normalize_name(value) for scheme, value in record.external_ids if scheme == "ICRC"}
        for key in keys:
            ids = self._by_name.setdefault(key, [])
            if record.id not in ids:
                ids.append(record.id)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self.records

    def __iter__(self) -> Iterator[R]:
        return iter(self.records.values())

    def __len__(self) -> int:
        return len(self.records)

    def get(self, record_id: str) -> R:
        try:
            return self.records[record_id]
        except KeyError:
            raise NotFound(f"no {self.kind} with id {record_id!r}") from None

    def current_id(self, record_id: str) -> str | None:
        """The id under which `record_id` is kept now: itself, the record it was merged
        into or renamed to, or None if the register never had it."""
        if record_id in self.records:
            return record_id
        return self.former.get(record_id)

    def find(self, text: str) -> list[R]:
        """Every record that `text` names exactly: an id, a name, an alias or an ICRC slug.
        More than one means the name is ambiguous."""
        text = text.strip()
        if text.startswith(f"{self.kind}:"):
            text = text.split(":", 1)[1]
        if text in self.records:
            return [self.records[text]]
        ids = self._by_name.get(normalize_name(text)) or self._by_name.get(
            normalize_name(latin_key(text)), []
        )
        return [self.records[i] for i in ids]

    def find_by_words(self, text: str) -> list[R]:
        """Records one of whose names holds every word of `text` as a whole word
        ("Mirzayev" finds Umud Mirzayev; so does Мирзаев, by a Cyrillic variant or by its
        Latin letters). For partial names typed into a search."""
        wanted = [normalize_name(text).split(), normalize_name(latin_key(text)).split()]
        wanted = [words for words in wanted if words]
        if not wanted:
            return []
        found = []
        for record in self:
            names = [*record.names, *filter(None, map(latin_key, record.names))]
            if any(
                all(w in name_words for w in words)
                for name_words in (normalize_name(n).split() for n in names)
                for words in wanted
            ):
                found.append(record)
        return found

    def resolve(self, text: str) -> R:
        """The one record `text` names, or BadQuery listing the candidates (ambiguous) or
        the closest names (unknown)."""
        found = self.find(text) or self.find_by_words(text)
        if len(found) == 1:
            return found[0]
        if found:
            candidates = [f"{r.id} ({r.label})" for r in found]
            raise BadQuery(
                f"{self.kind} {text!r} is ambiguous: it may mean "
                + "; ".join(candidates)
                + ". Use an id to choose.",
                suggestions=[r.id for r in found],
            )
        close = self.close_matches(text)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UnknownName(f"unknown {self.kind} {text!r}.{hint}", suggestions=close)

    def close_matches(self, text: str, limit: int = 5) -> list[str]:
        """Names close to `text` in spelling, for 'did you mean' messages."""
        names = {normalize_name(n): n for r in self for n in r.names}
        names.update({r.id: r.id for r in self})
        hits = difflib.get_close_matches(normalize_name(text), list(names), n=limit, cutoff=0.6)
        return [names[h] for h in hits]

    def ambiguous_names(self) -> dict[str, list[str]]:
        """Normalised names that stand for more than one record: {name: [ids]}."""
        return {name: ids for name, ids in self._by_name.items() if len(ids) > 1}


_ROMAN = ("", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")


def abbreviation_key(text: str) -> str:
    """How researchers abbreviate a numbered instrument, reduced to one key: spaces and
    punctuation dropped, a number from 1 to 10 written in Roman numerals ("GC4", "GC IV",
    "gc-iv" and "GCIV" are all "gciv"; "AP1" is "api"; "Geneva Convention 4" is
    "genevaconventioniv"). Years and longer numbers stay as they are."""
    words = normalize_name(text).split()
    out = []
    for word in words:
        match = re.fullmatch(r"([a-z]*?)(10|[1-9])", word)
        if match and (match.group(1) or len(words) > 1):
            word = match.group(1) + _ROMAN[int(match.group(2))]
        out.append(word)
    return "".join(out)


class HierarchicalRegister(Register[H]):
    """Records that lie within others: treaties in their group or parent (relatedItem
    memberOf), places in their country or region (location/placeName). One idea for both:
    a search for a record finds what lies within it, and a document counts under what the
    records it names lie within."""

    def members(self, record_id: str) -> list[H]:
        return [r for r in self if r.parent == record_id]

    def ancestors(self, record_id: str) -> list[str]:
        out: list[str] = []
        current = self.records.get(record_id)
        while current is not None and current.parent and current.parent not in out:
            out.append(current.parent)
            current = self.records.get(current.parent)
        return out

    def with_ancestors(self, record_ids: list[str]) -> list[str]:
        """The records named and every record they lie within (Aghdam: Karabakh,
        Azerbaijan): what a document counts under in the facets."""
        out: list[str] = []
        for record_id in record_ids:
            out.append(record_id)
            out.extend(self.ancestors(record_id))
        return list(dict.fromkeys(out))

    def query_ids(self, record_id: str) -> list[str]:
        """The indexed ids a search for `record_id` must match: the record itself and every
        record within it, at any depth, so a search for a group, a parent treaty or a region
        finds documents naming any of its parts."""
        out = [record_id]
        for member in self.members(record_id):
            if member.id not in out:
                out.extend(self.query_ids(member.id))
        return list(dict.fromkeys(out))


class TreatyRegister(HierarchicalRegister[Treaty]):
    """Treaties with their hierarchy: groups (gc-1949 holds GC I-IV) and parents (the CCW
    holds its protocols), found by the abbreviations researchers write (`abbreviation_key`:
    GC4 is GC IV, AP1 is AP I)."""

    _abbreviation_keys: list[tuple[str, str]] | None = None  # built by _keys()

    def find(self, text: str) -> list[Treaty]:
        found = super().find(text)
        if found:
            return self._by_usage(found, text)
        key = abbreviation_key(text)
        ids = dict.fromkeys(i for n, i in self._keys() if n == key) if key else {}
        return self._by_usage([self.records[i] for i in ids], text)

    def close_matches(self, text: str, limit: int = 5) -> list[str]:
        """Names close to `text` as an abbreviation is written (GC5 is nearest GC IV, not
        GCs), then by spelling; each record named once, by the name closest to what was
        typed."""
        keys: dict[str, str] = {}
        for name_key, record_id in self._keys():
            keys.setdefault(name_key, record_id)
        typed = abbreviation_key(text)
        ranked = difflib.get_close_matches(typed, list(keys), n=limit * 4, cutoff=0.6)
        out: dict[str, str] = {}
        for name_key in ranked:
            record = self.records[keys[name_key]]
            if record.id not in out:
                out[record.id] = min(
                    (record.id, *record.names),
                    key=lambda n: (
                        -difflib.SequenceMatcher(None, typed, abbreviation_key(n)).ratio()
                    ),
                )
        found = list(out.values())[:limit]
        return found or super().close_matches(text, limit)

    def add(self, record: Treaty) -> None:
        super().add(record)
        self._abbreviation_keys = None

    def _keys(self) -> list[tuple[str, str]]:
        """(abbreviation key, record id) of every name and abbreviation, built once."""
        if self._abbreviation_keys is None:
            self._abbreviation_keys = [
                (abbreviation_key(n), r.id) for r in self for n in (r.id, *r.names)
            ]
        return self._abbreviation_keys

    def _by_usage(self, found: list[Treaty], text: str) -> list[Treaty]:
        """Candidates in the order a researcher most likely means them: the one whose own
        abbreviation it is in the ICRC's IHL Databases (APII is apii-1977, Additional
        Protocol II, before the CCW's Amended Protocol II), then the register's order."""
        key = abbreviation_key(text)

        def rank(treaty: Treaty) -> int:
            slug = treaty.icrc_slug or ""
            return 0 if key and abbreviation_key(slug.split("-")[0]) == key else 1

        return sorted(found, key=rank)

    def expand_cited(self, treaty_ids: list[str]) -> list[str]:
        """Every treaty a document counts as citing: what it cites, the groups and parents
        of those, and, for a cited group, each member (citing "the 1949 Geneva Conventions"
        cites all four). Citing a parent treaty does not imply its protocols."""
        out: list[str] = []
        for treaty_id in treaty_ids:
            out.extend(self.with_ancestors([treaty_id]))
            treaty = self.records.get(treaty_id)
            if treaty is not None and treaty.is_group:
                out.extend(m.id for m in self.members(treaty_id))
        return list(dict.fromkeys(out))


@dataclass
class Registers:
    """All four registers of a corpus, loaded together."""

    treaties: TreatyRegister
    persons: Register[Person]
    organisations: Register[Organisation]
    places: HierarchicalRegister[Place]

    def by_kind(self, kind: str) -> Register:
        registers: dict[str, Register] = {
            "treaty": self.treaties,
            "person": self.persons,
            "org": self.organisations,
            "place": self.places,
        }
        try:
            return registers[kind]
        except KeyError:
            raise NotFound(f"no register of kind {kind!r}") from None

    def lookup(self, kind: str, record_id: str) -> Record | None:
        register = self.by_kind(kind)
        return register.records.get(record_id)

    def label(self, kind: str, record_id: str) -> str:
        """The display name of a record, or its id when the register lacks it."""
        record = self.lookup(kind, record_id) if kind in REGISTER_FILES else None
        return record.label if record is not None else record_id

    @classmethod
    def load(cls, authority_dir: Path, changed: dict[str, bytes] | None = None) -> Registers:
        """Read the four register files of `authority_dir`. Raises InvalidDocument naming the
        file and line when one cannot be read. `changed` gives the bytes of register files
        (by kind) as a change would leave them, to validate against before writing them."""
        changed = changed or {}

        def load(register: Register, build) -> Register:  # type: ignore[no-untyped-def]
            return _load(register, build, changed.get(register.kind))

        return cls(
            treaties=load(
                TreatyRegister("treaty", authority_dir / REGISTER_FILES["treaty"]), _treaty
            ),
            persons=load(Register("person", authority_dir / REGISTER_FILES["person"]), _person),
            organisations=load(
                Register("org", authority_dir / REGISTER_FILES["org"]), _organisation
            ),
            places=load(
                HierarchicalRegister("place", authority_dir / REGISTER_FILES["place"]), _place
            ),
        )


def register_stamp(authority_dir: Path) -> tuple[tuple[int, int], ...]:
    """Modification time and size of each register file ((0, 0) for a missing one): what
    changes when `archive register ...` rewrites one, so that whoever keeps registers read
    once (the served app, the indexer) knows when to read them again."""
    stamps = []
    for name in REGISTER_FILES.values():
        try:
            info = (authority_dir / name).stat()
        except FileNotFoundError:
            stamps.append((0, 0))
            continue
        stamps.append((info.st_mtime_ns, info.st_size))
    return tuple(stamps)


RECORD_ELEMENTS = {
    "treaty": "t:text/t:body/t:listBibl/t:bibl",
    "person": "t:text/t:body/t:listPerson/t:person",
    "org": "t:text/t:body/t:listOrg/t:org",
    "place": "t:text/t:body/t:listPlace/t:place",
}


def _load(register: Register, build, data: bytes | None = None) -> Register:  # type: ignore[no-untyped-def]
    tree = parse_tei(data if data is not None else read_bytes(register.path), register.path)
    for element in _xpath(RECORD_ELEMENTS[register.kind])(tree.getroot()):
        record_id = element.get(XML_ID)
        if not record_id:
            raise InvalidDocument(
                [Problem(str(register.path), element.sourceline, "record without xml:id")]
            )
        register.add(build(element, record_id))
    return register


@functools.cache
def _xpath(path: str) -> etree.XPath:
    """An expression compiled once: `element.xpath(text)` compiles it on every call, which
    was most of reading the registers (every indexing process reads ~4,000 records)."""
    return etree.XPath(path, namespaces=NS)


def _texts(element: etree._Element, xpath: str) -> tuple[str, ...]:
    return tuple(inline_text(e) for e in _xpath(xpath)(element))


def _first(element: etree._Element, xpath: str) -> str | None:
    values = _texts(element, xpath)
    return values[0] if values else None


def _external_ids(element: etree._Element) -> tuple[tuple[str, str], ...]:
    return tuple((i.get("type", ""), inline_text(i)) for i in element.findall("t:idno", NS))


def _notes(element: etree._Element) -> str | None:
    notes = _texts(element, "t:note")
    return " ".join(notes) if notes else None


def _ref_id(element: etree._Element | None, kind: str) -> str | None:
    if element is None:
        return None
    refs = [i for k, i in split_refs(element.get("ref")) if k == kind]
    return refs[0] if refs else None


def _treaty(element: etree._Element, record_id: str) -> Treaty:
    def date_of(kind: str) -> str | None:
        found = _xpath(f"t:date[@type='{kind}']/@when")(element)
        return str(found[0]) if found else None

    member_of = _xpath("t:relatedItem[@type='memberOf']/@target")(element)
    abbreviations = _texts(element, "t:title[@type='abbr']")
    short = _first(element, "t:title[@type='short']") or ""
    return Treaty(
        id=record_id,
        name=_first(element, "t:title[@type='main']") or record_id,
        variants=tuple(
            dict.fromkeys((short, *abbreviations, *_texts(element, "t:title[@type='alt']")))
        ),
        external_ids=_external_ids(element),
        note=_notes(element),
        line=element.sourceline,
        short_title=short,
        abbreviations=abbreviations,
        category=element.get("type", "treaty"),
        parent=str(member_of[0]).lstrip("#") if member_of else None,
        adopted=date_of("adopted"),
        opened=date_of("opened"),
        entry_into_force=date_of("entryIntoForce"),
    )


def _named_record(element: etree._Element, record_id: str, tag: str) -> dict[str, Any]:
    """What every person, organisation and place record has: its id, its preferred name
    (the `tag` element of type "preferred", else the first), the other names, identifiers
    and notes."""
    preferred = _first(element, f"t:{tag}[@type='preferred']")
    every = _texts(element, f"t:{tag}")
    name = preferred or (every[0] if every else "")
    return {
        "id": record_id,
        "name": name,
        "variants": tuple(n for n in dict.fromkeys(every) if n != name),
        "external_ids": _external_ids(element),
        "note": _notes(element),
        "line": element.sourceline,
    }


def _person(element: etree._Element, record_id: str) -> Person:
    affiliations = tuple(
        Affiliation(
            role=_first(aff, "t:roleName"),
            org_id=_ref_id(aff.find("t:orgName", NS), "org"),
            text=inline_text(aff),
        )
        for aff in element.findall("t:affiliation", NS)
    )
    return Person(**_named_record(element, record_id, "persName"), affiliations=affiliations)


def _organisation(element: etree._Element, record_id: str) -> Organisation:
    desc = _texts(element, "t:desc")
    return Organisation(
        **_named_record(element, record_id, "orgName"),
        category=element.get("type", ""),
        abbreviations=_texts(element, "t:orgName[@type='abbr']"),
        place_id=_ref_id(element.find("t:location/t:placeName", NS), "place"),
        description=" ".join(desc) if desc else None,
    )


def _place(element: etree._Element, record_id: str) -> Place:
    geo = _first(element, "t:location/t:geo")
    latitude = longitude = None
    if geo:
        lat_text, lon_text = geo.split()
        latitude, longitude = float(lat_text), float(lon_text)
    return Place(
        **_named_record(element, record_id, "placeName"),
        category=element.get("type", ""),
        latitude=latitude,
        longitude=longitude,
        parent=_ref_id(element.find("t:location/t:placeName", NS), "place"),
    )
