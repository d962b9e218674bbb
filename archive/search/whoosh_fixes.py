"""Corrections to whoosh-reloaded 2.7.5 that the archive depends on, applied on import.

`W3PerDocReader._cached_reader` caches a field's length-column reader only when the column
exists. Fields without lengths (keywords, the spelling words) therefore stat the file system
once per posting when a segment is written: 2.4 million `os.stat` calls for 2,000 documents,
half the build time. Segments never gain columns, so remembering "no column" is safe.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec import whoosh3
from whoosh.util.numeric import byte_to_length


def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
    readers = self._readers
    if fieldname not in readers:
        readers[fieldname] = (
            self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        )
    return readers[fieldname]


whoosh3.W3PerDocReader._cached_reader = _cached_reader


# `doc_field_length` is called once per posting while a segment is written (for the block
# statistics), each call a seek and a read of one byte. Reading the column once per field
# and answering from a list cut the segment flush by a quarter.
def _doc_field_length(self: Any, docnum: int, fieldname: str, default: Any = 0) -> Any:
    cache = self.__dict__.setdefault("_archive_lengths", {})
    lengths = cache.get(fieldname)
    if lengths is None:
        reader = self._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
        if reader is None:
            cache[fieldname] = lengths = ()
        else:
            lengths = cache[fieldname] = [byte_to_length(b) if b else None for b in reader]
    if not lengths:
        return default
    if docnum > self._doccount:
        raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
    return lengths[docnum] if docnum < len(lengths) else None


whoosh3.W3PerDocReader.doc_field_length = _doc_field_length
