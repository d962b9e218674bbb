"""A replica's index kept in step by publishing the writer's generation
(`publish_generation`, docs/scaling.md): a long-lived engine on the replica finds what the
writer added once it is published, and nothing of the writer's later changes before."""

from __future__ import annotations

from dataclasses import replace

from archive.config import Config
from archive.search import SearchEngine, SearchRequest, publish_generation, update_documents
from archive.search.index import current_generation
from archive.search.indexing import update_index
from tests.conftest import SEED_ID, copy_document


def test_a_published_generation_is_what_the_replica_searches(corpus_copy: Config, tmp_path):
    update_index(corpus_copy)
    replica = replace(corpus_copy, instance=tmp_path / "replica")
    first = publish_generation(corpus_copy, replica.index_dir)
    assert current_generation(replica.index_dir) == first
    engine = SearchEngine(replica)
    total = engine.search(SearchRequest()).total

    copy_document(corpus_copy, SEED_ID, "replica-added-2026", {"mined areas": "mined orchards"})
    update_documents(corpus_copy, ["replica-added-2026"])
    # Not published yet: the replica answers as before, its files untouched by the commit.
    assert engine.search(SearchRequest(q="orchards")).total == 0
    assert engine.search(SearchRequest()).total == total

    second = publish_generation(corpus_copy, replica.index_dir)
    assert engine.search(SearchRequest(q="orchards")).total == 1
    assert engine.search(SearchRequest()).total == total + 1
    assert not first.exists() and current_generation(replica.index_dir) == second
    # Segment files are shared (hard links); the manifest the writer updates in place is not.
    writer = current_generation(corpus_copy.index_dir)
    assert writer is not None
    shared = {p.name for p in second.iterdir() if p.stat().st_nlink > 1}
    assert any(name.endswith(".seg") for name in shared)
    assert "manifest.sqlite" not in shared
    engine.close()
