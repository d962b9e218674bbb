"""A catalogue record from a facts file (`archive catalogue`).

A catalogue record describes a statement the archive does not hold the text of
(docs/tei-profile.md, "Catalogue records"). The people who find statements write down what
they checked at the source as a few TOML fields (docs/corpus.md, "Facts files"): title, issue
date and the evidence for it, issuers, signatories, addressees, treaties, places, subjects,
sources, and a summary in our own words with inline marks (`[[org:icrc|the ICRC]]`,
`[[treaty:gc4-1949#49|Article 49 ...]]`, `[[date:2020-09-27/2020-11-10|the war]]`) that
become orgName, persName, placeName, rs and date. Writing the TEI by hand is where the
mistakes would be; here the same facts always give the same record, built with the draft
writer's elements and prefix declarations.

Every problem of a facts file is reported at once, each naming the field (and its line where
it can be found), so that a researcher fixes a file in one round; nothing is built from a
file with a problem. Whether the result is valid is decided by the archive's validator, which
the command runs before writing (the encode layer cannot reach the corpus).
"""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from archive.config import ARCHIVE_NAME
from archive.document import (
    DOC_ID_RE,
    NS,
    XML_ID,
    XML_LANG,
    DateSpan,
    Registers,
    document_types,
    human_date,
    parse_iso,
)
from archive.encode.draft import LANGUAGE_NAMES, E, prefix_definitions
from archive.encode.results import date_attributes
from archive.errors import InvalidDocument, Problem

FIELDS = (
    "id", "type", "lang", "title", "title_lang", "alt_titles", "issued", "issuers", "addressees",
    "signatories", "treaties", "places", "subjects", "summary", "summary_lang", "sources",
    "made",
)  # fmt: skip
ISSUED_FIELDS = ("when", "from", "to", "not_before", "not_after", "cert", "as_written", "evidence")
SIGNATORY_FIELDS = ("person", "role", "org")
SOURCE_FIELDS = ("url", "publisher", "kind", "date")
CERTAINTIES = ("high", "medium", "low")
SOURCE_KINDS = {"original": "source", "report": "report"}
# The reader-facing names of the kinds a reference may have.
_KIND_TAGS = {"org": "orgName", "person": "persName", "place": "placeName"}
_LANG_RE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_URL_RE = re.compile(r"https?://\S+")
_REF_RE = re.compile(r"(?P<kind>[a-z]+):(?P<id>[a-z0-9][a-z0-9-]*)")
_MARK_RE = re.compile(r"\[\[(?P<target>[^\[\]|]*)(?:\|(?P<words>[^\[\]]*))?\]\]")
_TOML_LINE_RE = re.compile(r"at line (\d+)")

EDITORIAL_DECLARATION = (
    "Catalogue record: metadata and an abstract written by the archive's editors from public "
    "reports; no third-party text is reproduced. Names point to the archive's registers."
)
CATALOGUED_BY = ("Catalogued by", "the Appeals Archive editors")


@dataclass(frozen=True)
class CatalogueRecord:
    """What `build_catalogue_record` makes of one facts file."""

    doc_id: str
    tei_bytes: bytes


def build_catalogue_record(
    data: bytes, path: Path | str, registers: Registers, *, base_url: str, today: str
) -> CatalogueRecord:
    """The TEI catalogue record of the facts file `data` (read from `path`). Raises
    InvalidDocument listing every problem of the file, each naming its field."""
    where = str(path)
    try:
        text = data.decode("utf-8")
        fields = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise InvalidDocument([Problem(where, None, f"not UTF-8 text: {exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE_RE.search(str(exc))
        line = int(match[1]) if match else None
        raise InvalidDocument([Problem(where, line, f"not valid TOML: {exc}")]) from None
    builder = _Builder(fields, where, _FieldLines(text), registers, base_url, today)
    tei = builder.build()
    if builder.problems:
        raise InvalidDocument(builder.problems)
    assert tei is not None
    return CatalogueRecord(builder.doc_id, tei)


def with_history(tei_bytes: bytes, stored: bytes) -> bytes:
    """A record made again from its (corrected) facts, carrying the revisionDesc of the
    version the archive holds, so that `archive add --revise -m WHY` stores it as the next
    version: the history of a record is never rewritten, and its first change stays the
    sentence it was made with."""
    record = etree.fromstring(tei_bytes)
    held = etree.fromstring(stored, etree.XMLParser(resolve_entities=False, no_network=True))
    path = "t:teiHeader/t:revisionDesc"
    ours, theirs = record.find(path, NS), held.find(path, NS)
    if theirs is None:
        return tei_bytes
    kept = copy.deepcopy(theirs)
    kept.tail = ours.tail  # the layout stays the record's own (no re-indenting of mixed content)
    ours.getparent().replace(ours, kept)
    return etree.tostring(record, xml_declaration=True, encoding="UTF-8") + b"\n"


class _FieldLines:
    """Where each field of a facts file is written, for messages: `issued.when`,
    `sources[1].url` ... found by reading the file's lines (tomllib keeps no positions)."""

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        self.opens_on_next_line: set[str] = set()
        table = ""
        counts: dict[str, int] = {}
        in_string = False
        for number, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            if in_string:
                in_string = stripped.count('"""') % 2 == 0
                continue
            header = re.fullmatch(
                r"\[\[\s*([A-Za-z0-9_-]+)\s*\]\]|\[\s*([A-Za-z0-9_-]+)\s*\]", stripped
            )
            if header:
                if header[1]:
                    index = counts.get(header[1], 0)
                    counts[header[1]] = index + 1
                    table = f"{header[1]}[{index}]"
                else:
                    table = header[2]
                self.lines.setdefault(table, number)
                continue
            key = re.match(r"\s*([A-Za-z0-9_-]+)\s*=\s*(.*)", line)
            if key:
                name = f"{table}.{key[1]}" if table else key[1]
                self.lines.setdefault(name, number)
                value = key[2].strip()
                if value.startswith('"""') and value.count('"""') % 2 == 1:
                    in_string = True
                    if value == '"""':
                        self.opens_on_next_line.add(name)

    def line(self, field: str) -> int | None:
        """The line of a field, else of the table it is in."""
        while field:
            if field in self.lines:
                return self.lines[field]
            if field.endswith("]") and "[" in field:
                field = field[: field.rindex("[")]
            else:
                field = field.rpartition(".")[0]
        return None


class _Builder:
    """Reads the fields, collecting problems, and builds the TEI when there are none."""

    def __init__(
        self,
        fields: dict[str, Any],
        where: str,
        lines: _FieldLines,
        registers: Registers,
        base_url: str,
        today: str,
    ) -> None:
        self.fields = fields
        self.where = where
        self.lines = lines
        self.registers = registers
        self.base_url = base_url.rstrip("/")
        self.today = today
        self.problems: list[Problem] = []
        self.doc_id = ""

    def problem(self, field: str, message: str, line: int | None = None) -> None:
        line = line if line is not None else self.lines.line(field)
        self.problems.append(Problem(self.where, line, f"{field}: {message}"))

    # -- reading fields -------------------------------------------------------------------

    def string(self, field: str, value: Any, *, required: bool = True) -> str | None:
        if value is None:
            if required:
                self.problem(field, "missing (a text is required)")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(field, f"must be a non-empty text, not {value!r}")
            return None
        return " ".join(value.split())

    def choice(self, field: str, value: Any, allowed: tuple[str, ...] | list[str]) -> str | None:
        if value is None:
            self.problem(field, f"missing (one of {', '.join(allowed)})")
            return None
        if value not in allowed:
            self.problem(field, f"{value!r} is not one of {', '.join(allowed)}")
            return None
        return str(value)

    def language(self, field: str, value: Any, default: str | None = None) -> str | None:
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or not _LANG_RE.fullmatch(value):
            self.problem(field, f"{value!r} is not a BCP 47 language tag (en, ru, az, hy ...)")
            return None
        return value

    def iso(self, field: str, value: Any) -> str | None:
        if isinstance(value, str):
            try:
                parse_iso(value)
                return value
            except ValueError as exc:
                self.problem(field, str(exc))
                return None
        self.problem(field, f'{value!r} is not a date written as text ("YYYY-MM-DD")')
        return None

    def list_of(self, field: str, value: Any, item_type: type) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, item_type) for v in value):
            kind = "texts" if item_type is str else "tables"
            self.problem(field, f"must be a list of {kind}")
            return []
        return value

    def reference(self, field: str, value: Any, kinds: tuple[str, ...]) -> tuple[str, str] | None:
        """(kind, current id) of a register reference such as "org:icrc"."""
        match = _REF_RE.fullmatch(value) if isinstance(value, str) else None
        if match is None or match["kind"] not in kinds:
            self.problem(field, f"{value!r} is not a reference of the form {'|'.join(kinds)}:<id>")
            return None
        return self.resolve(field, match["kind"], match["id"])

    def resolve(
        self, field: str, kind: str, record_id: str, line: int | None = None
    ) -> tuple[str, str] | None:
        register = self.registers.by_kind(kind)
        current = register.current_id(record_id)
        if current is None:
            close = register.close_matches(record_id)
            hint = f" (closest: {', '.join(f'{kind}:{c}' for c in close)})" if close else ""
            how = (
                "archive register add"
                if kind != "treaty"
                else "a treaty record (ask the corpus lead)"
            )
            self.problem(
                field,
                f"{kind}:{record_id} is not in the {kind} register{hint}; add it with {how}",
                line,
            )
            return None
        return kind, current

    def label(self, kind: str, record_id: str) -> str:
        return self.registers.label(kind, record_id)

    def unknown_keys(self, field: str, table: dict[str, Any], known: tuple[str, ...]) -> None:
        for key in table:
            if key in known:
                continue
            name = f"{field}.{key}" if field else key
            if field and key in FIELDS:
                # TOML puts every key after a [table] header into that table.
                self.problem(
                    name,
                    f"{key} is written after the [{field.split('[')[0]}] header, so TOML puts it "
                    "in that table: move it above the first [table] of the file",
                )
            else:
                self.problem(name, f"unknown field (known: {', '.join(known)})")

    # -- the record -----------------------------------------------------------------------

    def build(self) -> bytes | None:
        f = self.fields
        self.unknown_keys("", f, FIELDS)
        doc_id = self.string("id", f.get("id"))
        if doc_id is not None and not DOC_ID_RE.fullmatch(doc_id):
            self.problem(
                "id", f"{doc_id!r} is not an id: lowercase letters, digits and hyphens, 3-100"
            )
            doc_id = None
        self.doc_id = doc_id or ""
        doc_type = self.choice("type", f.get("type"), document_types())
        lang = self.language("lang", f.get("lang"))
        title = self.string("title", f.get("title"))
        title_lang = self.language("title_lang", f.get("title_lang"), default=lang or "")
        alt_titles = self.alt_titles(f.get("alt_titles"))
        issued = self.issued(f.get("issued"))
        issuers = self.references("issuers", f.get("issuers"), ("org", "person"), required=True)
        addressees = self.references("addressees", f.get("addressees"), ("org", "person", "place"))
        signatories = self.signatories(f.get("signatories"))
        treaties = self.references("treaties", f.get("treaties"), ("treaty",))
        places = self.references("places", f.get("places"), ("place",))
        subjects = [
            s for i, v in enumerate(self.list_of("subjects", f.get("subjects"), str))
            if (s := self.string(f"subjects[{i}]", v)) is not None
        ]  # fmt: skip
        summary_lang = self.language("summary_lang", f.get("summary_lang"), default="en")
        summary = self.summary(f.get("summary"))
        sources = self.sources(f.get("sources"))
        made = self.string("made", f.get("made"))
        if self.problems:
            return None
        assert doc_id and doc_type and lang and title and issued and summary_lang and made
        inline_treaties = [ref for ref in _refs_in(summary, "treaty")]
        inline_places = [ref for ref in _refs_in(summary, "place")]
        root = E("TEI")
        root.set(XML_ID, doc_id)
        root.set(XML_LANG, lang)
        root.append(
            E(
                "teiHeader",
                self.file_desc(
                    doc_id,
                    (title, title_lang),
                    alt_titles,
                    issuers,
                    issued,
                    sources,
                    lang,
                    summary_lang,
                ),
                E(
                    "encodingDesc",
                    E("editorialDecl", E("p", text=EDITORIAL_DECLARATION)),
                    prefix_definitions(),
                ),
                self.profile_desc(
                    lang=lang,
                    summary=summary,
                    summary_lang=summary_lang,
                    issued=issued,
                    doc_type=doc_type,
                    treaties=_unique([*treaties, *inline_treaties]),
                    places=_unique([*places, *inline_places]),
                    subjects=subjects,
                    issuers=issuers,
                    addressees=addressees,
                    signatories=signatories,
                ),
                E("revisionDesc", E("change", text=made, when=self.today, n="1")),
            )
        )
        root.append(
            E(
                "text",
                E(
                    "body",
                    E("div", E("p", E("gap", reason="catalogue-record")), type="catalogue-record"),
                ),
                type="catalogue-record",
            )
        )
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def alt_titles(self, value: Any) -> list[tuple[str, str | None]]:
        out = []
        for i, item in enumerate(self.list_of("alt_titles", value, dict)):
            field = f"alt_titles[{i}]"
            self.unknown_keys(field, item, ("text", "lang"))
            words = self.string(f"{field}.text", item.get("text"))
            lang = self.language(f"{field}.lang", item["lang"]) if "lang" in item else None
            if words is not None:
                out.append((words, lang))
        return out

    def issued(self, value: Any) -> _Issued | None:
        if not isinstance(value, dict):
            self.problem(
                "issued",
                "missing: an [issued] table with when (or from/to, or not_before/not_after) and evidence",
            )
            return None
        self.unknown_keys("issued", value, ISSUED_FIELDS)
        given = {k for k in ("when", "from", "to", "not_before", "not_after") if k in value}
        forms = ({"when"}, {"from", "to"}, {"not_before", "not_after"})
        if given not in forms:
            self.problem(
                "issued",
                "give exactly one of: when | from and to | not_before and not_after"
                + (f" (found: {', '.join(sorted(given))})" if given else ""),
            )
            return None
        dates = {k: self.iso(f"issued.{k}", value[k]) for k in sorted(given)}
        cert = self.choice("issued.cert", value["cert"], CERTAINTIES) if "cert" in value else None
        as_written = self.string("issued.as_written", value.get("as_written"), required=False)
        evidence = self.string("issued.evidence", value.get("evidence"))
        if None in dates.values() or evidence is None:
            return None
        span = DateSpan(
            when=dates.get("when"),
            from_=dates.get("from"),
            to=dates.get("to"),
            not_before=dates.get("not_before"),
            not_after=dates.get("not_after"),
            cert=cert,
        )
        start, end = (
            (dates.get("from"), dates.get("to"))
            if "from" in dates
            else (dates.get("not_before"), dates.get("not_after"))
        )
        if start and end and parse_iso(start).earliest > parse_iso(end).latest:
            self.problem("issued", f"{start} comes after {end}")
            return None
        return _Issued(span, as_written or _readable(span), evidence)

    def references(
        self, field: str, value: Any, kinds: tuple[str, ...], *, required: bool = False
    ) -> list[tuple[str, str]]:
        items = self.list_of(field, value, str)
        if required and (value is None or value == []):
            self.problem(field, f"at least one is required ({'|'.join(kinds)}:<id>)")
        found = [self.reference(f"{field}[{i}]", v, kinds) for i, v in enumerate(items)]
        return _unique([r for r in found if r is not None])

    def signatories(self, value: Any) -> list[_Signatory]:
        out = []
        for i, item in enumerate(self.list_of("signatories", value, dict)):
            field = f"signatories[{i}]"
            self.unknown_keys(field, item, SIGNATORY_FIELDS)
            person = self.reference(f"{field}.person", item.get("person"), ("person",))
            role = self.string(f"{field}.role", item.get("role"), required=False)
            org = self.reference(f"{field}.org", item["org"], ("org",)) if "org" in item else None
            if person is not None:
                out.append(_Signatory(person[1], role, org[1] if org else None))
        return out

    def sources(self, value: Any) -> list[_Source]:
        items = self.list_of("sources", value, dict)
        if not items:
            if value is None or isinstance(value, list):
                self.problem(
                    "sources", "at least one [[sources]] table (url, publisher, kind) is required"
                )
            return []
        out = []
        for i, item in enumerate(items):
            field = f"sources[{i}]"
            self.unknown_keys(field, item, SOURCE_FIELDS)
            url = self.string(f"{field}.url", item.get("url"))
            if url is not None and not _URL_RE.fullmatch(url):
                self.problem(f"{field}.url", f"{url!r} is not an http(s) URL")
                url = None
            publisher = self.string(f"{field}.publisher", item.get("publisher"))
            publisher_ref = None
            if publisher is not None and _REF_RE.fullmatch(publisher):
                publisher_ref = self.reference(f"{field}.publisher", publisher, ("org",))
                if publisher_ref is None:
                    publisher = None
            kind = self.choice(f"{field}.kind", item.get("kind"), tuple(SOURCE_KINDS))
            when = self.iso(f"{field}.date", item["date"]) if "date" in item else None
            if url and publisher and kind and ("date" not in item or when):
                out.append(
                    _Source(url, publisher, publisher_ref[1] if publisher_ref else None, kind, when)
                )
        return out

    def summary(self, value: Any) -> list[list[str | _Mark]] | None:
        """The summary's paragraphs, each a list of plain words and marks."""
        if not isinstance(value, str) or not value.strip():
            self.problem("summary", "missing: 2-4 sentences in our own words")
            return None
        first_line = self.lines.line("summary") or 0
        if "summary" in self.lines.opens_on_next_line:
            first_line += 1
        paragraphs = []
        ok = True
        for block_start, block in _paragraphs(value):
            pieces: list[str | _Mark] = []
            position = 0
            for match in _MARK_RE.finditer(block):
                line = first_line + value[: block_start + match.start()].count("\n")
                pieces.append(block[position : match.start()])
                mark = self.mark(match, line)
                ok = ok and mark is not None
                if mark is not None:
                    pieces.append(mark)
                position = match.end()
            pieces.append(block[position:])
            for piece in pieces:
                if isinstance(piece, str) and ("[[" in piece or "]]" in piece):
                    line = first_line + value[: block_start + block.find(piece)].count("\n")
                    self.problem(
                        "summary", "an inline mark is not closed: write [[kind:id|words]]", line
                    )
                    ok = False
            paragraphs.append(pieces)
        return paragraphs if ok else None

    def mark(self, match: re.Match[str], line: int) -> _Mark | None:
        target, words = match["target"].strip(), match["words"]
        kind, _, rest = target.partition(":")
        if kind == "date":
            start, slash, end = rest.partition("/")
            try:
                parse_iso(start)
                if slash:
                    parse_iso(end)
                    if parse_iso(start).earliest > parse_iso(end).latest:
                        raise ValueError(f"{start} comes after {end}")
            except ValueError as exc:
                self.problem("summary", f"[[{target}|...]]: {exc}", line)
                return None
            span = DateSpan(from_=start, to=end) if slash else DateSpan(when=start)
            words = " ".join((words or "").split()) or _readable(span)
            return _Mark("date", rest, words, span=span)
        if kind not in ("org", "person", "place", "treaty"):
            self.problem(
                "summary",
                f"[[{target}|...]]: a mark is [[org:|person:|place:|treaty:|date:...|words]]",
                line,
            )
            return None
        record_id, _, article = rest.partition("#")
        if article and kind != "treaty":
            self.problem(
                "summary", f"[[{target}|...]]: only a treaty mark names an article (#)", line
            )
            return None
        resolved = self.resolve("summary", kind, record_id.strip(), line)
        if resolved is None:
            return None
        label = words if words and words.strip() else self.label(kind, resolved[1])
        return _Mark(kind, resolved[1], " ".join(label.split()), article=article.strip() or None)

    # -- TEI parts ------------------------------------------------------------------------

    def name_element(self, kind: str, record_id: str) -> etree._Element:
        return E(_KIND_TAGS[kind], text=self.label(kind, record_id), ref=f"{kind}:{record_id}")

    def file_desc(
        self,
        doc_id: str,
        title: tuple[str, str],
        alt_titles: list[tuple[str, str | None]],
        issuers: list[tuple[str, str]],
        issued: _Issued,
        sources: list[_Source],
        lang: str,
        summary_lang: str,
    ) -> etree._Element:
        words, title_lang = title
        main = E("title", text=words, type="main")
        if title_lang and title_lang != lang:
            # A title in another language than the statement's: a descriptive title in
            # English for a statement read in an Italian report.
            main.set(XML_LANG, title_lang)
        title_stmt = E("titleStmt", main)
        for words, alt_lang in alt_titles:
            alt = E("title", text=words, type="alt")
            if alt_lang and alt_lang != lang:
                alt.set(XML_LANG, alt_lang)
            title_stmt.append(alt)
        for kind, record_id in issuers:
            title_stmt.append(E("author", self.name_element(kind, record_id)))
        resp, name = CATALOGUED_BY
        title_stmt.append(E("respStmt", E("resp", text=resp), E("name", text=name)))
        if summary_lang == lang:
            own_words = "an abstract in the archive's own words"
            if lang != "en":
                own_words += " (in the language of the document)"
        else:
            own_words = f"an abstract in the archive's own words (in {LANGUAGE_NAMES.get(summary_lang, summary_lang)})"
        availability = (
            f"The archive holds no text of this document: this catalogue record gives its "
            f"metadata, {own_words} and a link to the source. CC BY 4.0, {ARCHIVE_NAME}."
        )
        publication = E(
            "publicationStmt",
            E("publisher", text=ARCHIVE_NAME),
            E("idno", text=doc_id, type="archive"),
            E("idno", text=f"{self.base_url}/doc/{doc_id}", type="URI"),
            E("availability", E("p", text=availability)),
        )
        return E(
            "fileDesc",
            title_stmt,
            publication,
            E("notesStmt", E("note", text=issued.evidence, type="dating")),
            E("sourceDesc", *(self.bibl(source) for source in sources)),
        )

    def bibl(self, source: _Source) -> etree._Element:
        bibl = E("bibl", type=SOURCE_KINDS[source.kind])
        if source.publisher_id:
            bibl.append(E("publisher", self.name_element("org", source.publisher_id)))
        else:
            bibl.append(E("publisher", text=source.publisher))
        if source.date:
            bibl.append(E("date", when=source.date))
        bibl.append(E("ptr", target=source.url))
        if source.kind == "report":
            bibl.append(
                E("note", text="A report of the statement, not the issuer's own publication.")
            )
        return bibl

    def profile_desc(
        self,
        *,
        lang: str,
        summary: list[list[str | _Mark]],
        summary_lang: str,
        issued: _Issued,
        doc_type: str,
        treaties: list[tuple[str, str]],
        places: list[tuple[str, str]],
        subjects: list[str],
        issuers: list[tuple[str, str]],
        addressees: list[tuple[str, str]],
        signatories: list[_Signatory],
    ) -> etree._Element:
        abstract = E("abstract", *(_paragraph(pieces) for pieces in summary))
        if summary_lang != lang:
            abstract.set(XML_LANG, summary_lang)
        text_class = E("textClass", E("keywords", E("term", text=doc_type), scheme="archive:type"))
        if treaties:
            text_class.append(
                E(
                    "keywords",
                    *(E("term", text=self.label(k, i), ref=f"{k}:{i}") for k, i in treaties),
                    scheme="archive:treaty",
                )
            )
        if places:
            text_class.append(
                E(
                    "keywords",
                    *(E("term", text=self.label(k, i), ref=f"{k}:{i}") for k, i in places),
                    scheme="archive:place",
                )
            )
        if subjects:
            text_class.append(
                E(
                    "keywords",
                    *(E("term", text=s) for s in _unique(subjects)),
                    scheme="archive:subject",
                )
            )
        profile = E(
            "profileDesc",
            abstract,
            E(
                "creation",
                E("date", text=issued.words, type="issued", **date_attributes(issued.span)),
            ),
            E("langUsage", E("language", text=LANGUAGE_NAMES.get(lang, lang), ident=lang)),
            text_class,
        )
        actions = [E("correspAction", *(self.name_element(k, i) for k, i in issuers), type="sent")]
        if addressees:
            actions.append(
                E(
                    "correspAction",
                    *(self.name_element(k, i) for k, i in addressees),
                    type="received",
                )
            )
        profile.append(E("correspDesc", *actions))
        if signatories:
            profile.append(
                E(
                    "particDesc",
                    E(
                        "listPerson",
                        *(self.person(s, n) for n, s in enumerate(signatories, 1)),
                        type="signatories",
                    ),
                )
            )
        return profile

    def person(self, signatory: _Signatory, n: int) -> etree._Element:
        person = E("person", self.name_element("person", signatory.person_id), n=str(n))
        if signatory.role is None and signatory.org_id is None:
            return person
        affiliation = E("affiliation")
        if signatory.role is not None:
            affiliation.append(E("roleName", text=signatory.role))
        if signatory.org_id is not None:
            org = self.name_element("org", signatory.org_id)
            if signatory.role is not None:
                affiliation[-1].tail = ", "
            affiliation.append(org)
        person.append(affiliation)
        return person


@dataclass(frozen=True)
class _Issued:
    span: DateSpan
    words: str
    evidence: str


@dataclass(frozen=True)
class _Signatory:
    person_id: str
    role: str | None
    org_id: str | None


@dataclass(frozen=True)
class _Source:
    url: str
    publisher: str
    publisher_id: str | None
    kind: str
    date: str | None


@dataclass(frozen=True)
class _Mark:
    kind: str
    target: str  # the record id, or for a date its ISO value
    words: str
    article: str | None = None
    span: DateSpan | None = None


def _paragraphs(summary: str) -> list[tuple[int, str]]:
    """(offset, text) of each paragraph of a summary (blank lines between paragraphs)."""
    return [
        (match.start(), match.group()) for match in re.finditer(r"\S(?:.|\n(?!\s*\n))*", summary)
    ]


def _paragraph(pieces: list[str | _Mark]) -> etree._Element:
    p = E("p")
    last: etree._Element | None = None
    for piece in pieces:
        if isinstance(piece, str):
            words = re.sub(r"\s+", " ", piece)
            if last is None:
                p.text = (p.text or "") + words
            else:
                last.tail = (last.tail or "") + words
            continue
        last = _mark_element(piece)
        p.append(last)
    p.text = (p.text or "").lstrip() or None
    if last is not None and last.tail:
        last.tail = last.tail.rstrip() or None
    elif last is None and p.text:
        p.text = p.text.rstrip()
    return p


def _mark_element(mark: _Mark) -> etree._Element:
    if mark.kind == "date":
        return E("date", text=mark.words, **date_attributes(mark.span or DateSpan()))
    if mark.kind == "treaty":
        return E("rs", text=mark.words, type="treaty", ref=f"treaty:{mark.target}", n=mark.article)
    return E(_KIND_TAGS[mark.kind], text=mark.words, ref=f"{mark.kind}:{mark.target}")


def _refs_in(summary: list[list[str | _Mark]], kind: str) -> list[tuple[str, str]]:
    return [(kind, m.target) for p in summary for m in p if isinstance(m, _Mark) and m.kind == kind]


def _readable(span: DateSpan) -> str:
    """A date span for the reader: '5 March 2021', 'from March to May 2021' ..."""
    if span.when:
        return human_date(span.when)
    if span.from_ and span.to:
        return f"from {human_date(span.from_)} to {human_date(span.to)}"
    return f"between {human_date(span.not_before or '')} and {human_date(span.not_after or '')}"


def _unique(items: list[Any]) -> list[Any]:
    return list(dict.fromkeys(items))
