"""One generation of the index as arrays: what the engine needs to filter, count and sort
without asking Whoosh document by document.

Whoosh answers "which documents match" through Python iterators, one posting at a time, and
counts facets by reading each matching document's values. At 100,000 documents that is
seconds. A `Snapshot` instead holds, for the index generation one searcher sees:

- the live-document mask (deletions applied),
- for each facet field, every (document, value) pair as two numpy arrays, so that a filter
  is one vectorised lookup, and every facet's values of each document in one table, so that
  counting the values of all facets over any set of documents is one `bincount`,
- each document's issue span as day numbers (range filters, date sort),
- each document's field lengths (BM25 scoring),

built segment by segment: Whoosh segments never change once written (only their deletions
do), so a new snapshot after an update reads only the new segments.

Query trees are evaluated into sets of documents (`Docs`): the sorted document numbers
while a set is small, a boolean mask over the archive once it is large (`SPARSE_SHARE`), so
that a selective query costs what its postings hold, not the archive's size, and a broad
one is combined by the archive's bytes rather than by sorting. Relevance is BM25 (as
Whoosh's default), computed with numpy over the postings of the query's words (read by
archive.search.postings), for the matching documents only when they are few.

A snapshot is shared by every thread that searches: its arrays never change. A word's
postings are found in each segment's term table and read by position (`os.pread`,
archive.search.terms), which takes no file position, so every thread reads through the
generation's open files at once; whatever else a search reads from the index files it
reads through a Whoosh reader of its own thread (`reader()`), because Whoosh's readers
keep one file position per open file and two threads reading at once would read each
other's bytes. Opening a thread's readers costs
~2 ms at 10,000 documents (the segments' files, not the index's table of contents),
once per thread and generation; before, one lock serialised every search of a process.
What a search reads and how long it takes is counted against its limits (`Work`,
archive.search.limits).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.reading import IndexReader, MultiReader, SegmentReader
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from archive.errors import BadQuery
from archive.search.index import FACET_FIELDS, TEXT_FIELDS
from archive.search.limits import Work
from archive.search.postings import (
    EMPTY_IDS,
    POSITION_BITS,
    Postings,
    contains_sorted,
    position_keys,
    read_leaf_postings,
    read_postings,
)
from archive.search.query import DateOverlap
from archive.search.stored import StoredFields
from archive.search.terms import SegmentFiles, TermTable

BM25_B = 0.75
BM25_K1 = 1.2
UNDATED = 0

_LENGTHS = np.array([byte_to_length(i) for i in range(256)], dtype=np.float32)

# A set of documents (`Docs`) is an array of either kind: sorted, distinct document numbers
# (int64), or a boolean mask over every document of the archive. Ids while the set holds
# at most this share of the archive: intersecting, scoring and ordering them then cost what
# they hold; a mask past it, where the archive's bytes cost less than sorting that many ids.
# Both give the same documents, scores and order (tests/test_snapshot_docs.py; 0 makes
# every set a mask, as before ids were kept).
SPARSE_SHARE = 0.05

Docs = np.ndarray
# Finding where many documents are in a word's postings: by binary search up to this share
# of the archive, by counting past it (Snapshot._places; the two cost the same near 8%).
RANK_SHARE = 0.1


def is_ids(docs: Docs) -> bool:
    """Whether `docs` is sorted document numbers (else a mask)."""
    return docs.dtype != np.bool_


def count(docs: Docs) -> int:
    return len(docs) if is_ids(docs) else int(np.count_nonzero(docs))


def as_mask(docs: Docs, size: int) -> np.ndarray:
    """`docs` as a mask over `size` documents (a mask is returned as it is, not copied)."""
    if not is_ids(docs):
        return docs
    mask = np.zeros(size, dtype=bool)
    mask[docs] = True
    return mask


def as_ids(docs: Docs) -> np.ndarray:
    return docs if is_ids(docs) else np.flatnonzero(docs)


def restrict(docs: Docs, mask: np.ndarray) -> Docs:
    """The documents of `docs` that `mask` holds (a new array)."""
    return docs[mask[docs]] if is_ids(docs) else docs & mask


def remove(docs: Docs, mask: np.ndarray) -> Docs:
    """The documents of `docs` that `mask` does not hold (a new array)."""
    return docs[~mask[docs]] if is_ids(docs) else docs & ~mask


def distinct_sorted(ids: np.ndarray) -> np.ndarray:
    """A sorted array without its repeats (np.unique without its sort)."""
    if len(ids) < 2:
        return ids
    keep = np.empty(len(ids), dtype=bool)
    keep[0] = True
    np.not_equal(ids[1:], ids[:-1], out=keep[1:])
    return ids[keep]


@dataclass
class SegmentData:
    """What the engine keeps of one segment: facet pairs, dates, field lengths."""

    doc_count: int
    ids: list[str]
    facets: dict[str, tuple[list[str], np.ndarray, np.ndarray]]
    earliest: np.ndarray
    latest: np.ndarray
    lengths: dict[str, np.ndarray]
    terms: TermTable | None = None  # its term dictionary (archive.search.terms)


def _column_array(column: Any, count: int, dtype: str) -> np.ndarray:
    """A fixed-width numeric column as an array, read in one piece where the column is the
    plain kind (Whoosh stores those as consecutive big-endian values); otherwise value by
    value. Documents past the column's end hold 0, as in Whoosh."""
    out = np.zeros(count, dtype=np.int64)
    if column is None:
        return out
    inner = getattr(column, "_child", column)
    raw = getattr(inner, "_dbfile", None)
    if raw is not None and hasattr(inner, "_fixedlen") and hasattr(inner, "_count"):
        data = raw.get(inner._basepos, inner._count * inner._fixedlen)
        values = np.frombuffer(data, dtype=dtype).astype(np.int64)
        out[: len(values)] = values
        return out
    return np.fromiter((column[i] or 0 for i in range(count)), dtype=np.int64, count=count)


def _column(reader: Any, fieldname: str) -> Any:
    return reader.column_reader(fieldname) if reader.has_column(fieldname) else None


def load_segment(reader: Any) -> SegmentData:
    """Read one segment's facet pairs, dates and lengths (once per segment per process)."""
    count = reader.doc_count_all()
    facets = {}
    for name in FACET_FIELDS:
        values: list[str] = []
        docs: list[np.ndarray] = []
        ords: list[np.ndarray] = []
        for btext in reader.lexicon(name):
            postings = read_leaf_postings(reader, name, btext, values=False)
            ords.append(np.full(len(postings.ids), len(values), dtype=np.int32))
            docs.append(postings.ids.astype(np.int32))
            values.append(btext.decode("utf-8"))
        seg_docs = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int32)
        seg_ords = np.concatenate(ords) if ords else np.zeros(0, dtype=np.int32)
        # In document order, so that the snapshot's pairs are too (see FacetArrays).
        order = np.argsort(seg_docs, kind="stable")
        facets[name] = (values, seg_docs[order], seg_ords[order])
    lengths = {}
    for name in TEXT_FIELDS:
        column = reader._perdoc._cached_reader(_lenfield(name), LENGTHS_COLUMN)
        lengths[name] = _LENGTHS[_column_array(column, count, "u1")]
    id_column = reader.column_reader("id")
    ids = [b.decode("utf-8") if isinstance(b, bytes) else str(b) for b in id_column]
    return SegmentData(
        doc_count=count,
        ids=ids,
        facets=facets,
        earliest=_column_array(_column(reader, "earliest"), count, ">i4").astype(np.int32),
        latest=_column_array(_column(reader, "latest"), count, ">i4").astype(np.int32),
        lengths=lengths,
        terms=TermTable.load(reader),
    )


def _segment_pairs(
    name: str, parts: list[tuple[SegmentData, int, Any]], values: list[str]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The (document, value) pairs of facet `name` in these segments, documents numbered in
    the whole index, in document order: with `values` given, ords index them; with `[]`,
    ords index the returned list of the segments' values (as they come, repeats allowed)."""
    out_values: list[str] = list(values)
    index = {v: i for i, v in enumerate(values)} if values else None
    docs, ords = [], []
    for part, offset, _ in parts:
        seg_values, seg_docs, seg_ords = part.facets[name]
        if not seg_values:
            continue
        if index is not None:
            mapping = np.array([index[v] for v in seg_values], dtype=np.int32)
        else:
            mapping = np.arange(len(out_values), len(out_values) + len(seg_values), dtype=np.int32)
            out_values.extend(seg_values)
        docs.append(seg_docs.astype(np.int64) + offset)
        ords.append(mapping[seg_ords])
    if not docs:
        return out_values, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
    return out_values, np.concatenate(docs), np.concatenate(ords)


@dataclass
class FacetTable:
    """Every facet's values of each document laid end to end, in document order: document
    d's are `codes[starts[d]:starts[d + 1]]`, facet after facet, and code c of facet i
    (`names[i]`) is its value `values[i][c - offsets[i]]`. Counting the eight facets of a
    result is then one gather of the result's pairs and one `bincount` for all of them:
    the pairs of each facet apart (FacetArrays) cost eight of each, and at these sizes
    numpy's calls, not their work, were most of the time. Measured at 100,000 documents,
    all eight facets, random sets of documents: 10 documents 111 -> 19 us, 1,000 201 -> 61
    us, 5,000 1.45 -> 0.32 ms. The codes are 16-bit while the values of all facets fit
    (~5,000 at 100,000 documents): 2 bytes a pair, 2.6 MB besides the per-facet pairs."""

    names: tuple[str, ...]
    values: tuple[list[str], ...]  # each facet's values, the lists of its FacetArrays
    offsets: np.ndarray  # code of each facet's first value; offsets[-1]: codes in all
    starts: np.ndarray
    codes: np.ndarray

    @classmethod
    def build(
        cls,
        facets: dict[str, FacetArrays],
        size: int,
        previous: FacetTable | None = None,
        kept: int = 0,
    ) -> FacetTable:
        """The table of `facets` (over `size` documents). With `previous`, the table of a
        generation whose first `kept` documents are these (see FacetArrays.extended): their
        codes are taken from it (renumbered if values were added), and only the documents
        after them are laid out."""
        names = tuple(facets)
        values = tuple(facets[name].values for name in names)
        offsets = np.zeros(len(names) + 1, dtype=np.int64)
        np.cumsum([len(v) for v in values], out=offsets[1:])
        dtype = np.uint16 if offsets[-1] <= np.iinfo(np.uint16).max + 1 else np.int32
        if previous is None or previous.names != names:
            kept = 0
        starts, codes = _laid_out([facets[name] for name in names], offsets, kept, size, dtype)
        if kept:
            assert previous is not None
            cut = int(previous.starts[kept])
            old = previous.codes[:cut]
            if previous.values != values or not np.array_equal(previous.offsets, offsets):
                # Values were added: the old codes of every facet after them move.
                remap = np.concatenate(
                    [
                        np.array([facets[name].index[v] for v in old_values], dtype=np.int64)
                        + offsets[i]
                        for i, (name, old_values) in enumerate(
                            zip(names, previous.values, strict=True)
                        )
                    ]
                )
                old = remap[old]
            starts = np.concatenate([previous.starts[:kept], starts + cut])
            codes = np.concatenate([old.astype(dtype, copy=False), codes])
        return cls(names, values, offsets, starts, codes)

    def counts(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Documents per value of each facet among `rows` (sorted, distinct document
        numbers), by facet name."""
        # The codes of `rows` only, laid end to end: row i's, starts[i] up to starts[i + 1],
        # go where the run has reached (run_starts[i]).
        first = self.starts[rows]
        lengths = self.starts[rows + 1] - first
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if len(ends) else 0
        positions = np.arange(total) + np.repeat(first - (ends - lengths), lengths)
        counts = np.bincount(self.codes[positions], minlength=int(self.offsets[-1]))
        bounds = self.offsets.tolist()
        return {name: counts[bounds[i] : bounds[i + 1]] for i, name in enumerate(self.names)}


def _laid_out(
    facets: list[FacetArrays], offsets: np.ndarray, first: int, size: int, dtype: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The `starts` and `codes` (see FacetTable) of documents `first` to `size`, numbered
    from `first`: each facet's pairs scattered to where their document's run of codes has
    reached (~11 ms for 1.3 million pairs)."""
    per_facet = [np.diff(arrays.starts[first:]) for arrays in facets]
    starts = np.zeros(size - first + 1, dtype=np.int64)
    np.cumsum(sum(per_facet, np.zeros(size - first, dtype=np.int64)), out=starts[1:])
    codes = np.empty(int(starts[-1]), dtype=dtype)
    reached = starts[:-1].copy()  # where each document's codes of the next facet go
    for arrays, lengths, offset in zip(facets, per_facet, offsets.tolist(), strict=False):
        assert arrays.starts is not None
        cut = int(arrays.starts[first])
        docs = arrays.docs[cut:] - first
        shift = reached - (arrays.starts[first:-1] - cut)
        codes[shift[docs] + np.arange(len(docs))] = arrays.ords[cut:] + offset
        reached += lengths
    return starts, codes


# Counting a facet over few documents reads just their pairs; over many, every pair once.
# Measured at 100,000 documents, all eight facets, random masks: 1% of the documents
# 1.1 ms by their pairs against 4.8 ms by every pair, 10% 4.1 against 4.8, 50% 8.3 against
# 8.6, 60% 10.1 against 8.4: the two ways cost the same near half of the documents.
SPARSE_COUNT_SHARE = 0.5


@dataclass
class FacetArrays:
    """Every (document, value) pair of one facet over the whole index (`size` documents),
    in document order: the pairs of document d are `docs/ords[starts[d]:starts[d + 1]]`."""

    values: list[str]
    index: dict[str, int]
    docs: np.ndarray
    ords: np.ndarray
    size: int
    starts: np.ndarray | None = None  # computed from `docs` unless given
    value_docs: tuple[np.ndarray, np.ndarray] | None = None  # see _by_value

    def __post_init__(self) -> None:
        if self.starts is None:
            self.starts = np.zeros(self.size + 1, dtype=np.int64)
            np.cumsum(np.bincount(self.docs, minlength=self.size), out=self.starts[1:])

    def extended(
        self, kept: int, size: int, values: list[str], docs: np.ndarray, ords: np.ndarray
    ) -> FacetArrays:
        """These pairs of the first `kept` documents, followed by the pairs of documents
        `kept` to `size` (`docs` in document order, `ords` indexing `values`): the facet of
        a generation that shares its first segments with this one, without going over the
        pairs of those segments again."""
        assert self.starts is not None
        cut = int(self.starts[kept])
        old_docs, old_ords = self.docs[:cut], self.ords[:cut]
        new = [v for v in dict.fromkeys(values) if v not in self.index]
        if new:
            merged = sorted([*self.values, *new])
            index = {v: i for i, v in enumerate(merged)}
            remap = np.array([index[v] for v in self.values], dtype=np.int32)
            old_ords = remap[old_ords]
        else:
            merged, index = self.values, self.index
        mapping = np.array([index[v] for v in values], dtype=np.int32)
        starts = np.empty(size + 1, dtype=np.int64)
        starts[: kept + 1] = self.starts[: kept + 1]
        counts = np.bincount(docs - kept, minlength=size - kept) if size > kept else docs[:0]
        np.cumsum(counts, out=starts[kept + 1 :])
        starts[kept + 1 :] += cut
        return FacetArrays(
            merged,
            index,
            np.concatenate([old_docs, docs.astype(np.int64)]),
            np.concatenate([old_ords, mapping[ords] if len(ords) else ords.astype(np.int32)]),
            size,
            starts,
        )

    def mask_for(self, wanted: list[str], size: int) -> np.ndarray:
        """Documents holding any of `wanted`."""
        return as_mask(self.ids_for(wanted), size)

    def _by_value(self) -> tuple[np.ndarray, np.ndarray]:
        """Every value's documents, sorted: `docs` of value v are
        `by_value[value_starts[v]:value_starts[v + 1]]`. Made on first use (a stable sort
        of the pairs by value, ~10 ms at 100,000 documents), once per snapshot; 32-bit, 4
        bytes a pair (1.3 million pairs at 100,000 documents, all facets)."""
        if self.value_docs is None:
            order = np.argsort(self.ords, kind="stable")  # documents stay in order
            starts = np.zeros(len(self.values) + 1, dtype=np.int64)
            np.cumsum(np.bincount(self.ords, minlength=len(self.values)), out=starts[1:])
            self.value_docs = (self.docs[order].astype(np.int32), starts)
        return self.value_docs

    def ids_for(self, wanted: list[str]) -> np.ndarray:
        """Documents holding any of `wanted`, as sorted document numbers: a cost that
        follows them, not the facet's pairs."""
        codes = sorted({self.index[v] for v in wanted if v in self.index})
        if not codes:
            return np.zeros(0, dtype=np.int64)
        docs, starts = self._by_value()
        lists = [docs[starts[c] : starts[c + 1]].astype(np.int64) for c in codes]
        if len(lists) == 1:
            return lists[0]
        joined = np.concatenate(lists)
        joined.sort()
        return distinct_sorted(joined)

    def counts(self, mask: np.ndarray | None, rows: np.ndarray | None = None) -> np.ndarray:
        """Documents per value among those in `mask` (`rows`: its document numbers, when
        known; either may be None, not both)."""
        if rows is None:
            assert mask is not None
            rows = np.flatnonzero(mask)
        if len(rows) > SPARSE_COUNT_SHARE * self.size:
            if mask is None:
                mask = as_mask(rows, self.size)
            return np.bincount(self.ords[mask[self.docs]], minlength=len(self.values))
        # The pairs of `rows` only, laid end to end: row i's pairs, starts[i] up to
        # starts[i + 1], go where the run has reached (run_starts[i]).
        first = self.starts[rows]
        lengths = self.starts[rows + 1] - first
        run_starts = np.cumsum(lengths) - lengths
        positions = np.arange(lengths.sum()) + np.repeat(first - run_starts, lengths)
        return np.bincount(self.ords[positions], minlength=len(self.values))


@dataclass
class Snapshot:
    """One searcher's view of the index, as arrays. Immutable once built (the lazily
    computed date orders and match-all counts aside: any thread may fill them, with the
    same values); build a new one when the index changes, and `close()` it when no search
    uses it any more."""

    searcher: Searcher
    size: int
    ids: list[str]
    live: np.ndarray
    doc_count: int
    earliest: np.ndarray
    latest: np.ndarray
    lengths: dict[str, np.ndarray]
    avg_lengths: dict[str, float]
    facets: dict[str, FacetArrays]
    facet_table: FacetTable
    storage: Any
    layout: tuple[tuple[str, int], ...] = ()  # (segment id, first document) of each segment
    # Each segment's term table and files, read by position (None: read through Whoosh),
    # with its first document.
    segment_files: tuple[tuple[SegmentFiles | None, int], ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict)
    _local: threading.local = field(default_factory=threading.local)
    _opened: list[IndexReader] = field(default_factory=list)
    _opened_lock: threading.Lock = field(default_factory=threading.Lock)
    _stored: StoredFields | None = None  # made on the first page, shared by all threads

    @classmethod
    def build(
        cls,
        searcher: Searcher,
        segments: dict[str, SegmentData],
        storage: Any,
        previous: Snapshot | None = None,
    ) -> Snapshot:
        """Assemble a snapshot, reading only segments not already in `segments` (which is
        updated: the caller keeps it across generations and drops what is gone).
        `storage` is the index's, from which each thread opens its own readers.

        `previous`, the snapshot this one replaces: the arrays of the segments both begin
        with (a document added or revised writes a new last segment; the big ones before
        it stay) are taken from it as they are, so that an added document is searchable
        after a cost that follows the new segments, not the archive (at 100,000 documents
        ~60-110 ms to assemble everything again)."""
        reader = searcher.reader()
        leaves = list(reader.leaf_readers())
        seen = set()
        parts: list[tuple[SegmentData, int, Any]] = []
        for leaf, offset in leaves:
            key = leaf.segment().segment_id()
            seen.add(key)
            if key not in segments:
                segments[key] = load_segment(leaf)
            parts.append((segments[key], offset, leaf))
        for key in list(segments):
            if key not in seen:
                del segments[key]
        layout = tuple((leaf.segment().segment_id(), offset) for leaf, offset in leaves)
        size = reader.doc_count_all()
        live = np.ones(size, dtype=bool)
        for leaf, offset in leaves:
            if leaf.has_deletions():
                deleted = np.fromiter(leaf.deleted_docs_set, dtype=np.int64)
                live[deleted + offset] = False

        shared = 0
        if previous is not None:
            for mine, theirs in zip(layout, previous.layout, strict=False):
                if mine != theirs:
                    break
                shared += 1
        base = previous if shared else None
        kept = (layout[shared][1] if shared < len(layout) else size) if base else 0
        rest = parts[shared:]

        def concat(old: np.ndarray | None, arrays: list[np.ndarray], dtype: Any) -> np.ndarray:
            pieces = [old[:kept]] if old is not None else []
            pieces += [a.astype(dtype, copy=False) for a in arrays]
            return np.concatenate(pieces) if pieces else np.zeros(0, dtype=dtype)

        earliest = concat(base and base.earliest, [p.earliest for p, _, _ in rest], np.int32)
        latest = concat(base and base.latest, [p.latest for p, _, _ in rest], np.int32)
        lengths = {
            name: concat(
                base and base.lengths[name], [p.lengths[name] for p, _, _ in rest], np.float32
            )
            for name in TEXT_FIELDS
        }
        doc_count = int(live.sum())
        avg = {
            name: float(lengths[name][live].mean()) if doc_count else 1.0 for name in TEXT_FIELDS
        }
        facets = {}
        for name in FACET_FIELDS:
            if base is not None:
                values, docs, ords = _segment_pairs(name, rest, [])
                facets[name] = base.facets[name].extended(kept, size, values, docs, ords)
                continue
            values = sorted({v for p, _, _ in parts for v in p.facets[name][0]})
            _, docs, ords = _segment_pairs(name, parts, values)
            index = {v: i for i, v in enumerate(values)}
            facets[name] = FacetArrays(values, index, docs, ords, size)
        facet_table = FacetTable.build(facets, size, base and base.facet_table, kept)
        ids = base.ids[:kept] if base is not None else []
        ids += [doc_id for part, _, _ in rest for doc_id in part.ids]
        snap = cls(
            searcher=searcher,
            size=size,
            ids=ids,
            live=live,
            doc_count=doc_count,
            earliest=earliest,
            latest=latest,
            lengths=lengths,
            avg_lengths=avg,
            facets=facets,
            facet_table=facet_table,
            storage=storage,
            layout=layout,
            segment_files=tuple(
                (SegmentFiles.of(part.terms, leaf), offset) for part, offset, leaf in parts
            ),
        )
        if base is not None:
            snap._carry_date_orders(base, kept)
        return snap

    # -- this thread's readers ----------------------------------------------------------

    def reader(self) -> IndexReader:
        """This thread's reader of the generation (opened on its first search), as
        Whoosh's own `searcher.reader()` would be: one segment's reader, or several
        joined."""
        reader = getattr(self._local, "reader", None)
        if reader is None:
            template = self.searcher.reader()
            leaves = [
                SegmentReader(self.storage, leaf.schema, leaf.segment(), leaf.generation())
                for leaf, _ in template.leaf_readers()
            ]
            reader = (
                leaves[0]
                if len(leaves) == 1
                else MultiReader(leaves, generation=template.generation())
            )
            with self._opened_lock:
                self._opened.append(reader)
            self._local.reader = reader
            self._local.leaves = list(reader.leaf_readers())
        return reader

    def _leaves(self) -> list[tuple[Any, int]]:
        self.reader()
        return self._local.leaves

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        """A document's stored fields, as a reader gives them: read by position from the
        generation's own files, which every thread shares (archive.search.stored), so that
        a thread's first page of a generation opens no readers of its own (~10 segment
        readers, ~8 ms of the first search after an add at 100,000 documents); a record
        that cannot be read so, through this thread's reader."""
        stored = self._stored
        if stored is None:
            with self._opened_lock:
                if self._stored is None:
                    self._stored = StoredFields(
                        list(self.searcher.reader().leaf_readers()),
                        fallback=lambda i, local: self._leaves()[i][0].stored_fields(local),
                    )
                stored = self._stored
        return stored(docnum)

    def close(self) -> None:
        """Close every thread's readers and the searcher: once no search uses them."""
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for reader in opened:
            reader.close()
        self.searcher.close()

    # -- postings -----------------------------------------------------------------------

    def postings(self, fieldname: str, text: str, work: Work, values: bool = False) -> Postings:
        """A word's postings over the whole index (all segments), deleted documents
        included (the live mask removes them), counted in `work`."""
        key = (fieldname, text, values)
        found = work.cache.get(key) or (None if values else work.cache.get((fieldname, text, True)))
        if found is not None:
            return found
        result = read_postings(
            self.segment_files,
            fieldname,
            text.encode("utf-8"),
            values,
            lambda i: self._leaves()[i][0],
        )
        work.read(len(result.ids), result.positions.size if result.positions else 0)
        # Kept for the rest of this search only: a query names the same word for
        # scoring, matching and snippets.
        work.cache[key] = result
        return result

    def doc_frequency(self, fieldname: str, text: str, work: Work) -> int:
        return self._live_count(self.postings(fieldname, text, work).ids)

    def _live_count(self, ids: np.ndarray) -> int:
        """How many of `ids` (distinct) are live documents: all of them while the index
        has no deletions, without looking (a common word's 80,000 ids looked up ~0.1 ms)."""
        if self.doc_count == self.size or not len(ids):
            return len(ids)
        return int(np.count_nonzero(self.live[ids]))

    # -- evaluating queries -------------------------------------------------------------

    def matches(self, q: wq.Query, work: Work) -> Docs:
        """Live documents matching `q` (`Docs`: ids when few, else a mask)."""
        docs = self._eval(q, work)
        if is_ids(docs):
            return docs[self.live[docs]]
        docs = docs & self.live
        # A mask of few documents (two common words ANDed) is ordered and counted as ids.
        return self.sparse(docs)

    def mask(self, q: wq.Query, work: Work) -> np.ndarray:
        """Documents matching `q`, as a boolean mask over document numbers (live only)."""
        return as_mask(self.matches(q, work), self.size)

    def sparse(self, docs: Docs) -> Docs:
        """`docs` as ids if it holds at most `SPARSE_SHARE` of the archive, else as a mask."""
        limit = SPARSE_SHARE * self.size
        if is_ids(docs):
            return docs if len(docs) <= limit else as_mask(docs, self.size)
        return np.flatnonzero(docs) if np.count_nonzero(docs) <= limit else docs

    def _eval(self, q: wq.Query, work: Work, known: Docs | None = None) -> Docs:
        """Documents matching `q`, deleted ones included (`matches` removes them).
        `known`: documents an enclosing OR has already found, which the result may leave
        out (a phrase does not check their positions again); it holds every other."""
        if isinstance(q, DateOverlap):
            return self.date_mask(q)
        if isinstance(q, wq.Term):
            if q.fieldname in self.facets:
                return self._leaf(self.facets[q.fieldname].ids_for([q.text]))
            return self._leaf(self.postings(q.fieldname, q.text, work).ids)
        if isinstance(q, wq.Phrase):
            return self._leaf(self._phrase(q, work, known))
        if isinstance(q, wq.MultiTerm):
            return self._eval(self._expand(q, work), work)
        if isinstance(q, wq.Every):
            return self.live.copy()
        if isinstance(q, wq.Not):
            return ~as_mask(self._eval(q.query, work), self.size)
        if isinstance(q, wq.AndNot):
            docs = self._eval(q.a, work)
            if is_ids(docs) and not len(docs):
                return docs
            return self._without(docs, self._eval(q.b, work))
        if isinstance(q, wq.AndMaybe):
            return self._eval(q.a, work)
        if isinstance(q, wq.Require):
            return self._and([self._eval(q.a, work), self._eval(q.b, work)])
        if isinstance(q, wq.And):
            return self._and([self._eval(sub, work) for sub in q.subqueries])
        if isinstance(q, wq.Or):
            return self._any(q.subqueries, work, known)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return EMPTY_IDS
        raise BadQuery(f"this kind of query is not supported: {q}")

    def _leaf(self, ids: np.ndarray) -> Docs:
        return ids if len(ids) <= SPARSE_SHARE * self.size else as_mask(ids, self.size)

    def _and(self, parts: list[Docs]) -> Docs:
        """Documents in every one of `parts`: the smallest list of ids checked against
        the others (binary search in ids, a look-up in masks); masks alone ANDed."""
        lists = sorted((p for p in parts if is_ids(p)), key=len)
        masks = [p for p in parts if not is_ids(p)]
        if not lists:
            out = masks[0].copy()
            for mask in masks[1:]:
                out &= mask
            return out
        out = lists[0]
        for other in lists[1:]:
            if not len(out):
                return out
            out = self._common(out, other)
        for mask in masks:
            out = out[mask[out]]
        return out

    def _any(self, subqueries: list[wq.Query], work: Work, known: Docs | None) -> Docs:
        """Documents matching any of `subqueries`. A word's alternatives (its analyses in
        each language, each field, its synonyms) are an OR, and for a phrase each is a
        phrase: a phrase of common words in its second spelling checks only the documents
        that the ones before it (and `known`) have not found, instead of reading the
        positions of the same 80,000 documents again."""
        parts: list[Docs] = []
        for sub in subqueries:
            found = known
            if parts and _has_phrase(sub):
                found = self._or(parts if known is None else [*parts, known])
            parts.append(self._eval(sub, work, found))
        return self._or(parts)

    def _or(self, parts: list[Docs]) -> Docs:
        """Documents in any of `parts`: ids merged (a sort of the joined lists) while they
        stay few, else marked in a mask."""
        parts = [p for p in parts if not is_ids(p) or len(p)]
        if not parts:
            return EMPTY_IDS
        if len(parts) == 1:
            return parts[0]
        if all(is_ids(p) for p in parts):
            joined = np.concatenate(parts)
            if len(joined) <= SPARSE_SHARE * self.size:
                joined.sort()
                return distinct_sorted(joined)
        out = np.zeros(self.size, dtype=bool)
        for part in parts:
            if is_ids(part):
                out[part] = True
            else:
                out |= part
        return out

    def _common(self, ids: np.ndarray, other: np.ndarray) -> np.ndarray:
        """The documents of sorted `ids` also in sorted `other`: by binary search while
        `ids` are few, else by marking `other` in a mask (no log factor)."""
        if len(ids) <= SPARSE_SHARE * self.size:
            return ids[contains_sorted(other, ids)]
        return ids[as_mask(other, self.size)[ids]]

    def _without(self, docs: Docs, gone: Docs) -> Docs:
        """`docs` less the documents of `gone`."""
        if is_ids(docs):
            return docs[~(contains_sorted(gone, docs) if is_ids(gone) else gone[docs])]
        if is_ids(gone):
            out = docs.copy()
            out[gone] = False
            return out
        return docs & ~gone

    def _expand(self, q: wq.MultiTerm, work: Work) -> wq.Query:
        """A wildcard or prefix as the OR of the words it stands for, refused when it
        stands for too many (a runaway `a*` would read the whole index) or when finding
        them means looking at too many of the index's words (`*qx*` looks at all)."""
        found = work.cache.get(("expansion", q))
        if found is None:
            found = []
            counted = _CountingReader(self.reader(), work, str(q))
            for btext in q._btexts(counted):
                found.append(btext.decode("utf-8") if isinstance(btext, bytes) else btext)
                if len(found) > work.limits.max_expansion:
                    break
            work.expand(str(q), len(found))
            work.cache[("expansion", q)] = found
        if not found:
            return wq.NullQuery
        return wq.Or([wq.Term(q.fieldname, w) for w in found])

    def expand_words(self, q: wq.MultiTerm, work: Work) -> list[str]:
        expanded = self._expand(q, work)
        return [t.text for t in expanded.subqueries] if isinstance(expanded, wq.Or) else []

    def _phrase(self, q: wq.Phrase, work: Work, known: Docs | None = None) -> np.ndarray:
        """Documents holding the phrase's words in order (each within `slop` of the one
        before), as sorted ids: candidates from the postings, then the positions of those
        candidates checked as arrays of (candidate, position) keys. The cost does not grow
        with the slop: each key is looked up once, for the nearest key of the word before.
        Candidates in `known` are not checked (see `_eval`)."""
        words = q.words
        if not words:
            return EMPTY_IDS
        if len(words) == 1:
            return self.postings(q.fieldname, words[0], work).ids
        lists = [self.postings(q.fieldname, w, work, values=True) for w in words]
        # Documents holding every word: the rarest word's documents looked up in the others,
        # rather than np.intersect1d, which sorts both lists joined (a phrase of common
        # words: 2 x 100,000 ids sorted, ~1.5 ms).
        rarest = min(lists, key=lambda p: len(p.ids))
        candidates = rarest.ids  # sorted, as every postings list is
        for postings in lists:
            if postings is not rarest and len(candidates):
                candidates = self._common(candidates, postings.ids)
        if known is not None and len(candidates):
            candidates = self._without(candidates, known)
        if not len(candidates):
            return EMPTY_IDS
        slop = max(1, q.slop)
        previous = None
        for postings in lists:
            # Postings ids are sorted (within a segment, and segments follow each other).
            where = self._places(postings.ids, candidates)
            assert postings.positions is not None
            keys = position_keys(postings.positions, where)
            if previous is not None:
                keys = keys[within_before(previous, keys, slop)]
            previous = keys
            if not len(previous):
                return EMPTY_IDS
        # Keys are sorted by candidate: a candidate found at several positions comes
        # several times in a row (no np.unique: a sort, and numpy.ma imported on first use,
        # ~60 ms for the first phrase).
        return candidates[distinct_sorted(previous >> POSITION_BITS)]

    def _places(self, ids: np.ndarray, found: np.ndarray) -> np.ndarray:
        """Where each of `found` (sorted, every one in `ids`) is in `ids` (sorted,
        distinct): by binary search while `found` are few; past `RANK_SHARE` of the archive
        by counting `ids` in an array over the archive, which reads it twice where the
        binary searches would read `ids` ~17 times a document, scattered (at 100,000
        documents, 60,000 of 80,000: 0.36 ms against 2.4)."""
        if len(found) <= RANK_SHARE * self.size:
            return np.searchsorted(ids, found)
        marks = np.zeros(self.size, dtype=np.int32)
        marks[ids] = 1
        np.cumsum(marks, out=marks)
        return marks[found].astype(np.int64) - 1

    def date_mask(self, q: DateOverlap) -> np.ndarray:
        """Documents whose issue span overlaps [start, end]; undated ones never do."""
        mask = self.earliest != UNDATED
        if q.end is not None:
            mask &= self.earliest <= q.end.toordinal()
        if q.start is not None:
            mask &= self.latest >= q.start.toordinal()
        return mask

    # -- scoring and sorting ------------------------------------------------------------

    def scores(self, words: list[tuple[str, str]], docs: Docs, work: Work) -> np.ndarray:
        """BM25 for the free-text words of each document of `docs`: for ids, one score
        per id (in their order), found by binary search of the ids in each word's
        postings; for a mask, an array over the archive (0 outside the mask). Either way
        each document's score is the same float32 sum, word by word.

        The words' postings of `docs` are found word by word, then scored together: each
        word's constants (idf, boost, average length) repeated over its postings as float32,
        which is what numpy makes of them as Python floats beside float32 arrays, so that
        every contribution is the float32 it was word by word (a query's 5-10 words cost
        one pass of ~15 numpy calls instead of 15 each), and added in word order."""
        sparse = is_ids(docs)
        scores = np.zeros(len(docs) if sparse else self.size, dtype=np.float32)
        if sparse and not len(docs):
            return scores
        n = max(self.doc_count, 1)
        places, weights, lengths = [], [], []
        constants: list[tuple[int, float, float, float]] = []
        for fieldname, text in dict.fromkeys(words):
            postings = self.postings(fieldname, text, work)
            if not len(postings.ids):
                continue
            if sparse:
                # The postings of `docs` (rows) and where each goes in the scores (into).
                at = np.searchsorted(postings.ids, docs)
                at[at == len(postings.ids)] = 0
                into = np.flatnonzero(postings.ids[at] == docs)
                rows = at[into]
            else:
                rows = np.flatnonzero(docs[postings.ids])
            if not len(rows):
                continue
            df = self._live_count(postings.ids)
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            ids = postings.ids[rows]
            # Stored weights are frequency x the field's boost (Whoosh's Positions format).
            boost = self.searcher.schema[fieldname].format.field_boost
            places.append(into if sparse else ids)
            weights.append(postings.weights[rows])
            lengths.append(self.lengths[fieldname][ids])
            constants.append((len(rows), idf, boost, self.avg_lengths[fieldname]))
        if not places:
            return scores
        counts = [c[0] for c in constants]

        def each(column: int) -> np.ndarray:
            values = np.array([c[column] for c in constants], dtype=np.float32)
            return np.repeat(values, counts)

        idf, boost, avg = each(1), each(2), each(3)
        tf = (weights[0] if len(weights) == 1 else np.concatenate(weights)) / boost
        length = lengths[0] if len(lengths) == 1 else np.concatenate(lengths)
        norm = 1.0 - BM25_B + BM25_B * length / avg
        contribution = boost * (idf * tf * (BM25_K1 + 1.0) / (tf + BM25_K1 * norm))
        if len(places) == 1:
            scores[places[0]] += contribution
        else:  # a document in several words' postings: its contributions in word order
            np.add.at(scores, np.concatenate(places), contribution)
        return scores

    def date_order(self, newest_first: bool) -> np.ndarray:
        """Every document number ordered by issue date (undated last either way); ties in
        document order. Cached per snapshot."""
        key = _ORDER_KEYS[newest_first]
        order = self._cache.get(key)
        if order is None:
            sort_key = _date_sort_key(self.earliest, newest_first)
            order = self._cache[key] = np.argsort(sort_key, kind="stable")
        return order

    def _carry_date_orders(self, previous: Snapshot, kept: int) -> None:
        """Take the date orders `previous` has made, extended by this snapshot's documents
        after the first `kept` (which are `previous`'s, dates and all): the first search
        after an add sorts by date when it has no words to rank by, and sorting every
        document again cost ~10 ms at 100,000 documents (~150 ms at a million); merging
        the new ones into the old order costs a pass over it."""
        for newest_first, key in _ORDER_KEYS.items():
            old_order = previous._cache.get(key)
            if old_order is not None:
                sort_key = _date_sort_key(self.earliest, newest_first)
                self._cache[key] = _merged_order(old_order, kept, sort_key)

    def by_date(self, docs: Docs, newest_first: bool) -> np.ndarray:
        """The documents of `docs` in `date_order`: ids sorted by their place in it (cost
        following the ids), a mask read along it."""
        order = self.date_order(newest_first)
        if not is_ids(docs):
            return order[docs[order]]
        key = "rank_desc" if newest_first else "rank_asc"
        rank = self._cache.get(key)
        if rank is None:
            rank = np.empty(self.size, dtype=np.int32)
            rank[order] = np.arange(self.size, dtype=np.int32)
            self._cache[key] = rank
        return docs[np.argsort(rank[docs])]

    def facet_counts(
        self, docs: Docs, matched: int | None = None, names: tuple[str, ...] | None = None
    ) -> dict[str, np.ndarray]:
        """Documents per value of each facet of `names` (None: every facet) among `docs`
        (live documents only; `matched` is how many, when known). All facets are counted
        at once (FacetTable), one facet alone by its own pairs. A set holding more than
        half of the archive is counted through the live documents it leaves out,
        subtracted from the match-all counts, so that the cost follows the smaller side
        (at 100,000 documents, the eight facets of a 95% mask in a quarter of the time)."""
        if matched is None:
            matched = count(docs)
        everything = None
        if matched > self.doc_count // 2:
            everything = self.match_all_counts()
            docs = self.live & ~as_mask(docs, self.size)
        rows = as_ids(docs)
        if names is not None and len(names) == 1:
            (name,) = names
            mask = None if is_ids(docs) else docs
            counts = {name: self.facets[name].counts(mask, rows)}
        else:
            counts = self.facet_table.counts(rows)
            if names is not None:
                counts = {name: counts[name] for name in names}
        if everything is not None:
            return {name: everything[name] - found for name, found in counts.items()}
        return counts

    def match_all_counts(self) -> dict[str, np.ndarray]:
        """Facet counts over every live document: the landing page, computed once."""
        counts = self._cache.get("all_counts")
        if counts is None:
            counts = self._cache["all_counts"] = self.facet_table.counts(np.flatnonzero(self.live))
        return counts


_ORDER_KEYS = {True: "date_desc", False: "date_asc"}


def _date_sort_key(earliest: np.ndarray, newest_first: bool) -> np.ndarray:
    """What `date_order` sorts by: the earliest day (negated for newest first), undated
    documents after every dated one either way."""
    day = earliest.astype(np.int64)
    return np.where(earliest == UNDATED, np.iinfo(np.int64).max, -day if newest_first else day)


def _merged_order(old_order: np.ndarray, kept: int, sort_key: np.ndarray) -> np.ndarray:
    """`np.argsort(sort_key, kind="stable")` from the stable order of a snapshot whose first
    `kept` documents have these keys: its documents below `kept` keep their order, and
    the rest, sorted, go in after the old documents of equal key (theirs are the lower
    numbers, first in a stable sort)."""
    old = old_order[old_order < kept]
    new = kept + np.argsort(sort_key[kept:], kind="stable")
    where = np.searchsorted(sort_key[old], sort_key[new], side="right")
    return np.insert(old, where, new)


def _has_phrase(q: wq.Query) -> bool:
    if isinstance(q, wq.Phrase):
        return True
    return isinstance(q, wq.Or) and any(_has_phrase(sub) for sub in q.subqueries)


def within_before(previous: np.ndarray, keys: np.ndarray, slop: int) -> np.ndarray:
    """Which of `keys` have a key of `previous` (sorted) at most `slop` and at least 1
    below them: for each key, the largest previous key below it, found by binary search.
    The same answer as looking for key - 1, key - 2 ... key - slop one by one (what this
    replaced: a loop of `slop` passes, endless for `"a b"~99999999999`)."""
    if not len(previous):
        return np.zeros(len(keys), dtype=bool)
    at = np.searchsorted(previous, keys, side="left") - 1
    found = at >= 0
    nearest = previous[np.maximum(at, 0)]
    return found & (keys - nearest <= slop)


class _CountingReader:
    """A reader whose word lists count each word looked at in a search's `Work`: what
    Whoosh's wildcard and prefix queries iterate to find their words."""

    def __init__(self, reader: IndexReader, work: Work, what: str) -> None:
        self._reader = reader
        self._work = work
        self._what = what
        self.schema = reader.schema

    def _counted(self, words: Any) -> Any:
        for word in words:
            self._work.scan(self._what)
            yield word

    def lexicon(self, fieldname: str) -> Any:
        return self._counted(self._reader.lexicon(fieldname))

    def expand_prefix(self, fieldname: str, prefix: Any) -> Any:
        return self._counted(self._reader.expand_prefix(fieldname, prefix))
