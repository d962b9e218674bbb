"""The index's Whoosh codec: each term's postings stored as arrays that numpy reads as they
are, instead of Whoosh's pickled blocks.

Whoosh's W3 codec writes a term's postings in blocks of 128, each block a pickle of (id gaps,
weights, values). Reading a word found in most documents meant ~650 `pickle.loads` per word
at 100,000 documents, 86% of the slowest searches (docs/performance.md). `ArchiveCodec` keeps
everything else of W3 (segment files, term index, term statistics, columns, stored fields)
and writes each term's postings as one record of little-endian arrays:

    magic (4 bytes), count (u32), weight kind (u8), value kind (u8), 2 pad bytes, value size (u32)
    ids       count x u32: document numbers, ascending
    weights   nothing (all 1.0) | one f32 (all equal) | count x f32
    values    nothing (the format stores none)
              | count x `value size` bytes (fixed-size values)
              | count + 1 offsets (u32) into the bytes that follow (variable-size values)
              | count + 1 offsets (u32) into the positions (u32) that follow (a position
                format: the value is `format.encode(positions)`, so only positions are kept)

Every part starts at a multiple of 4 bytes from the record's start. Whoosh reads records
through `ArrayMatcher` (segment merges, deletions by term, the benchmark's plain-Whoosh
baseline); the search engine reads them with `read_term`, a few `numpy.frombuffer` calls per
term and segment whatever its length. Segments name their codec in the index's table of
contents, so renaming anything here needs a new INDEX_FORMAT.
"""

from __future__ import annotations

import struct
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import numpy as np
from whoosh.codec import base
from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.filedb.filetables import _lengths as _ENTRY_LENGTHS
from whoosh.matching import ListMatcher, ReadTooFar

from archive.search.analysis import PackedPositions

MAGIC = b"AAr1"
_HEADER = struct.Struct("<4sIBBxxI")

WEIGHTS_ONE, WEIGHTS_SAME, WEIGHTS_EACH = 0, 1, 2
VALUES_NONE, VALUES_FIXED, VALUES_BYTES, VALUES_POSITIONS = 0, 1, 2, 3

_LITTLE = sys.byteorder == "little"
_STEP = 1 << 20  # positions moved at a time when a segment is written
_TOKENS_STEP = 1 << 20  # tokens grouped into postings at a time
_U4 = np.dtype("<u4")
_F4 = np.dtype("<f4")


def value_layout(format_: Any) -> tuple[int, int]:
    """How a format's values are stored: (value kind, fixed size)."""
    if type(format_) is PackedPositions:
        return VALUES_POSITIONS, 0
    size = format_.fixed_value_size()
    if size is None or size < 0:
        return VALUES_BYTES, 0
    if size == 0:
        return VALUES_NONE, 0
    return VALUES_FIXED, size


def _le(values: array) -> bytes:
    if not _LITTLE:
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _as_array(typecode: str, values: np.ndarray) -> array:
    """A numpy array of the same machine type as an `array` of `typecode`, as that array."""
    out = array(typecode)
    out.frombytes(values.tobytes())
    return out


# --- writing ----------------------------------------------------------------------------


class TermPostings:
    """One term's postings gathered in memory before they are written: document numbers
    and weights in arrays; values as a list of the format's bytes, or for a position
    format each posting's number of positions and all the positions, in arrays.

    Arrays rather than a tuple per posting: a bulk build holds every posting of a segment
    (millions) until it is written, and writes each array with one `tobytes`."""

    __slots__ = ("counts", "ids", "values", "weights", "words")

    def __init__(self, positions: bool) -> None:
        self.ids = array("I")
        self.weights = array("f")
        self.values: list[Any] | None = None if positions else []
        self.counts = array("I") if positions else None
        self.words = array("I") if positions else None

    def add(self, docnum: int, weight: float, value: Any) -> None:
        """One posting; `value` is a list of positions for a position format."""
        self.ids.append(docnum)
        self.weights.append(weight)
        if self.values is None:
            self.counts.append(len(value))
            self.words.extend(value)
        else:
            self.values.append(value)

    def items(self, format_: Any) -> Iterator[tuple[int, float, Any]]:
        """(document, weight, value) with values as the format's bytes."""
        ids, weights = self.ids.tolist(), self.weights.tolist()
        if self.values is not None:
            yield from zip(ids, weights, self.values, strict=True)
            return
        assert self.counts is not None and self.words is not None
        counts = self.counts.tolist()
        starts = accumulate(counts, initial=0)
        for docnum, weight, start, count in zip(ids, weights, starts, counts, strict=False):
            yield docnum, weight, format_.encode(self.words[start : start + count].tolist())


class FieldPositions:
    """Every posting of one position field of a segment being built, in the order added:
    term numbers, documents, weights, position counts and positions in five arrays.

    A per-term TermPostings costs four appends and a method call per posting; a bulk build
    adds ~230 postings a document. Here a document's text comes as tokens (`add_tokens`:
    each token's term number and position, from analysis.TermNumbers), a few `extend`s a
    document; every `_TOKENS_STEP` tokens they are grouped into postings with numpy, and
    postings are grouped by term once, when the segment is written."""

    __slots__ = (
        "_boosts",
        "_codes",
        "_places",
        "_runs",
        "_sizes",
        "counts",
        "ids",
        "terms",
        "tids",
        "weights",
        "words",
    )

    def __init__(self) -> None:
        self.terms: dict[str, int] = {}
        self.tids = array("I")
        self.ids = array("I")
        self.weights = array("f")
        self.counts = array("I")
        self.words = array("I")
        self._new_tokens()

    def _new_tokens(self) -> None:
        # Tokens not yet grouped: code (term number + 1) and position of each; per document
        # (a run), its number, token count and boost.
        self._codes = array("I")
        self._places = array("I")
        self._runs = array("I")
        self._sizes = array("I")
        self._boosts = array("d")

    def __len__(self) -> int:
        return len(self.terms)

    def add_tokens(
        self, docnum: int, codes: Iterable[int], positions: Iterable[int], boost: float
    ) -> int:
        """One document's tokens: each token's term number + 1 (as in `terms`) and its
        position, a term's positions in ascending order. Each posting's weight is its
        frequency times `boost`. Returns the document's length (its number of tokens)."""
        before = len(self._codes)
        self._codes.extend(codes)
        self._places.extend(positions)
        size = len(self._codes) - before
        if size:
            self._runs.append(docnum)
            self._sizes.append(size)
            self._boosts.append(boost)
            if len(self._codes) >= _TOKENS_STEP:
                self._group_tokens()
        return size

    def _group_tokens(self) -> None:
        """The tokens added so far as postings, appended in document order: per document,
        one posting a term, its positions in the order added."""
        if not self._runs:
            return
        sizes = np.frombuffer(self._sizes, np.uint32)
        runs = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
        key = (runs << 32) | np.frombuffer(self._codes, np.uint32)
        del runs
        order = np.argsort(key, kind="stable")
        key = key[order]
        starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
        counts = np.diff(np.append(starts, len(key)))
        key = key[starts]
        run = key >> 32
        tids = (key & 0xFFFFFFFF) - 1
        # Weights as SegmentWriter gives them: frequency x boost in double, stored as f32.
        weights = counts * np.frombuffer(self._boosts, np.float64)[run]
        self.tids.extend(_as_array("I", tids.astype(np.uint32)))
        self.ids.extend(_as_array("I", np.frombuffer(self._runs, np.uint32)[run]))
        self.weights.extend(_as_array("f", weights.astype(np.float32)))
        self.counts.extend(_as_array("I", counts.astype(np.uint32)))
        self.words.extend(_as_array("I", np.frombuffer(self._places, np.uint32)[order]))
        del order, key, run, sizes
        self._new_tokens()

    def add(self, term: str, docnum: int, weight: float, positions: list[int]) -> None:
        """One posting (segment merges; values that are not a plain text)."""
        self._group_tokens()
        terms = self.terms
        self.tids.append(terms.setdefault(term, len(terms)))
        self.ids.append(docnum)
        self.weights.append(weight)
        self.counts.append(len(positions))
        self.words.extend(positions)

    def sorted_terms(self) -> Iterator[tuple[bytes, TermPostings]]:
        """(term, its postings) in term order, each term's postings in the order added
        (document order: documents are added in order, and a merge adds them after).

        Consumes the buffer: each array is let go once its postings are in term order, so
        that a segment's postings are not held twice over while it is written."""
        self._group_tokens()
        if not self.terms:
            return
        # Views of an array are dropped before it is let go (a view keeps it in memory).
        order = np.argsort(np.frombuffer(self.tids, np.uint32), kind="stable")
        if len(order) < 2**31:
            order = order.astype(np.int32)
        bounds = np.zeros(len(self.terms) + 1, np.int64)
        terms = np.frombuffer(self.tids, np.uint32)
        np.cumsum(np.bincount(terms, minlength=len(self.terms)), out=bounds[1:])
        del terms
        self.tids = array("I")
        # Offsets into the positions; 32-bit unless a segment has 2**31 of them.
        index = np.int32 if len(self.words) < 2**31 else np.int64
        starts = np.zeros(len(order) + 1, index)
        np.cumsum(np.frombuffer(self.counts, np.uint32), dtype=index, out=starts[1:])
        counts = np.frombuffer(self.counts, np.uint32)[order]
        self.counts = array("I")
        offsets = np.zeros(len(order) + 1, index)
        np.cumsum(counts, dtype=index, out=offsets[1:])
        # Each posting's positions, moved from where they were added to their place in order.
        # Built in place and in steps: at 25,000 documents a segment has ~8 million.
        first = starts[:-1][order]
        del starts
        first -= offsets[:-1]
        gather = np.repeat(first, counts)
        del first
        for at in range(0, len(gather), _STEP):
            gather[at : at + _STEP] += np.arange(at, min(at + _STEP, len(gather)), dtype=index)
        words = np.frombuffer(self.words, np.uint32)[gather]
        del gather
        self.words = array("I")
        ids = np.frombuffer(self.ids, np.uint32)[order]
        self.ids = array("I")
        weights = np.frombuffer(self.weights, np.float32)[order]
        self.weights = array("f")
        del order
        # Back to `array`s, each term's postings a slice of them written as any TermPostings:
        # numpy's cost per call would be paid again for each of the many rare terms.
        first_posting, first_word = bounds.tolist(), offsets[bounds].tolist()
        del bounds, offsets
        ids, weights = _as_array("I", ids), _as_array("f", weights)
        counts, words = _as_array("I", counts), _as_array("I", words)
        for term, tid in sorted(self.terms.items()):
            a, b = first_posting[tid], first_posting[tid + 1]
            postings = TermPostings(True)
            postings.ids = ids[a:b]
            postings.weights = weights[a:b]
            postings.counts = counts[a:b]
            postings.words = words[first_word[tid] : first_word[tid + 1]]
            yield term.encode("utf-8"), postings


class ArrayPostingsWriter(base.PostingsWriter):
    """Writes each term's postings as one array record (see the module doc).

    Whoosh's writers add postings one at a time (`add_posting`, values as the format's
    bytes); archive.search.segment_writer hands a whole term over at once (`add_term`), which is
    what makes a bulk build cheap.
    """

    def __init__(self, postfile: Any) -> None:
        self._postfile = postfile
        self._format: Any = None
        self._terminfo: Any = None
        self._postings = TermPostings(False)
        self._lengths: list[int] = []
        self._kind = VALUES_NONE
        self._size = 0
        # Where the next record goes: asked of the file once (`tell` is a system call), then
        # counted; nothing else writes to a field's postings while its terms are written.
        self._offset: int | None = None

    def written(self) -> bool:
        return False

    def start_postings(self, format_: Any, terminfo: Any) -> None:
        if self._terminfo is not None:
            raise RuntimeError("start_postings called inside a term")
        self._format = format_
        self._terminfo = terminfo
        self._kind, self._size = value_layout(format_)
        self._postings = TermPostings(self._kind == VALUES_POSITIONS)
        self._lengths = []

    def add_posting(self, id_: int, weight: float, vbytes: Any, length: int | None = None) -> None:
        if self._kind == VALUES_POSITIONS:
            vbytes = self._format.decode_positions(vbytes)
        self._postings.add(id_, weight, vbytes)
        if length:
            self._lengths.append(length)

    def add_term(self, postings: TermPostings, lengths: Sequence[Any] | None) -> None:
        """A whole term, in document order (positions as counts and words for a position
        format); `lengths` gives each document's field length (None for fields without
        lengths), for the term's length statistics."""
        self._postings = postings
        if lengths is not None:
            self._lengths = [n for n in map(lengths.__getitem__, postings.ids) if n]

    def finish_postings(self) -> Any:
        terminfo = self._terminfo
        postfile = self._postfile
        start = postfile.tell() if self._offset is None else self._offset
        record = self._record()
        postfile.write(record)
        self._offset = start + len(record)
        # The statistics W3TermInfo.add_block gathers block by block.
        ids, weights = self._postings.ids, self._postings.weights
        terminfo._weight = float(sum(weights))
        terminfo._df = len(ids)
        terminfo._maxweight = max(max(weights, default=0), 0)
        terminfo._minlength = min(self._lengths) if self._lengths else None
        terminfo._maxlength = max(self._lengths) if self._lengths else 0
        terminfo._minid = ids[0] if ids else None
        terminfo._maxid = ids[-1] if ids else 0
        terminfo.set_extent(start, len(record))
        self._terminfo = None
        self._postings = TermPostings(False)
        self._lengths = []
        return terminfo

    def _record(self) -> bytes:
        postings = self._postings
        weights = postings.weights
        count = len(postings.ids)
        first = weights[0] if count else 1.0
        if weights.count(first) == count:
            weight_kind = WEIGHTS_ONE if first == 1.0 else WEIGHTS_SAME
        else:
            weight_kind = WEIGHTS_EACH
        kind, size = self._kind, self._size
        parts = [_HEADER.pack(MAGIC, count, weight_kind, kind, size), _le(postings.ids)]
        if weight_kind == WEIGHTS_SAME:
            parts.append(_le(array("f", [first])))
        elif weight_kind == WEIGHTS_EACH:
            parts.append(_le(weights))
        if kind == VALUES_POSITIONS:
            assert postings.counts is not None and postings.words is not None
            parts.append(_le(array("I", accumulate(postings.counts, initial=0))))
            parts.append(_le(postings.words))
        elif kind in (VALUES_FIXED, VALUES_BYTES):
            values = postings.values or []
            if kind == VALUES_BYTES:
                parts.append(_le(array("I", accumulate(map(len, values), initial=0))))
            parts.append(b"".join(values))
        return b"".join(parts)


# --- reading ----------------------------------------------------------------------------


@dataclass
class TermArrays:
    """One term's postings in one segment, as arrays over the record's bytes.

    `offsets` (count + 1) delimit each posting's value in `data`: its positions (u32) for a
    position format, its bytes (u8) for variable-size values; None when values were not
    read or the format has none (fixed-size values are `data` in `value_size` slices)."""

    ids: np.ndarray
    weights: np.ndarray
    value_kind: int = VALUES_NONE
    value_size: int = 0
    offsets: np.ndarray | None = None
    data: np.ndarray | None = None


def extent(terminfo: Any) -> tuple[int, int]:
    """Where a term's postings are (offset, length). W3TermInfo.from_bytes leaves the
    length as a 1-tuple."""
    offset, length = terminfo.extent()
    return offset, length[0] if isinstance(length, tuple) else length


def read_term(
    postfile: Any, offset: int, length: int, count: int, values: bool
) -> TermArrays | None:
    """The record at `offset` (`length` bytes, `count` postings) as arrays, its values only
    if asked (they are the bulk of a word's record, and most searches need none); None if
    the postings there are not an array record (another codec wrote them)."""
    # Ids and weights take at most 8 bytes a posting: one read covers them whatever the
    # weight kind, without the values that follow.
    raw = postfile.get(offset, length if values else min(length, _HEADER.size + 8 * count))
    if raw[:4] != MAGIC:
        return None
    _, count, weight_kind, kind, size = _HEADER.unpack_from(raw)
    at = _HEADER.size
    ids = np.frombuffer(raw, _U4, count, at)
    at += 4 * count
    if weight_kind == WEIGHTS_EACH:
        weights = np.frombuffer(raw, _F4, count, at)
        at += 4 * count
    elif weight_kind == WEIGHTS_SAME:
        weights = np.full(count, np.frombuffer(raw, _F4, 1, at)[0], dtype=np.float32)
        at += 4
    else:
        weights = _ones(count)
    found = TermArrays(ids, weights, kind, size)
    if not values or kind == VALUES_NONE:
        return found
    if kind == VALUES_FIXED:
        found.data = np.frombuffer(raw, np.uint8, count * size, at)
        return found
    found.offsets = np.frombuffer(raw, _U4, count + 1, at)
    at += 4 * (count + 1)
    if kind == VALUES_POSITIONS:
        found.data = np.frombuffer(raw, _U4, int(found.offsets[-1]), at)
    else:
        found.data = np.frombuffer(raw, np.uint8, int(found.offsets[-1]), at)
    return found


_ONES = np.ones(1 << 16, dtype=np.float32)
_ONES.flags.writeable = False


def _ones(count: int) -> np.ndarray:
    """`count` weights of 1.0: a view of one read-only array (numpy makes a new array in
    ~1 us, a tenth of reading a rare word's postings), new past its size."""
    return _ONES[:count] if count <= len(_ONES) else np.ones(count, dtype=np.float32)


class _Values(Sequence):
    """The values of a term's postings as the format's bytes, decoded when asked for:
    Whoosh reads them one posting at a time, and mostly not at all."""

    def __init__(self, term: TermArrays, format_: Any) -> None:
        self._term = term
        self._format = format_
        self._offsets = term.offsets.tolist() if term.offsets is not None else None

    def __len__(self) -> int:
        return len(self._term.ids)

    def __getitem__(self, i: Any) -> Any:
        term = self._term
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if term.value_kind == VALUES_NONE:
            return None
        if term.value_kind == VALUES_FIXED:
            size = term.value_size
            return term.data[i * size : (i + 1) * size].tobytes()
        assert self._offsets is not None and term.data is not None
        chunk = term.data[self._offsets[i] : self._offsets[i + 1]]
        if term.value_kind == VALUES_POSITIONS:
            return self._format.encode(chunk.tolist())
        return chunk.tobytes()


class ArrayMatcher(ListMatcher):
    """Whoosh's matcher interface over one term's arrays: the whole list is one block for
    Whoosh's block-quality skipping, and `skip_to` is a binary search."""

    def __init__(
        self,
        ids: list[int],
        weights: list[float],
        values: Any,
        format_: Any,
        scorer: Any = None,
        position: int = 0,
        term: Any = None,
        terminfo: Any = None,
    ) -> None:
        super().__init__(
            ids, weights, values, format_, scorer, position, term=term, terminfo=terminfo
        )
        self.format = format_

    def copy(self) -> ArrayMatcher:
        return ArrayMatcher(
            self._ids,
            self._weights,
            self._values,
            self._format,
            self._scorer,
            self._i,
            self._term,
            self._terminfo,
        )

    def skip_to(self, id: int) -> None:
        if not self.is_active():
            raise ReadTooFar
        if id > self._ids[self._i]:
            self._i = bisect_left(self._ids, id, self._i)

    def value(self) -> Any:
        return self._values[self._i]

    def block_max_weight(self) -> float:
        # ListMatcher takes max() over the list on every call; the term's statistics have it.
        if self._terminfo is not None:
            return self._terminfo.max_weight()
        return super().block_max_weight()

    def skip_to_quality(self, minquality: float) -> int:
        # One block: either all of it can score above `minquality`, or none of it.
        if self.block_quality() <= minquality:
            self._i = len(self._ids)
            return 1
        return 0


class _TermTableWriter(OrderedHashWriter):
    """Whoosh's term table writer, counting where each entry goes instead of asking the
    file twice a term (`tell`, a system call each time): only this writer writes to the
    term table's file while terms are added, so the count is the file's position."""

    _at: int | None = None

    def add(self, key: bytes, value: bytes) -> None:
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        dbfile = self.dbfile
        pos = dbfile.tell() if self._at is None else self._at
        self.index.append(pos)
        dbfile.write(_ENTRY_LENGTHS.pack(len(key), len(value)))
        dbfile.write(key)
        dbfile.write(value)
        hashed = self.hashfn(key)
        self.buckets[hashed & 255].append((hashed, pos))
        self._at = pos + _ENTRY_LENGTHS.size + len(key) + len(value)
        self.lastkey = key


class ArchiveCodec(W3Codec):
    """W3 with array posting records (see the module doc). Vector postings, which the
    archive does not use, stay W3's."""

    def field_writer(self, storage: Any, segment: Any) -> Any:
        writer = super().field_writer(storage, segment)
        # The same table, written by a writer that counts (see _TermTableWriter); its
        # header is written already.
        if type(writer._tindex) is OrderedHashWriter:
            writer._tindex.__class__ = _TermTableWriter
        return writer

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        if byteids:
            return super().postings_writer(dbfile, byteids)
        return ArrayPostingsWriter(dbfile)

    def postings_reader(
        self,
        dbfile: Any,
        terminfo: Any,
        format_: Any,
        term: Any = None,
        scorer: Any = None,
    ) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term, scorer)
        offset, length = extent(terminfo)
        arrays = read_term(dbfile, offset, length, terminfo.doc_frequency(), values=True)
        if arrays is None:
            return W3LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
        return ArrayMatcher(
            arrays.ids.tolist(),
            arrays.weights.tolist(),
            _Values(arrays, format_),
            format_,
            scorer,
            term=term,
            terminfo=terminfo,
        )
