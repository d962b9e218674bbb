"""A search's sets of documents as sorted ids or as masks (archive.search.snapshot, `Docs`):
whichever way a query tree is evaluated, scored, ordered and counted, the engine answers
the same. On a real index of generated documents (two segments and a deleted document),
every request is asked three ways: every set a mask (SPARSE_SHARE 0, the engine as it was
before ids were kept), every set ids where it can be (1.0), and the shipped share; totals,
the page's ids and scores, and every facet count must be equal."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

import archive.search.snapshot as snapshot_module
from archive.config import Config
from archive.search import SearchEngine, SearchRequest
from archive.search.limits import Work
from bench.run import QUERY_TYPES, make_queries

SHARES = (0.0, 1.0, snapshot_module.SPARSE_SHARE)


@pytest.fixture(scope="module")
def engine(generated: Config):
    with SearchEngine(generated) as search_engine:
        yield search_engine


def _queries(corpus: Path, engine: SearchEngine) -> list[str]:
    made = make_queries(corpus, 42, 6)
    texts = [t for kind in QUERY_TYPES for t in made[kind]]
    words = [t for t in made["term"] if " " not in t][:4]
    a, b, c, d = words
    texts += [
        f"{a} OR {b}",
        f"{a} OR {b} OR {c} OR {d}",
        f"{a} -{b}",
        f"({a} OR {b}) AND {c}",
        f"{a} AND NOT {b}",
        f"NOT {a}",
        f"-{a}",
        f"{a} OR NOT {b}",
        f'"{a} {b}"~5',
        f"{a[:5]}*",
        f"treaty:gc-1949 OR {a}",
        "treaty:gc-1949 -treaty:gc-1949-iv",
        f"treaty:ap-1977 AND {b}",
        f"date:[2000 TO 2010] {a}",
        f"date:[2000 TO 2010] OR {b}",
        f"year:[1995 TO 2005] -{c}",
        "the",
        "revisedword",
        "nosuchwordanywhere",
        f"nosuchwordanywhere OR {a}",
        f"{a} AND nosuchwordanywhere",
    ]
    return texts


def _requests(engine: SearchEngine, texts: list[str]) -> list[SearchRequest]:
    with engine._using() as snap:
        types = [v for v in snap.facets["type"].values][:2]
        langs = list(snap.facets["lang"].values)[:1]
    requests = []
    for i, text in enumerate(texts):
        requests.append(SearchRequest(q=text))
        variant = i % 5
        if variant == 0:
            requests.append(SearchRequest(q=text, sort="date"))
        elif variant == 1:
            requests.append(SearchRequest(q=text, sort="-date", page=2, page_size=7))
        elif variant == 2:
            requests.append(SearchRequest(q=text, filters={"type": tuple(types[:1])}))
        elif variant == 3:
            requests.append(SearchRequest(q=text, excludes={"type": tuple(types[1:2])}))
        else:
            requests.append(
                SearchRequest(
                    q=text,
                    date_from=date(1998, 1, 1),
                    date_to=date(2012, 12, 31),
                    filters={"lang": tuple(langs)},
                    page_size=50,
                )
            )
    return requests


def _answer(engine: SearchEngine, request: SearchRequest) -> tuple:
    result = engine.search(request)
    hits = [(h.id, h.score, h.snippet) for h in result.hits]
    facets = {
        name: [(v.value, v.count, [(c.value, c.count) for c in v.children]) for v in values]
        for name, values in result.facets.items()
    }
    top = engine.top(request)
    every = list(engine.iter_ids(request))
    between = engine.ids_between(request, 3, 11)
    return result.total, hits, facets, top, every, between


def test_ids_and_masks_give_the_same_results(generated, engine, monkeypatch):
    requests = _requests(engine, _queries(generated.corpus, engine))
    assert len(requests) >= 100
    answers = {}
    for share in SHARES:
        monkeypatch.setattr(snapshot_module, "SPARSE_SHARE", share)
        answers[share] = [_answer(engine, r) for r in requests]
    masks = answers[0.0]
    # The requests are worth comparing: some find nothing, some a few, some most.
    totals = [a[0] for a in masks]
    assert 0 in totals and max(totals) > 250 and sum(1 for t in totals if 0 < t < 30) > 20
    for share in SHARES[1:]:
        for request, mine, theirs in zip(requests, answers[share], masks, strict=True):
            assert mine == theirs, (share, request)


def test_a_query_tree_evaluates_to_the_same_documents_either_way(engine, monkeypatch, generated):
    """Below the engine: `Snapshot.matches` as ids and as a mask hold the same live
    documents, and `scores` gives each of them the same float32 score."""
    texts = _queries(generated.corpus, engine)
    with engine._using() as snap:
        assert snap.doc_count < snap.size  # the revised document's old version is deleted
        for text in texts:
            parsed = engine._parse(snap, SearchRequest(q=text))
            found = {}
            for share in (0.0, 1.0):
                monkeypatch.setattr(snapshot_module, "SPARSE_SHARE", share)
                work = Work(engine.limits)
                docs = snap.matches(parsed.query, work)
                mask = snapshot_module.as_mask(docs, snap.size)
                assert not (mask & ~snap.live).any(), text
                words = [(f, w) for f, w, _, _ in parsed.words]
                scores = snap.scores(words, docs, work) if words else None
                ids = snapshot_module.as_ids(docs)
                if scores is not None and not snapshot_module.is_ids(docs):
                    scores = scores[ids]
                found[share] = (snapshot_module.is_ids(docs), ids, scores)
            assert found[1.0][0], text  # ids all the way at share 1
            assert np.array_equal(found[0.0][1], found[1.0][1]), text
            if found[0.0][2] is not None:
                assert np.array_equal(found[0.0][2], found[1.0][2]), text


def _reference(snap, q, work) -> np.ndarray:
    """`q` evaluated the plain way, as masks: each word, phrase, date span and facet
    value on its own (`_eval` of a leaf), combined with numpy's logic. No alternative is
    skipped, nothing is kept as ids."""
    from whoosh import query as wq

    def leaf(node) -> np.ndarray:
        return snapshot_module.as_mask(snap._eval(node, work), snap.size).copy()

    def walk(node) -> np.ndarray:
        if isinstance(node, wq.Not):
            return ~walk(node.query)
        if isinstance(node, wq.AndNot):
            return walk(node.a) & ~walk(node.b)
        if isinstance(node, wq.And):
            out = np.ones(snap.size, dtype=bool)
            for sub in node.subqueries:
                out &= walk(sub)
            return out
        if isinstance(node, wq.Or):
            out = np.zeros(snap.size, dtype=bool)
            for sub in node.subqueries:
                out |= walk(sub)
            return out
        if isinstance(node, wq.MultiTerm):
            return walk(snap._expand(node, work))
        return leaf(node)

    return walk(q) & snap.live


def test_alternatives_of_a_phrase_skip_only_what_is_already_found(engine, generated):
    """A phrase's later alternatives do not check documents found by earlier ones
    (`Snapshot._any`): the result is still the union of every alternative, each
    evaluated alone."""
    texts = _queries(generated.corpus, engine)
    phrases = 0
    with engine._using() as snap:
        for text in texts:
            parsed = engine._parse(snap, SearchRequest(q=text))
            phrases += '"' in text
            expected = _reference(snap, parsed.query, Work(engine.limits))
            found = snapshot_module.as_mask(
                snap.matches(parsed.query, Work(engine.limits)), snap.size
            )
            assert np.array_equal(found, expected), text
    assert phrases >= 6


def test_where_candidates_are_found_by_search_or_by_counting_alike(generated, engine, monkeypatch):
    """A phrase finds its candidates in each word's postings by binary search while they
    are few and by counting past RANK_SHARE of the archive: every answer is the same."""
    texts = [t for t in _queries(generated.corpus, engine) if '"' in t]
    assert len(texts) >= 6
    requests = [SearchRequest(q=t) for t in texts]
    answers = {}
    for share in (0.0, 1.0):
        monkeypatch.setattr(snapshot_module, "RANK_SHARE", share)
        answers[share] = [_answer(engine, r) for r in requests]
    assert answers[0.0] == answers[1.0]
    assert sum(a[0] for a in answers[0.0]) > 30  # phrases found, and checked both ways


def _scores_word_by_word(snap, words, docs, work) -> np.ndarray:
    """BM25 as `Snapshot.scores` computed it before its words were scored together: one
    word at a time, its constants as Python floats."""
    import math

    sparse = snapshot_module.is_ids(docs)
    scores = np.zeros(len(docs) if sparse else snap.size, dtype=np.float32)
    n = max(snap.doc_count, 1)
    for fieldname, text in dict.fromkeys(words):
        postings = snap.postings(fieldname, text, work)
        if not len(postings.ids) or (sparse and not len(docs)):
            continue
        if sparse:
            at = np.searchsorted(postings.ids, docs)
            at[at == len(postings.ids)] = 0
            into = np.flatnonzero(postings.ids[at] == docs)
            rows = at[into]
        else:
            rows = np.flatnonzero(docs[postings.ids])
        if not len(rows):
            continue
        df = int(snap.live[postings.ids].sum())
        idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        ids = postings.ids[rows]
        boost = snap.searcher.schema[fieldname].format.field_boost
        tf = postings.weights[rows] / boost
        norm = 1.0 - 0.75 + 0.75 * snap.lengths[fieldname][ids] / snap.avg_lengths[fieldname]
        contribution = idf * tf * (1.2 + 1.0) / (tf + 1.2 * norm)
        scores[into if sparse else ids] += boost * contribution
    return scores


def test_words_scored_together_score_as_word_by_word_to_the_bit(engine, generated):
    texts = _queries(generated.corpus, engine)
    compared = 0
    with engine._using() as snap:
        for text in texts:
            parsed = engine._parse(snap, SearchRequest(q=text))
            work = Work(engine.limits)
            docs = snap.matches(parsed.query, work)
            for words in (
                [(f, w) for f, w, _, _ in parsed.words],
                list(dict.fromkeys(parsed.variants)),
            ):
                for each in (
                    snapshot_module.as_ids(docs),
                    snapshot_module.as_mask(docs, snap.size),
                ):
                    mine = snap.scores(words, each, work)
                    theirs = _scores_word_by_word(snap, words, each, work)
                    assert mine.dtype == theirs.dtype == np.float32
                    assert np.array_equal(mine.view(np.uint32), theirs.view(np.uint32)), text
                    compared += int(np.count_nonzero(mine))
    assert compared > 150  # scores compared, with deletions in the index
