"""What the index knows of each corpus file: size, modification time and sha256.

`archive index` compares the corpus with this manifest: a file whose size and mtime are
unchanged is not read at all; otherwise its hash decides whether it changed. The manifest
is an SQLite file in the index generation, so that indexing one added document rewrites one
row rather than a list of 100,000.

It is written after each Whoosh commit and stamped with that commit's generation. A
manifest whose stamp differs (a crash between the two writes, an index changed by other
means) is not trusted: the caller rebuilds it from the hashes stored in the index, and
every file is then hashed once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

MANIFEST_FILE = "manifest.sqlite"


@dataclass
class FileState:
    """What the manifest remembers of one document file."""

    size: int
    mtime_ns: int
    sha256: str


class Manifest:
    """The manifest of one index generation folder."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / MANIFEST_FILE

    def _connect(self) -> sqlite3.Connection:
        """The manifest, or a new empty one in place of a file that is not a readable
        SQLite database (it is derived data: an empty manifest is merely stale, and the
        caller rebuilds it from the index)."""
        for attempt in (1, 2):
            connection = sqlite3.connect(self.path)
            try:
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS files "
                    "(id TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT)"
                )
                connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value)")
                connection.execute("SELECT 1 FROM files LIMIT 1").fetchone()
                return connection
            except sqlite3.OperationalError:
                connection.close()
                raise  # locked, busy, out of space: the file is fine, it must not be reset
            except sqlite3.DatabaseError:
                connection.close()
                if attempt == 2:
                    raise
                for suffix in ("", "-journal", "-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        raise AssertionError("unreachable")

    def _fresh(self, connection: sqlite3.Connection, generation: int) -> bool:
        row = connection.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return row is not None and row[0] == generation

    def load(self, generation: int) -> dict[str, FileState] | None:
        """Every file's state, or None when the manifest is not that of `generation`."""
        with closing(self._connect()) as connection:
            if not self._fresh(connection, generation):
                return None
            rows = connection.execute("SELECT id, size, mtime_ns, sha256 FROM files")
            return {row[0]: FileState(*row[1:]) for row in rows}

    def get(self, ids: Iterable[str], generation: int) -> dict[str, FileState] | None:
        """The states of `ids` that the manifest holds, or None when it is stale."""
        with closing(self._connect()) as connection:
            if not self._fresh(connection, generation):
                return None
            found = {}
            for doc_id in ids:
                row = connection.execute(
                    "SELECT size, mtime_ns, sha256 FROM files WHERE id = ?", (doc_id,)
                ).fetchone()
                if row is not None:
                    found[doc_id] = FileState(*row)
            return found

    def save(
        self,
        generation: int,
        changed: dict[str, FileState],
        removed: Iterable[str] = (),
        *,
        replace_all: bool = False,
    ) -> None:
        """Record changes (or, with `replace_all`, the whole state) as of `generation`, in
        one transaction."""
        with closing(self._connect()) as connection, connection:
            if replace_all:
                connection.execute("DELETE FROM files")
            connection.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
                ((k, v.size, v.mtime_ns, v.sha256) for k, v in changed.items()),
            )
            connection.executemany("DELETE FROM files WHERE id = ?", ((k,) for k in removed))
            connection.execute(
                "INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation,)
            )
