"""The corpus on disk: current documents, every version ever added, withdrawals.

Layout (under the corpus folder):
    documents/<id>.xml        the current version of each document (a copy of its latest version)
    versions/<id>/<n>.xml     version n exactly as it was added; never rewritten, never deleted
    withdrawn/<id>.json       why and when a document was withdrawn (it keeps its versions)
    authority/*.xml           the registers

Changes go through `add` and `withdraw`, which hold a lock, validate everything before writing
anything, and keep a journal so that a failure, or a kill at any point, leaves the corpus (and,
through the `on_change` hook, the index) as it was before: the next writer rolls an unfinished
change back before doing its own. Ids from outside are checked against the id pattern before
any path is built from them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from archive.config import Config
from archive.document import (
    DOC_ID_RE,
    NS,
    XML_ID,
    Document,
    Registers,
    Validator,
    parse_tei,
    read_bytes,
    read_document,
    t,
)
from archive.errors import Conflict, Gone, InvalidDocument, NotFound, Problem
from archive.storage.fsutil import atomic_write, fsync_dir, remove_stale_temporaries

MAX_VERSION = 999_999  # far beyond any real history; keeps a version's file name short
LOCK_NAME = ".lock"
JOURNAL_NAME = ".journal.json"

OnChange = Callable[[list[str]], None]


def check_id(doc_id: str) -> str:
    """Return `doc_id` if it is a well-formed document id, else raise NotFound (a malformed
    id names no document, and must never reach the file system)."""
    if not isinstance(doc_id, str) or not DOC_ID_RE.match(doc_id):
        raise NotFound(f"no document {doc_id!r}: ids are lowercase letters, digits and hyphens")
    return doc_id


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Withdrawal:
    """A withdrawn document: when, why, and the last version it had."""

    doc_id: str
    when: str
    reason: str
    last_version: int


@dataclass(frozen=True)
class AddOutcome:
    """What `add` did with one file."""

    doc_id: str
    version: int
    status: str  # "added" (new document), "revised" (new version) or "unchanged"


class Corpus:
    """Read access to one corpus folder: documents, their versions, withdrawals."""

    def __init__(self, config: Config) -> None:
        self.config = config

    # -- current documents ------------------------------------------------------------

    def ids(self) -> list[str]:
        """Ids of the current (not withdrawn) documents, sorted."""
        folder = self.config.documents_dir
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.xml") if DOC_ID_RE.match(p.stem))

    def known_ids(self) -> set[str]:
        """Every id the corpus has ever used: current, superseded or withdrawn."""
        ids = set(self.ids())
        if self.config.versions_dir.is_dir():
            ids |= {p.name for p in self.config.versions_dir.iterdir() if DOC_ID_RE.match(p.name)}
        return ids

    def path(self, doc_id: str) -> Path:
        return self.config.documents_dir / f"{check_id(doc_id)}.xml"

    def read_bytes(self, doc_id: str) -> bytes:
        """The current version's bytes. Raises Gone for a withdrawn id, NotFound otherwise."""
        try:
            return self.path(doc_id).read_bytes()
        except FileNotFoundError:
            self._raise_missing(doc_id)
            raise  # unreachable: _raise_missing always raises

    def document(self, doc_id: str) -> Document:
        return read_document(self.read_bytes(doc_id), self.path(doc_id))

    def documents(self) -> Iterator[Document]:
        for doc_id in self.ids():
            yield self.document(doc_id)

    # -- versions ---------------------------------------------------------------------

    def version_path(self, doc_id: str, version: int) -> Path:
        if not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
            # Not the number itself: a huge int cannot even be printed (Python's digit limit).
            raise NotFound(
                f"no such version of {doc_id!r}: versions count from 1 (at most {MAX_VERSION:,})"
            )
        return self.config.versions_dir / check_id(doc_id) / f"{version}.xml"

    def version_numbers(self, doc_id: str) -> list[int]:
        folder = self.config.versions_dir / check_id(doc_id)
        if not folder.is_dir():
            return []
        return sorted(
            int(p.stem) for p in folder.glob("*.xml") if p.stem.isascii() and p.stem.isdigit()
        )

    def read_version(self, doc_id: str, version: int) -> bytes:
        """Version `version` of a document, byte for byte as it was added (also when the
        document was later withdrawn: a cited version stays citable)."""
        try:
            return self.version_path(doc_id, version).read_bytes()
        except FileNotFoundError:
            numbers = self.version_numbers(doc_id)
            if not numbers:
                self._raise_missing(doc_id)
            raise NotFound(
                f"document {doc_id!r} has no version {version}; it has versions 1 to {numbers[-1]}"
            ) from None

    def version_document(self, doc_id: str, version: int) -> Document:
        return read_document(self.read_version(doc_id, version), self.version_path(doc_id, version))

    # -- withdrawals ------------------------------------------------------------------

    def withdrawal(self, doc_id: str) -> Withdrawal | None:
        path = self.config.corpus / "withdrawn" / f"{check_id(doc_id)}.json"
        try:
            return Withdrawal(**json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None

    def withdrawals(self) -> list[Withdrawal]:
        folder = self.config.corpus / "withdrawn"
        if not folder.is_dir():
            return []
        return [
            Withdrawal(**json.loads(p.read_text(encoding="utf-8")))
            for p in sorted(folder.glob("*.json"))
            if DOC_ID_RE.match(p.stem)
        ]

    def _raise_missing(self, doc_id: str) -> None:
        withdrawal = self.withdrawal(doc_id)
        if withdrawal is not None:
            raise Gone(
                f"document {doc_id!r} was withdrawn on {withdrawal.when}: {withdrawal.reason}",
                doc_id=doc_id,
                when=withdrawal.when,
                reason=withdrawal.reason,
            )
        raise NotFound(f"no document {doc_id!r} in the archive")

    # -- integrity --------------------------------------------------------------------

    def integrity_problems(self) -> list[Problem]:
        """Disagreements between documents/, versions/ and withdrawn/: gaps in the version
        numbers, a current file that is not its latest version, a withdrawn id still current."""
        problems = []
        for doc_id in sorted(self.known_ids()):
            numbers = self.version_numbers(doc_id)
            current = self.path(doc_id)
            withdrawn = self.withdrawal(doc_id) is not None
            where = str(self.config.versions_dir / doc_id)
            if numbers != list(range(1, len(numbers) + 1)):
                problems.append(
                    Problem(where, None, f"versions are {numbers}: expected 1 to {len(numbers)}")
                )
            if not numbers:
                problems.append(
                    Problem(str(current), None, "current document has no stored version")
                )
            elif current.exists():
                latest = self.version_path(doc_id, numbers[-1])
                if current.read_bytes() != latest.read_bytes():
                    problems.append(
                        Problem(str(current), None, f"differs from its latest version {latest}")
                    )
            if withdrawn and current.exists():
                problems.append(Problem(str(current), None, "withdrawn but still current"))
            if not withdrawn and not current.exists() and numbers:
                problems.append(Problem(where, None, "has versions but no current document"))
        return problems


# --- writing: add and withdraw ---------------------------------------------------------


@contextlib.contextmanager
def corpus_lock(config: Config) -> Iterator[None]:
    """Hold the corpus write lock; a second writer is refused at once with a clear message."""
    config.corpus.mkdir(parents=True, exist_ok=True)
    path = config.corpus / LOCK_NAME
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise Conflict(
                f"the corpus {config.corpus} is being changed by {holder}; try again when it has finished"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _journal_path(config: Config) -> Path:
    return config.corpus / JOURNAL_NAME


def recover(config: Config, on_change: OnChange | None = None) -> list[str]:
    """Roll back a change that a failure or a kill left unfinished; return the ids it
    touched. Call with the lock held (`add` and `withdraw` do)."""
    journal_path = _journal_path(config)
    remove_stale_temporaries(config.documents_dir)
    remove_stale_temporaries(config.versions_dir)
    remove_stale_temporaries(config.corpus / "withdrawn")
    if not journal_path.exists():
        return []
    journal = json.loads(journal_path.read_text(encoding="utf-8"))
    corpus = Corpus(config)
    ids = []
    for entry in journal["entries"]:
        doc_id = entry["id"]
        ids.append(doc_id)
        current = corpus.path(doc_id)
        if journal["action"] == "add":
            new_version = corpus.config.versions_dir / doc_id / f"{entry['version']}.xml"
            with contextlib.suppress(FileNotFoundError):
                new_version.unlink()
            previous = entry["previous"]
            if previous is None:
                with contextlib.suppress(FileNotFoundError):
                    current.unlink()
                with contextlib.suppress(OSError):
                    (corpus.config.versions_dir / doc_id).rmdir()
            else:
                atomic_write(current, corpus.read_version(doc_id, previous))
        elif journal["action"] == "withdraw":
            atomic_write(current, corpus.read_version(doc_id, entry["version"]))
            with contextlib.suppress(FileNotFoundError):
                (config.corpus / "withdrawn" / f"{doc_id}.json").unlink()
    if on_change is not None:
        on_change(ids)
    journal_path.unlink()
    fsync_dir(config.corpus)
    return ids


def recover_pending(config: Config, on_change: OnChange | None = None) -> list[str]:
    """Take the lock and roll back whatever a killed writer left unfinished (`archive index`
    and `archive serve` call this first, so a crash never leaves the index ahead of the
    corpus)."""
    if not _journal_path(config).exists():
        return []
    with corpus_lock(config):
        return recover(config, on_change)


@dataclass
class _Planned:
    doc_id: str
    version: int
    previous: int | None
    data: bytes
    status: str


def corpus_validator(config: Config, registers: Registers | None = None) -> Validator:
    """A validator for files of this corpus: its registers, and every id it ever held as the
    ids `doc:` pointers may name (the document layer cannot list them itself)."""
    return Validator(config, Corpus(config).known_ids(), registers)


def add(
    config: Config,
    paths: Iterable[Path],
    *,
    message: str | None = None,
    on_change: OnChange | None = None,
    validator: Validator | None = None,
    now: str | None = None,
    contents: Mapping[Path, bytes] | None = None,
) -> list[AddOutcome]:
    """Add files to the corpus as new documents or new versions, all or nothing.

    A new id becomes version 1 (the file's revisionDesc must end at n="1"). A changed file
    becomes version n+1: it either records that version itself (change n="n+1") or still
    ends at n="n", in which case a change entry with `message` is added. Identical bytes are
    a no-op. Every file is validated before anything is written; then versions/ and
    documents/ are written under a journal, `on_change(ids)` updates the index, and only
    then is the change final. Any failure rolls everything back. `contents` gives the bytes
    to store for some of the paths instead of the file's own (a reviewed draft made final).
    """
    paths = list(paths)
    stamp = now or utc_now()
    with corpus_lock(config):
        recover(config, on_change)
        corpus = Corpus(config)
        validator = validator or corpus_validator(config)
        planned = _plan(corpus, validator, paths, message or "Revised.", stamp, contents or {})
        changes = [p for p in planned if p.status != "unchanged"]
        if changes:
            _apply(config, "add", changes, on_change)
        return [AddOutcome(p.doc_id, p.version, p.status) for p in planned]


def withdraw(
    config: Config,
    doc_id: str,
    reason: str,
    *,
    on_change: OnChange | None = None,
    now: str | None = None,
) -> Withdrawal:
    """Withdraw a document: it leaves documents/ (and the index), keeps every version, and
    answers as gone with `reason`. Its id is never reused."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidDocument([Problem("--reason", None, "a withdrawal needs a reason")])
    with corpus_lock(config):
        recover(config, on_change)
        corpus = Corpus(config)
        corpus.read_bytes(doc_id)  # NotFound, or Gone if already withdrawn
        numbers = corpus.version_numbers(doc_id)
        if not numbers:
            raise Conflict(
                f"document {doc_id!r} has no stored version; run `archive add` on it first"
            )
        withdrawal = Withdrawal(doc_id, now or utc_now(), reason, numbers[-1])
        journal = {"action": "withdraw", "entries": [{"id": doc_id, "version": numbers[-1]}]}
        atomic_write(_journal_path(config), json.dumps(journal).encode())
        try:
            record = json.dumps(asdict(withdrawal), ensure_ascii=False, indent=2).encode() + b"\n"
            atomic_write(config.corpus / "withdrawn" / f"{doc_id}.json", record, overwrite=False)
            corpus.path(doc_id).unlink()
            fsync_dir(config.documents_dir)
            if on_change is not None:
                on_change([doc_id])
        except BaseException:
            recover(config, on_change)
            raise
        _journal_path(config).unlink()
        fsync_dir(config.corpus)
        return withdrawal


def _apply(
    config: Config, action: str, changes: list[_Planned], on_change: OnChange | None
) -> None:
    journal = {
        "action": action,
        "entries": [
            {"id": p.doc_id, "version": p.version, "previous": p.previous} for p in changes
        ],
    }
    atomic_write(_journal_path(config), json.dumps(journal).encode())
    corpus = Corpus(config)
    try:
        for p in changes:
            atomic_write(
                corpus.version_path(p.doc_id, p.version), p.data, overwrite=False, mode=0o444
            )
            atomic_write(corpus.path(p.doc_id), p.data)
        if on_change is not None:
            on_change([p.doc_id for p in changes])
    except BaseException:
        recover(config, on_change)
        raise
    _journal_path(config).unlink()
    fsync_dir(config.corpus)


def _plan(
    corpus: Corpus,
    validator,
    paths: list[Path],
    message: str,
    stamp: str,
    contents: Mapping[Path, bytes],
) -> list[_Planned]:  # type: ignore[no-untyped-def]
    """Decide, for every file, what it becomes, and validate it: nothing is written yet."""
    problems: list[Problem] = []
    planned: list[_Planned] = []
    incoming: dict[str, Path] = {}
    read: list[tuple[Path, bytes]] = []
    for path in paths:
        try:
            read.append((path, contents[path] if path in contents else read_bytes(path)))
        except InvalidDocument as exc:
            problems.extend(exc.problems)
    # Documents added together may point at each other.
    for path, data in read:
        with contextlib.suppress(InvalidDocument):
            doc_id = parse_tei(data, path).getroot().get(XML_ID) or ""
            if DOC_ID_RE.match(doc_id):
                validator.document_ids.add(doc_id)
    for path, data in read:
        file_problems = validator.validate_bytes(data, path)
        if file_problems:
            problems.extend(file_problems)
            continue
        tree = parse_tei(data, path)
        doc_id = tree.getroot().get(XML_ID)
        if doc_id in incoming:
            raise Conflict(f"{path}: document {doc_id!r} is also given as {incoming[doc_id]}")
        incoming[doc_id] = path
        planned.append(_plan_one(corpus, validator, path, data, tree, message, stamp))
    if problems:
        raise InvalidDocument(problems)
    return planned


def _changes(tree: etree._ElementTree) -> list[tuple[int, str]]:
    return [
        (int(change.get("n")), change.get("when"))
        for change in tree.getroot().iterfind("t:teiHeader/t:revisionDesc/t:change", NS)
    ]


def _plan_one(corpus, validator, path, data, tree, message, stamp) -> _Planned:  # type: ignore[no-untyped-def]
    doc_id = tree.getroot().get(XML_ID)
    changes = _changes(tree)
    last = changes[-1][0]
    withdrawal = corpus.withdrawal(doc_id)
    if withdrawal is not None:
        raise Conflict(
            f"{path}: id {doc_id!r} belonged to a document withdrawn on {withdrawal.when}; ids are never reused"
        )
    numbers = corpus.version_numbers(doc_id)
    if not numbers:
        if last != 1:
            raise Conflict(
                f"{path}: {doc_id!r} is new to the archive, so it must start at version 1, "
                f'but its revisionDesc ends at n="{last}"'
            )
        return _Planned(doc_id, 1, None, data, "added")

    current_n = numbers[-1]
    current = corpus.read_version(doc_id, current_n)
    if data == current:
        return _Planned(doc_id, current_n, current_n, data, "unchanged")
    stored = _changes(parse_tei(current, corpus.version_path(doc_id, current_n)))
    if changes[0] != stored[0]:
        raise Conflict(
            f"{path}: id {doc_id!r} already belongs to another document (first recorded {stored[0][1]}); "
            f"choose a new id, or start from its current version {current_n} to revise it"
        )
    if last < current_n:
        raise Conflict(
            f"{path}: edited from version {last} of {doc_id!r}, but the archive holds version "
            f"{current_n}; start from the current version"
        )
    if changes[:current_n] != stored:
        raise Conflict(
            f"{path}: its revisionDesc rewrites the recorded history of {doc_id!r}; history is kept as it was"
        )
    if last == current_n:
        revised = _with_change(tree, current_n + 1, stamp, message)
        validator.check(revised, path)
        return _Planned(doc_id, current_n + 1, current_n, revised, "revised")
    if last == current_n + 1:
        return _Planned(doc_id, last, current_n, data, "revised")
    raise Conflict(
        f'{path}: revisionDesc jumps to n="{last}", but the next version of {doc_id!r} is {current_n + 1}'
    )


def _with_change(tree: etree._ElementTree, n: int, when: str, message: str) -> bytes:
    """The file with a revisionDesc entry for version `n` appended, formatted like its siblings."""
    revision = tree.getroot().find("t:teiHeader/t:revisionDesc", NS)
    last = revision[-1]
    change = etree.SubElement(revision, t("change"), {"when": when, "n": str(n)})
    change.text = message
    change.tail = last.tail
    last.tail = revision.text
    body = etree.tostring(tree.getroot(), encoding="UTF-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"
