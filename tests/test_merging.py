"""Updates merge the small segments they wrote, never a build's: the work of one `archive
add` does not follow the size of the archive (issue 20, found at a million documents)."""

from __future__ import annotations

import pytest
import whoosh.reading
from lxml import etree
from whoosh.writing import MERGE_SMALL

from archive.config import Config
from archive.search import merging
from archive.search.index import open_index
from archive.search.indexing import update_documents, update_index
from bench.generate import CorpusGenerator, generate_corpus


class FakeSegment:
    def __init__(self, docs: int) -> None:
        self.docs = docs

    def doc_count_all(self) -> int:
        return self.docs


class RecordingWriter:
    storage = schema = None

    def __init__(self) -> None:
        self.merged: list[FakeSegment] = []

    def add_reader(self, reader) -> None:
        self.merged.append(reader.segment)


class FakeReader:
    def __init__(self, storage, schema, segment) -> None:
        self.segment = segment

    def close(self) -> None:
        pass


@pytest.fixture
def fake_readers(monkeypatch):
    monkeypatch.setattr(whoosh.reading, "SegmentReader", FakeReader)
    monkeypatch.setattr(merging, "SegmentReader", FakeReader)


def test_a_million_documents_built_in_40_segments_are_left_alone_by_an_add(fake_readers):
    built = [FakeSegment(25_000) for _ in range(40)]
    added = [FakeSegment(1)]
    # Whoosh's own policy rewrites most of the archive for one added document ...
    whoosh_writer = RecordingWriter()
    MERGE_SMALL(whoosh_writer, built + added)
    assert sum(s.docs for s in whoosh_writer.merged) > 500_000
    # ... this one merges nothing until enough small segments have gathered.
    writer = RecordingWriter()
    assert merging.merge_added_segments(writer, built + added) == built + added
    assert writer.merged == []


def test_small_segments_are_merged_once_enough_gather_and_big_ones_never(fake_readers):
    built = [FakeSegment(25_000) for _ in range(40)]
    small = [FakeSegment(3) for _ in range(merging.MERGE_AT)]
    writer = RecordingWriter()
    kept = merging.merge_added_segments(writer, built + small)
    assert kept == built
    assert writer.merged == small


def _add(config: Config, generator: CorpusGenerator, number: int) -> str:
    doc_id, root = generator.document(number)
    path = config.documents_dir / f"{doc_id}.xml"
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    update_documents(config, [doc_id])
    return doc_id


def _segments(config: Config) -> dict[str, int]:
    ix = open_index(config)
    try:
        return {s.segment_id(): s.doc_count_all() for s in ix._segments()}
    finally:
        ix.close()


def test_adds_to_a_real_index_keep_the_builds_segments_and_stay_searchable(tmp_path, monkeypatch):
    monkeypatch.setattr(merging, "SMALL_SEGMENT_DOCS", 10)
    monkeypatch.setattr(merging, "MERGE_AT", 3)
    corpus = generate_corpus(tmp_path / "corpus", 60, seed=5)
    config = Config(corpus=corpus, instance=tmp_path / "instance")
    update_index(config, procs=2)
    built = _segments(config)
    assert sum(built.values()) == 60 and min(built.values()) >= merging.SMALL_SEGMENT_DOCS
    generator = CorpusGenerator(5)
    added = [_add(config, generator, 1000 + i) for i in range(8)]
    after = _segments(config)
    # The build's segments are the same files; the adds' were merged as they gathered.
    assert set(built) <= set(after)
    small = {k: n for k, n in after.items() if k not in built}
    assert len(small) < 3 and sum(small.values()) == 8
    from archive.search import SearchEngine
    from archive.search.request import SearchRequest

    with SearchEngine(config) as engine:
        assert engine.search(SearchRequest()).total == 68
        for doc_id in added:
            assert engine.search(SearchRequest(q=f"id:{doc_id}")).total == 1


def test_removing_a_document_reads_pages_not_whole_segments(tmp_path):
    """A revision or withdrawal deletes through a reader on every segment; with the segments
    memory-mapped, Whoosh copied each one's term and posting files whole (6-8 GB at a
    million documents to remove one)."""
    import tracemalloc

    corpus = generate_corpus(tmp_path / "corpus", 800, seed=9)
    config = Config(corpus=corpus, instance=tmp_path / "instance")
    update_index(config, procs=1)
    segment_bytes = sum(p.stat().st_size for p in config.index_dir.glob("g-*/*.seg"))
    doc_id = _add(config, CorpusGenerator(9), 5000)
    (config.documents_dir / f"{doc_id}.xml").unlink()
    tracemalloc.start()
    try:
        update_documents(config, [doc_id])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < segment_bytes / 2, (peak, segment_bytes)
    assert _segments(config)  # the index still opens
