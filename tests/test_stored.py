"""Stored fields read from the segment files (archive.search.stored) are those Whoosh's reader
gives, for every document of single- and multi-segment indexes, and a segment not in a file on
disk is left to Whoosh; the result pages built on them are those of Whoosh's reads and the
general snippet scan (tests/test_snippets.py keeps it)."""

from __future__ import annotations

import pytest
from whoosh.fields import ID, STORED, Schema
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.reading import ReaderClosed

from archive.config import Config
from archive.search import SearchEngine, SearchRequest, update_documents, update_index
from archive.search import engine as engine_module
from archive.search.snapshot import Snapshot
from archive.search.stored import StoredFields
from tests.conftest import SEED_ID, copy_document, store_edit
from tests.test_snippets import reference_snippet


def _assert_whooshs(snap: Snapshot) -> None:
    """Every document's stored fields, as Whoosh reads them, read the fast way."""
    reader = snap.reader()
    for docnum in range(snap.size):
        mine, whooshs = snap.stored_fields(docnum), reader.stored_fields(docnum)
        assert mine == whooshs and list(mine) == list(whooshs), docnum
    columns = snap._stored._columns
    assert all(column not in (None, False) for column in columns)  # the fast way


def test_stored_fields_are_whooshs(engine: SearchEngine) -> None:
    with engine._using() as snap:
        _assert_whooshs(snap)


def test_stored_fields_of_several_segments_with_deletions(corpus_copy: Config) -> None:
    update_index(corpus_copy)
    copy_document(corpus_copy, SEED_ID, "synthetic-added-2026", {"mined areas": "mined fields"})
    update_documents(corpus_copy, ["synthetic-added-2026"])
    store_edit(corpus_copy, SEED_ID, "mined areas", "mined valleys")
    update_documents(corpus_copy, [SEED_ID])  # a deleted document, a third segment
    with SearchEngine(corpus_copy) as engine, engine._using() as snap:
        assert len(snap.layout) >= 3 and snap.doc_count < snap.size
        _assert_whooshs(snap)


def test_a_field_gone_from_the_schema_is_left_out_as_whoosh_does(engine: SearchEngine) -> None:
    with engine._using() as snap:
        snap.stored_fields(0)
        stored = snap._stored
        column = stored._columns[0]
        saved = column.schema, set(column.inside), set(column.outside)
        narrower = Schema(**{name: STORED for name in column.schema.names() if name != "body"})
        try:
            column.schema, column.inside, column.outside = narrower, set(), set()
            record = snap.reader().stored_fields(0)
            assert stored(0) == {k: v for k, v in record.items() if k in narrower}
            assert "body" in record and "body" not in stored(0)
        finally:
            column.schema, column.inside, column.outside = saved


def test_a_closed_reader_refuses_as_whooshs_does(indexed_config: Config) -> None:
    with SearchEngine(indexed_config) as engine:
        engine.search(SearchRequest())
        snap = Snapshot.build(engine._index.searcher(), {}, engine._index.storage)
        assert snap.stored_fields(0)
        snap.close()
        with pytest.raises(ReaderClosed):
            snap.stored_fields(0)


@pytest.mark.parametrize("where", ["memory", "files"])
def test_segments_read_otherwise_are_left_to_whoosh(tmp_path, where: str) -> None:
    """A segment in memory is read by Whoosh; one in separate files (not compound) the
    fast way: both as Whoosh reads them."""
    storage = RamStorage() if where == "memory" else FileStorage(str(tmp_path))
    index = storage.create_index(Schema(id=ID(stored=True), text=STORED, flag=STORED))
    for first in (0, 3):
        writer = index.writer(compound=where == "memory")
        for i in range(first, first + 3):
            writer.add_document(id=str(i), text="x" * (i * 50), flag=bool(i % 2))
        writer.add_document(id=f"empty-{first}")
        writer.commit(merge=False)
    with index.reader() as reader:
        leaves = list(reader.leaf_readers())
        assert len(leaves) == 2
        stored = StoredFields(leaves)
        assert all(c is False for c in stored._columns)  # found when first read
        for docnum in range(reader.doc_count_all()):
            assert stored(docnum) == reader.stored_fields(docnum)
        assert all((c is None) == (where == "memory") for c in stored._columns)


_QUERIES = [
    SearchRequest(),
    SearchRequest(q="mine maps"),
    SearchRequest(q='"mine maps"'),
    SearchRequest(q="minefield OR victims"),
    SearchRequest(q="Mirzəyev"),
    SearchRequest(q="карты"),
    SearchRequest(q="geneva", page_size=3),
    SearchRequest(q="appeal", filters={"lang": ("en",)}, sort="date"),
    SearchRequest(q="treaty:gc-1949"),
]


@pytest.mark.parametrize("request_", _QUERIES, ids=lambda r: r.q or "all")
def test_hits_are_those_of_whooshs_reads_and_the_general_scan(
    engine: SearchEngine, request_: SearchRequest, monkeypatch
) -> None:
    fast = engine.search(request_).hits
    monkeypatch.setattr(Snapshot, "stored_fields", lambda self, d: self.reader().stored_fields(d))
    monkeypatch.setattr(engine_module, "snippet", reference_snippet)
    slow = engine.search(request_).hits
    assert fast == slow and fast


def test_threads_share_one_reader_of_stored_fields_and_open_none_of_their_own(
    engine: SearchEngine,
) -> None:
    """Records are read by position from the generation's files: threads reading at once
    get Whoosh's dicts, and a thread that only made pages opened no reader of its own."""
    import threading

    with engine._using() as snap:
        expected = [snap.searcher.reader().stored_fields(d) for d in range(snap.size)]
        got: dict[int, list] = {}
        opened: dict[int, bool] = {}

        def read(n: int) -> None:
            got[n] = [snap.stored_fields(d) for _ in range(20) for d in range(snap.size)]
            opened[n] = getattr(snap._local, "reader", None) is not None

        threads = [threading.Thread(target=read, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for n in range(4):
            assert got[n] == expected * 20
            assert not opened[n]
