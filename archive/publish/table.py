"""One document as one row of a table (the CSV export), and back.

Made for a spreadsheet as much as for a program: the date is columns a spreadsheet sorts and
filters (first day, last day, certainty) beside the words a reader says it in, and each
register column names its records beside their ids. A cell holds one value; several values
of a column are joined with "; ", the parts of one signatory with " | ", and a literal
backslash, ";" or "|" in a value is written with a backslash before it, so the columns of
ids and the TEI date read back into exactly the model's values (`read_row`):

    id, title, type, language, permalink, sha256   the value itself
    issued          the date as a reader sees it: "25 March 2021 (uncertain)", "between 10
                    November 2020 and 22 April 2021"
    issued_from, issued_to
                    the first and last day it may be (ISO, YYYY-MM-DD); one is empty for a
                    date known only as "not before" or "not after" a day
    issued_certainty
                    certain; medium, low or unknown (TEI @cert); between (issued on some
                    day from issued_from to issued_to, not known which)
    issued_tei      the TEI attributes that state it: "2021-03-25" for an exact date with
                    nothing else said, else "when=2021-03-25; cert=medium",
                    "notBefore=2020-11-10; notAfter=2021-04-22"
    signatories     "name | person id | role | organisation | organisation id; ..." in the
                    text's order (an absent role or organisation is an empty part)
    organisations, treaties, places                 names, "Geneva Conventions 1949; ..."
    organisation_ids, treaty_ids, place_ids         register ids in the same order
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from archive.document import DateSpan, Document, Registers, Signatory

COLUMNS = (
    "id",
    "title",
    "type",
    "issued",
    "issued_from",
    "issued_to",
    "issued_certainty",
    "issued_tei",
    "signatories",
    "organisations",
    "organisation_ids",
    "treaties",
    "treaty_ids",
    "places",
    "place_ids",
    "language",
    "permalink",
    "sha256",
)
ITEM_SEPARATOR = "; "
PART_SEPARATOR = " | "
_SPECIAL = ("\\", ";", "|")
# DateSpan field -> TEI attribute, in the order a reader expects them.
_DATE_ATTRIBUTES = (
    ("when", "when"),
    ("from_", "from"),
    ("to", "to"),
    ("not_before", "notBefore"),
    ("not_after", "notAfter"),
    ("dur", "dur"),
    ("cert", "cert"),
)


def _escape(value: str) -> str:
    for char in _SPECIAL:
        value = value.replace(char, "\\" + char)
    return value


def _split(cell: str, mark: str, *, unescape: bool = True) -> list[str]:
    """Split at each unescaped `mark` (";" or "|"); unescape the parts unless asked not to
    (for items whose parts are split again)."""
    parts, current = [], []
    chars: Iterator[str] = iter(cell)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            current.append(following if unescape else char + following)
        elif char == mark:
            parts.append("".join(current).strip(" "))
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip(" "))
    return parts


def _join(values: list[str]) -> str:
    return ITEM_SEPARATOR.join(_escape(v) for v in values)


def _items(cell: str, *, unescape: bool = True) -> list[str]:
    return [] if not cell else _split(cell, ";", unescape=unescape)


def issued_cell(span: DateSpan) -> str:
    stated = [(attr, getattr(span, field)) for field, attr in _DATE_ATTRIBUTES]
    stated = [(attr, value) for attr, value in stated if value]
    if len(stated) == 1 and stated[0][0] == "when":
        return _escape(stated[0][1])
    return _join([f"{attr}={value}" for attr, value in stated])


def read_issued(cell: str) -> DateSpan:
    items = _items(cell)
    if len(items) == 1 and "=" not in items[0]:
        return DateSpan(when=items[0])
    values = dict(item.split("=", 1) for item in items)
    return DateSpan(**{field: values.get(attr) for field, attr in _DATE_ATTRIBUTES})


def _signatory_cell(signatory: Signatory) -> str:
    parts = (
        signatory.name,
        signatory.person_id,
        signatory.role,
        signatory.org_name,
        signatory.org_id,
    )
    return PART_SEPARATOR.join(_escape(p or "") for p in parts)


def _read_signatory(text: str) -> Signatory:
    name, person_id, role, org_name, org_id = _split(text, "|")
    return Signatory(
        person_id=person_id,
        name=name,
        role=role or None,
        org_id=org_id or None,
        org_name=org_name or None,
    )


def certainty(span: DateSpan) -> str:
    """How sure the date is, in one word a spreadsheet filters on (see the module doc)."""
    if span.kind == "unknown":
        return ""
    if span.kind == "uncertain":
        return "between"
    return span.cert if span.cert in ("medium", "low", "unknown") else "certain"


def row(doc: Document, registers: Registers) -> list[str]:
    """The document's cells, in the order of COLUMNS; names from `registers`."""
    span = doc.issued
    first, last = span.earliest, span.latest

    def names(kind: str, ids: list[str]) -> str:
        return _join([registers.label(kind, i) for i in ids])

    return [
        doc.id,
        doc.title,
        doc.doc_type,
        span.label() if span.kind != "unknown" else "",
        first.isoformat() if first else "",
        last.isoformat() if last else "",
        certainty(span),
        issued_cell(span),
        ITEM_SEPARATOR.join(_signatory_cell(s) for s in doc.signatories),
        names("org", doc.organisations),
        _join(doc.organisations),
        names("treaty", doc.treaties),
        _join(doc.treaties),
        names("place", doc.places),
        _join(doc.places),
        doc.lang,
        doc.permalink,
        doc.sha256,
    ]


def read_row(cells: Mapping[str, str]) -> dict[str, Any]:
    """The model's values that a row carries, by `Document` field name: the inverse of
    `row` (read with `csv.DictReader`)."""
    # Signatories are split into items first, keeping escapes for the split into parts.
    signatories = _items(cells["signatories"], unescape=False)
    return {
        "id": cells["id"],
        "title": cells["title"],
        "doc_type": cells["type"],
        "issued": read_issued(cells["issued_tei"]) if cells["issued_tei"] else DateSpan(),
        "signatories": [_read_signatory(s) for s in signatories],
        "organisations": _items(cells["organisation_ids"]),
        "treaties": _items(cells["treaty_ids"]),
        "places": _items(cells["place_ids"]),
        "lang": cells["language"],
        "permalink": cells["permalink"],
        "sha256": cells["sha256"],
    }
