"""Each segment's term dictionary in memory, looked up without Whoosh's hash-file layers.

A search looks a word up per field, per language and per segment: 20-50 lookups for a one-
or two-word query over four segments. Whoosh finds a term through its hash file
(`filetables.HashReader.ranges_for_key`): the key's md5, then slot by slot through the
file, every read a seek and a read through the compound file's layers, ~70 us a lookup at
100,000 documents (0.6 of the 3.3 s that 400 plain searches took in a cProfile), most of
them for words a segment does not have. A Python dict of a segment's terms was measured
and refused (87,000 terms a segment, 12.5 MB and ~2 s to load each).

`TermTable` keeps what Whoosh's own hash tables at the end of the term file hold, the md5
hash of every key and where its entry is, as two sorted numpy arrays: 8 bytes a term (2.8
MB for the four segments at 100,000 documents), read in one piece when a segment is first
opened (~10 ms a segment). A lookup is the key's md5 and a binary search; a word the
segment lacks ends there, nearly always (its hash is absent), and a hash found is checked
by reading the entry itself, its key compared byte for byte, with one positioned read
(`os.pread`) of the segment's file. Positioned reads take no file position, so every thread
reads through the same open file (`SegmentFiles`) without a lock.

Answers are Whoosh's: the same entries (the same keys, looked up in the same file), the
same term information (W3TermInfo's bytes, of which the postings' place and count are
read). A segment whose files this cannot read by position (memory-mapped, in memory) has no
table, and the engine reads it through Whoosh as before.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.filedb.compound import SubFile
from whoosh.filedb.filetables import _lengths as _ENTRY_LENGTHS
from whoosh.filedb.filetables import _pointer as _SLOT
from whoosh.filedb.filetables import md5_hash

_FIELD = struct.Struct("!H")  # a key starts with its field's number (W3TermsReader)
_INFO = W3TermInfo._struct  # flags, weight, doc frequency, lengths, max weight, ids
_EXTENT = struct.Struct("!qi")  # where the postings are, after the info: offset, length
_SLOTS = np.dtype([("hash", ">u4"), ("place", ">i8")])
# An entry is read in one go when its key and term information fit: the information of an
# array record is 35 bytes (info, offset, length); more only for inlined postings.
_ENTRY_SLACK = _INFO.size + _EXTENT.size


def _md5_hash(key: bytes) -> int:
    """Whoosh's md5_hash (the low 32 bits of the digest as a number), without its hex."""
    return int.from_bytes(hashlib.md5(key, usedforsecurity=False).digest()[-4:], "big")


class Term(NamedTuple):
    """A term found in a segment: its postings' place in the postings file (offset,
    length) and how many there are; `inlined` when Whoosh keeps them in the term
    information instead (the archive's codec never does; Whoosh's reader reads those)."""

    offset: int
    length: int
    count: int
    inlined: bool = False


@dataclass(frozen=True)
class TermTable:
    """One segment's term keys as sorted md5 hashes (`hashes`) and where each key's entry
    starts in the term file (`places`); `fields` numbers the segment's fields in keys."""

    fields: dict[str, int]
    hashes: np.ndarray
    places: np.ndarray

    @classmethod
    def load(cls, reader: Any) -> TermTable | None:
        """The table of a segment reader's term file, read from Whoosh's hash tables at its
        end; None when the file is not Whoosh's md5 hash file."""
        terms = getattr(reader, "_terms", None)
        index = getattr(terms, "_tindex", None)
        if index is None or getattr(index, "hashfn", None) is not md5_hash:
            return None
        tables = index.tables  # (position, slots) of each of the 256 hash tables, in order
        start = tables[0][0]
        end = tables[-1][0] + tables[-1][1] * _SLOT.size
        if end < start:
            return None
        slots = np.frombuffer(index.dbfile.get(start, end - start), dtype=_SLOTS)
        used = slots["place"] != 0  # 0 marks an empty slot (no entry starts at 0)
        hashes = slots["hash"][used].astype(np.uint32)
        places = slots["place"][used]
        order = np.argsort(hashes, kind="stable")
        places = places[order]
        kind = np.uint32 if len(places) and places.max() < 2**32 else np.int64
        return cls(dict(terms._fieldmap), hashes[order], places.astype(kind))

    @property
    def nbytes(self) -> int:
        return self.hashes.nbytes + self.places.nbytes


def _file_place(structfile: Any) -> tuple[Any, int] | None:
    """The real file under a Whoosh file and where the Whoosh file starts in it: a file
    of a compound segment is a span of the segment's file."""
    inner = getattr(structfile, "file", None)
    if isinstance(inner, SubFile):
        parent = getattr(inner._file, "file", inner._file)
        return (parent, inner._offset) if hasattr(parent, "fileno") else None
    return (inner, 0) if hasattr(inner, "fileno") else None


@dataclass(frozen=True)
class SegmentFiles:
    """A segment's term table with the open file of one generation's reader that holds
    its term and postings files, read by position (any thread, no lock)."""

    table: TermTable
    fd: int
    terms_at: int  # where the term file starts in the file
    postings_at: int  # where the postings file starts

    @classmethod
    def of(cls, table: TermTable | None, reader: Any) -> SegmentFiles | None:
        """`table` with the files of segment `reader` (which must stay open while this is
        used); None when they cannot be read by position (or the system has no pread)."""
        if table is None or not hasattr(os, "pread"):
            return None
        terms = reader._terms
        found_terms = _file_place(terms._dbfile)
        found_postings = _file_place(terms._postfile)
        if found_terms is None or found_postings is None:
            return None
        (terms_file, terms_at), (postings_file, postings_at) = found_terms, found_postings
        if terms_file is not postings_file:
            return None
        return cls(table, terms_file.fileno(), terms_at, postings_at)

    def read(self, at: int, size: int) -> bytes:
        """`size` bytes of the file at `at`; EOFError when the file ends before (a damaged
        segment: the engine reports it as such)."""
        data = os.pread(self.fd, size, at)
        if len(data) < size:
            raise EOFError(f"the index file ends {size - len(data)} bytes early")
        return data

    def get(self, offset: int, size: int) -> bytes:
        """`size` bytes of the postings file at `offset` (as Whoosh's `StructFile.get`)."""
        return self.read(self.postings_at + offset, size)

    def term(
        self, fieldname: str, btext: bytes, hashed: dict[bytes, int] | None = None
    ) -> Term | None:
        """Where the postings of `btext` in `fieldname` are; None when the segment does
        not have the term. `hashed` keeps the keys' hashes for the next segments (whose
        keys are the same where they number their fields alike)."""
        table = self.table
        number = table.fields.get(fieldname)
        if number is None:
            return None
        key = _FIELD.pack(number) + btext
        wanted = hashed.get(key) if hashed is not None else None
        if wanted is None:
            wanted = _md5_hash(key)
            if hashed is not None:
                hashed[key] = wanted
        hashes = table.hashes
        # A numpy scalar: a Python int makes searchsorted convert the whole array (~17 us).
        i = int(hashes.searchsorted(np.uint32(wanted)))
        while i < len(hashes) and hashes.item(i) == wanted:
            found = self._entry(table.places.item(i), key)
            if found is not None:
                return found
            i += 1
        return None

    def _entry(self, place: int, key: bytes) -> Term | None:
        """The term at `place` of the term file if its key is `key`."""
        at = self.terms_at + place
        head = _ENTRY_LENGTHS.size + len(key)
        data = os.pread(self.fd, head + _ENTRY_SLACK, at)
        if len(data) < _ENTRY_LENGTHS.size:
            raise EOFError("the index's term file ends early")
        keylen, datalen = _ENTRY_LENGTHS.unpack_from(data)
        if keylen != len(key):
            return None
        if len(data) < head + datalen:
            data = self.read(at, head + datalen)
        if data[_ENTRY_LENGTHS.size : head] != key:
            return None
        flags, _, count, *_ = _INFO.unpack_from(data, head)
        if flags:
            return Term(0, 0, count, inlined=True)
        offset, length = _EXTENT.unpack_from(data, head + _INFO.size)
        return Term(offset, length, count)
