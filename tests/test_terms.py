"""Each segment's term table (archive.search.terms) finds what Whoosh's term file holds: every
term with the same postings, and nothing for a word the segment lacks, even one whose hash
the table knows."""

from __future__ import annotations

import numpy as np
import pytest

from archive.search import terms as terms_module
from archive.search.postings import PositionLists, read_leaf_postings, read_postings
from archive.search.request import SearchRequest
from archive.search.terms import TermTable


@pytest.fixture(scope="module")
def segments(engine):
    engine.search(SearchRequest())
    snap = engine._snapshot
    leaves = [leaf for leaf, _ in snap._leaves()]
    files = [files for files, _ in snap.segment_files]
    assert files and all(f is not None for f in files)
    return list(zip(files, leaves, strict=True))


def _same(a, b, values: bool) -> None:
    assert np.array_equal(a.ids, b.ids)
    assert np.array_equal(a.weights, b.weights)
    if values:
        # One segment's positions: in a PositionParts of (at most) one part.
        mine = PositionLists.join(a.positions.parts)
        assert np.array_equal(mine.counts, b.positions.counts)
        assert np.array_equal(mine.words[_runs(mine)], b.positions.words[_runs(b.positions)])


def _runs(positions: PositionLists) -> np.ndarray:
    """Where each posting's positions are, in posting order."""
    if not len(positions.counts):
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(
        [np.arange(s, s + c) for s, c in zip(positions.starts, positions.counts, strict=True)]
    )


def test_every_term_is_found_with_whoosh_s_postings(segments):
    checked = 0
    for files, leaf in segments:
        assert len(files.table.hashes) == len(list(leaf.all_terms()))
        for fieldname, btext in leaf.all_terms():
            values = fieldname in ("title", "body", "names")
            for with_values in {False, values}:
                found = read_postings([(files, 0)], fieldname, btext, with_values, None)
                _same(found, read_leaf_postings(leaf, fieldname, btext, with_values), with_values)
                checked += 1
    assert checked > 1000


@pytest.mark.parametrize(
    ("fieldname", "text"),
    [("body", "qqqqzzzz"), ("title", "mirzəyev-not"), ("nofield", "mine"), ("body", "")],
)
def test_a_word_the_segment_lacks_has_no_postings(segments, fieldname, text):
    for files, _ in segments:
        assert files.term(fieldname, text.encode("utf-8")) is None
        found = read_postings([(files, 0)], fieldname, text.encode("utf-8"), False, None)
        assert not len(found.ids)


def test_a_hash_the_table_knows_is_checked_against_the_term_itself(segments, monkeypatch):
    """Two keys with one 32-bit hash: the entry's key is read and compared."""
    files, leaf = segments[0]
    fieldname, btext = next(iter(leaf.all_terms()))
    assert files.term(fieldname, btext) is not None
    known = terms_module._md5_hash(terms_module._FIELD.pack(files.table.fields[fieldname]) + btext)
    monkeypatch.setattr(terms_module, "_md5_hash", lambda key: known)
    assert files.term(fieldname, btext) is not None
    assert files.term(fieldname, btext + b"-other") is None


def test_the_table_costs_eight_bytes_a_term(segments):
    for files, _ in segments:
        table = files.table
        assert table.nbytes == 8 * len(table.hashes)
        assert np.all(np.diff(table.hashes.astype(np.int64)) >= 0)


def test_a_table_is_made_only_of_whoosh_s_md5_hash_files():
    class NoTerms:
        pass

    assert TermTable.load(NoTerms()) is None
