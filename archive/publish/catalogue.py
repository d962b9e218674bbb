"""The catalogue: every document the archive has ever published, with when it last changed
and the sets it belongs to, kept in the instance cache and answered by SQL.

It is what harvesting (OAI-PMH) and the feed list: one record per document id, current or
withdrawn, with
- its datestamp: the UTC second at which the store wrote its current version (its fixity
  record, `Corpus.stored_time`), or its withdrawal, as `YYYY-MM-DDThh:mm:ssZ`; never the
  `when` of a revisionDesc change, which is a date an encoder typed (a document added at
  04:46Z dated by its change to midnight, or to 2019, would hide from a harvester asking
  `from` its last responseDate). A new version or a withdrawal therefore moves the record
  to the moment it happened;
- its sets: `type`, `type:<document type>`, `treaty`, and for every treaty it counts as
  citing (`TreatyRegister.expand_cited`) the path from the top of the treaty hierarchy,
  `treaty:gc-1949:gc-1949-iv`, with each prefix of that path (a record in a member set is
  also in its group's set). A withdrawn document keeps the sets of its last version, so a
  selective harvester hears of the withdrawal.

`refresh()` brings the catalogue up to date with the corpus: it compares the folder
modification times of documents/ and withdrawn/ (and the treaty register) with those of its
last refresh, and only when they differ looks at each file's (inode, size, times) and reads
the files that changed. Reading goes through the model cache, so the first refresh of a
large corpus reads every document once (~4 ms each) and later ones read only what changed.
Queries are index range scans ordered by (datestamp, id): a page costs the same at any size.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import re
import sqlite3
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from archive.config import Config
from archive.document import Document, Registers
from archive.storage import (
    Corpus,
    ModelCache,
    Withdrawal,
    cache_transaction,
    connect_cache,
)

# Folder times closer than this to the last refresh may hide a later change made within the
# file system's timestamp resolution: such a refresh is repeated next time.
RACY_NS = 2_000_000_000
LOCK_FILE = "catalogue.lock"
BATCH = 256
# A row of the records table, and the record's sets.
_Row = tuple[tuple[str, str, int, int, str, str, str], list[str]]
SET_SPEC_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$")


@dataclass(frozen=True)
class CatalogueRecord:
    """One document as harvesters see it."""

    id: str
    datestamp: str
    deleted: bool
    set_specs: tuple[str, ...]
    version: int


def utc_datestamp(when: str) -> str:
    """A revisionDesc or withdrawal time as `YYYY-MM-DDThh:mm:ssZ` (a date means its
    midnight UTC; an offset is converted to UTC; fractions of a second are dropped)."""
    moment = datetime.fromisoformat(when.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_specs(doc_type: str, treaties: list[str], registers: Registers) -> list[str]:
    """The sets a document with this type and these cited treaties belongs to."""
    specs: list[str] = []
    if doc_type and SET_SPEC_RE.match(doc_type):
        specs += ["type", f"type:{doc_type}"]
    register = registers.treaties
    for treaty_id in register.expand_cited(treaties):
        path = [*reversed(register.ancestors(treaty_id)), treaty_id]
        specs += [":".join(["treaty", *path[:depth]]) for depth in range(len(path) + 1)]
    return [s for s in dict.fromkeys(specs) if SET_SPEC_RE.match(s)]


def treaty_set_spec(treaty_id: str, registers: Registers) -> str:
    """The setSpec of one treaty: 'treaty:gc-1949:gc-1949-iv'."""
    return ":".join(["treaty", *reversed(registers.treaties.ancestors(treaty_id)), treaty_id])


def _signature(path: str | Path | os.DirEntry[str]) -> str | None:
    """What changes whenever a file is replaced: inode (files are replaced by rename), size,
    modification and change times."""
    try:
        st = path.stat() if isinstance(path, os.DirEntry) else os.stat(path)
    except FileNotFoundError:
        return None
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


class Catalogue:
    """The records of one corpus; `refresh()` before querying (`Catalogue.current` does)."""

    def __init__(
        self,
        config: Config,
        registers: Registers | None = None,
        conn: sqlite3.Connection | None = None,
    ) -> None:
        self.config = config
        self.corpus = Corpus(config)
        self.registers = registers or Registers.load(config.authority_dir)
        self.conn = conn if conn is not None else connect_cache(config)

    @classmethod
    def current(cls, config: Config, registers: Registers | None = None) -> Catalogue:
        catalogue = cls(config, registers)
        catalogue.refresh()
        return catalogue

    def close(self) -> None:
        self.conn.close()

    # -- keeping up with the corpus ---------------------------------------------------

    def _state(self) -> dict[str, int | str]:
        def mtime(path: Path) -> int:
            try:
                return path.stat().st_mtime_ns
            except FileNotFoundError:
                return 0

        return {
            "corpus": str(self.config.corpus.resolve()),
            "documents": mtime(self.config.documents_dir),
            "withdrawn": mtime(self.config.corpus / "withdrawn"),
            "treaties": _signature(self.registers.treaties.path) or "",
        }

    def _meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def is_fresh(self) -> bool:
        """True when nothing can have changed since the last refresh."""
        state = self._state()
        stored = self._meta("catalogue_state")
        synced = int(self._meta("catalogue_synced_ns") or 0)
        if stored is None or json.loads(stored) != state:
            return False
        newest = max(int(state["documents"]), int(state["withdrawn"]))
        return newest < synced - RACY_NS

    def refresh(self) -> int:
        """Bring the catalogue up to date; return how many records were (re)written.

        One refresh at a time per instance (threads and processes alike): the others wait
        for it and then find the catalogue fresh, instead of all reading the same files.
        """
        if self.is_fresh():
            return 0
        self.config.instance.mkdir(parents=True, exist_ok=True)
        with open(self.config.instance / LOCK_FILE, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                return 0 if self.is_fresh() else self._refresh()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _refresh(self) -> int:
        started = time.time_ns()
        state = self._state()
        rebuild_sets = self._meta("catalogue_treaties") != state["treaties"] or (
            self._meta("catalogue_corpus") != state["corpus"]
        )
        known = dict(self.conn.execute("SELECT id, signature FROM records"))
        seen: set[str] = set()
        pending: list[_Row] = []
        written = 0
        with ModelCache(self.config, self.conn) as cache:
            for doc_id, signature, withdrawal in self._files():
                seen.add(doc_id)
                if known.get(doc_id) == signature and not rebuild_sets:
                    continue
                if withdrawal is None:
                    pending.append(self._read_current(doc_id, cache, signature))
                else:
                    pending.append(self._read_withdrawn(withdrawal, cache, signature))
                if len(pending) >= BATCH:
                    written += self._write(pending, cache)
            written += self._write(pending, cache)
        gone = [(doc_id,) for doc_id in known.keys() - seen]
        with cache_transaction(self.conn):
            self.conn.executemany("DELETE FROM records WHERE id = ?", gone)
            self.conn.executemany("DELETE FROM record_sets WHERE id = ?", gone)
            for key, value in (
                ("catalogue_state", json.dumps(state)),
                ("catalogue_synced_ns", str(started)),
                ("catalogue_treaties", str(state["treaties"])),
                ("catalogue_corpus", str(state["corpus"])),
            ):
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
        return written + len(gone)

    def _files(self) -> Iterator[tuple[str, str, Withdrawal | None]]:
        """(id, signature, withdrawal or None) for each current document (`Corpus.ids`:
        strays in documents/ are no records) and withdrawal."""
        for doc_id in self.corpus.ids():
            signature = _signature(self.corpus.path(doc_id))
            if signature is not None:
                yield doc_id, signature, None
        withdrawn = self.config.corpus / "withdrawn"
        for withdrawal in self.corpus.withdrawals():
            signature = _signature(withdrawn / f"{withdrawal.doc_id}.json")
            yield withdrawal.doc_id, f"w:{signature}", withdrawal

    def _read_current(self, doc_id: str, cache: ModelCache, signature: str) -> _Row:
        path = self.corpus.path(doc_id)
        doc = cache.document(self.corpus.read_bytes(doc_id), path)
        return self._row(doc, self.corpus.stored_time(doc_id, doc.version), False, signature)

    def _read_withdrawn(self, withdrawal: Withdrawal, cache: ModelCache, signature: str) -> _Row:
        doc_id, version = withdrawal.doc_id, withdrawal.last_version
        path = self.corpus.version_path(doc_id, version)
        doc = cache.document(self.corpus.read_version(doc_id, version), path)
        return self._row(doc, utc_datestamp(withdrawal.when), True, signature)

    def _row(self, doc: Document, datestamp: str, deleted: bool, signature: str) -> _Row:
        treaties = " ".join(doc.treaties)
        row = (doc.id, datestamp, int(deleted), doc.version, doc.doc_type, treaties, signature)
        return row, set_specs(doc.doc_type, doc.treaties, self.registers)

    def _write(self, pending: list[_Row], cache: ModelCache) -> int:
        if not pending:
            return 0
        cache.flush()
        with cache_transaction(self.conn):
            for row, specs in pending:
                self.conn.execute("INSERT OR REPLACE INTO records VALUES (?,?,?,?,?,?,?)", row)
                self.conn.execute("DELETE FROM record_sets WHERE id = ?", (row[0],))
                self.conn.executemany(
                    "INSERT INTO record_sets VALUES (?, ?, ?)",
                    [(spec, row[1], row[0]) for spec in specs],
                )
        count = len(pending)
        pending.clear()
        return count

    # -- queries ----------------------------------------------------------------------

    def _select(
        self,
        columns: str,
        from_: str | None,
        until: str | None,
        set_spec: str | None,
        after: tuple[str, str] | None = None,
        *,
        ordered: bool = False,
    ) -> tuple[str, list[object]]:
        """SQL over the records, or over one set's rows (which carry the datestamps), with
        the bounds as a range of that table's (datestamp, id) index."""
        if set_spec is None:
            table, clauses, args = "records r", [], []
        else:
            table = "record_sets s JOIN records r ON r.id = s.id"
            clauses, args = ["s.set_spec = ?"], [set_spec]
        key = "r" if set_spec is None else "s"
        if from_ is not None:
            clauses.append(f"{key}.datestamp >= ?")
            args.append(from_)
        if until is not None:
            clauses.append(f"{key}.datestamp <= ?")
            args.append(until)
        if after is not None:
            clauses.append(f"({key}.datestamp, {key}.id) > (?, ?)")
            args += list(after)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        order = f" ORDER BY {key}.datestamp, {key}.id" if ordered else ""
        return f"SELECT {columns} FROM {table}{where}{order}", args

    def list(
        self,
        from_: str | None = None,
        until: str | None = None,
        set_spec: str | None = None,
        after: tuple[str, str] | None = None,
        limit: int = 100,
    ) -> list[CatalogueRecord]:
        """Records with from_ <= datestamp <= until (inclusive; `YYYY-MM-DDThh:mm:ssZ`), in
        `set_spec` if given, strictly after the (datestamp, id) position `after`, in
        (datestamp, id) order, at most `limit`."""
        sql, args = self._select(
            "r.id, r.datestamp, r.deleted, r.version", from_, until, set_spec, after, ordered=True
        )
        return self._with_sets(self.conn.execute(f"{sql} LIMIT ?", [*args, limit]).fetchall())

    def count(
        self, from_: str | None = None, until: str | None = None, set_spec: str | None = None
    ) -> int:
        if set_spec is not None and from_ is None and until is None:
            sql, args = "SELECT count(*) FROM record_sets WHERE set_spec = ?", [set_spec]
        else:
            sql, args = self._select("count(*)", from_, until, set_spec)
        return self.conn.execute(sql, args).fetchone()[0]

    def get(self, doc_id: str) -> CatalogueRecord | None:
        rows = self.conn.execute(
            "SELECT id, datestamp, deleted, version FROM records WHERE id = ?", (doc_id,)
        ).fetchall()
        found = self._with_sets(rows)
        return found[0] if found else None

    def recent(self, limit: int, among: Collection[str] | None = None) -> list[CatalogueRecord]:
        """The current (not withdrawn) records that changed last, latest first; only those
        whose id is `among` when given (a search's matches: read in date order until
        `limit` of them are found, as a search may match any number of ids)."""
        if among is None:
            rows = self.conn.execute(
                "SELECT id, datestamp, deleted, version FROM records WHERE deleted = 0 "
                "ORDER BY datestamp DESC, id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        else:
            cursor = self.conn.execute(
                "SELECT id, datestamp, deleted, version FROM records WHERE deleted = 0 "
                "ORDER BY datestamp DESC, id DESC"
            )
            rows = list(itertools.islice((r for r in cursor if r[0] in among), limit))
            cursor.close()
        return self._with_sets(rows)

    def earliest_datestamp(self) -> str | None:
        return self.conn.execute("SELECT min(datestamp) FROM records").fetchone()[0]

    def doc_types(self) -> list[str]:
        """The document types that some record has."""
        rows = self.conn.execute(
            "SELECT DISTINCT doc_type FROM records WHERE doc_type != '' ORDER BY doc_type"
        )
        return [row[0] for row in rows]

    def _with_sets(self, rows: list[tuple]) -> list[CatalogueRecord]:
        if not rows:
            return []
        ids = [row[0] for row in rows]
        marks = ",".join("?" * len(ids))
        specs: dict[str, list[str]] = {doc_id: [] for doc_id in ids}
        for set_spec, doc_id in self.conn.execute(
            f"SELECT set_spec, id FROM record_sets WHERE id IN ({marks}) ORDER BY set_spec",
            ids,
        ):
            specs[doc_id].append(set_spec)
        return [
            CatalogueRecord(doc_id, datestamp, bool(deleted), tuple(specs[doc_id]), version)
            for doc_id, datestamp, deleted, version in rows
        ]
