"""Keeping the index in step with the corpus: incremental updates, rebuilds, and indexing
named documents.

`update_index` adds new, changed and removed documents to the live generation in one Whoosh
commit (commits are atomic: a failure leaves the previous index as it was). A rebuild, a
missing index or an index of another format builds a new generation beside the live one and
switches CURRENT to it only when it is complete, so readers never see half an index.
Change detection is by content hash; the manifest (archive.search.manifest) keeps each file's size
and mtime so that unchanged files are not re-hashed on every run. A large rebuild runs in
worker processes, each parsing and indexing its share into segments of its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import queue as queue_module
import shutil
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex, LockError

from archive.config import Config
from archive.document import Registers, read_document, register_stamp
from archive.errors import ArchiveError, Conflict, Gone, NotFound, Problem
from archive.search import whoosh_fixes  # noqa: F401  (must patch Whoosh before any index opens)
from archive.search.index import (
    _CURRENT,
    _FORMAT_FILE,
    _LOCK,
    _PENDING,
    INDEX_FORMAT,
    corpus_files,
    current_generation,
    current_index_folder,
    generation_damage,
    index_fields,
    known_files,
    make_schema,
    record_files,
)
from archive.search.manifest import FileState, Manifest
from archive.search.merging import merge_added_segments
from archive.search.segment_writer import FastSegmentWriter
from archive.storage import Corpus, ModelCache

_PR_SET_PDEATHSIG = 1  # prctl(2)
LOCK_TIMEOUT = 30.0  # seconds to wait for another process's update before giving up
WRITER_LIMIT_MB = 256
# Below this many documents a build runs in this process: worker start-up would cost more.
PARALLEL_MIN_DOCS = 2000
# A bulk build closes a segment every so many documents (the writer holds a segment's
# postings in memory: ~20 MB per 1,000 documents of ~400 words).
SEGMENT_DOCS = 25_000


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
    # Ids left to the process updating the index now (see `update_documents`).
    deferred: list[str] = field(default_factory=list)
    # Why the live index was rebuilt rather than updated (its files were damaged).
    repaired: str | None = None

    @property
    def indexed(self) -> int:
        return len(self.added) + len(self.changed)

    def summary(self) -> str:
        how = "rebuilt" if self.rebuilt else "updated"
        if self.repaired:
            how = f"rebuilt because it was damaged ({self.repaired})"
        text = (
            f"index {how}: {len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed, {self.unchanged} unchanged in {self.seconds:.1f} s"
        )
        if self.problems:
            text += f"; {len(self.problems)} files skipped"
        if self.deferred:
            text += f"; {len(self.deferred)} left to the update under way"
        return text


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@contextlib.contextmanager
def _update_lock(index_dir: Path, timeout: float) -> Iterator[None]:
    """One updater at a time across processes (Whoosh's own lock guards one generation;
    this one also covers switching generations). `timeout` 0 tries once."""
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


# --- documents left to the updater under way -------------------------------------------
#
# An add or a withdrawal that finds the index being updated (a rebuild takes minutes) does
# not wait for it: it appends its ids to PENDING and returns, and whoever holds the update
# lock indexes them before letting go, then looks again after letting go (an id appended
# in between is taken by the next holder, or by the adder itself, which tries the lock
# once more after appending). A rebuild therefore ends with the documents changed while it
# ran, as they are in the corpus: no hit for a version a rollback removed, no current
# document missing. Lines are removed only after their ids were indexed, so a kill loses
# none.


def _pending_path(index_dir: Path) -> Path:
    return index_dir / _PENDING


def _append_pending(index_dir: Path, doc_ids: list[str]) -> None:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(_pending_path(index_dir), "ab") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        handle.write("".join(f"{i}\n" for i in doc_ids).encode())
        handle.flush()
        os.fsync(handle.fileno())


def _read_pending(index_dir: Path) -> tuple[list[str], int]:
    """The pending ids and the length of the file they were read from."""
    try:
        with open(_pending_path(index_dir), "rb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
            data = handle.read()
    except FileNotFoundError:
        return [], 0
    data = data[: data.rfind(b"\n") + 1]
    return list(dict.fromkeys(data.decode("utf-8", "replace").split())), len(data)


def _drop_pending(index_dir: Path, done: int) -> None:
    """Remove the first `done` bytes (ids now indexed); lines appended since stay."""
    with contextlib.suppress(FileNotFoundError), open(_pending_path(index_dir), "r+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        rest = handle.read()[done:]
        handle.seek(0)
        handle.write(rest)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())


def _drain_pending(config: Config, report: IndexReport, timeout: float) -> None:
    """Index what others left pending (call with the update lock held)."""
    while True:
        ids, size = _read_pending(config.index_dir)
        if not ids:
            return
        folder = current_generation(config.index_dir)
        if folder is not None and current_index_folder(config.index_dir) is not None:
            done = _update_generation(config, folder, ids, None, timeout)
            report.added += done.added
            report.changed += done.changed
            report.removed += done.removed
            report.problems += done.problems
        _drop_pending(config.index_dir, size)


# --- reading the corpus ----------------------------------------------------------------


def _file_state(path: Path, corpus: Corpus) -> tuple[FileState, bytes]:
    """The file's size and mtime (what changes when it is replaced) and the sha256 of what
    readers are served for it: `Corpus.read_bytes`, the stored version, so that the index
    never holds words of an edit made in place that no stored version has. One `corpus`
    serves a whole update (it reads its fixity records again when their file changes)."""
    stat = path.stat()
    try:
        data = corpus.read_bytes(path.stem)
    except (Gone, NotFound):
        raise FileNotFoundError(path) from None
    return FileState(stat.st_size, stat.st_mtime_ns, hashlib.sha256(data).hexdigest()), data


def _read_for_index(
    path: Path, registers: Registers, models: ModelCache, corpus: Corpus
) -> tuple[dict[str, Any] | None, FileState | None, list[Problem]]:
    """Fields and file state of one document, or the problems that keep it out. The model
    read on the way goes into the model cache, for the exports and the harvests."""
    try:
        state, data = _file_state(path, corpus)
        doc = read_document(data, path, state.sha256)
    except FileNotFoundError:
        return None, None, []
    except ArchiveError as exc:
        problems = getattr(exc, "problems", None) or [Problem(str(path), exc.line, exc.message)]
        return None, None, list(problems)
    if doc.id != path.stem:
        return None, None, [Problem(str(path), None, f"xml:id {doc.id!r} differs from file name")]
    models.keep(doc)
    return index_fields(doc, registers), state, []


# Registers read for indexing, by authority folder, with the stamp of their files.
_REGISTERS: dict[Path, tuple[tuple[tuple[int, int], ...], Registers]] = {}


def _registers(config: Config) -> Registers:
    """The registers as they are on disk, read again only when a register file changed:
    indexing reads them and never changes them, and reading 4,000 records costs ~0.5-1.4 s,
    which each `update_documents` of a long-lived process (a served archive's updates, the
    benchmark) would otherwise pay for one document."""
    folder = config.authority_dir
    stamp = register_stamp(folder)
    found = _REGISTERS.get(folder)
    if found is None or found[0] != stamp:
        found = _REGISTERS[folder] = (stamp, Registers.load(folder))
    return found[1]


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
    return _update(config, None, rebuild, progress, procs, timeout)


def update_documents(
    config: Config, doc_ids: Iterable[str], *, timeout: float = LOCK_TIMEOUT
) -> IndexReport:
    """(Re)index exactly these documents, and drop those whose file is gone: the cheap path
    for `archive add`, which knows what it changed. Builds the whole index if there is none.

    When another process is updating the index (a rebuild, say), the ids are left to it
    (`IndexReport.deferred`) instead of waiting: the corpus change stands, and the index
    has it when that update ends."""
    ids = list(dict.fromkeys(doc_ids))
    if current_index_folder(config.index_dir) is not None:
        try:
            return _update(config, ids, False, None, None, 0)
        except _Busy:
            _append_pending(config.index_dir, ids)
            try:
                return _update(config, [], False, None, None, 0)
            except _Busy:
                return IndexReport(deferred=ids)
    return _update(config, ids, False, None, None, timeout)


class _Busy(Conflict):
    """The update lock is held by another process (only raised when not waiting)."""


def _update(
    config: Config,
    only: list[str] | None,
    rebuild: bool,
    progress: Callable[[int], Progress] | None,
    procs: int | None,
    timeout: float,
) -> IndexReport:
    started = time.perf_counter()
    try:
        lock = _update_lock(config.index_dir, timeout)
        lock.__enter__()
    except Conflict as exc:
        if timeout <= 0:
            raise _Busy(exc.message) from None
        raise
    try:
        folder = current_generation(config.index_dir)
        _remove_other_generations(config.index_dir, folder)
        damage = None
        if not rebuild and only is None and current_index_folder(config.index_dir) is not None:
            damage = generation_damage(folder)  # `archive index` checks every file
        if rebuild or damage or current_index_folder(config.index_dir) is None:
            report = _rebuild(config, progress, procs)
            report.repaired = damage
        elif only == []:
            report = IndexReport()
        else:
            try:
                report = _update_generation(config, folder, only, progress, timeout or LOCK_TIMEOUT)
            except ArchiveError:
                raise
            except Exception as exc:  # what Whoosh meets in a damaged index
                report = _rebuild(config, progress, procs)
                report.repaired = f"{type(exc).__name__} while updating it"
        _drain_pending(config, report, timeout or LOCK_TIMEOUT)
    except BaseException:
        lock.__exit__(None, None, None)
        raise
    lock.__exit__(None, None, None)
    # Ids appended while the lock was being let go: take them if nobody else has.
    if _read_pending(config.index_dir)[0]:
        with contextlib.suppress(_Busy):
            _update(config, [], False, None, None, 0)
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
    # Files read, not memory-mapped: a revision or withdrawal opens a reader on every segment
    # (Whoosh's delete_by_term), and a mapped segment's term and posting files are each
    # copied whole into a BytesIO. At a million documents that was 6-8 GB and 3-55 s for
    # removing one document; read, it is a few pages a segment.
    ix = FileStorage(str(folder), supports_mmap=False).open_index()
    try:
        manifest, fresh = known_files(folder, ix, only)
        files = corpus_files(config, only)
        corpus = Corpus(config)
        candidates = only if only is not None else sorted(set(files) | set(manifest))
        touched: dict[str, FileState] = {}
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
            try:
                state, _ = _file_state(path, corpus)
            except (ArchiveError, FileNotFoundError):
                to_index.append(doc_id)  # reading it again reports why, and drops it
                continue
            if state.sha256 == known.sha256:
                touched[doc_id] = state  # touched, not changed: remember the new mtime
                report.unchanged += 1
            else:
                to_index.append(doc_id)
        if not to_index and not to_remove:
            states = {**manifest, **touched} if not fresh else touched
            Manifest(folder).save(ix.latest_generation(), states, replace_all=not fresh)
            if not (folder / "files.json").exists():
                record_files(folder)  # a generation written before files were recorded
            return report
        registers = _registers(config)
        step = progress(len(to_index)) if progress else None
        with ModelCache(config) as models:
            try:
                writer = FastSegmentWriter(ix, timeout=timeout, limitmb=WRITER_LIMIT_MB)
            except LockError:
                raise Conflict(f"the index in {folder} is locked by another writer") from None
            try:
                for doc_id in to_remove:
                    writer.delete_by_term("id", doc_id)
                    report.removed.append(doc_id)
                for doc_id in to_index:
                    fields, state, problems = _read_for_index(
                        files[doc_id], registers, models, corpus
                    )
                    if fields is None or state is None:
                        report.problems.extend(problems)
                        if problems and doc_id in manifest:
                            # A file that no longer reads must not keep answering searches
                            # with its old text.
                            writer.delete_by_term("id", doc_id)
                            report.removed.append(doc_id)
                    elif doc_id in manifest:
                        writer.update_document(**fields)
                        report.changed.append(doc_id)
                        touched[doc_id] = state
                    else:
                        # A new id: nothing to delete first (which would open a searcher on
                        # the whole index).
                        writer.add_document(**fields)
                        report.added.append(doc_id)
                        touched[doc_id] = state
                    if step:
                        step(1)
            except BaseException:
                writer.cancel()
                raise
        writer.commit(mergetype=merge_added_segments)
        if not fresh:
            touched = {
                **{k: v for k, v in manifest.items() if k not in report.removed},
                **touched,
            }
        Manifest(folder).save(
            ix.latest_generation(), touched, report.removed, replace_all=not fresh
        )
        record_files(folder)
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
    _remove_other_generations(index_dir, folder)
    return report


def _remove_other_generations(index_dir: Path, live: Path | None) -> None:
    """Remove everything in the index folder but the live generation: generations replaced
    by a rebuild, and the part-built one (or temporary file) of a rebuild that was killed.
    Called with the update lock held, so no other process is building one."""
    if not index_dir.is_dir():
        return
    for other in index_dir.iterdir():
        if other.name in (_CURRENT, _LOCK, _PENDING) or other == live:
            continue
        # Searchers still open on an old generation keep their open files (POSIX); they
        # notice CURRENT changed and reopen.
        if other.is_dir():
            shutil.rmtree(other, ignore_errors=True)
        else:
            other.unlink(missing_ok=True)


def _build_generation(
    config: Config,
    folder: Path,
    progress: Callable[[int], Progress] | None,
    procs: int | None,
) -> IndexReport:
    report = IndexReport(rebuilt=True)
    ix = whoosh_index.create_in(str(folder), make_schema())
    _write_atomic(folder / _FORMAT_FILE, json.dumps({"format": INDEX_FORMAT}))
    files = corpus_files(config)
    paths = [str(p) for p in files.values()]
    step = progress(len(paths)) if progress else None
    procs = max(1, min(procs or os.cpu_count() or 1, 8))
    if procs == 1 or len(paths) < PARALLEL_MIN_DOCS:
        segments, manifest, problems = _index_part(str(folder), config, paths, step)
    else:
        segments, manifest, problems = _index_in_parallel(config, folder, paths, procs, step)
    _commit_segments(ix, segments)
    ix = whoosh_index.open_dir(str(folder))
    docs = {k: FileState(*v) for k, v in manifest.items()}
    Manifest(folder).save(ix.latest_generation(), docs, replace_all=True)
    ix.close()
    record_files(folder)
    report.added = sorted(docs)
    report.problems = problems
    return report


def _index_part(
    folder: str, config: Config, paths: list[str], report: Progress | None
) -> tuple[list[Any], dict[str, list[Any]], list[Problem]]:
    """Index `paths` into new segments of the index in `folder`, finished but not yet
    committed: the caller commits every part's segments in one atomic step. A segment is
    closed every SEGMENT_DOCS documents to bound the writer's memory."""
    registers = Registers.load(config.authority_dir)
    ix = whoosh_index.open_dir(folder)
    models = ModelCache(config)
    corpus = Corpus(config)
    segments: list[Any] = []
    manifest: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    writer = None
    pending = 0
    try:
        for path in paths:
            if writer is None:
                writer = FastSegmentWriter(ix, _lk=False, limitmb=WRITER_LIMIT_MB)
            fields, state, found = _read_for_index(Path(path), registers, models, corpus)
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
    finally:
        models.close()
    if report and pending:
        report(pending)
    return segments, manifest, problems


def _worker_part(
    args: tuple[str, Config, list[str]],
) -> tuple[list[Any], dict[str, list[Any]], list[Problem]]:
    folder, config, paths = args
    return _index_part(folder, config, paths, _WORKER_QUEUE.put)


_WORKER_QUEUE: Any = None


def _init_worker(queue: Any, parent: int) -> None:
    global _WORKER_QUEUE
    _WORKER_QUEUE = queue
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this worker when the process that started it dies (Linux):
    otherwise `kill -9` of `archive index` leaves its workers building a generation that
    nobody will use, on every core, until they finish."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request was made
        os._exit(1)


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
        len(parts), mp_context=context, initializer=_init_worker, initargs=(queue, os.getpid())
    ) as pool:
        futures = [pool.submit(_worker_part, (str(folder), config, part)) for part in parts]
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
    writer = FastSegmentWriter(ix)
    try:
        final = writer._merge_segments(None, False, False)
        final += segments
        writer._close_segment()
        writer._commit_toc(final)
        writer._finish()
    except BaseException:
        writer.cancel()
        raise
