"""Copies of the archive on reader hosts: what marks a folder as a replica, and how files
reach it without a reader ever seeing a wrong state.

A replica is a folder holding `corpus/` and `instance/`, with `instance/replica.json`
naming the corpus it copies. One writer host holds the corpus and builds the index; reader
hosts run `archive serve --corpus REPLICA/corpus --instance REPLICA/instance` on copies
that only the writer's `archive replicate` changes (archive.search.replica orders the
steps; this module copies files). A file reaches the replica under a temporary name and is
renamed into place, its bytes, mode and modification time those of the writer's file, so
a reader opens either the old file or the new one, and a file that is already there with
the same size and time is not copied again (as rsync decides).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from archive.config import Config
from archive.errors import ArchiveError, Conflict, NotFound
from archive.storage.fsutil import TEMP_PREFIX, fsync_dir, held_lock
from archive.storage.store import JOURNAL_NAME, REPLICA_FILE, check_id, corpus_lock

_LOCK_FILE = ".replicate.lock"
_TEMP = f"{TEMP_PREFIX}replica-"
# Above this many files, one sync of the file systems instead of an fsync each.
SYNC_ONE_BY_ONE = 32

FIXITY = "fixity.jsonl"
# The corpus's parts in the order they are copied: what a current document needs (the
# registers it cites, its stored version and that version's fixity record, the withdrawal
# that replaces it) is in place before the document itself changes, as `archive add` and
# `archive withdraw` write them on the writer.
CORPUS_PARTS = (
    "authority-history",
    "authority",
    "versions",
    FIXITY,
    "withdrawn",
    "documents",
)


class NotAReplica(ArchiveError):
    """A target folder that holds something other than a replica: never written into."""


@dataclass
class CopyCounts:
    """What a publication moved."""

    files: int = 0
    bytes: int = 0
    removed: int = 0


def replica_of(instance: Path) -> str | None:
    """The corpus an instance folder is a replica of, or None when it is not a replica
    (its index is then built here by `archive index`, not published to it)."""
    try:
        data = json.loads((instance / REPLICA_FILE).read_text(encoding="utf-8"))
    except OSError:  # none, or an instance folder that cannot exist (said by its caller)
        return None
    except ValueError:
        return "an unknown writer"
    return str(data.get("replica_of") or "an unknown writer")


class Replica:
    """The target of a publication: `root/corpus` and `root/instance`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = Config(corpus=root / "corpus", instance=root / "instance")
        self.marker = self.config.instance / REPLICA_FILE

    def state(self) -> dict:
        """What the last publication recorded (empty for a replica being seeded)."""
        try:
            return json.loads(self.marker.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}

    def claim(self, source: Config) -> None:
        """Make `root` a replica of `source` if it is new or empty; refuse any folder that
        holds something else (a corpus of its own, a home directory typed by mistake)."""
        root, corpus = self.root.resolve(), source.corpus.resolve()
        for mine in (corpus, source.instance.resolve()):
            if root == mine or mine in root.parents or root in mine.parents:
                raise NotAReplica(
                    f"{self.root}: a replica cannot be inside, or contain, the writer's "
                    f"corpus or instance ({mine})",
                    path=self.root,
                )
        if self.marker.exists():
            return
        if self.root.exists() and (not self.root.is_dir() or any(self.root.iterdir())):
            raise NotAReplica(
                f"{self.root} is not a replica (there is no {self.marker}): refusing to "
                "write into it; give a new or empty folder",
                path=self.root,
            )
        self.config.instance.mkdir(parents=True, exist_ok=True)
        self.config.corpus.mkdir(parents=True, exist_ok=True)
        self.record({"replica_of": str(corpus), "state": "seeding"})

    def record(self, state: dict) -> None:
        write_atomic(self.marker, (json.dumps(state, indent=1) + "\n").encode())

    @contextlib.contextmanager
    def publishing_from(self, source: Config, wait: float) -> Iterator[None]:
        """Hold everything a publication needs still: this replica (one publication at a
        time, refused at once), the writer's corpus lock (an add holds it for a moment:
        tried again for `wait` seconds) and the replica's own corpus lock (no `archive add`
        on a replica meanwhile). A corpus with a change interrupted is refused, naming its
        journal."""
        with self._publication_lock(), _waiting_for(source, wait), corpus_lock(self.config):
            for cfg, whose in ((source, "the writer's"), (self.config, "the replica's")):
                journal = cfg.corpus / JOURNAL_NAME
                if journal.exists():
                    raise Conflict(
                        f"{journal}: a change to {whose} corpus was interrupted; run "
                        "`archive index` on it (which finishes or rolls it back), then publish"
                    )
            yield

    @contextlib.contextmanager
    def _publication_lock(self) -> Iterator[None]:
        path = self.config.instance / _LOCK_FILE
        with (
            open(path, "a+") as handle,
            held_lock(
                handle,
                lambda holder: (
                    f"{self.root} is being published to by {holder} ({path} is locked); "
                    "try again when it has finished"
                ),
            ),
        ):
            yield


@contextlib.contextmanager
def _waiting_for(config: Config, wait: float) -> Iterator[None]:
    """The writer's corpus lock, tried again until `wait` seconds have passed
    (`corpus_lock` itself refuses at once)."""
    deadline = time.monotonic() + wait
    while True:
        lock = corpus_lock(config)
        try:
            lock.__enter__()
            break
        except Conflict:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)
    try:
        yield
    except BaseException as exc:
        if not lock.__exit__(type(exc), exc, exc.__traceback__):
            raise
    else:
        lock.__exit__(None, None, None)


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{_TEMP}{path.name}")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def file_listing(root: Path) -> tuple[dict[str, os.stat_result], list[Path]]:
    """Every file under `root` by its path relative to it, and the temporary files a
    killed publication left there. Other names that start with a dot (the writer's lock,
    journal and temporary files) are working files, never published."""
    found: dict[str, os.stat_result] = {}
    temps: list[Path] = []

    def walk(folder: str, prefix: str) -> None:
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if entry.name.startswith(_TEMP):
                temps.append(Path(entry.path))
            elif entry.name.startswith("."):
                continue
            elif entry.is_dir(follow_symlinks=False):
                walk(entry.path, f"{prefix}{entry.name}/")
            elif entry.is_file(follow_symlinks=False):
                found[prefix + entry.name] = entry.stat(follow_symlinks=False)

    walk(str(root), "")
    return found, temps


def same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns


def _stage(source: Path, target: Path) -> tuple[Path, int]:
    """Copy one file beside its place under a temporary name, with its mode and
    modification time (so the next publication, and the index's manifest on the replica,
    see it unchanged); the temporary path and the bytes copied."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{_TEMP}{target.name}")
    with open(source, "rb") as src, open(tmp, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        st = os.fstat(src.fileno())
    os.chmod(tmp, st.st_mode & 0o777)
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    return tmp, st.st_size


def _install(pairs: list[tuple[Path, Path]]) -> None:
    """Rename staged files into place once their bytes are on disk, so that no crash of
    the reader host leaves a name pointing at bytes it never got. A few files are synced
    one by one; many (a first copy) with one sync of the file systems, which costs less
    than 10,000 fsyncs (58 s against a few seconds here)."""
    if len(pairs) > SYNC_ONE_BY_ONE:
        os.sync()
    else:
        for tmp, _ in pairs:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    for tmp, target in pairs:
        os.replace(tmp, target)


def copy_file(source: Path, target: Path) -> int:
    """Copy one file into place atomically; the bytes copied."""
    tmp, size = _stage(source, target)
    _install([(tmp, target)])
    return size


def mirror_file(source: Path, target: Path, counts: CopyCounts) -> None:
    """One file (the OAI-PMH token key): copied when it differs, removed when the writer
    has none."""
    try:
        theirs = source.stat()
    except FileNotFoundError:
        if target.exists():
            target.unlink()
            counts.removed += 1
        return
    try:
        if same_file(target.stat(), theirs):
            return
    except FileNotFoundError:
        pass
    counts.bytes += copy_file(source, target)
    counts.files += 1


def mirror_files(
    source: Path, target: Path, counts: CopyCounts, names: Iterable[str] | None = None
) -> None:
    """Make the files under `target` those under `source`: changed or missing ones
    copied, then those the source no longer has removed, and temporary files a killed
    publication left behind cleared. With `names`, only those files are looked at (and
    copied in that order), and nothing is removed."""
    full = names is None
    if names is None:
        theirs, _ = file_listing(source)
        mine, temps = file_listing(target)
        for temp in temps:
            with contextlib.suppress(OSError):
                temp.unlink()
        names = sorted(theirs)
    else:
        names = list(names)
        theirs = {rel: st for rel in names if (st := _stat(source / rel)) is not None}
        mine = {rel: st for rel in names if (st := _stat(target / rel)) is not None}
    staged = []
    for rel in names:
        if rel not in theirs or (rel in mine and same_file(mine[rel], theirs[rel])):
            continue
        tmp, size = _stage(source / rel, target / rel)
        staged.append((tmp, target / rel))
        counts.bytes += size
        counts.files += 1
    _install(staged)
    removed = sorted(set(mine) - set(theirs)) if full else []
    for rel in removed:
        with contextlib.suppress(FileNotFoundError):
            (target / rel).unlink()
        counts.removed += 1
    if (staged or removed) and target.is_dir():
        fsync_dir(target)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None


def copy_corpus(
    source: Config, replica: Replica, counts: CopyCounts, *, full: bool = False
) -> dict:
    """Copy the writer's corpus to the replica, part by part in the order of CORPUS_PARTS;
    what the replica's state must remember for the next time (how much of fixity.jsonl
    it holds).

    Call with the writer's corpus lock held (nothing changes under the copy) and the
    replica's (no `archive add` on the replica meanwhile). Every state a reader can meet
    between two renames is one the writer itself passes through during an add: a stored
    version before its document is current, a document before the index finds it.

    The first copy compares every file (as rsync does). Later ones read the writer's
    fixity.jsonl from where the last one stopped: every version stored since is a line
    there, so versions/ and documents/ are looked at only for those ids (a publication
    after one add costs the same at 10,000 documents as at 1,000,000); the small folders
    (registers, withdrawals) are compared whole. `full` compares every file again (a
    replica whose files were touched by other means)."""
    log = _FixityLog.read(source.corpus / FIXITY, None if full else replica.state())
    ids = log.stored_since(replica.config.corpus / FIXITY)
    if ids is None and log.since is not None:
        log = _FixityLog.read(source.corpus / FIXITY, None)  # the whole file, copied whole
    for part in CORPUS_PARTS:
        theirs, mine = source.corpus / part, replica.config.corpus / part
        if part == FIXITY:
            log.copy_to(mine, appending=ids is not None, counts=counts)
        elif part == "versions" and ids is not None:
            mirror_files(theirs, mine, counts, [f"{i}/{n}.xml" for i, n in ids])
        elif part == "documents" and ids is not None:
            gone = [p.stem for p in (source.corpus / "withdrawn").glob("*.json")]
            changed = [f"{i}.xml" for i in dict.fromkeys([i for i, _ in ids] + gone)]
            mirror_files(theirs, mine, counts, changed)
            for name in changed:  # withdrawn since: no longer current on the writer
                if not (theirs / name).exists() and (mine / name).exists():
                    (mine / name).unlink()
                    counts.removed += 1
        else:
            mirror_files(theirs, mine, counts)
    return {"fixity_size": log.size, "fixity_tail": log.tail}


@dataclass
class _FixityLog:
    """The writer's fixity.jsonl as a publication needs it: its whole lines, and, when
    the replica's state says how much of it the replica was given and those bytes are
    still the writer's, only what came after (read from there: the file is ~140 MB at a
    million versions)."""

    path: Path
    size: int  # whole lines, in bytes
    tail: str  # the last 4 KB of them, to know the file again next time
    new: bytes  # the lines after the replica's, or the whole file
    since: int | None  # where `new` starts, when the replica's part is known

    @classmethod
    def read(cls, path: Path, state: dict | None) -> _FixityLog:
        try:
            handle = open(path, "rb")  # noqa: SIM115 (closed below)
        except FileNotFoundError:
            return cls(path, 0, "", b"", None)
        with handle:
            end = os.fstat(handle.fileno()).st_size
            given, known = (state or {}).get("fixity_size"), (state or {}).get("fixity_tail")
            since = None
            if isinstance(given, int) and isinstance(known, str) and given <= end:
                start = max(0, given - 4096)
                handle.seek(start)
                if handle.read(given - start).decode("utf-8", "replace") == known:
                    since = given
            if since is None:
                handle.seek(0)
            data = handle.read(end - (since or 0))
        data = data[: data.rfind(b"\n") + 1]  # a line cut short is no record yet
        size = (since or 0) + len(data)
        if since is None:
            tail = data[-4096:]
        else:
            with open(path, "rb") as again:
                again.seek(max(0, size - 4096))
                tail = again.read(min(size, 4096))
        return cls(path, size, tail.decode("utf-8", "replace"), data, since)

    def stored_since(self, mine: Path) -> list[tuple[str, int]] | None:
        """(id, version) of each line the replica was not given, or None when that cannot
        be known (a first copy, a replica whose copy is not the part it was given, a
        writer's file that is not the one copied before): every file is then compared."""
        if self.since is None or _size(mine) != self.since:
            return None
        found = []
        for line in self.new.splitlines():
            try:
                record = json.loads(line)
                found.append((check_id(str(record["id"])), int(record["version"])))
            except (ValueError, KeyError, TypeError, NotFound):
                continue  # a damaged line: `archive verify` reports it on the writer
        return found

    def copy_to(self, mine: Path, *, appending: bool, counts: CopyCounts) -> None:
        """The new lines appended, as the writer appends them (a reader ignores a line
        cut short, and reads only the tail of a file that grew); or, when the replica's
        part is not known to be the writer's, the whole file replaced."""
        if appending:
            if self.new:
                with open(mine, "ab") as handle:
                    handle.write(self.new)
                    handle.flush()
                    os.fsync(handle.fileno())
                counts.files += 1
                counts.bytes += len(self.new)
            return
        if _size(mine) == self.size and mine.read_bytes() == self.new:
            return
        write_atomic(mine, self.new)
        counts.files += 1
        counts.bytes += len(self.new)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1
