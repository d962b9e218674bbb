"""The TEI draft: a document in the archive's profile, built with lxml from the detections.

The header follows the seed appeal: titleStmt with the issuing organisations,
publicationStmt with id and permalink, sourceDesc, the dating evidence, the five reference
prefixes, creation date, language, type and treaty keywords, correspondents, signatories
and a first revisionDesc change. The body keeps every character of the text; detections
become inline elements (rs, date, persName, orgName, placeName, roleName) and signature
blocks become closer/signed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from archive.config import ARCHIVE_NAME
from archive.document import PLACEHOLDER_CHANGE, TEI_NS, XML_ID, XML_LANG, DateSpan
from archive.encode.results import DetectedSignatory, Detection, date_attributes
from archive.encode.signatories import CLOSER_RE
from archive.encode.spans import Marks, any_in
from archive.encode.text import Block

PREFIXES = (
    ("treaty", "../authority/treaties.xml#$1", "Treaties, in the archive's treaty register."),
    ("person", "../authority/persons.xml#$1", "Persons, in the archive's register of persons."),
    ("org", "../authority/organisations.xml#$1", "Organisations, in the archive's register of organisations."),
    ("place", "../authority/places.xml#$1", "Places, in the archive's register of places."),
    ("doc", "$1.xml", "Other documents of the archive."),
)  # fmt: skip
LANGUAGE_NAMES = {
    "en": "English", "fr": "French", "de": "German", "ru": "Russian", "az": "Azerbaijani",
    "hy": "Armenian", "es": "Spanish", "ar": "Arabic", "tr": "Turkish", "uk": "Ukrainian",
    "fa": "Persian", "ka": "Georgian", "it": "Italian", "pl": "Polish", "nl": "Dutch",
}  # fmt: skip
_TAGS = {
    "treaty": "rs",
    "date": "date",
    "person": "persName",
    "org": "orgName",
    "place": "placeName",
    "role": "roleName",
}
_BULLET_RE = re.compile(r"^\s*(?:[-•*·]|\d+[.)])\s+")
_SALUTE_RE = re.compile(r"^\s*(?:Dear\b|To\s*:|To\s+the\b|Attn\b|Attention\b)", re.IGNORECASE)


def prefix_definitions() -> etree._Element:
    """The `listPrefixDef` every document of the archive declares (its five private URI
    schemes): drafts and catalogue records build it here, so the two cannot drift apart."""
    return E(
        "listPrefixDef",
        *(
            E(
                "prefixDef",
                E("p", text=description),
                ident=ident,
                matchPattern="([a-z0-9][a-z0-9-]*)",
                replacementPattern=replacement,
            )
            for ident, replacement, description in PREFIXES
        ),
    )


def E(tag: str, *children: etree._Element, text: str | None = None, **attrs: str) -> etree._Element:
    """A TEI element with attributes (None values left out), text and children."""
    element = etree.Element(f"{{{TEI_NS}}}{tag}", nsmap={None: TEI_NS})
    for name, value in attrs.items():
        if value is not None:
            element.set(name.rstrip("_"), value)
    if text is not None:
        element.text = text
    element.extend(children)
    return element


@dataclass
class DraftFacts:
    """Everything the header states, decided before the TEI is built."""

    doc_id: str
    title: str
    lang: str
    doc_type: str
    permalink: str
    today: str
    issued: DateSpan
    issued_words: str
    dating_note: str
    source_url: str | None
    source_note: str
    treaties: list[tuple[str, str]] = field(default_factory=list)  # (ref, label)
    authors: list[Detection] = field(default_factory=list)
    addressees: list[Detection] = field(default_factory=list)
    signatories: list[DetectedSignatory] = field(default_factory=list)
    head_block: int | None = None
    # The review points and proposed records (archive.document.review), after the text.
    review: etree._Element | None = None


def build_draft(text: str, blocks: list[Block], marks: list[Detection], facts: DraftFacts) -> bytes:
    """Serialise the draft: UTF-8, XML declaration, indented header, text kept verbatim."""
    root = E("TEI")
    root.set(XML_ID, facts.doc_id)
    root.set(XML_LANG, facts.lang)
    root.append(_header(facts, text))
    root.append(E("text", E("body", _body(text, blocks, Marks(marks), facts))))
    if facts.review is not None:
        root.append(facts.review)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# -- header -------------------------------------------------------------------------------


def _ref_element(detection: Detection) -> etree._Element:
    return E(_TAGS[detection.kind], text=detection.text, ref=detection.ref)


def _header(facts: DraftFacts, text: str) -> etree._Element:
    title_stmt = E("titleStmt", E("title", text=facts.title, type="main"))
    for author in facts.authors:
        title_stmt.append(E("author", _ref_element(author)))
    title_stmt.append(
        E(
            "respStmt",
            E("resp", text="Draft encoded by"),
            E("name", text="archive encode, for review by the Appeals Archive editors"),
        )
    )
    publication = E(
        "publicationStmt",
        E("publisher", text=ARCHIVE_NAME),
        E("idno", text=facts.doc_id, type="archive"),
        E("idno", text=facts.permalink, type="URI"),
        E(
            "availability",
            E(
                "p",
                text="Draft produced by archive encode from plain text; the editors confirm the "
                "terms of reproduction when they review it.",
            ),
        ),
    )
    bibl = E("bibl", type="source")
    if facts.source_url:
        bibl.append(E("ptr", target=facts.source_url))
    bibl.append(E("note", text=facts.source_note))
    file_desc = E(
        "fileDesc",
        title_stmt,
        publication,
        E("notesStmt", E("note", text=facts.dating_note, type="dating")),
        E("sourceDesc", bibl),
    )
    encoding = E(
        "encodingDesc",
        E(
            "editorialDecl",
            E(
                "p",
                text="Encoded automatically by archive encode: the text is kept character for "
                "character; treaties, dates, persons, organisations and places were detected "
                "against the archive's registers and await an editor's review.",
            ),
        ),
        prefix_definitions(),
    )
    issued = E("date", text=facts.issued_words, type="issued", **date_attributes(facts.issued))
    text_class = E(
        "textClass", E("keywords", E("term", text=facts.doc_type), scheme="archive:type")
    )
    if facts.treaties:
        text_class.append(
            E(
                "keywords",
                *(E("term", text=label, ref=ref) for ref, label in facts.treaties),
                scheme="archive:treaty",
            )
        )
    profile = E(
        "profileDesc",
        E("creation", issued),
        E(
            "langUsage",
            E("language", text=LANGUAGE_NAMES.get(facts.lang, facts.lang), ident=facts.lang),
        ),
        text_class,
    )
    actions = []
    if facts.authors:
        actions.append(E("correspAction", *map(_ref_element, facts.authors), type="sent"))
    if facts.addressees:
        actions.append(E("correspAction", *map(_ref_element, facts.addressees), type="received"))
    if actions:
        profile.append(E("correspDesc", *actions))
    if facts.signatories:
        profile.append(
            E(
                "particDesc",
                E(
                    "listPerson",
                    *(_person(s, n, text) for n, s in enumerate(facts.signatories, 1)),
                    type="signatories",
                ),
            )
        )
    revision = E(
        "revisionDesc",
        E(
            "change",
            text=PLACEHOLDER_CHANGE,
            when=facts.today,
            n="1",
        ),
    )
    return E("teiHeader", file_desc, encoding, profile, revision)


def _person(signatory: DetectedSignatory, n: int, text: str) -> etree._Element:
    person = E(
        "person", E("persName", text=signatory.person.text, ref=signatory.person.ref), n=str(n)
    )
    role, org = signatory.role, signatory.org
    if role is None and org is None:
        return person
    affiliation = E("affiliation")
    parts = sorted((d for d in (role, org) if d is not None), key=lambda d: d.start)
    for i, part in enumerate(parts):
        element = E(_TAGS[part.kind], text=part.text)
        if part.kind == "org":
            if part.ref is None:
                continue
            element.set("ref", part.ref)
        affiliation.append(element)
        if i + 1 < len(parts):
            element.tail = _connector(text[part.end : parts[i + 1].start])
    if len(affiliation):
        person.append(affiliation)
    return person


def _connector(words: str) -> str:
    """The words between a signer's role and organisation as the header repeats them:
    quotation marks dropped ("of the NGO \"Dayag\"" -> "of the NGO Dayag")."""
    words = " ".join(re.sub(r"[\"“”«»„]", "", words).split())
    if not words or len(words) > 40 or not re.search(r"[A-Za-z]", words):
        return ", "
    return f" {words} " if words[0].isalpha() else f"{words} "


# -- body ---------------------------------------------------------------------------------


def _body(text: str, blocks: list[Block], marks: Marks, facts: DraftFacts) -> etree._Element:
    div = E("div", type=facts.doc_type)
    signer_starts = sorted(s.person.start for s in facts.signatories)
    in_closer = False
    closer: etree._Element | None = None
    opener: etree._Element | None = None
    opening = True
    for index, block in enumerate(blocks):
        words = block.text(text)
        lines = block.line_texts(text)
        if index == facts.head_block:
            div.append(_fill(E("head"), text, block.start, block.end, marks))
            continue
        closing = CLOSER_RE.match(lines[0]) is not None
        signs = any_in(signer_starts, block.start, block.end)
        if (closing or in_closer) and (signs or closing or _is_dateline(words, block, marks)):
            in_closer = True
            if closer is None:
                closer = E("closer")
                div.append(closer)
            _closer_part(closer, text, block, marks, signer_starts)
            continue
        if signs and len(lines) > 1 and not _lists_signers_in_prose(words):
            # A signature block without a closing salute: "Signed:" and a line a signer.
            closer = E("closer")
            div.append(closer)
            in_closer = True
            _closer_part(closer, text, block, marks, signer_starts)
            continue
        in_closer = False
        closer = None
        if len(lines) > 1 and all(_BULLET_RE.match(line) for line in lines):
            div.append(E("list", *(_fill(E("item"), text, a, b, marks) for a, b in block.lines)))
        elif opening and (
            (_SALUTE_RE.match(words) and len(words) <= 120) or _is_dateline(words, block, marks)
        ):
            # Date lines and salutations before the first paragraph make the opener.
            tag = "salute" if _SALUTE_RE.match(words) else "dateline"
            if opener is None:
                opener = E("opener")
                div.append(opener)
            opener.append(_fill(E(tag), text, block.start, block.end, marks))
            continue
        else:
            div.append(_fill(E("p"), text, block.start, block.end, marks))
        opening = False
    return div


def _lists_signers_in_prose(words: str) -> bool:
    return bool(re.search(r"\bby\b", words)) and words.rstrip().endswith(".")


def _is_dateline(words: str, block: Block, marks: Marks) -> bool:
    """A short line that is mostly a date ("Baku, 4 September 2023")."""
    if len(block.lines) != 1 or len(words) > 80:
        return False
    dates = [m for m in marks.starting_in(block.start, block.end) if m.kind == "date"]
    if not dates or dates[0].date is None or not dates[0].date.when:
        return False
    rest = words.replace(dates[0].text, "")
    rest = re.sub(r"(?i)\b(date|dated|issued|on)\b", "", rest)
    places = [m.text for m in marks.starting_in(block.start, block.end) if m.kind == "place"]
    for place in places:
        rest = rest.replace(place, "")
    return not re.sub(r"[\s,.:;\-–—]", "", rest)


def _closer_part(
    closer: etree._Element,
    text: str,
    block: Block,
    marks: Marks,
    signer_starts: list[int],
) -> None:
    """Lines of a signature block: salute, signed (one per signer, lines joined with lb),
    dateline, or plain words ("Signed:")."""
    groups: list[list[tuple[int, int]]] = []
    for a, b in block.lines:
        line = text[a:b]
        starts_signer = any_in(signer_starts, a, b)
        if CLOSER_RE.match(line):
            closer.append(_fill(E("salute"), text, a, b, marks))
            groups.append([])
        elif _is_dateline(line, Block(a, b, ((a, b),)), marks):
            closer.append(_fill(E("dateline"), text, a, b, marks))
            groups.append([])
        elif starts_signer or not groups or not groups[-1]:
            groups.append([(a, b)])
            _append_signed(closer, text, a, b, marks)
        else:
            groups[-1].append((a, b))
            signed = closer[-1]
            signed.append(E("lb"))
            _fill(signed, text, a, b, marks)


def _append_signed(closer: etree._Element, text: str, a: int, b: int, marks: Marks) -> None:
    # A signer's first line, or words such as "Signed:" that open the block.
    closer.append(_fill(E("signed"), text, a, b, marks))


def _fill(element: etree._Element, text: str, start: int, end: int, marks: Marks) -> etree._Element:
    """Append text[start:end] to `element`, wrapping each mark that lies inside it."""
    inside = [m for m in marks.starting_in(start, end) if m.end <= end]
    position = start
    last: etree._Element | None = element[-1] if len(element) else None
    for mark in inside:
        if mark.start < position:
            continue
        _append_text(element, last, text[position : mark.start])
        child = _mark_element(mark)
        element.append(child)
        last = child
        position = mark.end
    _append_text(element, last, text[position:end])
    return element


def _append_text(element: etree._Element, last: etree._Element | None, words: str) -> None:
    if not words:
        return
    if last is None:
        element.text = (element.text or "") + words
    else:
        last.tail = (last.tail or "") + words


def _mark_element(mark: Detection) -> etree._Element:
    if mark.kind == "treaty":
        return E("rs", text=mark.text, type="treaty", ref=mark.ref, n=mark.article)
    if mark.kind == "date":
        return E("date", text=mark.text, **date_attributes(mark.date or DateSpan()))
    if mark.kind == "role":
        return E("roleName", text=mark.text)
    return E(_TAGS[mark.kind], text=mark.text, ref=mark.ref)
