"""Publishing the writer's corpus and index generation to a replica on a reader host
(`archive replicate TARGET`), so that a reader serves either the old state or the new one,
never an index that names documents its corpus copy lacks.

One writer host holds the corpus and builds index generations (`archive add`, `archive
index`); each reader host serves a copy with `archive serve`. A publication holds the
writer's corpus lock and index lock (nothing changes under the copy; an `archive add`
meanwhile is refused at once, as a second writer always is) and the replica's own locks,
then copies only what changed, in this order:

1. the corpus (archive.storage.replica.CORPUS_PARTS): registers, stored versions (never
   rewritten: new ones are new files), `fixity.jsonl`, withdrawals, then `documents/`,
   each file renamed into place;
2. the generation's data files: Whoosh segments (immutable once written, named by the
   segment) and `format.json`; a new file nothing names yet is invisible to readers;
3. its table of contents (`_MAIN_<n>.toc`): Whoosh opens the highest-numbered TOC, so its
   rename is the moment a reader's engine (`up_to_date()`) sees the new segments;
4. `files.json` and `manifest.sqlite` (what `archive index` and `archive stats` read);
5. `CURRENT` (os.replace), when the writer rebuilt the index into a new generation: the
   engine reads it on each search and switches to the new folder.

A publication killed between two steps leaves the replica serving the old state (or, past
step 1, new documents not yet found by search, as on the writer between an add and its
index step), and the next run finishes it: files already in place have the writer's size
and time and are not copied again. Files the new state no longer names (merged segments,
old TOCs, a replaced generation) are removed one publication later, so that a reader that
has just read the old TOC can still open every segment it names.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from archive.config import Config
from archive.search.index import (
    _CURRENT,
    _FILES,
    IndexMissing,
    current_index_folder,
)
from archive.search.indexing import _update_lock
from archive.search.manifest import MANIFEST_FILE
from archive.storage import (
    CopyCounts,
    Replica,
    atomic_write,
    copy_corpus,
    file_listing,
    mirror_file,
    mirror_files,
)

# Steps, in order, as `after_step` is told of them (a test kills the publication there).
STEPS = ("corpus", "segments", "toc", "manifest", "current")
_META = (_FILES, MANIFEST_FILE)


@dataclass
class PublishReport:
    """What one publication did."""

    target: str
    generation: str
    toc: int
    documents: int
    files_copied: int
    bytes_copied: int
    files_removed: int
    seconds: float
    # Whether the replica's CURRENT was switched (the writer had rebuilt its index).
    switched: bool

    def summary(self) -> str:
        size = self.bytes_copied / 1e6
        return (
            f"published to {self.target}: {self.files_copied} files ({size:.1f} MB) copied, "
            f"{self.files_removed} removed; index {self.generation} (TOC {self.toc}), "
            f"{self.documents} documents, in {self.seconds:.2f} s"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def publish_replica(
    config: Config,
    target: Path,
    *,
    wait: float = 30.0,
    instance_files: Iterable[str] = (),
    full: bool = False,
    after_step: Callable[[str], None] | None = None,
) -> PublishReport:
    """Bring the replica in `target` in step with the writer's corpus and index (creating
    it in a new or empty folder). Refuses (NotAReplica) a folder that is not a replica, and
    (Conflict) a replica another publication or a change of its own corpus is writing,
    or a writer whose locks stay held for `wait` seconds (a rebuild under way).

    `instance_files` are files of the writer's instance folder that every host must share
    (the key that signs OAI-PMH resumption tokens: a harvester's next request may reach
    another host); they are copied with the corpus."""
    started = time.perf_counter()
    replica = Replica(target)
    replica.claim(config)
    counts = CopyCounts()
    with replica.publishing_from(config, wait), _update_lock(config.index_dir, wait):
        folder = current_index_folder(config.index_dir)
        if folder is None:
            raise IndexMissing(
                f"no search index of this format in {config.index_dir} to publish: "
                "run `archive index` first"
            )
        state = replica.state()
        state.update(replica_of=str(config.corpus.resolve()), state="publishing")
        replica.record(state)
        step = after_step or (lambda name: None)

        state.update(copy_corpus(config, replica, counts, full=full))
        replica.record(state)  # the corpus is the writer's now, up to this fixity.jsonl
        for name in instance_files:
            mirror_file(config.instance / name, replica.config.instance / name, counts)
        step("corpus")
        toc, switched, names = _copy_generation(folder, replica, counts, step)
        _remove_stale(replica, folder.name, names, state, counts)

        state.update(
            state="published",
            generation=folder.name,
            toc=toc,
            index_files=sorted(names),
            published=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        replica.record(state)
        documents = _documents(folder)
    return PublishReport(
        target=str(target),
        generation=folder.name,
        toc=toc,
        documents=documents,
        files_copied=counts.files,
        bytes_copied=counts.bytes,
        files_removed=counts.removed,
        seconds=round(time.perf_counter() - started, 3),
        switched=switched,
    )


def _copy_generation(
    folder: Path, replica: Replica, counts: CopyCounts, step: Callable[[str], None]
) -> tuple[int, bool, set[str]]:
    """Steps 2 to 5: the generation's files in the order that keeps readers on the old
    state until the pointer they read (the TOC, then CURRENT) is renamed into place."""
    files, _ = file_listing(folder)
    files = {
        name: st
        for name, st in files.items()
        if "/" not in name and not name.endswith(("WRITELOCK", ".tmp", "-journal", "-wal"))
    }
    tocs = sorted(n for n in files if n.endswith(".toc"))
    meta = [n for n in _META if n in files]
    data = sorted(set(files) - set(tocs) - set(meta))
    into = replica.config.index_dir / folder.name
    mirror_files(folder, into, counts, data)
    step("segments")
    mirror_files(folder, into, counts, tocs)
    step("toc")
    mirror_files(folder, into, counts, meta)
    step("manifest")
    pointer = replica.config.index_dir / _CURRENT
    try:
        switched = pointer.read_text(encoding="utf-8").strip() != folder.name
    except FileNotFoundError:
        switched = True
    if switched:
        atomic_write(pointer, f"{folder.name}\n".encode())
    step("current")
    toc = max((int(n.rsplit("_", 1)[1].split(".")[0]) for n in tocs), default=-1)
    return toc, switched, set(files)


def _remove_stale(
    replica: Replica, live: str, names: set[str], previous: dict, counts: CopyCounts
) -> None:
    """Remove what the replica's readers can no longer need: files of the live generation
    that neither this publication nor the last one named, and generations other than the
    live one and the last one published."""
    index_dir = replica.config.index_dir
    kept = {live, previous.get("generation")}
    for other in index_dir.iterdir():
        if other.is_dir() and other.name not in kept:
            _remove_tree(other, counts)
    last = set(previous.get("index_files", ())) if previous.get("generation") == live else set()
    mine, temps = file_listing(index_dir / live)
    for temp in temps:
        temp.unlink(missing_ok=True)
    for name in mine:
        if "/" not in name and name not in names and name not in last:
            (index_dir / live / name).unlink(missing_ok=True)
            counts.removed += 1


def _remove_tree(folder: Path, counts: CopyCounts) -> None:
    files, _ = file_listing(folder)
    shutil.rmtree(folder, ignore_errors=True)
    counts.removed += len(files)


def _documents(folder: Path) -> int:
    ix = whoosh_index.open_dir(str(folder))
    try:
        return ix.doc_count()
    finally:
        ix.close()
