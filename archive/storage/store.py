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
import functools
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
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
from archive.errors import (
    ArchiveError,
    Conflict,
    FixityError,
    Gone,
    InvalidDocument,
    NotFound,
    Problem,
)
from archive.storage.fixity import FixityManifest, VersionRecord, sha256_hex, utc_second
from archive.storage.fsutil import (
    TEMP_PREFIX,
    atomic_write,
    fsync_dir,
    held_lock,
    remove_stale_temporaries,
)

MAX_VERSION = 999_999  # far beyond any real history; keeps a version's file name short
LOCK_NAME = ".lock"
# In a replica's instance folder (archive.storage.replica): its corpus is the writer's copy.
REPLICA_FILE = "replica.json"
JOURNAL_NAME = ".journal.json"
# Copies of current files that exist in no stored version, kept while a change is under way
# so that a rollback can put them back (see `_apply`).
ROLLBACK_DIR = ".rollback"

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

    @functools.cached_property
    def fixity(self) -> FixityManifest:
        return FixityManifest(self.config.corpus)

    def _stored_ids(self) -> set[str] | None:
        """Ids with a folder in versions/, or None for a corpus kept without versions/
        (copied in): there every well-named file of documents/ is current."""
        folder = self.config.versions_dir
        if not folder.is_dir():
            return None
        with os.scandir(folder) as entries:
            return {e.name for e in entries if DOC_ID_RE.match(e.name)}

    def ids(self) -> list[str]:
        """Ids of the current (not withdrawn) documents, sorted: the files of documents/
        named `<id>.xml` that the store holds versions of. Anything else there (a backup
        copy, a half-written file, an editor's temporary file) is not a document: it is
        listed by `strays`, reported by `archive validate`, and skipped by the index, the
        catalogue and every export alike."""
        return self._scan()[0]

    def current_among(self, doc_ids: Iterable[str]) -> list[str]:
        """Those of `doc_ids` that are current documents (as `ids` would list them), sorted,
        looked up one by one: cheap for the few ids of an add."""
        versioned = self.config.versions_dir.is_dir()
        found = []
        for doc_id in set(doc_ids):
            if not isinstance(doc_id, str) or not DOC_ID_RE.match(doc_id):
                continue
            if self.path(doc_id).is_file() and (
                not versioned or (self.config.versions_dir / doc_id).is_dir()
            ):
                found.append(doc_id)
        return sorted(found)

    def strays(self) -> list[Problem]:
        """Files in documents/ that are not current documents, each with why."""
        return self._scan()[1]

    def _scan(self) -> tuple[list[str], list[Problem]]:
        folder = self.config.documents_dir
        if not folder.is_dir():
            return [], []
        stored = self._stored_ids()
        ids: list[str] = []
        strays: list[Problem] = []
        with os.scandir(folder) as entries:
            for entry in entries:
                stem = entry.name[:-4] if entry.name.endswith(".xml") else None
                if entry.name.startswith(TEMP_PREFIX):
                    why = "a temporary file a killed writer left (the next change removes it)"
                elif stem is None or not DOC_ID_RE.match(stem):
                    why = "not a document: current documents are named <id>.xml"
                elif stored is not None and stem not in stored:
                    why = (
                        f"not a stored document: no version of {stem!r} was ever added "
                        "(a copy or a half-written file?); `archive add` it or move it away"
                    )
                elif not entry.is_file():
                    why = "not a regular file"
                else:
                    ids.append(stem)
                    continue
                strays.append(Problem(str(folder / entry.name), None, why))
        return sorted(ids), sorted(strays, key=lambda p: p.path)

    def known_ids(self) -> set[str]:
        """Every id the corpus has ever used: current, superseded or withdrawn."""
        ids = set(self.ids())
        if self.config.versions_dir.is_dir():
            ids |= {p.name for p in self.config.versions_dir.iterdir() if DOC_ID_RE.match(p.name)}
        return ids

    def path(self, doc_id: str) -> Path:
        return self.config.documents_dir / f"{check_id(doc_id)}.xml"

    def read_bytes(self, doc_id: str) -> bytes:
        """The current version's bytes. Raises Gone for a withdrawn id, NotFound otherwise.

        The file in documents/ is served when its bytes are those of a stored version (as
        recorded when it was stored). When they are not (edited in place, damaged, cut
        short), the latest stored version is served instead, itself checked: documents/
        is a working copy, versions/ and the fixity records are what the archive holds."""
        try:
            data = self.path(doc_id).read_bytes()
        except FileNotFoundError:
            self._raise_missing(doc_id)
            raise  # unreachable: _raise_missing always raises
        if sha256_hex(data) in self.fixity.digests(doc_id):
            return data  # the common case: a stored version, as recorded
        numbers = self.version_numbers(doc_id)
        if not numbers and self.config.versions_dir.is_dir():
            # A stray file (a copy, a half-written file), not a document the store holds.
            raise NotFound(f"no document {doc_id!r} in the archive")
        if not numbers or self._is_stored(doc_id, numbers, data):
            return data
        return self.read_version(doc_id, numbers[-1])

    def _is_stored(self, doc_id: str, numbers: list[int], data: bytes) -> bool:
        digest = sha256_hex(data)
        fixity = self.fixity
        for n in reversed(numbers):
            record = fixity.get(doc_id, n)
            if record is not None and record.sha256 == digest:
                return True
        latest = numbers[-1]
        if fixity.get(doc_id, latest) is None:
            with contextlib.suppress(OSError):
                return self.version_path(doc_id, latest).read_bytes() == data
        return False

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
        try:  # os.listdir, not Path.glob: every read asks (~10x cheaper)
            names = os.listdir(f"{self.config.versions_dir}/{check_id(doc_id)}")
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(
            int(name[:-4])
            for name in names
            if name.endswith(".xml") and name[:-4].isascii() and name[:-4].isdigit()
        )

    def read_version(self, doc_id: str, version: int) -> bytes:
        """Version `version` of a document, byte for byte as it was added (also when the
        document was later withdrawn: a cited version stays citable). Bytes that no longer
        match the sha256 recorded when the version was stored raise FixityError."""
        path = self.version_path(doc_id, version)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            numbers = self.version_numbers(doc_id)
            if not numbers:
                self._raise_missing(doc_id)
            raise NotFound(
                f"document {doc_id!r} has no version {version}; it has versions 1 to {numbers[-1]}"
            ) from None
        record = self.fixity.get(doc_id, version)
        if record is not None and sha256_hex(data) != record.sha256:
            raise FixityError(
                f"fixity failure: version {version} of {doc_id!r} no longer has the sha256 "
                f"recorded when it was stored on {record.stored} ({record.sha256}); the file "
                "was changed or damaged on disk and is not served. Restore it from a backup; "
                "`archive verify` lists every such version",
                path=path,
            )
        return data

    def stored_time(self, doc_id: str, version: int) -> str:
        """The UTC second at which the store wrote this version (`YYYY-MM-DDThh:mm:ssZ`):
        its fixity record, or for a version stored before records were kept the time of
        its file (see archive.storage.fixity)."""
        record = self.fixity.get(doc_id, version)
        if record is not None:
            return record.stored
        path = self.version_path(doc_id, version)
        if not path.exists():  # a corpus kept without versions/: its current file
            path = self.path(doc_id)
        try:
            return utc_second(path.stat().st_mtime)
        except FileNotFoundError:
            raise NotFound(f"document {doc_id!r} has no version {version}") from None

    def recorded_sha256(self, doc_id: str, version: int) -> str | None:
        """The sha256 recorded when the version was stored, or None (stored before records)."""
        record = self.fixity.get(doc_id, version)
        return record.sha256 if record is not None else None

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
            # A document stored from a corpus copied in starts at the version it had then.
            first = numbers[0] if numbers else 1
            if numbers != list(range(first, first + len(numbers))):
                problems.append(
                    Problem(
                        where,
                        None,
                        f"versions are {numbers}: expected {first} to {first + len(numbers) - 1}",
                    )
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
        return problems + self.strays()


# --- writing: add and withdraw ---------------------------------------------------------


def refuse_on_replica(config: Config) -> None:
    """A replica's corpus is changed only by the writer's next `archive replicate`: a change
    made on the replica itself would be overwritten there, or would make the replica's
    index name documents the writer never had. So the archivist is told where to make it."""
    marker = config.instance / REPLICA_FILE
    if marker.exists():
        raise ArchiveError(
            f"{config.corpus} is a replica ({marker}): change the writer's corpus and run "
            "`archive replicate` there",
            path=marker,
        )


@contextlib.contextmanager
def corpus_lock(config: Config) -> Iterator[None]:
    """Hold the corpus write lock; a second writer is refused at once with a clear message."""
    path = config.corpus / LOCK_NAME
    try:
        config.corpus.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115  (closed below, after the lock is let go)
    except OSError as exc:
        raise ArchiveError(
            f"cannot change the corpus {config.corpus}: {exc.strerror} "
            "(it can still be read, validated, searched and served)",
            path=path,
        ) from None
    with (
        handle,
        held_lock(
            handle,
            lambda holder: (
                f"the corpus {config.corpus} is being changed by {holder}; "
                "try again when it has finished"
            ),
        ),
    ):
        yield


def _journal_path(config: Config) -> Path:
    return config.corpus / JOURNAL_NAME


def recover(config: Config, on_change: OnChange | None = None) -> list[str]:
    """Roll back a change that a failure or a kill left unfinished; return the ids it
    touched. Call with the lock held (`add` and `withdraw` do).

    A current file that existed in no stored version was copied aside before the change
    began (`.rollback/<id>.xml`) and is put back by rename, which needs no free space."""
    journal_path = _journal_path(config)
    rollback_dir = config.corpus / ROLLBACK_DIR
    remove_stale_temporaries(config.documents_dir)
    remove_stale_temporaries(config.versions_dir)
    remove_stale_temporaries(config.corpus / "withdrawn")
    if not journal_path.exists():
        # Copies of a change that never began writing, or that finished.
        shutil.rmtree(rollback_dir, ignore_errors=True)
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
            backup = rollback_dir / f"{doc_id}.xml"
            if entry.get("backup") and backup.exists():
                os.replace(backup, current)
                fsync_dir(config.documents_dir)
            elif previous is None:
                with contextlib.suppress(FileNotFoundError):
                    current.unlink()
                with contextlib.suppress(OSError):
                    (corpus.config.versions_dir / doc_id).rmdir()
            else:
                _restore(current, corpus.version_path(doc_id, previous))
        elif journal["action"] == "withdraw":
            _restore(current, corpus.version_path(doc_id, entry["version"]))
            with contextlib.suppress(FileNotFoundError):
                (config.corpus / "withdrawn" / f"{doc_id}.json").unlink()
    if "fixity_size" in journal:
        corpus.fixity.truncate(journal["fixity_size"])
    if on_change is not None:
        on_change(ids)
    journal_path.unlink()
    fsync_dir(config.corpus)
    shutil.rmtree(rollback_dir, ignore_errors=True)
    return ids


def _restore(current: Path, version: Path) -> None:
    """Make `current` a copy of a stored version again, writing only if it is not one."""
    data = version.read_bytes()
    with contextlib.suppress(FileNotFoundError):
        if current.read_bytes() == data:
            return
    atomic_write(current, data)


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
    # The current file's bytes when they are in no stored version (edited in place):
    # copied aside so that a rollback puts them back.
    on_disk: bytes | None = None


def corpus_validator(config: Config, registers: Registers | None = None) -> Validator:
    """A validator for files of this corpus: its registers, and every id it ever held as the
    ids `doc:` pointers may name (the document layer cannot list them itself)."""
    return Validator(config, Corpus(config).known_ids(), registers)


def _store_copied_in(config: Config) -> None:
    """A corpus copied in without versions/ (documents/ alone) is stored before its first
    change: each current document becomes the version its revisionDesc ends at, with a
    fixity record timed by its file. From then on no change can replace the only copy of a
    document. Files that are not readable documents named by their id stay where they are,
    reported by `archive validate` as strays. Call with the lock held."""
    if config.versions_dir.exists() or not config.documents_dir.is_dir():
        return
    corpus = Corpus(config)
    staged = config.corpus / f"{TEMP_PREFIX}versions"
    shutil.rmtree(staged, ignore_errors=True)
    records = []
    for doc_id in corpus.ids():
        path = corpus.path(doc_id)
        data = path.read_bytes()
        try:
            tree = parse_tei(data, path)
            n = _changes(tree)[-1][0]
        except (InvalidDocument, ValueError, TypeError, IndexError):
            continue
        if tree.getroot().get(XML_ID) != doc_id:
            continue
        atomic_write(staged / doc_id / f"{n}.xml", data, overwrite=False, mode=0o444)
        records.append(VersionRecord(doc_id, n, sha256_hex(data), utc_second(path.stat().st_mtime)))
    staged.mkdir(exist_ok=True)
    corpus.fixity.append(records)
    # The records come first: a kill before the rename leaves versions/ absent, and the
    # next writer stores the corpus again (records of the same bytes, appended twice, agree).
    os.rename(staged, config.versions_dir)
    fsync_dir(config.corpus)


def add(
    config: Config,
    paths: Iterable[Path],
    *,
    revise: bool = False,
    message: str | None = None,
    on_change: OnChange | None = None,
    validator: Validator | None = None,
    now: str | None = None,
    contents: Mapping[Path, bytes] | None = None,
) -> list[AddOutcome]:
    """Add files to the corpus as new documents or, with `revise`, as new versions of
    documents it holds; all or nothing.

    A revision is the archivist's explicit intent, never inferred from the file: without
    `revise` a file whose id is in use is refused, naming its current version, so two
    people adding the same new id get one "added" and one refusal. A new id becomes version 1 (its revisionDesc
    must end at n="1"). A revision becomes version n+1: it either records that version
    itself (change n="n+1") or still ends at n="n", in which case a change entry with
    `message` is added; it must keep the recorded history. Identical bytes are a no-op.
    Every file is validated before anything is written; then versions/, the fixity records
    and documents/ are written under a journal, `on_change(ids)` updates the index, and only
    then is the change final. Any failure rolls everything back, and bytes that were current
    before are never lost (see `_apply`). `contents` gives the bytes to store for some of the
    paths instead of the file's own (a reviewed draft made final).
    """
    paths = list(paths)
    stamp = now or utc_now()
    refuse_on_replica(config)
    with corpus_lock(config):
        recover(config, on_change)
        _store_copied_in(config)
        corpus = Corpus(config)
        validator = validator or corpus_validator(config)
        planned = _plan(
            corpus, validator, paths, message or "Revised.", stamp, revise, contents or {}
        )
        changes = [p for p in planned if p.status != "unchanged"]
        if changes:
            _apply(config, changes, on_change, now)
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
    refuse_on_replica(config)
    with corpus_lock(config):
        recover(config, on_change)
        _store_copied_in(config)
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
    config: Config, changes: list[_Planned], on_change: OnChange | None, now: str | None = None
) -> None:
    """Write a planned add so that a failure or a kill at any point loses nothing.

    1. A current file whose bytes are in no stored version (edited in place) is copied to
       `.rollback/<id>.xml`.
    2. The journal names what will be written and the fixity file's length; then the new
       version files, their fixity records (sha256 and the UTC second), the current files,
       and the index. Deleting the journal makes the change final.
    """
    corpus = Corpus(config)
    fixity = corpus.fixity
    rollback_dir = config.corpus / ROLLBACK_DIR
    backups = {p.doc_id for p in changes if p.on_disk is not None}
    for p in changes:
        if p.doc_id in backups and p.on_disk is not None:
            atomic_write(rollback_dir / f"{p.doc_id}.xml", p.on_disk)
    journal = {
        "action": "add",
        "fixity_size": fixity.size(),
        "entries": [
            {
                "id": p.doc_id,
                "version": p.version,
                "previous": p.previous,
                "backup": p.doc_id in backups,
            }
            for p in changes
        ],
    }
    atomic_write(_journal_path(config), json.dumps(journal).encode())
    try:
        for p in changes:
            atomic_write(
                corpus.version_path(p.doc_id, p.version), p.data, overwrite=False, mode=0o444
            )
        stored = now or utc_now()  # `now`: the clock of a test or a replay
        fixity.append(
            [VersionRecord(p.doc_id, p.version, sha256_hex(p.data), stored) for p in changes]
        )
        for p in changes:
            atomic_write(corpus.path(p.doc_id), p.data)
        if on_change is not None:
            on_change([p.doc_id for p in changes])
    except BaseException:
        recover(config, on_change)
        raise
    _journal_path(config).unlink()
    fsync_dir(config.corpus)
    shutil.rmtree(rollback_dir, ignore_errors=True)


def _plan(
    corpus: Corpus,
    validator,
    paths: list[Path],
    message: str,
    stamp: str,
    revise: bool,
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
        planned.append(_plan_one(corpus, validator, path, data, tree, message, stamp, revise))
    if problems:
        raise InvalidDocument(problems)
    return planned


def _changes(tree: etree._ElementTree) -> list[tuple[int, str]]:
    return [
        (int(change.get("n")), change.get("when"))
        for change in tree.getroot().iterfind("t:teiHeader/t:revisionDesc/t:change", NS)
    ]


def _plan_one(corpus, validator, path, data, tree, message, stamp, revise) -> _Planned:  # type: ignore[no-untyped-def]
    doc_id = tree.getroot().get(XML_ID)
    changes = _changes(tree)
    last = changes[-1][0]
    withdrawal = corpus.withdrawal(doc_id)
    if withdrawal is not None:
        raise Conflict(
            f"{path}: id {doc_id!r} belonged to a document withdrawn on {withdrawal.when}; ids are never reused"
        )
    numbers = corpus.version_numbers(doc_id)
    current_path = corpus.path(doc_id)
    try:
        on_disk: bytes | None = current_path.read_bytes()
    except FileNotFoundError:
        on_disk = None
    if not numbers and on_disk is not None and on_disk != data:
        raise Conflict(
            f"{path}: {current_path} is in documents/ but was never stored (a copy or a "
            "half-written file?); add that file itself, or move it away, first"
        )
    if not numbers:
        if last != 1:
            raise Conflict(
                f"{path}: {doc_id!r} is new to the archive, so it must start at version 1, "
                f'but its revisionDesc ends at n="{last}"'
            )
        return _Planned(doc_id, 1, None, data, "added", on_disk)

    current_n = numbers[-1]
    current = corpus.read_version(doc_id, current_n)
    if data == current:
        return _Planned(doc_id, current_n, current_n, data, "unchanged")
    if not revise:
        raise Conflict(
            f"{path}: id {doc_id!r} is already in the archive (version {current_n}); to store "
            f"this file as its version {current_n + 1}, add it with --revise, or choose a new id"
        )
    if on_disk is not None and on_disk != current and on_disk != data:
        raise Conflict(
            f"{path}: {current_path} holds changes that are in no stored version of {doc_id!r}; "
            f"add that file with --revise, or restore it from version {current_n}, first"
        )
    stored = _changes(parse_tei(current, corpus.version_path(doc_id, current_n)))
    if changes[0] != stored[0]:
        raise Conflict(
            f"{path}: id {doc_id!r} belongs to another document (its first recorded change is "
            f"{stored[0][1]}, n={stored[0][0]}); choose a new id, or start from its current "
            f"version {current_n} to revise it"
        )
    if last < current_n:
        raise Conflict(
            f"{path}: edited from version {last} of {doc_id!r}, but the archive holds version "
            f"{current_n}; start from the current version"
        )
    if changes[: len(stored)] != stored:
        raise Conflict(
            f"{path}: its revisionDesc rewrites the recorded history of {doc_id!r}; history is kept as it was"
        )
    keep = on_disk if on_disk is not None and on_disk != current else None
    if last == current_n:
        revised = _with_change(tree, current_n + 1, stamp, message)
        validator.check(revised, path)
        return _Planned(doc_id, current_n + 1, current_n, revised, "revised", keep)
    if last == current_n + 1:
        return _Planned(doc_id, last, current_n, data, "revised", keep)
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


# --- fixity: checking every version against what was recorded ---------------------------


@dataclass
class FixityReport:
    """What `verify` found: every stored version checked against its fixity record."""

    checked: int = 0
    damaged: list[Problem] = field(default_factory=list)  # bytes differ, file missing, bad line
    recorded: list[str] = field(default_factory=list)  # versions that had no record until now
    unrecorded: list[str] = field(default_factory=list)  # ... and could not be recorded now
    unrecorded_why: str = ""

    @property
    def ok(self) -> bool:
        return not self.damaged


def verify(config: Config) -> FixityReport:
    """Check every stored version against the sha256 recorded when it was stored.

    Checking reads only (a read-only corpus is verified too). A version with no record yet
    (stored before records were kept) is then recorded, once, with the sha256 it has and the
    time of its file (see archive.storage.fixity), under the corpus lock; on a corpus that
    cannot be written it is reported instead."""
    report = FixityReport()
    corpus = Corpus(config)
    fixity = corpus.fixity
    records = fixity.records()
    for line in fixity.bad_lines():
        report.damaged.append(Problem(str(fixity.path), line, "not a fixity record (damaged line)"))
    found: set[tuple[str, int]] = set()
    unrecorded: list[VersionRecord] = []
    for doc_id in sorted(corpus.known_ids()):
        for n in corpus.version_numbers(doc_id):
            found.add((doc_id, n))
            path = corpus.version_path(doc_id, n)
            data = path.read_bytes()
            report.checked += 1
            record = records.get((doc_id, n))
            if record is None:
                when = utc_second(path.stat().st_mtime)
                unrecorded.append(VersionRecord(doc_id, n, sha256_hex(data), when))
            elif sha256_hex(data) != record.sha256:
                report.damaged.append(
                    Problem(
                        str(path),
                        None,
                        f"fixity failure: sha256 is {sha256_hex(data)}, but "
                        f"{record.sha256} was recorded when it was stored on {record.stored}",
                    )
                )
    for (doc_id, n), record in sorted(records.items()):
        if (doc_id, n) not in found:
            report.damaged.append(
                Problem(
                    str(config.versions_dir / doc_id / f"{n}.xml"),
                    None,
                    f"missing: version {n} of {doc_id!r} was stored on {record.stored} "
                    f"(sha256 {record.sha256})",
                )
            )
    if unrecorded:
        try:
            with corpus_lock(config):
                recover(config)
                known = fixity.records()
                fixity.append([r for r in unrecorded if (r.id, r.version) not in known])
            report.recorded = [f"{r.id} v{r.version}" for r in unrecorded]
        except ArchiveError as exc:
            report.unrecorded = [f"{r.id} v{r.version}" for r in unrecorded]
            report.unrecorded_why = exc.message
    return report
