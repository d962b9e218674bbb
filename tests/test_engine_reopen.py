"""The engine's check for a changed index (SearchEngine._current): three `stat`s while the
index folders' times are settled, the full check (CURRENT, format.json, Whoosh's TOC) when
they changed or are too recent to tell, and an added, revised or withdrawn document is
found at once either way."""

from __future__ import annotations

from archive.config import Config
from archive.search import SearchEngine, SearchRequest, update_documents, update_index
from archive.search import engine as engine_module
from tests.conftest import SEED_ID, copy_document, store_edit


def _counting(engine: SearchEngine, monkeypatch) -> list[int]:
    calls = [0]
    reopened = engine._reopened

    def counted():  # type: ignore[no-untyped-def]
        calls[0] += 1
        return reopened()

    monkeypatch.setattr(engine, "_reopened", counted)
    return calls


def test_a_settled_index_is_not_asked_again(corpus_copy: Config, monkeypatch):
    update_index(corpus_copy)
    monkeypatch.setattr(engine_module, "_SETTLED_NS", 0)  # every time counts as settled
    with SearchEngine(corpus_copy) as engine:
        calls = _counting(engine, monkeypatch)
        for _ in range(5):
            engine.search(SearchRequest(q="mine"))
        assert calls[0] == 2  # the first opening, then the one that settles the stamp


def test_recent_changes_are_checked_in_full_on_every_search(corpus_copy: Config, monkeypatch):
    update_index(corpus_copy)
    monkeypatch.setattr(engine_module, "_SETTLED_NS", 3600 * 10**9)  # nothing settles
    with SearchEngine(corpus_copy) as engine:
        calls = _counting(engine, monkeypatch)
        for _ in range(5):
            engine.search(SearchRequest(q="mine"))
        assert calls[0] == 5


def test_a_settled_engine_finds_an_added_revised_or_withdrawn_document_at_once(
    corpus_copy: Config, monkeypatch
):
    update_index(corpus_copy)
    monkeypatch.setattr(engine_module, "_SETTLED_NS", 0)
    with SearchEngine(corpus_copy) as engine:
        for _ in range(3):
            engine.search(SearchRequest(q="mine"))
        assert engine._settled is not None  # the next search trusts the stamp
        copy_document(corpus_copy, SEED_ID, "synthetic-added-2026", {"mined areas": "vineyards"})
        update_documents(corpus_copy, ["synthetic-added-2026"])
        assert engine.search(SearchRequest(q="vineyards")).total == 1
        engine.search(SearchRequest(q="mine"))
        store_edit(corpus_copy, SEED_ID, "mined areas", "mined orchards")
        update_documents(corpus_copy, [SEED_ID])
        assert engine.search(SearchRequest(q="orchards")).total == 1
        engine.search(SearchRequest(q="mine"))
        update_index(corpus_copy, rebuild=True)  # a new generation: CURRENT renamed
        assert engine.search(SearchRequest(q="orchards")).total == 1
        assert engine.search(SearchRequest(q="vineyards")).total == 1
