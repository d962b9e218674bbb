"""archive/search/codec.py: postings stored as arrays read back exactly as Whoosh's own codec
stores them, through Whoosh's readers and through the search engine."""

from __future__ import annotations

import json

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.writing import SegmentWriter

from archive.config import Config
from archive.document.authority import Registers
from archive.document.tei import read_document
from archive.search import SearchEngine, codec
from archive.search.codec import MAGIC, ArchiveCodec, ArrayMatcher, extent
from archive.search.index import INDEX_FORMAT, index_fields, make_schema, open_index
from archive.search.indexing import update_index
from archive.search.request import SearchRequest
from archive.search.segment_writer import FastSegmentWriter
from bench.generate import generate_corpus
from bench.run import make_queries
from tests.test_segment_writer import build, every_posting

DOCS = 300


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A synthetic corpus (common words in most documents, long posting lists) indexed
    the archive's way."""
    folder = tmp_path_factory.mktemp("codec")
    config = Config(corpus=generate_corpus(folder / "corpus", DOCS, seed=5), instance=folder / "a")
    update_index(config)
    return config


@pytest.fixture(scope="module")
def fields_list(synthetic: Config) -> list[dict]:
    registers = Registers.load(synthetic.authority_dir)
    paths = sorted(synthetic.documents_dir.glob("*.xml"))
    return [index_fields(read_document(p.read_bytes(), p), registers) for p in paths]


@pytest.fixture(scope="module")
def w3_postings(tmp_path_factory: pytest.TempPathFactory, fields_list: list[dict]) -> tuple:
    """Every posting, term statistic and stored field as Whoosh's own writer and codec
    write them."""
    return every_posting(build(tmp_path_factory.mktemp("w3"), SegmentWriter, fields_list))


def whoosh_generation(config: Config, fields_list: list[dict]) -> Config:
    """The same documents indexed by Whoosh's own writer and codec, as a live generation of
    the current format in an instance of its own."""
    reference = Config(corpus=config.corpus, instance=config.instance.parent / "whoosh")
    folder = reference.index_dir / "g-whoosh"
    folder.mkdir(parents=True)
    ix = whoosh_index.create_in(str(folder), make_schema())
    writer = SegmentWriter(ix, codec=W3Codec())
    for fields in fields_list:
        writer.add_document(**fields)
    writer.commit()
    (folder / "format.json").write_text(json.dumps({"format": INDEX_FORMAT}))
    (reference.index_dir / "CURRENT").write_text("g-whoosh\n")
    return reference


def test_whoosh_writers_with_the_codec_write_what_the_w3_codec_writes(
    tmp_path, fields_list, w3_postings
):
    def archive_writer(ix):
        return SegmentWriter(ix, codec=ArchiveCodec())

    ix = build(tmp_path, archive_writer, fields_list)
    assert every_posting(ix) == w3_postings
    with ix.searcher() as searcher:
        reader = searcher.reader()
        matcher = reader.postings("body", b"wa")
        assert isinstance(matcher, ArrayMatcher)
        assert len(list(matcher.all_ids())) > 200  # one list longer than a W3 block


def test_tokens_grouped_in_steps_give_whoosh_postings(tmp_path, fields_list, w3_postings):
    """A bulk build groups its tokens into postings every so many tokens: postings that
    straddle a step come out as Whoosh's writer gives them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(codec, "_TOKENS_STEP", 997)
        ix = build(tmp_path, FastSegmentWriter, fields_list)
    assert every_posting(ix) == w3_postings


def test_postings_are_array_records(synthetic):
    ix = open_index(synthetic)
    with ix.reader() as reader:
        for leaf, _ in reader.leaf_readers():
            offset, _ = extent(leaf._terms.term_info("body", b"wa"))
            assert leaf._terms._postfile.get(offset, 4) == MAGIC
    ix.close()


def test_merged_segments_keep_every_posting(tmp_path, fields_list, w3_postings):
    """An update merges small segments: postings read back through the codec, written
    again by the archive's writer, give the index a single build gives."""
    ix = whoosh_index.create_in(str(tmp_path), make_schema())
    for start in range(0, len(fields_list), 100):
        writer = FastSegmentWriter(ix)
        for fields in fields_list[start : start + 100]:
            writer.add_document(**fields)
        writer.commit(merge=False)
    writer = FastSegmentWriter(ix)
    writer.commit(optimize=True)
    ix = whoosh_index.open_dir(str(tmp_path))
    assert len(ix._segments()) == 1
    assert every_posting(ix) == w3_postings


def test_documents_added_and_segments_merged_in_one_commit(tmp_path, fields_list):
    """An update adds its documents and merges small segments in the same commit, so one
    writer holds new postings and merged ones: the same index as Whoosh's own writer and
    codec give for the same commits."""

    # Whoosh's default policy merges segments while they are small: commits of a few
    # documents, then the rest in one.
    batches = [fields_list[start : start + 4] for start in range(0, 100, 4)]
    batches.append(fields_list[100:])

    def commits(folder, writer_class):
        ix = whoosh_index.create_in(str(folder), make_schema())
        for batch in batches:
            writer = writer_class(ix)
            for fields in batch:
                writer.add_document(**fields)
            writer.commit()
        return whoosh_index.open_dir(str(folder))

    (tmp_path / "w3").mkdir()
    (tmp_path / "ours").mkdir()
    expected = commits(tmp_path / "w3", lambda ix: SegmentWriter(ix, codec=W3Codec()))
    found = commits(tmp_path / "ours", FastSegmentWriter)
    assert len(found._segments()) < len(batches) // 2  # merges happened
    assert every_posting(found) == every_posting(expected)


def test_the_engine_finds_the_same_with_either_codec(synthetic, fields_list):
    reference = whoosh_generation(synthetic, fields_list)
    queries = [q for qs in make_queries(synthetic.corpus, 3, 12).values() for q in qs[:12]]
    queries += [
        '"synthetic person"',
        '"was been"',
        "synthetic -person",
        "person*",
        'title:"synthetic"',
        '"person was"~3',
    ]
    requests = [SearchRequest(q=q) for q in queries]
    requests += [
        SearchRequest(q="was", sort="date"),
        SearchRequest(q='"synthetic person"', filters={"lang": ("en",)}, page=2, page_size=7),
    ]
    with SearchEngine(synthetic) as ours, SearchEngine(reference) as whoosh:
        for request in requests:
            found = ours.search(request).to_dict()
            expected = whoosh.search(request).to_dict()
            found.pop("took_ms")
            expected.pop("took_ms")
            assert found == expected, request.q
        assert ours.search(SearchRequest(q='"synthetic person"')).total > DOCS // 2
