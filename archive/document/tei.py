"""TEI at the edge: safe parsing of outside XML and reading TEI into the model.

Every byte of XML that enters the archive passes `parse_xml`, which refuses what could
make a parser reach out or blow up (DTDs, entity declarations, processing instructions,
other encodings than UTF-8, oversize files) before anything reads the tree. `read_document`
then turns a parsed TEI file into a `Document`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from lxml import etree

from archive.document.model import (
    Change,
    DateSpan,
    Document,
    EntityRef,
    Measure,
    MentionedDate,
    Signatory,
    Source,
    TreatyCitation,
)
from archive.errors import InvalidDocument, Problem

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NS = {"t": TEI_NS}
XML_ID = f"{{{XML_NS}}}id"
XML_LANG = f"{{{XML_NS}}}lang"

# Larger than any real statement by two orders of magnitude; refuses blow-ups early.
MAX_FILE_BYTES = 20 * 1024 * 1024

# The schemes of textClass/keywords the profile knows.
SCHEME_TYPE = "archive:type"
SCHEME_TREATY = "archive:treaty"
SCHEME_SUBJECT = "archive:subject"

PRIVATE_REF_RE = re.compile(r"^(?P<kind>treaty|person|org|place|doc):(?P<id>[a-z0-9][a-z0-9-]*)$")

# Inline elements whose words are ours, not the document's: left out of its text.
_EDITORIAL = {f"{{{TEI_NS}}}{name}" for name in ("corr", "reg", "expan", "note", "gap")}
# Elements that make a paragraph of the plain text.
_BLOCKS = {
    f"{{{TEI_NS}}}{name}"
    for name in (
        "p",
        "head",
        "salute",
        "signed",
        "dateline",
        "item",
        "l",
        "ab",
        "trailer",
        "byline",
    )
}
_ALLOWED_PIS = {"xml-model"}
_LXML_POSITION_RE = re.compile(r", line (\d+), column (\d+)\s*$")
_HUGE_HINT_RE = re.compile(r",? (use|try) XML_PARSE_HUGE( option)?")
_ENCODING_RE = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_BOMS = {  # the UTF-32 marks first: UTF-32 LE's begins with UTF-16 LE's
    b"\xff\xfe\x00\x00": "UTF-32 (little-endian)",
    b"\x00\x00\xfe\xff": "UTF-32 (big-endian)",
    b"\xef\xbb\xbf": "UTF-8",
    b"\xff\xfe": "UTF-16 (little-endian)",
    b"\xfe\xff": "UTF-16 (big-endian)",
}


def t(name: str) -> str:
    """Clark name of a TEI element: t('persName') -> '{http://www.tei-c.org/ns/1.0}persName'."""
    return f"{{{TEI_NS}}}{name}"


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def safe_parser() -> etree.XMLParser:
    """A parser that never expands entities, never loads a DTD and never touches the network.

    A new one per call: lxml parsers are not safe to share between threads.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse_xml(data: bytes, path: str | Path) -> etree._ElementTree:
    """Parse untrusted XML bytes, or raise InvalidDocument naming the file and line.

    Refused: more than MAX_FILE_BYTES, a byte-order mark, bytes that are not UTF-8, an XML
    declaration naming another encoding, a DOCTYPE (hence any entity declaration or external
    DTD), processing instructions other than xml-model, and malformed XML.
    """
    path = str(path)

    def refuse(message: str, line: int | None = None) -> InvalidDocument:
        return InvalidDocument([Problem(path, line, message)])

    if len(data) > MAX_FILE_BYTES:
        raise refuse(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if not data.strip():
        raise refuse("file is empty", 1)
    for bom, name in _BOMS.items():
        if data.startswith(bom):
            raise refuse(
                f"file starts with a {name} byte-order mark: save it as UTF-8 without BOM", 1
            )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(
            f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded", _line_of(data, exc.start)
        ) from None
    declared = _ENCODING_RE.match(data)
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise refuse(f"declares encoding {declared.group(1).decode()!r}: only UTF-8 is accepted", 1)
    doctype_at = data.find(b"<!DOCTYPE")
    if doctype_at != -1:
        raise refuse(
            "DOCTYPE declarations are not allowed (no DTDs, no entity declarations)",
            _line_of(data, doctype_at),
        )
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        message = " ".join(_LXML_POSITION_RE.sub(lambda m: f" (column {m[2]})", exc.msg).split())
        # libxml2 suggests an option that would lift the limit; the archive never lifts it.
        message = _HUGE_HINT_RE.sub("", message)
        raise refuse(f"malformed XML: {message}", exc.lineno) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise refuse("DOCTYPE declarations are not allowed (no DTDs, no entity declarations)", 1)
    for node in _prolog_and_tree(root):
        if isinstance(node, etree._ProcessingInstruction) and (
            node.target not in _ALLOWED_PIS or node.getparent() is not None
        ):
            raise refuse(
                f"processing instruction <?{node.target}?> is not allowed", node.sourceline
            )
        if isinstance(node, etree._Entity):
            raise refuse(f"entity reference &{node.name}; is not allowed", node.sourceline)
    return tree


def _prolog_and_tree(root: etree._Element) -> Iterator[etree._Element]:
    """The processing instructions and entity references around and in the tree (lxml
    walks the tree in C and makes a Python object of those alone)."""
    sibling = root.getprevious()
    while sibling is not None:
        yield sibling
        sibling = sibling.getprevious()
    yield from root.iter(etree.ProcessingInstruction, etree.Entity)
    sibling = root.getnext()
    while sibling is not None:
        yield sibling
        sibling = sibling.getnext()


def check_tei_root(tree: etree._ElementTree, path: str | Path) -> None:
    """Refuse a well-formed file whose root is not <TEI> in the TEI namespace."""
    root = tree.getroot()
    if root.tag != t("TEI"):
        qname = etree.QName(root)
        where = f" in namespace {qname.namespace}" if qname.namespace else " in no namespace"
        raise InvalidDocument(
            [
                Problem(
                    str(path),
                    root.sourceline,
                    f"root element is <{qname.localname}>{where}; expected <TEI> in {TEI_NS}",
                )
            ]
        )


def read_bytes(path: Path) -> bytes:
    """Read a file for parsing, turning file-system failures into located errors.

    Only regular files are read (a FIFO would block the reader, holding the corpus lock,
    until someone writes to it; a device such as /dev/zero never ends), and never more than
    MAX_FILE_BYTES + 1 bytes: a larger file is refused without being read whole."""

    def refuse(message: str) -> InvalidDocument:
        return InvalidDocument([Problem(str(path), None, message)])

    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise refuse("is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise refuse("is not a regular file (a pipe, a device or a socket): give a file")
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise refuse("no such file") from None
    except PermissionError:
        raise refuse("permission denied") from None
    except OSError as exc:
        raise refuse(f"cannot be read: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise refuse(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    return data


def parse_tei(data: bytes, path: str | Path) -> etree._ElementTree:
    tree = parse_xml(data, path)
    check_tei_root(tree, path)
    return tree


# --- reading the model -------------------------------------------------------------


def normalize_space(text: str | None) -> str:
    return " ".join((text or "").split())


def inline_text(element: etree._Element) -> str:
    """The document's own words inside an element: editorial corrections, notes and gaps
    left out, whitespace collapsed."""
    return normalize_space("".join(_inline_pieces(element)))


def _inline_pieces(element: etree._Element) -> Iterator[str]:
    if element.text:
        yield element.text
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _EDITORIAL:
            yield from _inline_pieces(child)
        if child.tail:
            yield child.tail


def block_texts(element: etree._Element) -> list[str]:
    """The paragraphs of an element (body, div ...), in order, as plain text."""
    return [text for text, _ in _blocks(element, "")]


def _blocks(element: etree._Element, lang: str) -> list[tuple[str, str]]:
    """The paragraphs of an element with the xml:lang each is in ("" for inherited)."""
    out: list[tuple[str, str]] = []
    for child in element:
        if not isinstance(child.tag, str) or child.tag in _EDITORIAL:
            continue
        own = child.get(XML_LANG) or lang
        if child.tag in _BLOCKS:
            text = inline_text(child)
            if text:
                out.append((text, own))
        else:
            out.extend(_blocks(child, own))
    return out


def prose_with_languages(
    element: etree._Element | None, doc_lang: str
) -> tuple[str, list[tuple[int, int, str]]]:
    """An element's paragraphs as one text (blank lines between them), and the spans of
    that text in a language other than the document's (xml:lang on a division or a
    paragraph): search analyses each part in its own language."""
    if element is None:
        return "", []
    pieces: list[str] = []
    parts: list[tuple[int, int, str]] = []
    cursor = 0
    for text, lang in _blocks(element, element.get(XML_LANG) or ""):
        if pieces:
            cursor += 2
        if lang and lang != doc_lang:
            parts.append((cursor, cursor + len(text), lang))
        pieces.append(text)
        cursor += len(text)
    return "\n\n".join(pieces), parts


def split_refs(value: str | None) -> list[tuple[str, str]]:
    """'treaty:gc-1949 treaty:ap-1977' -> [('treaty', 'gc-1949'), ('treaty', 'ap-1977')].
    Pointers without a private prefix (plain URLs) are ignored here."""
    return list(_refs(value or ""))


@functools.lru_cache(maxsize=8192)
def _refs(value: str) -> tuple[tuple[str, str], ...]:
    # Memoised: the same few thousand pointers recur in every document an indexer reads.
    out = []
    for token in value.split():
        match = PRIVATE_REF_RE.match(token.split("#", 1)[0])
        if match:
            out.append((match["kind"], match["id"]))
    return tuple(out)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def date_span(element: etree._Element | None) -> DateSpan:
    if element is None:
        return DateSpan()
    get = element.get
    return DateSpan(
        when=get("when"),
        from_=get("from"),
        to=get("to"),
        not_before=get("notBefore"),
        not_after=get("notAfter"),
        dur=get("dur") or get("dur-iso"),
        cert=get("cert"),
    )


def _entity_refs(elements: Iterable[etree._Element]) -> list[EntityRef]:
    out: list[EntityRef] = []
    for el in elements:
        for kind, ref_id in _refs(el.get("ref") or ""):
            out.append(EntityRef(kind, ref_id, inline_text(el)))
    return out


def _ids_by_kind(root: etree._Element, exclude: etree._Element | None) -> dict[str, list[str]]:
    """Every private reference outside `exclude`, by kind, each id once in document order.
    One pass over the tree for all kinds: indexing reads every document, so this matters."""
    skipped = set(exclude.iter()) if exclude is not None else set()
    found: dict[str, list[str]] = {}
    for el in _POINTING(root):
        if el in skipped:
            continue
        for attr in ("ref", "target"):
            value = el.get(attr)
            if value:
                for ref_kind, ref_id in _refs(value):
                    found.setdefault(ref_kind, []).append(ref_id)
    return {kind: _unique(ids) for kind, ids in found.items()}


def read_document(
    data: bytes, path: str | Path = "<document>", sha256: str | None = None
) -> Document:
    """Parse TEI bytes safely and read them into a Document.

    This does not validate against the schema (see `archive.document.validate`); it reads what is
    there and leaves out what is missing. `sha256` is the hex digest of `data` when the caller
    has it already (the indexer hashes every file it reads).
    """
    tree = parse_tei(data, path)
    return document_from_tree(tree, data, sha256)


def _xpath(path: str) -> etree.XPath:
    return etree.XPath(path, namespaces=NS)


# Compiled once: an indexer reads every document, and `element.xpath(text)` compiles its
# expression on every call (a third of reading a document into the model).
_HEADER = "t:teiHeader/t:fileDesc"
_PROFILE = "t:teiHeader/t:profileDesc"
_TITLES = _xpath(f"{_HEADER}/t:titleStmt/t:title")
_CREATION_DATES = _xpath(f"{_PROFILE}/t:creation/t:date")
_DATING_NOTE = _xpath(f"{_HEADER}/t:notesStmt/t:note[@type='dating']")
_ABSTRACT = _xpath(f"{_PROFILE}/t:abstract")
_SIGNATORIES = _xpath(f"{_PROFILE}/t:particDesc/t:listPerson[@type='signatories']/t:person")
_CORRESPONDENTS = _xpath(f"{_PROFILE}/t:correspDesc/t:correspAction[@type=$kind]/*[@ref]")
_KEYWORDS = _xpath(f"{_PROFILE}/t:textClass/t:keywords[@scheme=$scheme]/t:term")
_TREATY_MENTIONS = _xpath(".//t:rs[@type='treaty']")
_SOURCE_DESC = _xpath(f"{_HEADER}/t:sourceDesc")
_BIBLS = _xpath(f"{_HEADER}/t:sourceDesc/t:bibl")
_CHANGES = _xpath("t:teiHeader/t:revisionDesc/t:change")
_PERMALINK = _xpath(f"{_HEADER}/t:publicationStmt/t:idno[@type='URI']")
_AVAILABILITY = _xpath(f"{_HEADER}/t:publicationStmt/t:availability")
_ISSUERS = _xpath(f"{_HEADER}/t:titleStmt/t:author/*[@ref]")
_POINTING = _xpath("descendant-or-self::*[@ref or @target]")
_CHANGE_NUMBER_RE = re.compile(r"[0-9]+")


def _first(found: list[etree._Element]) -> etree._Element | None:
    return found[0] if found else None


def document_from_tree(
    tree: etree._ElementTree, data: bytes, sha256: str | None = None
) -> Document:
    root = tree.getroot()
    text_el = root.find("t:text", NS)
    body = text_el.find("t:body", NS) if text_el is not None else None

    title_elements = _TITLES(root)
    titles = [inline_text(el) for el in title_elements]
    main_title = next((el for el in title_elements if el.get("type") == "main"), None)
    title = inline_text(main_title) if main_title is not None else (titles[0] if titles else "")

    creation_dates = [
        MentionedDate(inline_text(el), date_span(el), el.get("type"))
        for el in _CREATION_DATES(root)
    ]
    issued = next(
        (d.span for d in creation_dates if d.type == "issued"),
        creation_dates[0].span if creation_dates else DateSpan(),
    )
    dating_note = _first(_DATING_NOTE(root))
    abstract = _first(_ABSTRACT(root))
    # The document's own words (body) and, for catalogue records, ours (abstract): both
    # carry the dates, figures and treaty citations a reader searches for.
    prose = [el for el in (abstract, body) if el is not None]

    signatories = []
    for person in _SIGNATORIES(root):
        pers_name = person.find("t:persName", NS)
        refs = _refs(pers_name.get("ref") or "") if pers_name is not None else ()
        role = person.find("t:affiliation/t:roleName", NS)
        org = person.find("t:affiliation/t:orgName", NS)
        org_refs = _refs(org.get("ref") or "") if org is not None else ()
        signatories.append(
            Signatory(
                person_id=refs[0][1] if refs else "",
                name=inline_text(pers_name) if pers_name is not None else "",
                role=inline_text(role) if role is not None else None,
                org_id=org_refs[0][1] if org_refs else None,
                org_name=inline_text(org) if org is not None else None,
            )
        )

    type_terms = _KEYWORDS(root, scheme=SCHEME_TYPE)
    citations = [
        TreatyCitation(ref_id, inline_text(rs), rs.get("n"))
        for part in prose
        for rs in _TREATY_MENTIONS(part)
        for kind, ref_id in _refs(rs.get("ref") or "")
        if kind == "treaty"
    ]
    header_treaties = [
        ref_id
        for term in _KEYWORDS(root, scheme=SCHEME_TREATY)
        for kind, ref_id in _refs(term.get("ref") or "")
        if kind == "treaty"
    ]

    source_desc = _first(_SOURCE_DESC(root))
    sources = []
    for bibl in _BIBLS(root):
        publisher = bibl.find("t:publisher", NS)
        publisher_refs = _entity_refs(publisher.iter(t("orgName"))) if publisher is not None else []
        when = bibl.find("t:date", NS)
        ptr = bibl.find("t:ptr", NS)
        bibl_title = bibl.find("t:title", NS)
        note = bibl.find("t:note", NS)
        sources.append(
            Source(
                title=inline_text(bibl_title) if bibl_title is not None else None,
                publisher=inline_text(publisher) if publisher is not None else None,
                publisher_id=publisher_refs[0].id if publisher_refs else None,
                date=(when.get("when") or when.get("notAfter")) if when is not None else None,
                url=ptr.get("target") if ptr is not None else None,
                type=bibl.get("type"),
                note=inline_text(note) if note is not None else None,
            )
        )

    changes = [
        Change(int(ch.get("n")), ch.get("when", ""), inline_text(ch))
        for ch in _CHANGES(root)
        # ASCII only: str.isdigit() is also true of "²", which int() refuses.
        if _CHANGE_NUMBER_RE.fullmatch(ch.get("n") or "")
    ]
    permalink = _first(_PERMALINK(root))
    availability = _first(_AVAILABILITY(root))
    refs = _ids_by_kind(root, source_desc)
    lang = root.get(XML_LANG) or ""
    body_text, text_langs = prose_with_languages(body, lang)
    abstract_text, abstract_langs = prose_with_languages(abstract, lang)

    return Document(
        id=root.get(XML_ID, ""),
        lang=lang,
        title=title,
        titles=titles,
        doc_type=inline_text(type_terms[0]) if type_terms else "",
        subjects=[inline_text(term) for term in _KEYWORDS(root, scheme=SCHEME_SUBJECT)],
        issued=issued,
        issued_note=inline_text(dating_note) if dating_note is not None else None,
        issuers=_entity_refs(_ISSUERS(root)),
        signatories=signatories,
        senders=_entity_refs(_CORRESPONDENTS(root, kind="sent")),
        addressees=_entity_refs(_CORRESPONDENTS(root, kind="received")),
        treaties=_unique([*header_treaties, *(c.treaty_id for c in citations)]),
        treaty_citations=citations,
        dates=[
            MentionedDate(inline_text(el), date_span(el))
            for part in prose
            for el in part.iter(t("date"))
        ],
        creation_dates=creation_dates,
        persons=refs.get("person", []),
        places=refs.get("place", []),
        organisations=refs.get("org", []),
        measures=[
            Measure(inline_text(el), el.get("quantity"), el.get("unit"), el.get("commodity"))
            for part in prose
            for el in part.iter(t("measure"))
        ],
        text=body_text,
        text_langs=text_langs,
        abstract=abstract_text,
        abstract_langs=abstract_langs,
        sources=sources,
        rights=normalize_space(inline_text(availability)) if availability is not None else "",
        permalink=normalize_space(permalink.text) if permalink is not None else "",
        version=max((c.n for c in changes), default=1),
        changes=changes,
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        is_catalogue_record=text_el is not None and text_el.get("type") == "catalogue-record",
    )
