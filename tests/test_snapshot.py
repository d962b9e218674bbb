"""The engine's arrays of an index generation (archive.search.snapshot): a snapshot built on
the one before it, reusing the arrays of the segments both begin with, is the snapshot a
build from nothing makes, after documents are added and revised."""

from __future__ import annotations

import numpy as np

from archive.config import Config
from archive.search import SearchEngine, SearchRequest, update_documents, update_index
from archive.search.snapshot import (
    FacetArrays,
    FacetTable,
    Snapshot,
    _date_sort_key,
    _merged_order,
)
from tests.conftest import SEED_ID, copy_document, store_edit


def _counts(arrays: FacetArrays, mask: np.ndarray) -> dict[str, int]:
    counts = arrays.counts(mask)
    return {arrays.values[i]: int(counts[i]) for i in np.flatnonzero(counts)}


def _assert_same(built: Snapshot, fresh: Snapshot) -> None:
    assert built.size == fresh.size and built.ids == fresh.ids
    assert np.array_equal(built.live, fresh.live)
    assert built.doc_count == fresh.doc_count
    assert np.array_equal(built.earliest, fresh.earliest)
    assert np.array_equal(built.latest, fresh.latest)
    for name in fresh.lengths:
        assert np.array_equal(built.lengths[name], fresh.lengths[name])
        assert built.avg_lengths[name] == fresh.avg_lengths[name]
    rng = np.random.default_rng(5)
    masks = [fresh.live, rng.random(fresh.size) < 0.3, np.zeros(fresh.size, dtype=bool)]
    for name, arrays in fresh.facets.items():
        mine = built.facets[name]
        assert np.array_equal(mine.starts, arrays.starts), name
        for mask in masks:
            assert _counts(mine, mask) == _counts(arrays, mask), name
        for value in arrays.values:
            assert np.array_equal(
                mine.mask_for([value], built.size), arrays.mask_for([value], fresh.size)
            )
    # The date orders, carried from the last snapshot or sorted anew, are the same.
    for newest_first in (True, False):
        assert np.array_equal(built.date_order(newest_first), fresh.date_order(newest_first))
    # The table of all facets, laid out again or taken from the last snapshot, is the same.
    assert built.facet_table.names == fresh.facet_table.names
    assert built.facet_table.values == fresh.facet_table.values
    assert np.array_equal(built.facet_table.offsets, fresh.facet_table.offsets)
    assert np.array_equal(built.facet_table.starts, fresh.facet_table.starts)
    assert np.array_equal(built.facet_table.codes, fresh.facet_table.codes)


def test_a_snapshot_built_on_the_last_one_equals_one_built_from_nothing(
    corpus_copy: Config, monkeypatch
):
    update_index(corpus_copy)
    engine = SearchEngine(corpus_copy)
    engine.search(SearchRequest())
    engine.search(SearchRequest(sort="date"))  # both date orders made, to be carried
    extended = []
    original = FacetArrays.extended

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        extended.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FacetArrays, "extended", spy)
    copy_document(corpus_copy, SEED_ID, "synthetic-added-2026", {"mined areas": "mined fields"})
    update_documents(corpus_copy, ["synthetic-added-2026"])
    assert engine.search(SearchRequest(q="fields")).total >= 1
    store_edit(corpus_copy, SEED_ID, "mined areas", "mined valleys")
    update_documents(corpus_copy, [SEED_ID])
    assert engine.search(SearchRequest(q="valleys")).total == 1
    assert extended and all(kept > 0 for kept in extended)  # built on the last snapshot
    with engine._using() as built:
        assert {"date_desc", "date_asc"} <= built._cache.keys()  # carried, not sorted
        fresh = Snapshot.build(engine._index.searcher(), {}, engine._index.storage)
        try:
            _assert_same(built, fresh)
        finally:
            fresh.close()
    engine.close()


def test_a_merged_date_order_is_a_stable_sort():
    """Orders carried over random keys (many ties, undated documents) and cuts."""
    rng = np.random.default_rng(11)
    for _ in range(200):
        size = int(rng.integers(1, 60))
        earliest = rng.integers(0, 6, size).astype(np.int32)  # 0 is UNDATED
        kept = int(rng.integers(0, size + 1))
        for newest_first in (True, False):
            sort_key = _date_sort_key(earliest, newest_first)
            old = np.argsort(np.append(sort_key[:kept], rng.integers(-9, 9, 3)), kind="stable")
            expected = np.argsort(sort_key, kind="stable")
            assert np.array_equal(_merged_order(old, kept, sort_key), expected)


def test_facet_pairs_extended_with_new_values_count_as_a_whole_build():
    # Documents 0-2 hold b, d; documents 3-5 (the new segment) bring a, c and b again.
    old = FacetArrays(
        ["b", "d"], {"b": 0, "d": 1}, np.array([0, 0, 1, 2]), np.array([0, 1, 1, 0]), 3
    )
    grown = old.extended(
        3, 6, ["c", "a", "b"], np.array([3, 4, 4, 5]), np.array([0, 1, 2, 2], dtype=np.int32)
    )
    whole = FacetArrays(
        ["a", "b", "c", "d"],
        {"a": 0, "b": 1, "c": 2, "d": 3},
        np.array([0, 0, 1, 2, 3, 4, 4, 5]),
        np.array([1, 3, 3, 1, 2, 0, 1, 1]),
        6,
    )
    assert grown.values == whole.values
    assert np.array_equal(grown.starts, whole.starts)
    for bits in range(64):
        mask = np.array([(bits >> i) & 1 for i in range(6)], dtype=bool)
        assert np.array_equal(grown.counts(mask), whole.counts(mask))
    # Keeping only the first two documents of the old pairs (a segment after them replaced).
    cut = old.extended(2, 3, ["a"], np.array([2]), np.array([0], dtype=np.int32))
    assert _counts(cut, np.ones(3, dtype=bool)) == {"b": 1, "d": 2, "a": 1}


def test_a_facet_table_built_on_the_last_one_with_new_values_is_a_whole_build():
    # Two facets over documents 0-2; documents 3-5 (the new segment) bring new values to
    # the first facet (so that every code of the second one moves) and none to the second.
    first = FacetArrays(
        ["b", "d"], {"b": 0, "d": 1}, np.array([0, 0, 1, 2]), np.array([0, 1, 1, 0]), 3
    )
    second = FacetArrays(["x", "y"], {"x": 0, "y": 1}, np.array([0, 2]), np.array([1, 0]), 3)
    old = FacetTable.build({"first": first, "second": second}, 3)
    grown = {
        "first": first.extended(
            3, 6, ["c", "a", "b"], np.array([3, 4, 4, 5]), np.array([0, 1, 2, 2], dtype=np.int32)
        ),
        "second": second.extended(3, 6, ["y"], np.array([5]), np.array([0], dtype=np.int32)),
    }
    whole = {
        "first": FacetArrays(
            ["a", "b", "c", "d"],
            {"a": 0, "b": 1, "c": 2, "d": 3},
            np.array([0, 0, 1, 2, 3, 4, 4, 5]),
            np.array([1, 3, 3, 1, 2, 0, 1, 1]),
            6,
        ),
        "second": FacetArrays(
            ["x", "y"], {"x": 0, "y": 1}, np.array([0, 2, 5]), np.array([1, 0, 1]), 6
        ),
    }
    built = FacetTable.build(grown, 6, old, 3)
    fresh = FacetTable.build(whole, 6)
    assert built.values == fresh.values
    assert np.array_equal(built.offsets, fresh.offsets)
    assert np.array_equal(built.starts, fresh.starts)
    assert np.array_equal(built.codes, fresh.codes)
    for bits in range(64):
        rows = np.array([i for i in range(6) if (bits >> i) & 1], dtype=np.int64)
        counts = fresh.counts(rows)
        for name, arrays in whole.items():
            assert np.array_equal(counts[name], arrays.counts(None, rows)), (bits, name)


def test_counts_of_a_large_result_through_what_it_leaves_out_are_its_counts(
    corpus_copy: Config,
):
    """A mask of more than half the archive is counted as the match-all counts less the
    documents it leaves out: the same counts as counting it (a withdrawn-like deleted
    document in the index must not count on either side)."""
    update_index(corpus_copy)
    store_edit(corpus_copy, SEED_ID, "mined areas", "mined valleys")
    update_documents(corpus_copy, [SEED_ID])  # leaves a deleted document in the index
    with SearchEngine(corpus_copy) as engine, engine._using() as snap:
        assert snap.doc_count < snap.size
        rng = np.random.default_rng(11)
        for share in (0.0, 0.2, 0.6, 0.9, 1.0):
            mask = (rng.random(snap.size) < share) & snap.live
            counts = snap.facet_counts(mask)
            for name, arrays in snap.facets.items():
                assert np.array_equal(counts[name], arrays.counts(mask)), (share, name)
                alone = snap.facet_counts(mask, names=(name,))[name]
                assert np.array_equal(alone, arrays.counts(mask)), (share, name)
