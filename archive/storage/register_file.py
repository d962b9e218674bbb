"""One register file being changed in memory: records added, replaced, edited, merged,
pointers repointed, and the change recorded in its revisionDesc, laid out as the editors
wrote the file (one element a line, indented like its siblings; mixed content untouched),
so that the register stays readable TEI after any number of changes.

`archive.storage.registers` validates and writes what a `RegisterFile` holds, safely.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from lxml import etree

from archive.config import Config
from archive.document import (
    FORMER_ID,
    NS,
    RECORD_ELEMENTS,
    REGISTER_FILES,
    XML_ID,
    normalize_name,
    parse_tei,
    read_bytes,
    t,
)
from archive.errors import Conflict, NotFound

FIRST_VERSION_NOTE = "The register as it stood before its changes were recorded."
# The element of each kind that holds a name, and whether merging may move names into it.
NAME_ELEMENTS = {"treaty": "title", "person": "persName", "org": "orgName", "place": "placeName"}
MERGEABLE = ("person", "org", "place")


def check_kind(kind: str) -> str:
    if kind not in REGISTER_FILES:
        raise NotFound(f"no register {kind!r}: the registers are {', '.join(REGISTER_FILES)}")
    return kind


def change_elements(root: etree._Element) -> list[etree._Element]:
    return root.findall("t:teiHeader/t:revisionDesc/t:change", NS)


class RegisterFile:
    """One register file being changed in memory; `change_registers` writes it."""

    def __init__(self, config: Config, kind: str) -> None:
        self.config = config
        self.kind = check_kind(kind)
        self.path = config.authority_dir / REGISTER_FILES[kind]
        self.original = read_bytes(self.path)
        self.tree = parse_tei(self.original, self.path)
        self.touched: list[str] = []

    # -- reading ------------------------------------------------------------------------

    def records(self) -> list[etree._Element]:
        return self.tree.getroot().xpath(RECORD_ELEMENTS[self.kind], namespaces=NS)

    def element(self, record_id: str) -> etree._Element:
        for record in self.records():
            if record.get(XML_ID) == record_id:
                return record
        successor = self.successor(record_id)
        hint = f"; it was merged into or renamed to {successor!r}" if successor else ""
        raise NotFound(f"no {self.kind} {record_id!r} in {self.path.name}{hint}")

    def successor(self, record_id: str) -> str | None:
        for record in self.records():
            for idno in record.iterfind("t:idno", NS):
                if idno.get("type") == FORMER_ID and (idno.text or "").strip() == record_id:
                    return record.get(XML_ID)
        return None

    def version(self) -> int:
        """The register's current version: its last change/@n (1 before any is recorded)."""
        changes = change_elements(self.tree.getroot())
        return int(changes[-1].get("n")) if changes else 1

    def _taken(self, record_id: str) -> None:
        if any(r.get(XML_ID) == record_id for r in self.records()):
            raise Conflict(f"{self.kind} {record_id!r} is already in {self.path.name}")
        successor = self.successor(record_id)
        if successor is not None:
            raise Conflict(
                f"{self.kind} id {record_id!r} was merged into or renamed to {successor!r}; "
                "ids are never reused"
            )

    # -- changing -----------------------------------------------------------------------

    def add(self, record: etree._Element) -> str:
        """Append a record (a TEI element of this register's kind) to the register."""
        record_id = record.get(XML_ID) or ""
        self._taken(record_id)
        lists = self.tree.getroot().xpath(
            RECORD_ELEMENTS[self.kind].rsplit("/", 1)[0], namespaces=NS
        )
        listing = lists[-1]
        record = copy.deepcopy(record)
        _insert(listing, len(listing), record)
        self.touched.append(record_id)
        return record_id

    def replace(self, record_id: str, record: etree._Element) -> None:
        """Put `record` in place of the record `record_id` (same id, or a new one: a rename,
        which keeps the old id as a former id)."""
        old = self.element(record_id)
        record = copy.deepcopy(record)
        new_id = record.get(XML_ID) or record_id
        record.set(XML_ID, new_id)
        if new_id != record_id:
            self._taken(new_id)
        parent = old.getparent()
        _reindent(record, _indent_of(old))
        record.tail = old.tail
        parent.replace(old, record)
        if new_id != record_id:
            have = set(former_ids(record))
            for former in [*former_ids(old), record_id]:
                if former not in have:
                    _add_idno(record, FORMER_ID, former)
        self.touched.append(new_id)

    def record_xml(self, record_id: str) -> str:
        """A record's TEI as the register holds it, without the register's indentation."""
        return record_text(self.element(record_id))

    def merge(self, old_id: str, new_id: str) -> None:
        """Fold record `old_id` into `new_id`: its names become variants of `new_id`, its
        identifiers move over, and its id stays on `new_id` as a former id."""
        if self.kind not in MERGEABLE:
            raise Conflict(
                f"{self.kind} records are not merged; the registers that merge: {', '.join(MERGEABLE)}"
            )
        if old_id == new_id:
            raise Conflict(f"cannot merge {self.kind} {old_id!r} into itself")
        old, new = self.element(old_id), self.element(new_id)
        tag = NAME_ELEMENTS[self.kind]
        known = {normalize_name(n.text or "") for n in new.iterfind(f"t:{tag}", NS)}
        for name in old.iterfind(f"t:{tag}", NS):
            if normalize_name(name.text or "") not in known:
                variant = copy.deepcopy(name)
                variant.set("type", "variant")
                _insert_after(new, variant, [tag])
                known.add(normalize_name(name.text or ""))
        have = {(i.get("type"), (i.text or "").strip()) for i in new.iterfind("t:idno", NS)}
        for idno in old.iterfind("t:idno", NS):
            if (idno.get("type"), (idno.text or "").strip()) not in have:
                _add_idno(new, idno.get("type") or "", (idno.text or "").strip())
        _add_idno(new, FORMER_ID, old_id)
        _remove(old)
        self.touched += [old_id, new_id]

    def edit(
        self,
        record_id: str,
        *,
        name: str | None = None,
        add_variants: Iterable[str] = (),
        remove_variants: Iterable[str] = (),
        idnos: dict[str, str] | None = None,
        note: str | None = None,
    ) -> None:
        """Change a record's fields: a new preferred name (the old one stays as a variant),
        variants added or removed, identifiers set (an empty value removes one), its note."""
        record = self.element(record_id)
        tag = NAME_ELEMENTS[self.kind]
        preferred_type = "main" if self.kind == "treaty" else "preferred"
        variant_type = "alt" if self.kind == "treaty" else "variant"
        names = record.findall(f"t:{tag}", NS)
        known = {normalize_name(n.text or ""): n for n in names}
        if name is not None:
            current = next((n for n in names if n.get("type") == preferred_type), names[0])
            if normalize_name(name) != normalize_name(current.text or ""):
                if normalize_name(name) in known:
                    _remove(known.pop(normalize_name(name)))
                old = copy.deepcopy(current)
                old.set("type", variant_type)
                current.text = name
                _insert_after(record, old, [tag])
                known[normalize_name(old.text or "")] = old
        for variant in add_variants:
            if normalize_name(variant) in known:
                continue
            element = etree.Element(t(tag), {"type": variant_type})
            element.text = variant
            _insert_after(record, element, [tag])
            known[normalize_name(variant)] = element
        for variant in remove_variants:
            element = known.get(normalize_name(variant))
            if element is None or element.get("type") in ("preferred", "main", "short"):
                raise Conflict(f"{self.kind} {record_id!r} has no variant name {variant!r}")
            _remove(element)
        for scheme, value in (idnos or {}).items():
            for idno in record.findall("t:idno", NS):
                if idno.get("type") == scheme:
                    _remove(idno)
            if value:
                _add_idno(record, scheme, value)
        if note is not None:
            for old_note in record.findall("t:note", NS):
                _remove(old_note)
            if note:
                element = etree.Element(t("note"))
                element.text = note
                _insert(record, len(record), element)
        self.touched.append(record_id)

    def repoint(self, kind: str, mapping: dict[str, str]) -> bool:
        """Rewrite pointers to records of `kind` (`org:old` -> `org:new`) inside this
        register (a person's affiliation, an organisation's place); True if any changed."""
        return repoint_references(self.tree.getroot(), kind, mapping)

    def to_bytes(self, message: str, when: str) -> bytes:
        """The file with this change recorded in its revisionDesc."""
        root = self.tree.getroot()
        header = root.find("t:teiHeader", NS)
        revision = header.find("t:revisionDesc", NS)
        if revision is None:
            revision = etree.Element(t("revisionDesc"))
            _insert(header, len(header), revision)
            first = etree.SubElement(revision, t("change"), {"n": "1"})
            first.text = FIRST_VERSION_NOTE
        change = etree.SubElement(
            revision, t("change"), {"when": when, "n": str(self.version() + 1)}
        )
        change.text = message
        _reindent(revision, _indent_of(revision))
        body = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"


def repoint_references(root: etree._Element, kind: str, mapping: dict[str, str]) -> bool:
    changed = False
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in ("ref", "target"):
            value = element.get(attribute)
            if not value:
                continue
            tokens = value.split()
            new = [
                f"{kind}:{mapping[tok.split(':', 1)[1]]}"
                if tok.startswith(f"{kind}:") and tok.split(":", 1)[1] in mapping
                else tok
                for tok in tokens
            ]
            if new != tokens:
                element.set(attribute, " ".join(new))
                changed = True
    return changed


def record_text(element: etree._Element) -> str:
    record = copy.deepcopy(element)
    record.tail = None
    _reindent(record, "")
    text = etree.tostring(record, encoding="unicode")
    return text.replace(' xmlns="http://www.tei-c.org/ns/1.0"', "")


# -- keeping the files readable ---------------------------------------------------------------


def former_ids(record: etree._Element) -> list[str]:
    return [
        (i.text or "").strip() for i in record.iterfind("t:idno", NS) if i.get("type") == FORMER_ID
    ]


# What a record's identifiers come after, in the order the register schema asks for.
_BEFORE_IDNO = {
    "treaty": ["title", "date", "idno"],
    "person": ["persName", "idno"],
    "org": ["orgName", "idno"],
    "place": ["placeName", "location", "idno"],
}


def _add_idno(record: etree._Element, scheme: str, value: str) -> None:
    idno = etree.Element(t("idno"), {"type": scheme})
    idno.text = value
    kind = {"bibl": "treaty"}.get(etree.QName(record).localname, etree.QName(record).localname)
    _insert_after(record, idno, _BEFORE_IDNO[kind])


def _insert_after(parent: etree._Element, child: etree._Element, tags: list[str]) -> None:
    """Insert `child` after the last child of `parent` named in `tags` (the order the
    register schema asks for), else first."""
    position = 0
    for i, existing in enumerate(parent):
        if isinstance(existing.tag, str) and etree.QName(existing).localname in tags:
            position = i + 1
    _insert(parent, position, child)


def _indent_of(element: etree._Element) -> str:
    """The indentation of the line `element` starts on."""
    previous = element.getprevious()
    before = previous.tail if previous is not None else element.getparent().text
    return (before or "\n").rsplit("\n", 1)[-1]


def _insert(parent: etree._Element, position: int, child: etree._Element) -> None:
    """Insert `child` at `position` in an element-only `parent`, indented like its siblings."""
    outer = _indent_of(parent)
    if len(parent):
        indent = _indent_of(parent[0])
        if position >= len(parent):
            closing = parent[-1].tail or "\n" + outer
            parent[-1].tail = "\n" + indent
            child.tail = closing
        else:
            child.tail = "\n" + indent
    else:
        indent = outer + "  "
        parent.text = "\n" + indent
        child.tail = "\n" + outer
    parent.insert(position, child)
    _reindent(child, indent)


def _reindent(record: etree._Element, indent: str) -> None:
    """Lay out a record's direct children one per line, one step in from `indent`; what is
    inside them (mixed content such as an affiliation) is left exactly as it is."""
    children = [c for c in record if isinstance(c.tag, str)]
    if not children or (record.text or "").strip():
        return
    if any((c.tail or "").strip() for c in children):
        return  # mixed content: its spaces are text
    inner = "\n" + indent + "  "
    record.text = inner
    for child in children:
        child.tail = inner
    children[-1].tail = "\n" + indent


def _remove(element: etree._Element) -> None:
    """Remove an element and its line, keeping the layout of what is around it."""
    parent = element.getparent()
    previous = element.getprevious()
    if previous is not None:
        previous.tail = element.tail
    else:
        parent.text = element.tail
    parent.remove(element)
