"""Changing the registers: records added, edited, merged or renamed, all or nothing, with
their history kept.

Before this module the registers (`corpus/authority/*.xml`) were edited by hand: a typo
broke every document that cited the register, and nothing recorded what a record had been.
Now every change is prepared in memory by a `RegisterFile` (register_file.py: records
added, edited, merged, the file kept readable) and written by `change_registers`, which
works as `add` does for documents:

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
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from archive.config import Config
from archive.document import (
    NS,
    RECORD_ELEMENTS,
    REGISTER_FILES,
    XML_ID,
    Registers,
    parse_tei,
    read_bytes,
)
from archive.errors import Conflict, InvalidDocument, Problem
from archive.storage.fsutil import atomic_write, fsync_dir
from archive.storage.register_file import (
    FIRST_VERSION_NOTE,
    RegisterFile,
    change_elements,
    check_kind,
    former_ids,
    record_text,
    repoint_references,
)
from archive.storage.store import (
    AddOutcome,
    Corpus,
    OnChange,
    add,
    corpus_lock,
    corpus_validator,
    refuse_on_replica,
    utc_now,
)

HISTORY_FOLDER = "authority-history"
JOURNAL_NAME = ".registers-journal.json"


def register_history_dir(config: Config) -> Path:
    """Where every version of every register is kept: `<history>/<register>/<n>.xml`."""
    return config.corpus / HISTORY_FOLDER


def _stem(kind: str) -> str:
    return REGISTER_FILES[kind].removesuffix(".xml")


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
    refuse_on_replica(config)
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
        revise=True,  # the archive revises the documents that cite the old id, on purpose
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
        if repoint_references(tree.getroot(), kind, mapping):
            body = etree.tostring(tree.getroot(), encoding="UTF-8", xml_declaration=False)
            out[path] = b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"
    return out


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
        former_ids(current.element(record_id))
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
        xml = record_text(found[0]) if found else None
        if xml != last:
            changes = change_elements(root)
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
