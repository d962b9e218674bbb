"""Citations of archive documents: BibTeX/biblatex, RIS, CSL-JSON, a formatted reference, and
the Highwire/Dublin Core tags that reference managers read from a page.

A citation always names the exact version cited: its permalink (`/doc/<id>/v<n>`), its
version number and the sha256 of its bytes, so a reader can check the copy they find.

What each format says is decided by what the software that reads it does with it, learnt
from that software's own code (docs/citations.md has the table and the lines it rests on):
Zotero's RIS translator imports `TY - GEN` as a journal article and CSL-JSON `article` as a
preprint, so neither is used; its Embedded Metadata translator splits every
`citation_author` into a given and a family name, so organisations are never offered as
authors on a page; and it reads anything in `DC.identifier` that looks like `10/...` as a
DOI, so no identifier is put there.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from archive.config import ARCHIVE_NAME, Config
from archive.document import DateSpan, Document, Registers


@dataclass(frozen=True)
class CitedAs:
    """How one kind of document is typed in each format, and the Zotero item type each
    becomes (docs/citations.md)."""

    csl: str  # CSL-JSON type
    ris: str  # RIS TY
    zotero: str  # Zotero item type: what DC.type says on the page


LETTER = CitedAs(csl="personal_communication", ris="PCOMM", zotero="letter")
# RIS has no type that Zotero imports as "document" (only AGGR, ANCIENT, EQUA and GRNT, which
# would mislabel the item everywhere else); RPRT keeps the genre (M3 -> report type) and the
# issuing body (PB -> institution), which is how a careful bibliographer files grey literature.
DOCUMENT = CitedAs(csl="document", ris="RPRT", zotero="document")
REPORT = CitedAs(csl="report", ris="RPRT", zotero="report")
SPEECH = CitedAs(csl="speech", ris="SLIDE", zotero="presentation")

CITED_AS: dict[str, CitedAs] = {
    "appeal": LETTER,
    "open-letter": LETTER,
    "letter": LETTER,
    "petition": LETTER,
    "statement": DOCUMENT,
    "joint-statement": DOCUMENT,
    "declaration": DOCUMENT,
    "press-release": DOCUMENT,
    "resolution": DOCUMENT,
    "report": REPORT,
    "speech": SPEECH,
}


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
    abstract: str = ""

    @property
    def cited_as(self) -> CitedAs:
        return CITED_AS.get(self.doc_type, DOCUMENT)

    @property
    def is_letter(self) -> bool:
        return self.cited_as is LETTER

    @property
    def type_label(self) -> str:
        return self.doc_type.replace("-", " ").capitalize()

    @property
    def persons(self) -> list[Author]:
        return [a for a in self.authors if not a.literal]

    @property
    def organisations(self) -> list[Author]:
        return [a for a in self.authors if a.literal]


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
        abstract=" ".join(doc.abstract.split()),
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


# --- BibTeX / biblatex ----------------------------------------------------------------

_BIBTEX_SPECIAL = re.compile(r"([\\{}&%$#_~^])")
# Combining marks with a LaTeX accent command that works in every LaTeX (no package needed).
_LATEX_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0327": "c",
    "\u0328": "k",
}
_LATEX_LETTERS = {
    "ı": r"{\i}",
    "ß": r"{\ss}",
    "ø": r"{\o}",
    "Ø": r"{\O}",
    "æ": r"{\ae}",
    "Æ": r"{\AE}",
    "œ": r"{\oe}",
    "Œ": r"{\OE}",
    "ł": r"{\l}",
    "Ł": r"{\L}",
}


def _latex_letter(char: str) -> str:
    r"""One non-ASCII character for classic BibTeX, which counts bytes, not characters: an
    accented Latin letter as its LaTeX accent command in braces ({\"o}, {\c{s}}, {\u{g}}),
    which every style abbreviates and sorts as one letter; anything else (ə, Cyrillic,
    Armenian) kept as UTF-8 behind `\relax` in braces: BibTeX then counts the group as one
    "special character", so a label or an initial never cuts a character in two (alpha.bst
    made `MK{\"O}` plus half of a Cyrillic letter from `{М}`)."""
    if char in _LATEX_LETTERS:
        return _LATEX_LETTERS[char]
    base, *marks = unicodedata.normalize("NFD", char)
    if base.isascii() and base.isalpha() and len(marks) == 1 and marks[0] in _LATEX_ACCENTS:
        command = _LATEX_ACCENTS[marks[0]]
        letter = r"\i" if base == "i" and command in "`'^\"~=u" else base
        if command.isalpha():
            return "{\\" + command + "{" + letter + "}}"
        return "{\\" + command + letter + "}"
    return "{\\relax " + char + "}"


def _bibtex_escape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        return {
            "\\": r"\textbackslash{}",
            "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}",
        }.get(char, "\\" + char)

    escaped = _BIBTEX_SPECIAL.sub(replace, text)
    return "".join(c if c.isascii() else _latex_letter(c) for c in escaped)


def edtf_date(span: DateSpan) -> str | None:
    """The issue date as biblatex reads it (EDTF): `2021-03-25`, `2021-03-25?` when the day
    is uncertain, `2020-11-10/2021-04-22` for a period or for the bounds of an uncertain
    date, `2020-11-10/..` and `../2021-05-17` for a single bound."""
    kind = span.kind
    if kind == "exact" and span.when:
        return span.when + ("?" if span.cert in ("low", "medium", "unknown") else "")
    low = span.from_ or span.not_before
    high = span.to or span.not_after
    if not (low or high):
        return None
    return f"{low or '..'}/{high or '..'}"


def _bibtex_year(span: DateSpan) -> str | None:
    """`year` for classic BibTeX styles: the year, or `2020--2021` for dates across years.
    None for a date with an open start ("not after 17 May 2021"): any year there would be a
    claim the source does not make, and biber would take it as the start of the range."""
    start = span.when or span.from_ or span.not_before
    end = span.when or span.to or span.not_after
    if not start:
        return None
    if end and end[:4] != start[:4]:
        return f"{start[:4]}--{end[:4]}"
    return start[:4]


def bibtex(c: Citation) -> str:
    """A @misc entry that classic BibTeX and biblatex/biber both read: `date` in EDTF for
    biblatex (ranges and uncertainty kept), `year` for classic styles, only fields the
    biblatex data model allows on @misc (`biber --tool --validate-datamodel` is clean), and
    non-ASCII letters as LaTeX accents so classic BibTeX's initials and sorting stay right."""
    fields: list[tuple[str, str]] = []
    if c.authors:
        names = " and ".join(
            "{" + _bibtex_escape(a.literal) + "}" if a.literal else _bibtex_escape(a.inverted)
            for a in c.authors
        )
        fields.append(("author", names))
    fields.append(("title", "{" + _bibtex_escape(c.title) + "}"))
    date, year = edtf_date(c.issued), _bibtex_year(c.issued)
    if date:
        fields.append(("date", date))
    if year:
        fields.append(("year", year))
    fields.append(("type", _bibtex_escape(c.type_label)))
    if c.organisations and c.persons:
        fields.append(
            ("organization", _bibtex_escape(" and ".join(a.display for a in c.organisations)))
        )
    fields.append(("howpublished", _bibtex_escape(ARCHIVE_NAME)))
    fields.append(("version", str(c.version)))
    fields.append(("url", c.url))
    fields.append(("language", c.language))
    if c.keywords:
        fields.append(("keywords", _bibtex_escape(", ".join(c.keywords))))
    if c.abstract:
        fields.append(("abstract", _bibtex_escape(c.abstract)))
    fields.append(("note", _bibtex_escape(_note(c))))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{c.doc_id}-v{c.version},\n{body}\n}}\n"


# --- RIS -----------------------------------------------------------------------------


def ris(c: Citation) -> str:
    """A RIS record typed as Zotero's RIS translator will import it (`CITED_AS`): PCOMM a
    letter, RPRT a report (genre in M3, issuing body in PB), SLIDE a presentation. The
    archive is the record's database (DB -> Zotero "archive"), the id and version its place
    in it (AN -> "loc. in archive")."""
    as_ = c.cited_as
    lines = [("TY", as_.ris)]
    for author in c.authors:
        lines.append(("AU", author.inverted))
    lines.append(("TI", c.title))
    point = _best_point(c.issued)
    if point:
        lines.append(("PY", str(point[0])))
        if len(point) > 1:
            padded = [f"{point[0]:04d}", *(f"{p:02d}" for p in point[1:])]
            lines.append(("DA", "/".join(padded + [""] * (3 - len(padded)))))
    if as_ is not LETTER and c.organisations:
        lines.append(("PB", "; ".join(a.display for a in c.organisations)))
    lines.append(("DB", ARCHIVE_NAME))
    lines.append(("AN", f"{c.doc_id}, version {c.version}"))
    lines.append(("UR", c.url))
    lines.append(("LA", c.language))
    lines.append(("M3", c.type_label))
    if c.abstract:
        lines.append(("AB", c.abstract))
    for keyword in c.keywords:
        lines.append(("KW", keyword))
    lines.append(("N1", _note(c)))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {value}".rstrip() + "\n" for tag, value in lines)


# --- CSL-JSON ------------------------------------------------------------------------


def csl_issued(span: DateSpan) -> dict[str, Any] | None:
    """CSL's `issued`: one date, or a range as two date-parts (a period, or the bounds of an
    uncertain date); `circa` only where the date itself is uncertain, never for bounds (a
    date "not after 17 May 2021" is not "about 17 May 2021"). A single bound has no CSL
    form: only its year is claimed (a `literal` date came out twice in citeproc-py's APA,
    and styles need a year); the note says the bound in words."""
    if span.when:
        issued: dict[str, Any] = {"date-parts": [_date_parts(span.when)]}
        if span.cert in ("low", "medium", "unknown"):
            issued["circa"] = True
        return issued
    low, high = _bounds(span)
    if low and high:
        return {"date-parts": [low, high]}
    bound = low or high
    return {"date-parts": [bound[:1]]} if bound else None


def csl_json(c: Citation) -> dict[str, Any]:
    """A CSL-JSON item typed as Zotero and citeproc read it (`CITED_AS`): organisations as
    `literal` names, which Zotero keeps as single-field creators."""
    item: dict[str, Any] = {
        "id": f"{c.doc_id}-v{c.version}",
        "type": c.cited_as.csl,
        "title": c.title,
        "genre": c.type_label,
        "archive": ARCHIVE_NAME,
        "archive_location": f"{c.doc_id}, version {c.version}",
        "version": str(c.version),
        "URL": c.url,
        "language": c.language,
        "note": _note(c),
    }
    if c.cited_as is not LETTER and c.organisations:
        item["publisher"] = "; ".join(a.display for a in c.organisations)
    if c.authors:
        item["author"] = [
            {"literal": a.literal} if a.literal else {"family": a.family, "given": a.given}
            for a in c.authors
        ]
    issued = csl_issued(c.issued)
    if issued:
        item["issued"] = issued
    if c.abstract:
        item["abstract"] = c.abstract
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
    """<meta name content> pairs for Zotero's Embedded Metadata translator (and other
    reference managers): Highwire citation_* tags, Dublin Core, and Zotero's own `z.*`.

    - The item type is `DC.type` holding a Zotero item type (letter, document, report,
      presentation), which its RDF import takes as it is.
    - Only persons are `citation_author` / `DC.creator`: Zotero splits every such name into
      given and family name, so an organisation would come out as an invented person. An
      issuing organisation is the publisher (Zotero: publisher, or institution of a report).
    - No `DC.identifier`: Zotero reads any identifier matching `10/...` as a DOI (an id with
      "-10" then "/v1" did); the version's address is `citation_public_url`.
    - The archive and the version are `z.archive` and `z.archiveLocation`.
    """
    tags: list[tuple[str, str]] = [("citation_title", c.title)]
    tags += [("citation_author", a.inverted) for a in c.persons]
    point = _best_point(c.issued)
    if point:
        tags.append(
            ("citation_date", "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(point)))
        )
    if c.organisations and not c.is_letter:
        tags.append(("citation_publisher", "; ".join(a.display for a in c.organisations)))
    tags += [
        ("citation_language", c.language),
        ("citation_public_url", c.url),
    ]
    if c.abstract:
        tags.append(("citation_abstract", c.abstract))
    if c.keywords:
        tags.append(("citation_keywords", "; ".join(c.keywords)))
    tags += [
        ("DC.type", c.cited_as.zotero),
        ("DC.title", c.title),
        ("DC.language", c.language),
    ]
    tags += [("DC.creator", a.inverted) for a in c.persons]
    tags += [("DC.subject", keyword) for keyword in c.keywords]
    tags += [
        ("z.archive", ARCHIVE_NAME),
        ("z.archiveLocation", f"{c.doc_id}, version {c.version}"),
    ]
    return tags
