"""What changed between two versions of a document: its metadata field by field, and its
text (or a catalogue record's abstract) word by word.

A reader checking a citation against a later correction needs to see exactly which words
and which facts differ, not two pages side by side to compare by eye. Works on the model
(`Document`), so the web page, its JSON twin and any script read the same comparison.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from archive.document.model import Document

# Model fields compared as metadata, with the name a reader knows them by. The text and the
# abstract are compared as text; what every version has of its own (its number, sha256,
# revision history) or repeats elsewhere (offsets of other-language spans) is left out.
METADATA_FIELDS = {
    "title": "Title",
    "titles": "Other titles",
    "doc_type": "Type",
    "lang": "Language",
    "issued": "Issued",
    "issued_note": "Dating note",
    "creation_dates": "Other dates",
    "issuers": "Issued by",
    "signatories": "Signatories",
    "senders": "Sent by",
    "addressees": "Addressed to",
    "treaties": "Treaties cited",
    "treaty_citations": "Articles cited",
    "persons": "People named",
    "organisations": "Organisations named",
    "places": "Places named",
    "subjects": "Subjects",
    "sources": "Sources",
    "rights": "Rights",
    "is_catalogue_record": "Catalogue record (no text)",
}

# Words and the spaces between them, each its own token, so that a change of one word is
# shown as that word and the text rebuilt from the pieces is the text.
_TOKEN = re.compile(r"\s+|[^\s]+")
# Past this many words on either side, the text is compared paragraph by paragraph (difflib
# is quadratic in the worst case; documents here are a few thousand words).
MAX_WORDS = 50_000

# (kind, id) -> display name; the caller passes the registers' labels.
Label = Callable[[str, str], str]


@dataclass(frozen=True)
class FieldChange:
    """One metadata field that differs: how each version reads."""

    field: str
    label: str
    before: str
    after: str

    def to_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "label": self.label,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class TextPiece:
    """A run of text: `equal` in both versions, `delete`d from the first or `insert`ed in
    the second."""

    op: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"op": self.op, "text": self.text}


@dataclass
class Comparison:
    """Two versions compared: the metadata that differs and the text as one inline diff."""

    fields: list[FieldChange] = field(default_factory=list)
    text: list[TextPiece] = field(default_factory=list)
    text_kind: str = "text"  # "text", or "abstract" when both are catalogue records

    @property
    def text_changed(self) -> bool:
        return any(piece.op != "equal" for piece in self.text)

    @property
    def changed(self) -> bool:
        return bool(self.fields) or self.text_changed

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "metadata": [f.to_dict() for f in self.fields],
            "text_kind": self.text_kind,
            "text_changed": self.text_changed,
            "text": [p.to_dict() for p in self.text],
        }


def compare(before: Document, after: Document, label: Label | None = None) -> Comparison:
    """How `after` differs from `before` (any two versions, in either order)."""
    name = label or (lambda kind, record_id: record_id)
    fields = []
    first, second = before.to_dict(), after.to_dict()
    for key, title in METADATA_FIELDS.items():
        a, b = _readable(key, first.get(key), name), _readable(key, second.get(key), name)
        if a != b:
            fields.append(FieldChange(key, title, a, b))
    both_records = before.is_catalogue_record and after.is_catalogue_record
    kind = "abstract" if both_records else "text"
    old = (before.abstract if both_records else _reading(before)) or ""
    new = (after.abstract if both_records else _reading(after)) or ""
    return Comparison(fields, text_diff(old, new), kind)


def _reading(doc: Document) -> str:
    """What a reader reads of a document: its text, or a catalogue record's abstract."""
    return (doc.abstract if doc.is_catalogue_record else doc.text) or ""


def text_diff(old: str, new: str) -> list[TextPiece]:
    """`old` and `new` as runs of equal, deleted and inserted text, word by word."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    if max(len(a), len(b)) > MAX_WORDS * 2:  # a token for each word and each space
        a, b = _paragraphs(old), _paragraphs(new)
    pieces: list[TextPiece] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if pieces and pieces[-1].op == op:
            pieces[-1] = TextPiece(op, pieces[-1].text + text)
        else:
            pieces.append(TextPiece(op, text))

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", "".join(a[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            add("delete", "".join(a[i1:i2]))
        if tag in ("insert", "replace"):
            add("insert", "".join(b[j1:j2]))
    return pieces


def _paragraphs(text: str) -> list[str]:
    """Paragraphs, each with the blank line that ends it, so that they rebuild the text."""
    parts = text.split("\n\n")
    return [p + "\n\n" for p in parts[:-1]] + [parts[-1]]


def _readable(key: str, value: Any, label: Label) -> str:
    """A field's value as a line a reader can compare: names rather than ids, one item
    per line."""
    if value is None or value == [] or value == "":
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        if key == "treaties":
            return label("treaty", value)
        return value
    if isinstance(value, list):
        kinds = {"treaties": "treaty", "persons": "person", "places": "place"}
        kinds["organisations"] = "org"
        if key in kinds:
            return "\n".join(label(kinds[key], str(v)) for v in value)
        return "\n".join(_readable(key, item, label) for item in value)
    if isinstance(value, dict):
        return _item(key, value, label)
    return str(value)


def _item(key: str, item: dict[str, Any], label: Label) -> str:
    if key == "issued":
        return str(item.get("label") or "")
    if key == "creation_dates":
        span = item.get("span") or {}
        return f"{item.get('type') or 'date'}: {span.get('label', '')}"
    if key == "signatories":
        parts = [item.get("name") or item.get("person_id") or ""]
        if item.get("role"):
            parts.append(str(item["role"]))
        if item.get("org_name"):
            parts.append(str(item["org_name"]))
        return ", ".join(parts)
    if key in ("issuers", "senders", "addressees"):
        if item.get("kind") and item.get("id"):
            return label(str(item["kind"]), str(item["id"]))
        return str(item.get("name") or item.get("ref") or "")
    if key == "treaty_citations":
        where = f", article {item['article']}" if item.get("article") else ""
        return f"{label('treaty', str(item.get('treaty_id', '')))}{where}"
    if key == "sources":
        parts = [item.get(k) for k in ("title", "publisher", "date", "url") if item.get(k)]
        return " · ".join(str(p) for p in parts)
    return "; ".join(f"{k}: {v}" for k, v in item.items() if v not in (None, "", []))
