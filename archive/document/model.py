"""The archive's document model: plain dataclasses read from TEI by `archive.document.tei`.

Everything after parsing (validation rules, indexing, search results, the web pages, the
exports) works on these objects, never on lxml trees. `Document.to_dict()` is the one
route from a document to JSON; `Document.from_dict()` reads it back.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from typing import Any

from archive.document.dates import human_date, parse_iso

# A document id: a lowercase slug, chosen once and never reused; also a file and folder name.
DOC_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,99}$")
ENTITY_KINDS = ("treaty", "person", "org", "place", "doc")


@dataclass(frozen=True)
class DateSpan:
    """A date as TEI states it: exact (`when`), a span (`from`/`to`), or uncertain
    (`notBefore`/`notAfter`: it happened at some point in between), with an optional
    duration and certainty. `earliest` and `latest` bound it in days either way."""

    when: str | None = None
    from_: str | None = None
    to: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    dur: str | None = None
    cert: str | None = None

    @property
    def kind(self) -> str:
        """'exact', 'range' (a period), 'uncertain' (a point somewhere in bounds),
        'duration' (a length with no anchor) or 'unknown'."""
        if self.when:
            return "exact"
        if self.from_ or self.to:
            return "range"
        if self.not_before or self.not_after:
            return "uncertain"
        if self.dur:
            return "duration"
        return "unknown"

    @property
    def earliest(self) -> date | None:
        for value in (self.when, self.from_, self.not_before):
            if value:
                return parse_iso(value).earliest
        return None

    @property
    def latest(self) -> date | None:
        for value in (self.when, self.to, self.not_after):
            if value:
                return parse_iso(value).latest
        return None

    @property
    def is_uncertain(self) -> bool:
        return self.kind == "uncertain" or self.cert in ("low", "medium", "unknown")

    @property
    def years(self) -> list[int]:
        """Every calendar year the date may fall in; an open bound counts as its one year."""
        first, last = self.earliest, self.latest
        if first is None and last is None:
            return []
        first = first or last
        last = last or first
        assert first is not None and last is not None
        return list(range(first.year, last.year + 1))

    def label(self) -> str:
        """How a reader should see it: '25 March 2021', 'between 10 November 2020 and
        22 April 2021', '27 September 2020 to 10 November 2020', 'before 17 May 2021'."""
        kind = self.kind
        if kind == "exact":
            text = human_date(self.when or "")
        elif kind == "range":
            if self.from_ and self.to:
                text = f"{human_date(self.from_)} to {human_date(self.to)}"
            elif self.from_:
                text = f"from {human_date(self.from_)}"
            else:
                text = f"until {human_date(self.to or '')}"
        elif kind == "uncertain":
            if self.not_before and self.not_after:
                text = f"between {human_date(self.not_before)} and {human_date(self.not_after)}"
            elif self.not_before:
                text = f"not before {human_date(self.not_before)}"
            else:
                text = f"not after {human_date(self.not_after or '')}"
        elif kind == "duration":
            text = f"duration {self.dur}"
        else:
            text = "undated"
        if self.cert in ("low", "medium") and kind != "uncertain":
            text += " (uncertain)"
        return text

    def to_dict(self) -> dict[str, Any]:
        earliest, latest = self.earliest, self.latest
        return {
            "when": self.when,
            "from": self.from_,
            "to": self.to,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "dur": self.dur,
            "cert": self.cert,
            "kind": self.kind,
            "earliest": earliest.isoformat() if earliest else None,
            "latest": latest.isoformat() if latest else None,
            "label": self.label(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DateSpan:
        return cls(
            when=data.get("when"),
            from_=data.get("from"),
            to=data.get("to"),
            not_before=data.get("not_before"),
            not_after=data.get("not_after"),
            dur=data.get("dur"),
            cert=data.get("cert"),
        )


@dataclass(frozen=True)
class EntityRef:
    """A pointer to a register record as the document writes it: kind, id, and the words
    the document uses for it (which may be a variant of the preferred name)."""

    kind: str
    id: str
    name: str

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Signatory:
    """One signer, in the order the text gives them, with the role and organisation the
    text gives them (not what the register says today)."""

    person_id: str
    name: str
    role: str | None = None
    org_id: str | None = None
    org_name: str | None = None


@dataclass(frozen=True)
class TreatyCitation:
    """A treaty as cited in the text: the words used and, where given, the article."""

    treaty_id: str
    text: str
    article: str | None = None

    @property
    def article_label(self) -> str:
        """'Article 49', 'Articles 48, 51', 'common Article 3' (rs/@n as words)."""
        value = self.article or ""
        common = value.startswith("common ")
        numbers = value.removeprefix("common ")
        word = "Articles" if "," in numbers else "Article"
        return f"{'common ' if common else ''}{word} {numbers}"

    @property
    def article_keys(self) -> list[str]:
        """The search keys of the articles cited (`article_keys`)."""
        return article_keys(self.article or "")


_ARTICLE_WORD_RE = re.compile(r"^(?:articles?|arts?)\.?\s*", re.IGNORECASE)


def article_keys(value: str) -> list[str]:
    """Search keys for an article citation as rs/@n writes it ("49", "48, 51(2)",
    "common 3"): each article, lower case, without spaces; a paragraph also under its
    article ("51(2)" is found by 51), and common Article 3 also as Article 3, which it is
    of each Convention. The index and the `article:` query both key articles this way, so
    "Art. 51 (2)" typed in a search meets "51(2)" in the text."""
    keys: list[str] = []
    for part in value.split(","):
        part = part.strip().lower()
        common = part.startswith("common ")
        part = _ARTICLE_WORD_RE.sub("", part.removeprefix("common ").strip())
        number = re.sub(r"\s+", "", part)
        if not number:
            continue
        if common:
            keys.append(f"common-{number}")
        keys.append(number)
        if "(" in number:
            keys.append(number.split("(", 1)[0])
    return list(dict.fromkeys(keys))


@dataclass(frozen=True)
class MentionedDate:
    """A date or period with the words that name it: in the text, or in the header's
    record of creation (where `type` says which date it is: issued, signed ...)."""

    text: str
    span: DateSpan
    type: str | None = None


@dataclass(frozen=True)
class Measure:
    """A figure the text states (casualties, mines per square metre ...)."""

    text: str
    quantity: str | None = None
    unit: str | None = None
    commodity: str | None = None


@dataclass(frozen=True)
class Source:
    """Where the archive's copy comes from, or where the document was reported."""

    title: str | None = None
    publisher: str | None = None
    publisher_id: str | None = None
    date: str | None = None
    url: str | None = None
    type: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Change:
    """One entry of revisionDesc: version `n`, when, and what changed."""

    n: int
    when: str
    description: str


@dataclass
class Document:
    """One appeal, statement or catalogue record, as read from its TEI file."""

    id: str
    lang: str
    title: str
    doc_type: str
    issued: DateSpan
    permalink: str
    sha256: str
    titles: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    issued_note: str | None = None
    issuers: list[EntityRef] = field(default_factory=list)
    signatories: list[Signatory] = field(default_factory=list)
    senders: list[EntityRef] = field(default_factory=list)
    addressees: list[EntityRef] = field(default_factory=list)
    treaties: list[str] = field(default_factory=list)
    treaty_citations: list[TreatyCitation] = field(default_factory=list)
    dates: list[MentionedDate] = field(default_factory=list)
    creation_dates: list[MentionedDate] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    text: str = ""
    abstract: str = ""
    # Spans of `text` / `abstract` in another language than `lang`: [start, end, xml:lang].
    text_langs: list[tuple[int, int, str]] = field(default_factory=list)
    abstract_langs: list[tuple[int, int, str]] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    # publicationStmt/availability in words: the licence and terms the document is under.
    rights: str = ""
    version: int = 1
    changes: list[Change] = field(default_factory=list)
    is_catalogue_record: bool = False

    @property
    def signatory_ids(self) -> list[str]:
        return [s.person_id for s in self.signatories]

    @property
    def addressee_ids(self) -> list[str]:
        return [a.ref for a in self.addressees]

    @property
    def articles_cited(self) -> list[TreatyCitation]:
        """Each article the text cites (rs/@n), once per treaty and article, in text order:
        a researcher looks for "Article 49 of the Fourth Geneva Convention", not the treaty."""
        seen: dict[tuple[str, str], TreatyCitation] = {}
        for citation in self.treaty_citations:
            if citation.article:
                seen.setdefault((citation.treaty_id, citation.article), citation)
        return list(seen.values())

    def to_dict(self) -> dict[str, Any]:
        """The document as JSON-ready data: the shape every JSON output of the archive uses."""
        data = {}
        for name in _field_names(Document):
            value = getattr(self, name)
            if name == "issued":
                data[name] = value.to_dict()
            elif name in ("dates", "creation_dates"):
                data[name] = [_mentioned_date_dict(d) for d in value]
            else:
                data[name] = _plain(value)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        """Rebuild a Document from `to_dict()` output (JSON Lines exports round-trip)."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["issued"] = DateSpan.from_dict(data["issued"])
        values["issuers"] = [EntityRef(**e) for e in data.get("issuers", [])]
        values["senders"] = [EntityRef(**e) for e in data.get("senders", [])]
        values["addressees"] = [EntityRef(**e) for e in data.get("addressees", [])]
        values["signatories"] = [Signatory(**s) for s in data.get("signatories", [])]
        values["treaty_citations"] = [TreatyCitation(**t) for t in data.get("treaty_citations", [])]
        values["dates"] = [_mentioned_date(d) for d in data.get("dates", [])]
        values["creation_dates"] = [_mentioned_date(d) for d in data.get("creation_dates", [])]
        values["measures"] = [Measure(**m) for m in data.get("measures", [])]
        values["sources"] = [Source(**s) for s in data.get("sources", [])]
        values["changes"] = [Change(**c) for c in data.get("changes", [])]
        for name in ("text_langs", "abstract_langs"):
            values[name] = [tuple(part) for part in data.get(name, [])]
        return cls(**values)


@functools.cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    return tuple(f.name for f in fields(cls)) if is_dataclass(cls) else None


_SCALARS = frozenset((str, int, float, bool, type(None), tuple))


def _plain(value: Any) -> Any:
    """`dataclasses.asdict` without its deep copy of every value, which made it two thirds
    of the cost of a model's JSON (the values here are strings, numbers and None)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list:
        return [item if type(item) in _SCALARS else _plain(item) for item in value]
    if isinstance(value, list):
        return [_plain(item) for item in value]
    names = _field_names(kind)
    if names is None:
        return value
    return {name: _plain(getattr(value, name)) for name in names}


def _mentioned_date_dict(mentioned: MentionedDate) -> dict[str, Any]:
    return {"text": mentioned.text, "type": mentioned.type, "span": mentioned.span.to_dict()}


def _mentioned_date(data: dict[str, Any]) -> MentionedDate:
    return MentionedDate(data["text"], DateSpan.from_dict(data["span"]), data.get("type"))
