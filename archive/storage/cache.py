"""Derived data in the instance folder: each stored version's model, and the catalogue.

Reading a TEI file into the model (`archive.document.tei.read_document`) costs 3-4 ms; an export or a
harvest of 100,000 documents cannot pay that on every run. This cache keeps the output of
`Document.to_dict()` (the one route to JSON) for every version it has seen, keyed by the
sha256 of the exact bytes, so a changed file can never be served a stale model. It is a
cache: deleting the file loses nothing, and entries written by another version of the
reading code are dropped when the code changes (the code's fingerprint is stored with them).

One SQLite file (`<instance>/cache.sqlite`, write-ahead log) holds the models and the
catalogue tables of `archive.publish.catalogue`; readers never block each other, and a writer
blocks only other writers.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from archive.config import Config
from archive.document import Document, read_document

CACHE_FILE = "cache.sqlite"
# Batch inserts: one transaction per batch, not per document.
FLUSH_EVERY = 256

_MODELS_SCHEMA = """
CREATE TABLE IF NOT EXISTS models (sha256 TEXT PRIMARY KEY, json BLOB NOT NULL);
"""
# The catalogue (archive.publish.catalogue). A record's sets carry its datestamp, so that a list or
# a count within a set is a range of one index, like a list or a count of everything.
_CATALOGUE_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    datestamp TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    version INTEGER NOT NULL,
    doc_type TEXT NOT NULL,
    treaties TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_datestamp ON records (datestamp, id);
CREATE TABLE IF NOT EXISTS record_sets (
    set_spec TEXT NOT NULL,
    datestamp TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (set_spec, datestamp, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_sets_by_id ON record_sets (id);
"""
_TABLES = {"models": ("models",), "catalogue": ("records", "record_sets")}

# The code that decides what a model holds, and what the catalogue holds: a change to it
# drops what older code stored (the catalogue is rebuilt from cached models, which is fast).
# Paths are relative to the `archive` package.
_MODEL_CODE = ("document/tei.py", "document/model.py", "document/dates.py", "storage/cache.py")
_CODE = {"models": _MODEL_CODE, "catalogue": (*_MODEL_CODE, "publish/catalogue.py")}


@functools.cache
def code_fingerprint(part: str = "models") -> str:
    """The sha256 of the code that fills one part of the cache ("models" or "catalogue")."""
    digest = hashlib.sha256()
    for name in _CODE[part]:
        digest.update((Path(__file__).parent.parent / name).read_bytes())
    return digest.hexdigest()


def connect(config: Config) -> sqlite3.Connection:
    """Open the instance's cache (creating it), without what other code stored in it.

    One connection per thread: SQLite connections are not shared between threads.
    """
    config.instance.mkdir(parents=True, exist_ok=True)
    try:
        return _connect(config)
    except sqlite3.OperationalError:
        raise  # locked, busy, out of space: the file is fine, it must not be reset
    except sqlite3.DatabaseError:
        # Not a readable database (a damaged disk, a copy cut short): it is only a cache,
        # so it is started again, empty, rather than stopping every command that uses it.
        for suffix in ("", "-wal", "-shm"):
            (config.instance / f"{CACHE_FILE}{suffix}").unlink(missing_ok=True)
        return _connect(config)


def _connect(config: Config) -> sqlite3.Connection:
    conn = sqlite3.connect(config.instance / CACHE_FILE, timeout=60, isolation_level=None)
    try:
        return _prepare(conn)
    except BaseException:
        conn.close()
        raise


def _prepare(conn: sqlite3.Connection) -> sqlite3.Connection:
    conn.execute("PRAGMA journal_mode=WAL")
    # A cache may lose its last transactions on a power cut; it must never be corrupted,
    # which WAL guarantees at this level.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    stale = [
        part
        for part in ("models", "catalogue")
        if _meta(conn, f"{part}_code") != code_fingerprint(part)
    ]
    if stale:
        with transaction(conn):
            if "models" in stale:
                stale.append("catalogue")  # it was read from those models
            for part in dict.fromkeys(stale):
                for table in _TABLES[part]:
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
                if part == "catalogue":
                    conn.execute("DELETE FROM meta WHERE key LIKE 'catalogue%'")
                conn.execute(
                    "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                    (f"{part}_code", code_fingerprint(part)),
                )
    conn.executescript(_MODELS_SCHEMA + _CATALOGUE_SCHEMA)
    conn.execute("SELECT 1 FROM models LIMIT 1").fetchone()
    return conn


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (a second writer waits for the first)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class ModelCache:
    """The model of stored TEI bytes, computed once per distinct version.

    Use as a context manager (or call `close`): new models are written in batches, and the
    last batch when it closes.
    """

    def __init__(self, config: Config, conn: sqlite3.Connection | None = None) -> None:
        """Open the cache of `config`'s instance, or use `conn` (which stays open)."""
        self._owns_conn = conn is None
        self.conn = conn if conn is not None else connect(config)
        self._pending: list[tuple[str, bytes]] = []

    def json_text(self, data: bytes, path: str | Path = "<document>") -> str:
        """`Document.to_dict()` of these bytes as compact JSON (one line, UTF-8 text)."""
        digest = hashlib.sha256(data).hexdigest()
        row = self.conn.execute("SELECT json FROM models WHERE sha256 = ?", (digest,)).fetchone()
        if row is not None:
            return zlib.decompress(row[0]).decode("utf-8")
        return self._store(digest, read_document(data, path))

    def keep(self, doc: Document) -> None:
        """Store the model of a document read elsewhere, unless it is stored already.

        The indexer reads every document it indexes; keeping the model it read then means
        that no export or harvest has to read the TEI again (reading is most of the cost
        of a cold export)."""
        known = self.conn.execute("SELECT 1 FROM models WHERE sha256 = ?", (doc.sha256,))
        if known.fetchone() is None:
            self._store(doc.sha256, doc)

    def _store(self, digest: str, doc: Document) -> str:
        text = json.dumps(doc.to_dict(), ensure_ascii=False, separators=(",", ":"))
        self._pending.append((digest, zlib.compress(text.encode("utf-8"), 1)))
        if len(self._pending) >= FLUSH_EVERY:
            self.flush()
        return text

    def document(self, data: bytes, path: str | Path = "<document>") -> Document:
        return Document.from_dict(json.loads(self.json_text(data, path)))

    def flush(self) -> None:
        if not self._pending:
            return
        with transaction(self.conn):
            self.conn.executemany("INSERT OR IGNORE INTO models VALUES (?, ?)", self._pending)
        self._pending.clear()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            if self._owns_conn:
                self.conn.close()

    def __enter__(self) -> ModelCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
