"""Citations of archive documents: BibTeX, RIS, CSL-JSON, a formatted reference, and the
Highwire/Dublin Core tags that reference managers read from a page.

A citation always names the exact version cited: its permalink (`/doc/<id>/v<n>`), its
version number and the sha256 of its bytes, so a reader can check the copy they find.
Letter-like documents (appeals, open letters, petitions) are cited as letters, the rest as
documents: never as journal articles.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from typing import Any

from archive.config import Config
from archive.document import DateSpan, Document, Registers

ARCHIVE_NAME = "Appeals Archive"
LETTER_TYPES = {"appeal", "open-letter", "letter", "petition"}


@dataclass(frozen=True)
class Author:
    """A person (family and given name) or an organisation (literal name)."""

    family: str | None = None
    given: str | None = None
    literal: str | None = None

    @property
    def display(self) -> str:
        return self.literal or " ".join(p for p in (self.given, self.family) if p)

    @property
    def inverted(self) -> str:
        """'Mirzayev, Umud' for persons, the name itself for organisations."""
        if self.literal:
            return self.literal
        return f"{self.family}, {self.given}" if self.given else (self.family or "")


@dataclass(frozen=True)
class Citation:
    doc_id: str
    title: str
    authors: list[Author]
    issued: DateSpan
    doc_type: str
    url: str
    version: int
    sha256: str
    language: str
    keywords: list[str] = field(default_factory=list)
    source_url: str | None = None
    source_publisher: str | None = None
    is_catalogue_record: bool = False

    @property
    def is_letter(self) -> bool:
        return self.doc_type in LETTER_TYPES

    @property
    def type_label(self) -> str:
        return self.doc_type.replace("-", " ").capitalize()


def person_author(name: str) -> Author:
    """Split a personal name into given and family names at the last space."""
    given, _, family = name.strip().rpartition(" ")
    return Author(family=family, given=given or None)


def citation_for(doc: Document, registers: Registers, config: Config) -> Citation:
    """The citation of one exact version of a document.

    Authors are the signatories; a document without named signatories is cited under the
    organisations that issued it.
    """
    if doc.signatories:
        authors = [person_author(s.name) for s in doc.signatories]
    else:
        authors = [
            person_author(e.name)
            if e.kind == "person"
            else Author(literal=registers.label(e.kind, e.id))
            for e in doc.issuers
        ]
    source = next((s for s in doc.sources if s.type in (None, "source", "original")), None)
    source = source or (doc.sources[0] if doc.sources else None)
    return Citation(
        doc_id=doc.id,
        title=doc.title,
        authors=authors,
        issued=doc.issued,
        doc_type=doc.doc_type,
        url=config.permalink(doc.id, doc.version),
        version=doc.version,
        sha256=doc.sha256,
        language=doc.lang,
        keywords=[registers.label("treaty", t) for t in doc.treaties],
        source_url=source.url if source else None,
        source_publisher=registers.label("org", source.publisher_id)
        if source and source.publisher_id
        else (source.publisher if source else None),
        is_catalogue_record=doc.is_catalogue_record,
    )


# --- date helpers --------------------------------------------------------------------


def _date_parts(value: str | None) -> list[int] | None:
    if not value:
        return None
    match = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value)
    if not match:
        return None
    return [int(part) for part in match.groups() if part]


def _bounds(span: DateSpan) -> tuple[list[int] | None, list[int] | None]:
    return _date_parts(span.from_ or span.not_before), _date_parts(span.to or span.not_after)


def _best_point(span: DateSpan) -> list[int] | None:
    """The one date a format without ranges should carry: the exact date; for a span, what
    both bounds share (year, or year and month), else the later bound's year; for a single
    bound, its year only (the day is a limit, not the date)."""
    if span.when:
        return _date_parts(span.when)
    low, high = _bounds(span)
    if low and high:
        common = []
        for a, b in zip(low, high, strict=False):
            if a != b:
                break
            common.append(a)
        return common or [high[0]]
    bound = low or high
    return bound[:1] if bound else None


def _note(c: Citation) -> str:
    parts = [f"{c.type_label}", f"version {c.version}", f"sha256 {c.sha256}"]
    if c.issued.kind != "exact" or c.issued.is_uncertain:
        parts.insert(1, f"dated {c.issued.label()}")
    if c.is_catalogue_record:
        parts.append("catalogue record: the archive holds no text")
    return "; ".join(parts)


# --- BibTeX --------------------------------------------------------------------------

_BIBTEX_SPECIAL = re.compile(r"([\\{}&%$#_~^])")


def _bibtex_escape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        return {
            "\\": r"\textbackslash{}",
            "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}",
        }.get(char, "\\" + char)

    return _BIBTEX_SPECIAL.sub(replace, text)


def bibtex(c: Citation) -> str:
    """A BibTeX @misc entry (the type every BibTeX style knows)."""
    fields: list[tuple[str, str]] = []
    if c.authors:
        names = " and ".join(
            "{" + _bibtex_escape(a.literal) + "}" if a.literal else _bibtex_escape(a.inverted)
            for a in c.authors
        )
        fields.append(("author", names))
    fields.append(("title", "{" + _bibtex_escape(c.title) + "}"))
    point = _best_point(c.issued)
    low, high = _bounds(c.issued)
    if not c.issued.when and low and high and low[0] != high[0]:
        fields.append(("year", f"{low[0]}--{high[0]}"))
    elif point:
        fields.append(("year", str(point[0])))
        if len(point) > 1:
            fields.append(("month", calendar.month_abbr[point[1]].lower()))
    fields.append(("howpublished", _bibtex_escape(f"{ARCHIVE_NAME}, version {c.version}")))
    fields.append(("publisher", ARCHIVE_NAME))
    fields.append(("url", c.url))
    fields.append(("language", c.language))
    if c.keywords:
        fields.append(("keywords", _bibtex_escape(", ".join(c.keywords))))
    fields.append(("note", _bibtex_escape(_note(c))))
    body = ",\n".join(
        f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}"
        for name, value in fields
    )
    return f"@misc{{{c.doc_id}-v{c.version},\n{body}\n}}\n"


# --- RIS -----------------------------------------------------------------------------


def ris(c: Citation) -> str:
    """A RIS record: PCOMM (imported as a letter) for letter-like documents, GEN otherwise."""
    lines = [("TY", "PCOMM" if c.is_letter else "GEN")]
    for author in c.authors:
        lines.append(("AU", author.inverted))
    lines.append(("TI", c.title))
    point = _best_point(c.issued)
    if point:
        lines.append(("PY", str(point[0])))
        if len(point) > 1:
            padded = [f"{point[0]:04d}", *(f"{p:02d}" for p in point[1:])]
            lines.append(("DA", "/".join(padded + [""] * (3 - len(padded)))))
    lines.append(("PB", ARCHIVE_NAME))
    lines.append(("ET", f"version {c.version}"))
    lines.append(("UR", c.url))
    lines.append(("LA", c.language))
    lines.append(("M3", c.type_label))
    for keyword in c.keywords:
        lines.append(("KW", keyword))
    lines.append(("N1", _note(c)))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {value}".rstrip() + "\n" for tag, value in lines)


# --- CSL-JSON ------------------------------------------------------------------------


def csl_json(c: Citation) -> dict[str, Any]:
    """A CSL-JSON item: personal_communication for letter-like documents (Zotero 'letter'),
    article otherwise (Zotero 'document'); uncertain dates as ranges marked circa."""
    item: dict[str, Any] = {
        "id": f"{c.doc_id}-v{c.version}",
        "type": "personal_communication" if c.is_letter else "article",
        "title": c.title,
        "genre": c.type_label,
        "publisher": ARCHIVE_NAME,
        "version": str(c.version),
        "URL": c.url,
        "language": c.language,
        "note": _note(c),
    }
    if c.authors:
        item["author"] = [
            {"literal": a.literal} if a.literal else {"family": a.family, "given": a.given}
            for a in c.authors
        ]
    span = c.issued
    if span.when:
        item["issued"] = {"date-parts": [_date_parts(span.when)]}
    else:
        parts = [b for b in _bounds(span) if b]
        if parts:
            item["issued"] = {"date-parts": parts}
    if span.is_uncertain and "issued" in item:
        item["issued"]["circa"] = True
    if c.keywords:
        item["keyword"] = ", ".join(c.keywords)
    return item


# --- a formatted reference and page metadata ------------------------------------------


def formatted(c: Citation) -> str:
    """A plain-text reference in author-date style, for the page's "Cite" box."""
    if not c.authors:
        who = ""
    elif len(c.authors) <= 3:
        names = [c.authors[0].inverted, *(a.display for a in c.authors[1:])]
        who = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    else:
        who = f"{c.authors[0].inverted} et al."
    date = c.issued.label()
    date = date[:1].upper() + date[1:]
    kind = c.type_label + (" (catalogue record)" if c.is_catalogue_record else "")
    head = f"{who.rstrip('.')}. " if who else ""
    return f"{head}{date}. “{c.title}.” {kind}. {ARCHIVE_NAME}, version {c.version}. {c.url}."


def highwire_meta(c: Citation) -> list[tuple[str, str]]:
    """<meta name content> pairs for Zotero and other reference managers: Highwire citation_*
    tags plus DC.type (letter or document) and DC.identifier (the version's permalink)."""
    tags: list[tuple[str, str]] = [("citation_title", c.title)]
    tags += [("citation_author", a.inverted) for a in c.authors]
    point = _best_point(c.issued)
    if point:
        tags.append(
            ("citation_date", "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(point)))
        )
    tags += [
        ("citation_publisher", ARCHIVE_NAME),
        ("citation_language", c.language),
        ("citation_public_url", c.url),
    ]
    if c.keywords:
        tags.append(("citation_keywords", "; ".join(c.keywords)))
    tags += [
        ("DC.type", "letter" if c.is_letter else "document"),
        ("DC.identifier", c.url),
        ("DC.title", c.title),
        ("DC.language", c.language),
    ]
    tags += [("DC.creator", a.inverted) for a in c.authors]
    return tags
