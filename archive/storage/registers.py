"""Changing the registers: records added, edited, merged or renamed, all or nothing, with
their history kept.

Before this module the registers (`corpus/authority/*.xml`) were edited by hand: a typo
broke every document that cited the register, and nothing recorded what a record had been.
Now every change goes through `change_registers`, which works as `add` does for documents:

- under the corpus lock, each changed register file is validated (the register schema and
  rules, with the other registers as they will be) before anything is written;
- the register file records the change in its own `revisionDesc` (`change/@n` numbers the
  register's versions, as for documents), so the file stays readable TEI that says what
  happened to it;
- every version is kept byte for byte in `authority-history/<register>/<n>.xml` (the
  version before the first recorded change is kept as version 1), so any record's history
  can be read back (`record_history`);
- a journal (`.registers-journal.json`) lists what the change creates and replaces; a change
  a kill interrupted is rolled back by the next one (`recover_registers`), as the store does
  for documents (its own journal is left alone: the two never share a file).

An id is never lost: a record merged into another, or renamed, leaves its old id on the
surviving record as `idno[@type="former"]`, so documents (and old versions) that cite the old
id still resolve, and the web answers the old address with a redirect. The documents that
cite it are rewritten to the new id as well (`rewrite_citations`, stored by `add` as new
versions): that is a second change, made after the register's, so a kill between the two
leaves documents that cite the old id, which still resolves.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from archive.config import Config
from archive.document import (
    FORMER_ID,
    NS,
    RECORD_ELEMENTS,
    REGISTER_FILES,
    XML_ID,
    Registers,
    normalize_name,
    parse_tei,
    read_bytes,
    t,
)
from archive.errors import Conflict, InvalidDocument, NotFound, Problem
from archive.storage.fsutil import atomic_write, fsync_dir
from archive.storage.store import (
    AddOutcome,
    Corpus,
    OnChange,
    add,
    corpus_lock,
    corpus_validator,
    utc_now,
)

HISTORY_FOLDER = "authority-history"
JOURNAL_NAME = ".registers-journal.json"
FIRST_VERSION_NOTE = "The register as it stood before its changes were recorded."
# The element of each kind that holds a name, and whether merging may move names into it.
NAME_ELEMENTS = {"treaty": "title", "person": "persName", "org": "orgName", "place": "placeName"}
MERGEABLE = ("person", "org", "place")


def register_history_dir(config: Config) -> Path:
    """Where every version of every register is kept: `<history>/<register>/<n>.xml`."""
    return config.corpus / HISTORY_FOLDER


def _stem(kind: str) -> str:
    return REGISTER_FILES[kind].removesuffix(".xml")


def check_kind(kind: str) -> str:
    if kind not in REGISTER_FILES:
        raise NotFound(f"no register {kind!r}: the registers are {', '.join(REGISTER_FILES)}")
    return kind


@dataclass(frozen=True)
class RegisterChange:
    """What one register change did to one register file."""

    kind: str
    version: int
    record_ids: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class RecordVersion:
    """A record as one version of its register held it (None: not in that version)."""

    version: int
    when: str | None
    message: str
    xml: str | None


def _changes(root: etree._Element) -> list[etree._Element]:
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
        changes = _changes(self.tree.getroot())
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
            have = set(_former_ids(record))
            for former in [*_former_ids(old), record_id]:
                if former not in have:
                    _add_idno(record, FORMER_ID, former)
        self.touched.append(new_id)

    def record_xml(self, record_id: str) -> str:
        """A record's TEI as the register holds it, without the register's indentation."""
        return _canonical(self.element(record_id))

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
        return _repoint(self.tree.getroot(), kind, mapping)

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


# -- writing a change -----------------------------------------------------------------------


def change_registers(
    config: Config,
    files: Iterable[RegisterFile],
    message: str,
    *,
    now: str | None = None,
    documents: Iterable[tuple[Path, bytes]] = (),
) -> list[RegisterChange]:
    """Write the changed register files together, validated first, under the corpus lock
    and a journal; any failure (or a kill, at the next change) leaves the registers as they
    were. Raises InvalidDocument naming file and line when a register would be invalid, or
    one of `documents` (about to be added with this change) would be against them."""
    files = [f for f in files if f.touched]
    message = " ".join(message.split())
    if not message:
        raise InvalidDocument([Problem("-m", None, "a register change needs a message saying why")])
    if not files:
        return []
    when = now or utc_now()
    with corpus_lock(config):
        recover_registers(config)
        for register in files:
            if read_bytes(register.path) != register.original:
                raise Conflict(f"{register.path} changed while this change was prepared; try again")
        previous = {f.kind: f.version() for f in files}
        planned = {f.kind: (f, f.to_bytes(message, when)) for f in files}
        changed = {kind: data for kind, (_, data) in planned.items()}
        registers = Registers.load(config.authority_dir, changed)
        validator = corpus_validator(config, registers)
        problems = [
            p for _, (f, data) in planned.items() for p in validator.validate_bytes(data, f.path)
        ]
        documents = list(documents)
        for path, data in documents:  # documents added together may point at each other
            validator.document_ids.add(parse_tei(data, path).getroot().get(XML_ID) or "")
        problems += [p for path, data in documents for p in validator.validate_bytes(data, path)]
        if problems:
            raise InvalidDocument(problems)
        _write(config, planned, previous)
    return [
        RegisterChange(kind, previous[kind] + 1, tuple(dict.fromkeys(f.touched)), message)
        for kind, (f, _) in planned.items()
    ]


def _write(
    config: Config, planned: dict[str, tuple[RegisterFile, bytes]], previous: dict[str, int]
) -> None:
    history = register_history_dir(config)
    entries = []
    for kind, n in previous.items():
        first = not (history / _stem(kind) / f"{n}.xml").exists()
        entries.append({"kind": kind, "version": n + 1, "previous": n, "first": first})
    journal = config.corpus / JOURNAL_NAME
    atomic_write(journal, json.dumps({"entries": entries}).encode())
    try:
        for entry in entries:
            register, data = planned[entry["kind"]]
            folder = history / _stem(entry["kind"])
            if entry["first"]:
                atomic_write(folder / f"{entry['previous']}.xml", register.original, mode=0o444)
            atomic_write(folder / f"{entry['version']}.xml", data, overwrite=False, mode=0o444)
            atomic_write(register.path, data)
    except BaseException:
        recover_registers(config)
        raise
    journal.unlink()
    fsync_dir(config.corpus)


def recover_registers(config: Config) -> list[str]:
    """Roll back a register change a failure or a kill left unfinished; return the kinds
    it touched. Call with the corpus lock held (`change_registers` does)."""
    journal = config.corpus / JOURNAL_NAME
    if not journal.exists():
        return []
    entries = json.loads(journal.read_text(encoding="utf-8"))["entries"]
    history = register_history_dir(config)
    for entry in entries:
        folder = history / _stem(entry["kind"])
        previous = folder / f"{entry['previous']}.xml"
        if previous.exists():
            atomic_write(
                config.authority_dir / REGISTER_FILES[entry["kind"]], previous.read_bytes()
            )
        with contextlib.suppress(FileNotFoundError):
            (folder / f"{entry['version']}.xml").unlink()
        if entry["first"]:
            with contextlib.suppress(FileNotFoundError):
                previous.unlink()
    journal.unlink()
    fsync_dir(config.corpus)
    return [e["kind"] for e in entries]


def recover_pending_registers(config: Config) -> list[str]:
    """Take the lock and roll back a register change a kill left unfinished (`archive
    index` calls it, as it calls the store's `recover_pending`)."""
    if not (config.corpus / JOURNAL_NAME).exists():
        return []
    with corpus_lock(config):
        return recover_registers(config)


def register_integrity_problems(config: Config) -> list[Problem]:
    """Disagreements between the registers and their history: versions with gaps, a
    register that is not its latest kept version, one whose revisionDesc ends elsewhere."""
    problems = []
    history = register_history_dir(config)
    for kind, name in REGISTER_FILES.items():
        folder = history / _stem(kind)
        if not folder.is_dir():
            continue
        numbers = sorted(int(p.stem) for p in folder.glob("*.xml") if p.stem.isdigit())
        if numbers != list(range(1, len(numbers) + 1)):
            problems.append(
                Problem(str(folder), None, f"versions are {numbers}: expected 1 to {len(numbers)}")
            )
            continue
        current = config.authority_dir / name
        latest = folder / f"{numbers[-1]}.xml"
        if current.exists() and current.read_bytes() != latest.read_bytes():
            problems.append(
                Problem(str(current), None, f"differs from its latest version {latest}")
            )
    return problems


def revert_registers(config: Config, changes: Iterable[RegisterChange]) -> None:
    """Undo register changes just made (when the document change that went with them
    failed): each register goes back to the version before, and the new version leaves
    the history. A register changed again since is left alone."""
    with corpus_lock(config):
        recover_registers(config)
        history = register_history_dir(config)
        for change in changes:
            register = RegisterFile(config, change.kind)
            if register.version() != change.version:
                continue
            folder = history / _stem(change.kind)
            atomic_write(register.path, (folder / f"{change.version - 1}.xml").read_bytes())
            (folder / f"{change.version}.xml").unlink()
        fsync_dir(config.authority_dir)


def merge_records(
    config: Config,
    kind: str,
    old_id: str,
    new_id: str,
    message: str,
    *,
    on_change: OnChange | None = None,
    rename_to: etree._Element | None = None,
) -> tuple[list[RegisterChange], list[AddOutcome]]:
    """Merge record `old_id` into `new_id` (or, with `rename_to`, replace `old_id` by that
    record under its new id `new_id`): the register change, then every current document
    that cites the old id rewritten to the new one, as new versions whose change note says
    so. The old id keeps resolving throughout (see the module docstring)."""
    register = RegisterFile(config, kind)
    if rename_to is not None:
        register.replace(old_id, rename_to)
    else:
        register.merge(old_id, new_id)
    files = [register]
    for other in REGISTER_FILES:
        other_file = register if other == kind else RegisterFile(config, other)
        if other_file.repoint(kind, {old_id: new_id}):
            other_file.touched.append(f"{kind}:{old_id}")
            if other_file is not register:
                files.append(other_file)
    what = "renamed to" if rename_to is not None else "merged into"
    changes = change_registers(config, files, f"{kind}:{old_id} {what} {kind}:{new_id}. {message}")
    rewritten = rewrite_citations(config, kind, {old_id: new_id})
    if not rewritten:
        return changes, []
    outcomes = add(
        config,
        list(rewritten),
        message=f"Points to {kind}:{new_id}: {kind}:{old_id} was {what} it. {message}"
        if rename_to is None
        else f"Points to {kind}:{new_id}: {kind}:{old_id} was renamed. {message}",
        on_change=on_change,
        contents=rewritten,
    )
    return changes, outcomes


# -- documents that cite a changed id -------------------------------------------------------


def rewrite_citations(config: Config, kind: str, mapping: dict[str, str]) -> dict[Path, bytes]:
    """The current documents that point to an id in `mapping` (`person:old`), rewritten to
    point to its new id: {documents/<id>.xml: new bytes}, for `add` to store as versions."""
    corpus = Corpus(config)
    out = {}
    for doc_id in corpus.ids():
        path = corpus.path(doc_id)
        data = corpus.read_bytes(doc_id)
        if not any(f"{kind}:{old}".encode() in data for old in mapping):
            continue
        tree = parse_tei(data, path)
        if _repoint(tree.getroot(), kind, mapping):
            body = etree.tostring(tree.getroot(), encoding="UTF-8", xml_declaration=False)
            out[path] = b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"
    return out


def _repoint(root: etree._Element, kind: str, mapping: dict[str, str]) -> bool:
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


# -- history --------------------------------------------------------------------------------


def record_history(config: Config, kind: str, record_id: str) -> list[RecordVersion]:
    """Each version of the register in which the record `record_id` changed (appeared,
    changed, merged away), oldest first. Empty when the register has no recorded history."""
    folder = register_history_dir(config) / _stem(check_kind(kind))
    if not folder.is_dir():
        return []
    numbers = sorted(int(p.stem) for p in folder.glob("*.xml") if p.stem.isdigit())
    # Ids the record had before (renamed from, merged from): followed back through history.
    current = RegisterFile(config, kind)
    renamed_from = (
        _former_ids(current.element(record_id))
        if any(r.get(XML_ID) == record_id for r in current.records())
        else []
    )
    out: list[RecordVersion] = []
    last: str | None = None
    for n in numbers:
        path = folder / f"{n}.xml"
        root = parse_tei(path.read_bytes(), path).getroot()
        by_id = {r.get(XML_ID): r for r in root.xpath(RECORD_ELEMENTS[kind], namespaces=NS)}
        found = [by_id[i] for i in (record_id, *renamed_from) if i in by_id][:1]
        xml = _canonical(found[0]) if found else None
        if xml != last:
            changes = _changes(root)
            change = changes[-1] if changes else None
            out.append(
                RecordVersion(
                    n,
                    change.get("when") if change is not None else None,
                    " ".join((change.text or "").split())
                    if change is not None
                    else FIRST_VERSION_NOTE,
                    xml,
                )
            )
        last = xml
    return out


def _canonical(element: etree._Element) -> str:
    record = copy.deepcopy(element)
    record.tail = None
    _reindent(record, "")
    text = etree.tostring(record, encoding="unicode")
    return text.replace(' xmlns="http://www.tei-c.org/ns/1.0"', "")


# -- keeping the files readable ---------------------------------------------------------------


def _former_ids(record: etree._Element) -> list[str]:
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
