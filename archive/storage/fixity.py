"""Fixity: what the store recorded of every version when it wrote it, and checking it.

`corpus/fixity.jsonl` holds one JSON object per line,

    {"id": "x", "version": 2, "sha256": "<hex>", "stored": "2026-12-02T06:50:12Z"}

written by the store itself, under the corpus lock and its journal, in the moment between
writing a version's file and making it current: the sha256 of the exact bytes and the UTC
second at which the archive stored them. It is what BagIt's `manifest-sha256.txt` is to a
bag (and what archival repositories keep as a fixity register), plus the time, because the
time a version was stored is what a harvester needs (OAI-PMH datestamps, the Atom feed) and
what the document's own revisionDesc cannot say (its `when` is a date an encoder typed).

Why one appended file, not one per document or an SQLite table: it is readable and
diffable by people and by `git`, a record is never rewritten (an add appends its lines and
fsyncs; a rollback truncates to the length the journal noted), and reading it is one
sequential read and one JSON parse (0.4-1.0 s for 100,000 versions, 15 MB, on the 2-core
development machine; then only the new tail: the parsed records are kept per process and
re-read only from where they ended when the file grows). A line
cut short by a kill is ignored by readers and cut away by the next writer.

Versions stored before this manifest existed have no line. For them the stored time is the
modification time of their file in versions/ (written once by `archive add`, read-only,
never rewritten: it is the second they were stored, also after a copy that keeps times);
`archive verify` records such versions once, with the sha256 they have then. The bundled
corpus ships its manifest in git (a checkout's file times mean nothing), recorded from each
version's revisionDesc date at 00:00:00Z, the datestamps its records always had.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from archive.errors import ArchiveError

FIXITY_NAME = "fixity.jsonl"


@dataclass(frozen=True)
class VersionRecord:
    """One version as the store recorded it when it wrote it."""

    id: str
    version: int
    sha256: str
    stored: str  # YYYY-MM-DDThh:mm:ssZ

    def line(self) -> bytes:
        fields = {"id": self.id, "version": self.version, "sha256": self.sha256}
        return json.dumps({**fields, "stored": self.stored}, separators=(",", ":")).encode() + b"\n"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utc_second(seconds: float) -> str:
    """A POSIX time as `YYYY-MM-DDThh:mm:ssZ`."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Parsed:
    inode: int
    end: int  # bytes parsed (always just after a newline)
    records: dict[tuple[str, int], VersionRecord]
    bad_lines: list[int]
    lines: int
    last: bytes = b""  # the last bytes parsed: a rollback and a new add change them
    digests: dict[str, set[str]] = field(default_factory=dict)  # id -> its versions' sha256
    mtime_ns: int = -1
    size: int = -1


_CHECK = 256


_CACHE: dict[Path, _Parsed] = {}
_CACHE_LOCK = threading.Lock()


class FixityManifest:
    """The fixity records of one corpus folder."""

    def __init__(self, corpus_dir: Path) -> None:
        self.path = corpus_dir / FIXITY_NAME
        self._name = str(self.path)

    def _parsed(self) -> _Parsed:
        """The records, re-read only where the file changed since this process last read it.

        Appending only ever adds lines; a rollback cuts lines off, and an add may then
        append others of the same length. So the last bytes read are kept and compared:
        if they changed, everything is read anew."""
        try:
            st = os.stat(self._name)
        except FileNotFoundError:
            return _Parsed(0, 0, {}, [], 0)
        with _CACHE_LOCK:
            known = _CACHE.get(self.path)
            if known is not None and (known.inode, known.mtime_ns, known.size) == (
                st.st_ino,
                st.st_mtime_ns,
                st.st_size,
            ):
                return known
            with open(self.path, "rb") as handle:
                if known is None or known.inode != st.st_ino or st.st_size < known.end:
                    known = _Parsed(st.st_ino, 0, {}, [], 0)
                handle.seek(known.end - len(known.last))
                tail = handle.read()
                if not tail.startswith(known.last):
                    known = _Parsed(st.st_ino, 0, {}, [], 0)
                    handle.seek(0)
                    tail = handle.read()
                else:
                    tail = tail[len(known.last) :]
            complete = tail[: tail.rfind(b"\n") + 1]
            lines = complete.splitlines()
            try:  # one parse of all lines (5x faster than a parse per line)
                values = json.loads(b"[" + b",".join(lines) + b"]")
            except ValueError:
                values = [_loads(raw) for raw in lines]
            for value in values:
                known.lines += 1
                record = _record(value)
                if record is None:
                    known.bad_lines.append(known.lines)
                else:
                    known.records[(record.id, record.version)] = record
                    known.digests.setdefault(record.id, set()).add(record.sha256)
            known.end += len(complete)
            known.last = (known.last + complete)[-_CHECK:]
            known.mtime_ns, known.size = st.st_mtime_ns, st.st_size
            _CACHE[self.path] = known
            return known

    def get(self, doc_id: str, version: int) -> VersionRecord | None:
        return self._parsed().records.get((doc_id, version))

    def digests(self, doc_id: str) -> set[str]:
        """The sha256 of every recorded version of a document (empty: none recorded)."""
        return self._parsed().digests.get(doc_id, set())

    def records(self) -> dict[tuple[str, int], VersionRecord]:
        return dict(self._parsed().records)

    def bad_lines(self) -> list[int]:
        return list(self._parsed().bad_lines)

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def append(self, records: list[VersionRecord]) -> None:
        """Append records and fsync (call with the corpus lock held). A line a killed
        writer left unfinished is cut away first, so every line stays whole."""
        if not records:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ArchiveError(f"cannot write: {exc.strerror}", path=self.path) from None
        try:
            size = os.fstat(fd).st_size
            if size:
                os.lseek(fd, max(0, size - 4096), os.SEEK_SET)
                tail = os.read(fd, 4096)
                if not tail.endswith(b"\n"):
                    cut = tail.rfind(b"\n")
                    os.ftruncate(fd, size - len(tail) + cut + 1)
            os.lseek(fd, 0, os.SEEK_END)
            data = b"".join(r.line() for r in records)
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        except OSError as exc:
            raise ArchiveError(f"cannot write: {exc.strerror}", path=self.path) from None
        finally:
            os.close(fd)

    def truncate(self, size: int) -> None:
        """Drop what was appended after the file had `size` bytes (a rollback)."""
        if self.size() > size:
            with open(self.path, "r+b") as handle:
                handle.truncate(size)
                handle.flush()
                os.fsync(handle.fileno())


def _loads(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _record(value: object) -> VersionRecord | None:
    if not isinstance(value, dict):
        return None
    try:
        record = VersionRecord(
            str(value["id"]), int(value["version"]), str(value["sha256"]), str(value["stored"])
        )
    except (ValueError, KeyError, TypeError):
        return None
    if len(record.sha256) != 64 or not record.stored.endswith("Z"):
        return None
    return record
