"""Documents' stored fields read from the segment files in one step.

Whoosh keeps a segment's stored fields in its `_stored` column: each document's fields as a
pickled dict, compressed by zlib, at an offset the column's length array gives. Whoosh reads
one through six Python layers (reader, per-document reader, pickle column, compressed column,
struct file, compound sub-file: a seek and a read on the segment's file), ~30 us a document,
a third of a result page's hits beside their snippets. `StoredFields` keeps, for each
segment, where its column's records are in which open file (Whoosh's own column reader
found them when the segment was opened) and reads a record with one `os.pread`, then
decompresses and unpickles it as Whoosh does: the same dict, with the same check that each
field is still in the schema. A segment read some other way (a memory map, a file in memory,
another column type) is read by Whoosh as before.
"""

from __future__ import annotations

import os
import pickle
import threading
import zlib
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from whoosh.codec.whoosh3 import STORED_COLUMN
from whoosh.columns import CompressedBytesColumn, PickleColumn
from whoosh.filedb.compound import SubFile
from whoosh.filedb.structfile import StructFile


@dataclass
class _Column:
    """One segment's `_stored` column: record i is `lengths[i]` bytes at `base +
    offsets[i]` in the file `fileno`."""

    fileno: int
    base: int
    offsets: Any  # array.array, as Whoosh read it
    lengths: Any
    schema: Any
    inside: set[str] = field(default_factory=set)  # names of stored fields in the schema
    outside: set[str] = field(default_factory=set)  # and not in it (a field removed)


class StoredFields:
    """The stored fields of the documents of a reader's segments (`leaves`: (segment
    reader, number of its first document)), as `IndexReader.stored_fields` gives them.

    Records are read by position, so one `StoredFields` serves every thread. A record it
    cannot read so goes to `fallback(segment number, document in it)` when given (a
    reader of this thread's: Whoosh's reads move a file position), else to the leaf."""

    def __init__(
        self,
        leaves: list[tuple[Any, int]],
        fallback: Callable[[int, int], dict[str, Any]] | None = None,
    ) -> None:
        self._firsts = [first for _, first in leaves]
        self._leaves = [leaf for leaf, _ in leaves]
        self._fallback = fallback
        # Each segment's column is found when a record of it is first asked for: finding
        # it reads the column's offsets (~100,000 at 100,000 documents), which a new
        # generation's first search would otherwise pay for every segment, hits or not.
        # Found under a lock: finding it reads the segment's file through Whoosh.
        self._columns: list[_Column | bool | None] = [False] * len(self._leaves)
        self._finding = threading.Lock()

    def _column_of(self, i: int) -> _Column | None:
        column = self._columns[i]
        if column is False:
            with self._finding:
                column = self._columns[i]
                if column is False:
                    column = self._columns[i] = _column(self._leaves[i])
        return column if isinstance(column, _Column) else None

    def __call__(self, docnum: int) -> dict[str, Any]:
        i = bisect_right(self._firsts, docnum) - 1 if len(self._firsts) > 1 else 0
        leaf, column = self._leaves[i], self._column_of(i)
        local = docnum - self._firsts[i]
        if column is None or leaf.is_closed or not 0 <= local < len(column.lengths):
            if self._fallback is not None and not leaf.is_closed:
                return self._fallback(i, local)
            return leaf.stored_fields(local)  # Whoosh's way (and its errors)
        length = column.lengths[local]
        if not length:
            return {}
        data = zlib.decompress(os.pread(column.fileno, length, column.base + column.offsets[local]))
        if not data:
            return {}
        record = pickle.loads(data)
        if record.keys() <= column.inside:
            return record
        for name in record.keys() - column.inside - column.outside:
            (column.inside if name in column.schema else column.outside).add(name)
        return {name: value for name, value in record.items() if name in column.inside}


def _column(leaf: Any) -> _Column | None:
    """Where a segment's stored records are, or None when it is not a zlib-compressed
    pickle column in a file on disk (or the system cannot read at an offset)."""
    if not hasattr(os, "pread"):  # Windows
        return None
    try:
        pickled = leaf._perdoc._cached_reader("_stored", STORED_COLUMN)
        if type(pickled) is not PickleColumn.Reader:
            return None
        column = pickled._child
        if type(column) is not CompressedBytesColumn.Reader:
            return None
        if column._decompress is not zlib.decompress:
            return None
        dbfile = column._dbfile
        if type(dbfile) is not StructFile:
            return None
        base = column._basepos
        source = dbfile.file
        if type(source) is SubFile:  # a file within the segment's compound file
            base += source._offset
            source = source._file
        fileno = source.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    return _Column(fileno, base, column._offsets, column._lengths, leaf.schema)
