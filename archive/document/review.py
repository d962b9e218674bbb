"""A draft's open questions, carried in the draft itself: review points and proposed records.

`archive encode` used to give its review points and proposed register records only in a
report beside the draft, so `archive add` could not know of them and published unreviewed
drafts without a word. Now the draft carries them in a `standOff[@type="review"]` after the
text (TEI P5's container for information about the text that is not the text): one
`note[@type="review"][@subtype=code]` per point, `@n` giving its place in the plain text,
and the proposed records in `listPerson`/`listOrg[@type="proposed"]`, in the registers'
own form. The project schema and `tei_all` both accept it, so a draft validates as before.

`archive add` reads them back (`review_notes`, `proposed_records`), refuses a draft with
open points or with the encoder's placeholder change note unless the archivist accepts it
with a message of their own, and stores the document without the standOff (`finalized`):
the published record holds the archivist's decisions, not the machine's questions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from archive.document.tei import NS, TEI_NS, XML_ID, inline_text, t

REVIEW_STANDOFF = "review"
PLACEHOLDER_CHANGE = "Draft produced by archive encode; to be reviewed before it is added."
# Points that adding the proposed record settles: no decision is left once it exists.
SETTLED_BY_A_RECORD = {"unknown-person": "person", "unknown-org": "org"}
_PROPOSAL_LISTS = {"person": "listPerson", "org": "listOrg", "place": "listPlace"}


@dataclass(frozen=True)
class ReviewNote:
    """One point a person must decide, as the draft records it."""

    code: str
    message: str
    where: str | None  # its place in the plain text ("line 7, column 44"), if it has one
    line: int | None  # its line in the draft
    ref: str | None  # the record it is about ("person:aynur-karimova"), for unknown names


@dataclass(frozen=True)
class ProposedRecord:
    """A register record the draft proposes, in the register's own TEI form."""

    kind: str
    id: str
    name: str
    element: etree._Element
    line: int | None

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"


def review_standoff(
    points: Iterable[tuple[str, str, str | None, str | None]], records: Iterable[etree._Element]
) -> etree._Element | None:
    """The standOff an encoder appends to its draft: `points` as (code, message, where,
    ref), `records` the proposed register records (TEI elements). None when there is
    nothing to review."""
    standoff = etree.Element(t("standOff"), {"type": REVIEW_STANDOFF}, nsmap={None: TEI_NS})
    for code, message, where, ref in points:
        note = etree.SubElement(standoff, t("note"), {"type": "review", "subtype": code})
        if where:
            note.set("n", where)
        if ref:
            note.set("corresp", ref)
        note.text = message
    lists: dict[str, etree._Element] = {}
    for record in records:
        kind = etree.QName(record).localname
        if kind not in lists:
            lists[kind] = etree.SubElement(standoff, t(_PROPOSAL_LISTS[kind]), {"type": "proposed"})
        lists[kind].append(record)
    return standoff if len(standoff) else None


def _standoff(root: etree._Element) -> etree._Element | None:
    return root.find(f"t:standOff[@type='{REVIEW_STANDOFF}']", NS)


def review_notes(tree: etree._ElementTree) -> list[ReviewNote]:
    standoff = _standoff(tree.getroot())
    if standoff is None:
        return []
    return [
        ReviewNote(
            code=note.get("subtype") or "review",
            message=inline_text(note),
            where=note.get("n"),
            line=note.sourceline,
            ref=note.get("corresp"),
        )
        for note in standoff.iterfind("t:note[@type='review']", NS)
    ]


def proposed_records(tree: etree._ElementTree) -> list[ProposedRecord]:
    standoff = _standoff(tree.getroot())
    if standoff is None:
        return []
    out = []
    for kind, list_name in _PROPOSAL_LISTS.items():
        for listing in standoff.iterfind(f"t:{list_name}[@type='proposed']", NS):
            for record in listing:
                if not isinstance(record.tag, str):
                    continue
                names = record.xpath("t:*[@type='preferred']", namespaces=NS) or list(record)
                out.append(
                    ProposedRecord(
                        kind=kind,
                        id=record.get(XML_ID) or "",
                        name=inline_text(names[0]) if len(names) else "",
                        element=record,
                        line=record.sourceline,
                    )
                )
    return out


def placeholder_change(tree: etree._ElementTree) -> etree._Element | None:
    """The encoder's change note, if the draft still has it as its last change."""
    changes = tree.getroot().findall("t:teiHeader/t:revisionDesc/t:change", NS)
    if changes and inline_text(changes[-1]) == PLACEHOLDER_CHANGE:
        return changes[-1]
    return None


def is_draft(tree: etree._ElementTree) -> bool:
    return _standoff(tree.getroot()) is not None or placeholder_change(tree) is not None


def finalized(tree: etree._ElementTree, message: str | None, when: str) -> bytes:
    """The document to store: without the review standOff, and with the archivist's
    `message` (dated `when`) in place of the encoder's placeholder change note."""
    root = tree.getroot()
    standoff = _standoff(root)
    if standoff is not None:
        previous = standoff.getprevious()
        if previous is not None:
            previous.tail = standoff.tail
        root.remove(standoff)
    change = placeholder_change(tree)
    if change is not None and message:
        for child in list(change):
            change.remove(child)
        change.text = message
        change.set("when", when)
    body = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"
