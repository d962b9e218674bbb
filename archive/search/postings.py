"""A word's postings read straight from the codec's array records, as numpy arrays.

Whoosh hands out postings through a matcher, one at a time; the engine wants all of a word's
postings in one segment at once, as arrays it can combine with the others (BM25 over every
matching document, phrase matching over positions). `read_leaf_postings` reads the array
record `codec` wrote in one step (and falls back to Whoosh's matcher for anything else);
`PositionLists` keeps the positions of many postings in three flat arrays, and
`position_keys` / `contains_sorted` match phrases over them without a Python loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from whoosh.reading import TermNotFound

from archive.errors import BadQuery
from archive.search.codec import VALUES_POSITIONS, TermArrays, extent, read_term
from archive.search.terms import SegmentFiles

EMPTY_IDS = np.zeros(0, dtype=np.int64)
EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)
_EMPTY_WORDS = np.zeros(0, dtype=np.uint32)
_NO_OFFSETS = np.zeros(1, dtype=np.int64)
POSITION_BITS = 24  # positions within a document stay below 2**24


@dataclass
class PositionLists:
    """Word positions of a list of postings: posting i's are
    `words[offsets[i] : offsets[i + 1]]`. The offsets are the codec's as they are read (a
    phrase looks up those of its candidates only: turning every posting's into starts and
    counts cost two passes over a common word's 20,000 postings a segment)."""

    offsets: np.ndarray  # one more than there are postings, ascending
    words: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def starts(self) -> np.ndarray:
        return self.offsets[:-1].astype(np.int64)

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets).astype(np.int64)

    @classmethod
    def join(cls, parts: list[PositionLists]) -> PositionLists:
        if not parts:
            return cls(_NO_OFFSETS, _EMPTY_WORDS)
        if len(parts) == 1:
            return parts[0]
        sizes = np.array([len(p.words) for p in parts], dtype=np.int64)
        bases = np.cumsum(sizes) - sizes
        starts = [
            p.offsets[:-1].astype(np.int64) + base for p, base in zip(parts, bases, strict=True)
        ]
        return cls(
            np.concatenate([*starts, sizes.sum(keepdims=True)]),
            np.concatenate([p.words for p in parts]),
        )

    @classmethod
    def from_lists(cls, lists: list[list[int]]) -> PositionLists:
        counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        offsets = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        words = np.fromiter(chain.from_iterable(lists), dtype=np.uint32, count=int(offsets[-1]))
        return cls(offsets, words)


@dataclass
class PositionParts:
    """The positions of a word's postings in several segments, kept segment by segment:
    joining them would copy every position of a common word (~270,000 at 100,000
    documents, a third of a phrase's time), when a phrase reads those of its candidates
    only. Part i holds the positions of postings `firsts[i]` to `firsts[i + 1]`."""

    parts: list[PositionLists]
    firsts: np.ndarray

    @classmethod
    def of(cls, parts: list[PositionLists]) -> PositionParts:
        counts = [len(p) for p in parts]
        firsts = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum(counts, out=firsts[1:])
        return cls(parts, firsts)

    @property
    def size(self) -> int:
        """How many positions, all postings together."""
        return sum(len(p.words) for p in self.parts)


@dataclass
class Postings:
    """A word's postings in one field: document numbers, weights (term frequency x the
    field's boost) and, when read for a phrase, their positions."""

    ids: np.ndarray
    weights: np.ndarray
    positions: PositionLists | PositionParts | None = None


def read_leaf_postings(reader: Any, fieldname: str, btext: bytes, values: bool) -> Postings:
    """All postings of a term in one segment: the codec's array record read as it is
    (archive.search.codec), positions included if `values`."""
    terms = reader._terms
    try:
        info = terms.term_info(fieldname, btext)
    except TermNotFound:
        return Postings(EMPTY_IDS, EMPTY_WEIGHTS, PositionLists.join([]) if values else None)
    found = None
    if not info.is_inlined():
        offset, length = extent(info)
        found = read_term(terms._postfile, offset, length, info.doc_frequency(), values)
    if found is None:  # not an array record: Whoosh's own (slow) iteration
        matcher = terms.matcher(fieldname, btext, reader.schema[fieldname].format)
        return _generic_postings(matcher, reader.schema[fieldname].format, values)
    return _as_postings(found, fieldname, values)


def read_postings(
    segments: Sequence[tuple[SegmentFiles | None, int]],
    fieldname: str,
    btext: bytes,
    values: bool,
    leaf: Callable[[int], Any],
) -> Postings:
    """All postings of a term in the index's `segments` (each one's term table and files,
    and its first document number), in document order: found in each segment's table and
    read by position (archive.search.terms), or read through Whoosh's reader `leaf(i)` of
    segment i where it has no table or the postings are no array record. The same
    postings as `read_leaf_postings` segment after segment, without Whoosh's readers."""
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    positions: list[PositionLists] = []
    hashed: dict[bytes, int] = {}
    for i, (files, offset) in enumerate(segments):
        found = None
        if files is not None:
            term = files.term(fieldname, btext, hashed)
            if term is None:
                continue
            if not term.inlined:
                found = read_term(files, term.offset, term.length, term.count, values)
        if found is None:  # no table, or postings only Whoosh reads
            postings = read_leaf_postings(leaf(i), fieldname, btext, values)
            part_ids, part_weights = postings.ids, postings.weights
            part_positions = postings.positions
        else:
            part_ids, part_weights = found.ids, found.weights
            part_positions = _positions(found, fieldname) if values else None
        if not len(part_ids):
            continue
        ids.append(
            np.add(part_ids, offset, dtype=np.int64) if offset else part_ids.astype(np.int64)
        )
        weights.append(part_weights)
        if isinstance(part_positions, PositionLists):
            positions.append(part_positions)
    if not ids:
        return Postings(EMPTY_IDS, EMPTY_WEIGHTS, PositionParts.of([]) if values else None)
    return Postings(
        ids[0] if len(ids) == 1 else np.concatenate(ids),
        weights[0] if len(weights) == 1 else np.concatenate(weights),
        PositionParts.of(positions) if values else None,
    )


def _positions(found: TermArrays, fieldname: str) -> PositionLists:
    if found.value_kind != VALUES_POSITIONS:
        raise BadQuery(f"{fieldname} holds no word positions")
    assert found.offsets is not None and found.data is not None
    return PositionLists(found.offsets, found.data)


def _as_postings(found: TermArrays, fieldname: str, values: bool) -> Postings:
    positions = _positions(found, fieldname) if values else None
    return Postings(found.ids.astype(np.int64), found.weights, positions)


def _generic_postings(matcher: Any, format_: Any, values: bool) -> Postings:
    ids_list, weights_list, positions = [], [], []
    while matcher.is_active():
        ids_list.append(matcher.id())
        weights_list.append(matcher.weight())
        if values:
            positions.append(format_.decode_positions(matcher.value()))
        matcher.next()
    return Postings(
        np.asarray(ids_list, dtype=np.int64),
        np.asarray(weights_list, dtype=np.float32),
        PositionLists.from_lists(positions) if values else None,
    )


def position_keys(positions: PositionLists | PositionParts, where: np.ndarray) -> np.ndarray:
    """(candidate number, position) pairs as one int64 each, sorted, for vectorised
    matching: the positions p of the postings at `where` (sorted; candidate k at where[k])
    become k << POSITION_BITS | p. Gathered from the flat position array in one step, or
    from each segment's in turn."""
    if isinstance(positions, PositionParts):
        cuts = np.searchsorted(where, positions.firsts)
        keys = [
            _keys(part, where[a:b] - first) + (int(a) << POSITION_BITS)
            for part, first, a, b in zip(
                positions.parts, positions.firsts.tolist(), cuts[:-1], cuts[1:], strict=False
            )
            if b > a
        ]
        if not keys:
            return np.zeros(0, dtype=np.int64)
        return keys[0] if len(keys) == 1 else np.concatenate(keys)
    return _keys(positions, where)


def _keys(positions: PositionLists, where: np.ndarray) -> np.ndarray:
    starts = positions.offsets[where].astype(np.int64)
    counts = positions.offsets[where + 1] - starts
    ends = np.cumsum(counts)
    # Index of every wanted position in `words`: each candidate's run, laid end to end.
    index = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64)
    index += np.repeat(starts - (ends - counts), counts)
    owners = np.repeat(np.arange(len(where), dtype=np.int64) << POSITION_BITS, counts)
    return owners + positions.words[index]


def contains_sorted(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Which of `keys` are in `sorted_keys` (binary search; both may be large)."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    at = np.searchsorted(sorted_keys, keys)
    at[at == len(sorted_keys)] = 0
    return sorted_keys[at] == keys
