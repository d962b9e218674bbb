"""archive/search/limits.py through the engine: every query's cost is bounded and counted, a
query over its limits is refused before or while it works, never after running unbounded
(issue 13, point 6). The counts in `SearchResult.work` and on the refusal show the work done."""

from __future__ import annotations

import numpy as np
import pytest

from archive.config import Config
from archive.search import SearchEngine
from archive.search.limits import QueryTooCostly, SearchLimits, SearchTimeout, Work
from archive.search.request import SearchRequest
from archive.search.snapshot import within_before
from tests.conftest import SEED_ID


def refusal(engine: SearchEngine, q: str) -> QueryTooCostly:
    with pytest.raises(QueryTooCostly) as caught:
        engine.search(SearchRequest(q=q))
    return caught.value


def test_an_endless_slop_is_refused_before_any_posting_is_read(engine: SearchEngine):
    error = refusal(engine, '"mine maps"~99999999999')
    assert "~99999999999" in error.message and "at most 100" in error.message
    assert error.work == dict.fromkeys(error.work, 0)  # nothing read, nothing looked at


def test_the_largest_slop_allowed_costs_what_a_slop_of_one_costs(engine: SearchEngine):
    near = engine.search(SearchRequest(q='"mine maps"~1'))
    far = engine.search(SearchRequest(q='"mine maps"~100'))
    assert far.total >= near.total >= 1
    # Each key is looked up once whatever the slop: the same postings and positions.
    assert far.work == near.work


def test_the_nearest_word_before_answers_as_every_gap_looked_up_did():
    """`within_before` against what it replaced: one lookup per gap, 1 to slop."""
    rng = np.random.default_rng(13)
    for _ in range(200):
        previous = np.unique(rng.integers(0, 400, rng.integers(0, 60)))
        keys = np.unique(rng.integers(0, 400, rng.integers(1, 60)))
        slop = int(rng.integers(1, 30))
        by_gap = np.zeros(len(keys), dtype=bool)
        for gap in range(1, slop + 1):
            by_gap |= np.isin(keys - gap, previous)
        assert (within_before(previous, keys, slop) == by_gap).all()


def test_forty_wildcards_are_refused_before_the_index_is_read(engine: SearchEngine):
    query = " ".join(f"*q{chr(97 + i % 26)}{i}*" for i in range(40))
    error = refusal(engine, query)
    assert "40 words with wildcards" in error.message and "at most 10" in error.message
    assert error.work is not None and error.work["scanned"] == 0


def test_finding_a_wildcards_words_stops_at_its_allowance(indexed_config: Config):
    limits = SearchLimits(max_scanned=300)
    with SearchEngine(indexed_config, limits=limits) as engine:
        with pytest.raises(QueryTooCostly, match="more than 300 words of the index") as caught:
            engine.search(SearchRequest(q="*qx*"))
        # It stopped at the word past the allowance, having read no postings.
        assert caught.value.work == {**caught.value.work, "scanned": 301, "postings": 0}
        # A prefix looks only at the words that start with it.
        result = engine.search(SearchRequest(q="tranquil*"))
        assert SEED_ID in {h.id for h in result.hits}
        assert 0 < result.work["scanned"] <= 10


def test_counted_scanning_stops_at_the_limit(indexed_config: Config):
    work = Work(SearchLimits(max_scanned=5))
    for _ in range(5):
        work.scan("*x*")
    with pytest.raises(QueryTooCostly):
        work.scan("*x*")
    assert work.scanned == 6


def test_wildcards_together_may_stand_for_a_bounded_number_of_words(indexed_config: Config):
    limits = SearchLimits(max_expanded=10)
    with SearchEngine(indexed_config, limits=limits) as engine:
        error = refusal(engine, "m* a* c*")
        assert "more than 10 words together" in error.message


def test_postings_read_are_counted_and_bounded(indexed_config: Config):
    with SearchEngine(indexed_config) as engine:
        read = engine.search(SearchRequest(q="mine OR armenia")).work["postings"]
    assert read > 0
    with SearchEngine(indexed_config, limits=SearchLimits(max_postings=read - 1)) as engine:
        error = refusal(engine, "mine OR armenia")
        assert "postings" in error.message
        assert error.work is not None and read - 1 < error.work["postings"] <= read


def test_unknown_words_get_a_bounded_number_of_suggestions(engine: SearchEngine):
    query = " ".join(f"zzq{n}xw" for n in range(45)) + " minez"
    result = engine.search(SearchRequest(q=query))
    assert result.total == 0 and result.work["suggested"] == 3
    # One misspelt word still gets its suggestion.
    assert engine.search(SearchRequest(q="mine mapz")).suggestion == "mine maps"


def test_a_search_past_its_time_stops_with_a_busy_answer(indexed_config: Config):
    engine = SearchEngine(indexed_config, limits=SearchLimits(seconds=-1))
    with engine, pytest.raises(SearchTimeout) as caught:
        engine.search(SearchRequest(q="mine"))
    assert caught.value.http_status == 503 and "try again" in caught.value.message
