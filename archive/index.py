"""The search index: its Whoosh schema, where it lives, and keeping it in step with the corpus.

Layout under `config.index_dir` (in the instance folder, never in git):

    CURRENT              the name of the live generation folder (replaced atomically)
    LOCK                 held (flock) by whoever updates the index
    g-<stamp>/           one Whoosh index with format.json (INDEX_FORMAT) and manifest.json

`update_index` adds new, changed and removed documents to the live generation in one Whoosh
commit (commits are atomic: a failure leaves the previous index as it was). A rebuild, a
missing index or an index of another format builds a new generation beside the live one and
switches CURRENT to it only when it is complete, so readers never see half an index.
Change detection is by content hash; the manifest keeps each file's size and mtime so that
unchanged files are not re-hashed on every run.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import queue as queue_module
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, STORED, Schema
from whoosh.index import FileIndex, LockError

from archive import whoosh_fixes  # noqa: F401  (must patch Whoosh before any index opens)
from archive.analysis import Keywords, StemmedText
from archive.authority import Registers
from archive.config import Config
from archive.errors import ArchiveError, Conflict, Problem
from archive.model import DateSpan, Document
from archive.segment_writer import FastSegmentWriter
from archive.store import DOC_ID_RE
from archive.tei import read_document

# Bump when the schema or the meaning of a field changes: an index of another format is
# rebuilt by `archive index`, and refused (with that advice) by the search engine.
INDEX_FORMAT = 1

# Facet and filter fields: index field name for each, all KEYWORD fields of ids.
FACET_FIELDS = ("treaty", "signatory", "org", "addressee", "place", "type", "lang", "year")
# Full-text fields searched when a query term names no field, and their weights.
TEXT_FIELDS = ("title", "body", "names")
FIELD_BOOSTS = {"title": 3.0, "body": 1.0, "names": 2.0}

LOCK_TIMEOUT = 30.0  # seconds to wait for another process's update before giving up
WRITER_LIMIT_MB = 256
# Below this many documents a build runs in this process: worker start-up would cost more.
PARALLEL_MIN_DOCS = 2000
# A bulk build closes a segment every so many documents (the writer holds a segment's
# postings in memory: ~20 MB per 1,000 documents of ~400 words).
SEGMENT_DOCS = 25_000

_CURRENT = "CURRENT"
_LOCK = "LOCK"
_FORMAT_FILE = "format.json"
_MANIFEST_FILE = "manifest.json"


def make_schema() -> Schema:
    """The index schema. `earliest`/`latest` are day numbers (date.toordinal(), 0 = undated)
    kept only as columns: the engine reads them as arrays for range filters and date sort."""
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=StemmedText(stored=True, field_boost=FIELD_BOOSTS["title"]),
        body=StemmedText(stored=True),
        names=StemmedText(field_boost=FIELD_BOOSTS["names"]),
        earliest=COLUMN(NumericColumn("i")),
        latest=COLUMN(NumericColumn("i")),
        doc_type=STORED,
        issued=STORED,
        version=STORED,
        sha256=STORED,
        # Ids never need lowercasing, scoring or positions: membership is all a filter asks.
        **{name: Keywords() for name in FACET_FIELDS},
    )


# --- from a document to index fields ---------------------------------------------------


def issued_bounds(span: DateSpan) -> tuple[date, date] | None:
    """The first and last day a document may have been issued, or None when undated.

    A span open on one side (`notAfter` only, say) reaches no further than the calendar year
    of its known bound, which is how `DateSpan.years` counts it: "not after 17 May 2021"
    is 1 January to 17 May 2021. So the year facet and range filters always agree.
    """
    first, last = span.earliest, span.latest
    if first is None and last is None:
        return None
    if first is None:
        assert last is not None
        first = date(last.year, 1, 1)
    if last is None:
        last = date(first.year, 12, 31)
    return first, last


def signatory_ids(doc: Document) -> list[str]:
    """Persons who signed the document: its signatories, and persons named as its authors
    (a petition "by Umud Mirzayev" is his as much as one he signed)."""
    ids = [s.person_id for s in doc.signatories if s.person_id]
    ids += [e.id for e in doc.issuers if e.kind == "person"]
    return list(dict.fromkeys(ids))


def facet_values(doc: Document, registers: Registers) -> dict[str, list[str]]:
    """The values a document contributes to each facet: the single definition shared by the
    index and by anything that counts documents independently of it."""
    bounds = issued_bounds(doc.issued)
    years = list(range(bounds[0].year, bounds[1].year + 1)) if bounds else []
    return {
        "treaty": registers.treaties.expand_cited(doc.treaties),
        "signatory": signatory_ids(doc),
        "org": list(doc.organisations),
        "addressee": list(dict.fromkeys(a.ref for a in doc.addressees)),
        "place": list(doc.places),
        "type": [doc.doc_type] if doc.doc_type else [],
        "lang": [doc.lang] if doc.lang else [],
        "year": [str(y) for y in years],
    }


def index_fields(doc: Document, registers: Registers) -> dict[str, Any]:
    """The Whoosh fields of one document."""
    names = [s.name for s in doc.signatories]
    for person_id in signatory_ids(doc):
        record = registers.persons.records.get(person_id)
        if record is not None:
            names.extend(record.names)
    bounds = issued_bounds(doc.issued)
    body = doc.abstract if doc.is_catalogue_record else doc.text
    fields: dict[str, Any] = {
        "id": doc.id,
        "title": "\n".join(dict.fromkeys([doc.title, *doc.titles])),
        "body": body,
        "names": " ; ".join(dict.fromkeys(names)),
        "earliest": bounds[0].toordinal() if bounds else 0,
        "latest": bounds[1].toordinal() if bounds else 0,
        "doc_type": doc.doc_type,
        "issued": doc.issued.label(),
        "version": doc.version,
        "sha256": doc.sha256,
    }
    for name, values in facet_values(doc, registers).items():
        fields[name] = " ".join(values)
    return fields


# --- layout: generations, format, manifest, lock ---------------------------------------


@dataclass
class FileState:
    """What the manifest remembers of one document file."""

    size: int
    mtime_ns: int
    sha256: str


@dataclass
class IndexReport:
    """What an update did."""

    rebuilt: bool = False
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def indexed(self) -> int:
        return len(self.added) + len(self.changed)

    def summary(self) -> str:
        how = "rebuilt" if self.rebuilt else "updated"
        text = (
            f"index {how}: {len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed, {self.unchanged} unchanged in {self.seconds:.1f} s"
        )
        if self.problems:
            text += f"; {len(self.problems)} files skipped"
        return text


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder, or None when there is no usable index."""
    try:
        name = (index_dir / _CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    folder = index_dir / name
    if not name or "/" in name or not folder.is_dir():
        return None
    return folder


def generation_format(folder: Path) -> int | None:
    try:
        return int(json.loads((folder / _FORMAT_FILE).read_text(encoding="utf-8"))["format"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


class IndexMissing(ArchiveError):
    """No index of the current format: `archive index` builds one."""


def open_index(config: Config) -> FileIndex:
    """Open the live index for reading; IndexMissing when there is none of this format."""
    folder = current_generation(config.index_dir)
    if folder is None:
        raise IndexMissing(f"no search index in {config.index_dir}: run `archive index`")
    found = generation_format(folder)
    if found != INDEX_FORMAT:
        raise IndexMissing(
            f"the search index in {config.index_dir} has format {found}, this version reads "
            f"format {INDEX_FORMAT}: run `archive index` to rebuild it"
        )
    return whoosh_index.open_dir(str(folder))


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _read_manifest(folder: Path, ix: FileIndex) -> dict[str, FileState]:
    """The manifest of a generation, trusted only if it was written for the index's latest
    commit; otherwise rebuilt from the index's stored hashes (every file is then re-hashed
    once, which is slow but never wrong)."""
    try:
        data = json.loads((folder / _MANIFEST_FILE).read_text(encoding="utf-8"))
        if data.get("generation") == ix.latest_generation():
            return {k: FileState(*v) for k, v in data["docs"].items()}
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        pass
    with ix.searcher() as searcher:
        return {
            stored["id"]: FileState(-1, -1, stored["sha256"])
            for stored in searcher.all_stored_fields()
        }


def _write_manifest(folder: Path, ix: FileIndex, docs: dict[str, FileState]) -> None:
    data = {
        "generation": ix.latest_generation(),
        "docs": {k: [v.size, v.mtime_ns, v.sha256] for k, v in sorted(docs.items())},
    }
    _write_atomic(folder / _MANIFEST_FILE, json.dumps(data, separators=(",", ":")))


@contextlib.contextmanager
def _update_lock(index_dir: Path, timeout: float) -> Iterator[None]:
    """One updater at a time across processes (Whoosh's own lock guards one generation;
    this one also covers switching generations)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / _LOCK, "a+b") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Conflict(
                        f"the index in {index_dir} is being updated by another process; "
                        "try again when it has finished"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --- reading the corpus ----------------------------------------------------------------


def _corpus_files(config: Config) -> dict[str, Path]:
    folder = config.documents_dir
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.xml")) if DOC_ID_RE.match(p.stem)}


def _file_state(path: Path, data: bytes | None = None) -> tuple[FileState, bytes]:
    stat = path.stat()
    if data is None:
        data = path.read_bytes()
    return FileState(stat.st_size, stat.st_mtime_ns, hashlib.sha256(data).hexdigest()), data


def _read_for_index(
    path: Path, registers: Registers
) -> tuple[dict[str, Any] | None, FileState | None, list[Problem]]:
    """Fields and file state of one document, or the problems that keep it out."""
    try:
        state, data = _file_state(path)
        doc = read_document(data, path)
    except FileNotFoundError:
        return None, None, []
    except ArchiveError as exc:
        problems = getattr(exc, "problems", None) or [Problem(str(path), exc.line, exc.message)]
        return None, None, list(problems)
    if doc.id != path.stem:
        return None, None, [Problem(str(path), None, f"xml:id {doc.id!r} differs from file name")]
    return index_fields(doc, registers), state, []


# --- building and updating -------------------------------------------------------------

Progress = Callable[[int], None]


def update_index(
    config: Config,
    *,
    rebuild: bool = False,
    progress: Callable[[int], Progress] | None = None,
    procs: int | None = None,
    timeout: float = LOCK_TIMEOUT,
) -> IndexReport:
    """Bring the index in step with the corpus: incrementally, or from scratch when asked,
    when there is no index, or when the index has another format.

    `progress(total)` is called once with the number of files to (re)index and returns a
    callback taking each step's count; `procs` caps the worker processes of a full build.
    """
    started = time.perf_counter()
    with _update_lock(config.index_dir, timeout):
        folder = current_generation(config.index_dir)
        if rebuild or folder is None or generation_format(folder) != INDEX_FORMAT:
            report = _rebuild(config, progress, procs)
        else:
            report = _update_generation(config, folder, None, progress, timeout)
    report.seconds = time.perf_counter() - started
    return report


def update_documents(
    config: Config, doc_ids: Iterable[str], *, timeout: float = LOCK_TIMEOUT
) -> IndexReport:
    """(Re)index exactly these documents, and drop those whose file is gone: the cheap path
    for `archive add`, which knows what it changed. Builds the whole index if there is none."""
    started = time.perf_counter()
    ids = list(dict.fromkeys(doc_ids))
    with _update_lock(config.index_dir, timeout):
        folder = current_generation(config.index_dir)
        if folder is None or generation_format(folder) != INDEX_FORMAT:
            report = _rebuild(config, None, None)
        else:
            report = _update_generation(config, folder, ids, None, timeout)
    report.seconds = time.perf_counter() - started
    return report


def _update_generation(
    config: Config,
    folder: Path,
    only: list[str] | None,
    progress: Callable[[int], Progress] | None,
    timeout: float,
) -> IndexReport:
    report = IndexReport()
    ix = whoosh_index.open_dir(str(folder))
    try:
        manifest = _read_manifest(folder, ix)
        files = _corpus_files(config)
        if only is not None:
            files = {i: p for i, p in files.items() if i in only}
            candidates = only
        else:
            candidates = sorted(set(files) | set(manifest))
        to_index: list[str] = []
        to_remove: list[str] = []
        for doc_id in candidates:
            path = files.get(doc_id)
            known = manifest.get(doc_id)
            if path is None:
                if known is not None:
                    to_remove.append(doc_id)
                continue
            if known is None:
                to_index.append(doc_id)
                continue
            stat = path.stat()
            if only is None and (stat.st_size, stat.st_mtime_ns) == (known.size, known.mtime_ns):
                report.unchanged += 1
                continue
            state, _ = _file_state(path)
            if state.sha256 == known.sha256:
                manifest[doc_id] = state  # touched, not changed: remember the new mtime
                report.unchanged += 1
            else:
                to_index.append(doc_id)
        if not to_index and not to_remove:
            if only is None:
                _write_manifest(folder, ix, manifest)
            return report
        registers = Registers.load(config.authority_dir)
        step = progress(len(to_index)) if progress else None
        try:
            writer = FastSegmentWriter(ix, timeout=timeout, limitmb=WRITER_LIMIT_MB)
        except LockError:
            raise Conflict(f"the index in {folder} is locked by another writer") from None
        try:
            for doc_id in to_remove:
                writer.delete_by_term("id", doc_id)
                manifest.pop(doc_id, None)
                report.removed.append(doc_id)
            for doc_id in to_index:
                fields, state, problems = _read_for_index(files[doc_id], registers)
                if fields is None or state is None:
                    report.problems.extend(problems)
                    if problems and doc_id in manifest:
                        # A file that no longer reads must not keep answering searches
                        # with its old text.
                        writer.delete_by_term("id", doc_id)
                        manifest.pop(doc_id)
                        report.removed.append(doc_id)
                else:
                    writer.update_document(**fields)
                    (report.changed if doc_id in manifest else report.added).append(doc_id)
                    manifest[doc_id] = state
                if step:
                    step(1)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        _write_manifest(folder, ix, manifest)
    finally:
        ix.close()
    return report


def _rebuild(
    config: Config, progress: Callable[[int], Progress] | None, procs: int | None
) -> IndexReport:
    """Build a complete new generation, then switch CURRENT to it and remove the others."""
    index_dir = config.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"g-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    folder = index_dir / name
    folder.mkdir()
    try:
        report = _build_generation(config, folder, progress, procs)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    _write_atomic(index_dir / _CURRENT, name + "\n")
    for other in index_dir.iterdir():
        if other.name in (_CURRENT, _LOCK, name):
            continue
        # Searchers still open on an old generation keep their open files (POSIX); they
        # notice CURRENT changed and reopen.
        if other.is_dir():
            shutil.rmtree(other, ignore_errors=True)
        else:
            other.unlink(missing_ok=True)
    return report


def _build_generation(
    config: Config,
    folder: Path,
    progress: Callable[[int], Progress] | None,
    procs: int | None,
) -> IndexReport:
    report = IndexReport(rebuilt=True)
    ix = whoosh_index.create_in(str(folder), make_schema())
    _write_atomic(folder / _FORMAT_FILE, json.dumps({"format": INDEX_FORMAT}))
    files = _corpus_files(config)
    paths = [str(p) for p in files.values()]
    step = progress(len(paths)) if progress else None
    procs = max(1, min(procs or os.cpu_count() or 1, 8))
    if procs == 1 or len(paths) < PARALLEL_MIN_DOCS:
        segments, manifest, problems = _index_part(
            str(folder), str(config.authority_dir), paths, step
        )
    else:
        segments, manifest, problems = _index_in_parallel(config, folder, paths, procs, step)
    _commit_segments(ix, segments)
    ix = whoosh_index.open_dir(str(folder))
    docs = {k: FileState(*v) for k, v in manifest.items()}
    _write_manifest(folder, ix, docs)
    ix.close()
    report.added = sorted(docs)
    report.problems = problems
    return report


def _index_part(
    folder: str, authority_dir: str, paths: list[str], report: Progress | None
) -> tuple[list[Any], dict[str, list[Any]], list[Problem]]:
    """Index `paths` into new segments of the index in `folder`, finished but not yet
    committed: the caller commits every part's segments in one atomic step. A segment is
    closed every SEGMENT_DOCS documents to bound the writer's memory."""
    registers = Registers.load(Path(authority_dir))
    ix = whoosh_index.open_dir(folder)
    segments: list[Any] = []
    manifest: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    writer = None
    pending = 0
    try:
        for path in paths:
            if writer is None:
                writer = FastSegmentWriter(ix, _lk=False, limitmb=WRITER_LIMIT_MB)
            fields, state, found = _read_for_index(Path(path), registers)
            if fields is None or state is None:
                problems.extend(found)
            else:
                writer.add_document(**fields)
                manifest[fields["id"]] = [state.size, state.mtime_ns, state.sha256]
                if writer.doc_count() >= SEGMENT_DOCS:
                    segments.append(writer._finalize_segment())
                    writer = None
            pending += 1
            if report and pending >= 50:
                report(pending)
                pending = 0
        if writer is not None and writer.doc_count():
            segments.append(writer._finalize_segment())
        elif writer is not None:
            writer.cancel()
    except BaseException:
        if writer is not None:
            writer.cancel()
        raise
    if report and pending:
        report(pending)
    return segments, manifest, problems


def _worker_part(
    args: tuple[str, str, list[str]],
) -> tuple[list[Any], dict[str, list[Any]], list[Problem]]:
    folder, authority_dir, paths = args
    return _index_part(folder, authority_dir, paths, _WORKER_QUEUE.put)


_WORKER_QUEUE: Any = None


def _init_worker(queue: Any) -> None:
    global _WORKER_QUEUE
    _WORKER_QUEUE = queue


def _index_in_parallel(
    config: Config, folder: Path, paths: list[str], procs: int, step: Progress | None
) -> tuple[list[Any], dict[str, list[Any]], list[Problem]]:
    """Each worker parses and indexes its share into segments of its own: parsing TEI costs
    as much as indexing it, so both must run in parallel to use every core."""
    context = get_context("spawn")
    queue = context.Queue()
    share = -(-len(paths) // procs)
    parts = [paths[i : i + share] for i in range(0, len(paths), share)]
    segments: list[Any] = []
    manifest: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    with ProcessPoolExecutor(
        len(parts), mp_context=context, initializer=_init_worker, initargs=(queue,)
    ) as pool:
        futures = [
            pool.submit(_worker_part, (str(folder), str(config.authority_dir), part))
            for part in parts
        ]
        while not all(f.done() for f in futures):
            with contextlib.suppress(queue_module.Empty):
                count = queue.get(timeout=0.2)
                if step:
                    step(count)
        for future in futures:
            part_segments, part_manifest, part_problems = future.result()
            segments.extend(part_segments)
            manifest.update(part_manifest)
            problems.extend(part_problems)
    return segments, manifest, problems


def _commit_segments(ix: FileIndex, segments: list[Any]) -> None:
    """Commit the workers' finished segments as the index's content, in one TOC write (the
    moment a Whoosh index changes). Mirrors whoosh.multiproc.MpWriter's multisegment commit."""
    writer = ix.writer()
    try:
        final = writer._merge_segments(None, False, False)
        final += segments
        writer._close_segment()
        writer._commit_toc(final)
        writer._finish()
    except BaseException:
        writer.cancel()
        raise


@dataclass
class IndexStatus:
    """What `archive stats` reports about the index, without reading any document."""

    path: str
    exists: bool
    format: int | None = None
    documents: int = 0
    segments: int = 0
    size_bytes: int = 0
    updated: float | None = None
    new_files: int = 0
    changed_files: int = 0
    removed_files: int = 0

    @property
    def up_to_date(self) -> bool:
        return self.exists and not (self.new_files or self.changed_files or self.removed_files)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items()}
        data["up_to_date"] = self.up_to_date
        return data


def index_status(config: Config) -> IndexStatus:
    """The live index's figures, and how many corpus files it has not caught up with
    (judged by size and modification time: a touched file counts as changed)."""
    folder = current_generation(config.index_dir)
    status = IndexStatus(path=str(config.index_dir), exists=folder is not None)
    if folder is None:
        status.new_files = len(_corpus_files(config))
        return status
    status.format = generation_format(folder)
    status.size_bytes = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    if status.format != INDEX_FORMAT:
        return status
    ix = whoosh_index.open_dir(str(folder))
    try:
        status.documents = ix.doc_count()
        status.segments = len(ix._segments())
        status.updated = ix.last_modified()
        manifest = _read_manifest(folder, ix)
    finally:
        ix.close()
    files = _corpus_files(config)
    for doc_id, path in files.items():
        known = manifest.get(doc_id)
        if known is None:
            status.new_files += 1
            continue
        stat = path.stat()
        if (stat.st_size, stat.st_mtime_ns) != (known.size, known.mtime_ns):
            status.changed_files += 1
    status.removed_files = len(set(manifest) - set(files))
    return status
