"""archive/search/segment_writer.py writes the same index as Whoosh's own SegmentWriter."""

from __future__ import annotations

from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from archive.config import Config
from archive.document.authority import Registers
from archive.search.index import index_fields, make_schema
from archive.search.segment_writer import FastSegmentWriter
from archive.storage.store import Corpus
from tests.conftest import FIXTURE_CORPUS


def build(folder, writer_class, fields_list):
    ix = whoosh_index.create_in(str(folder), make_schema())
    writer = writer_class(ix)
    for fields in fields_list:
        writer.add_document(**fields)
    writer.commit()
    return whoosh_index.open_dir(str(folder))


def every_posting(ix):
    with ix.searcher() as searcher:
        reader = searcher.reader()
        out = {}
        for fieldname, btext in reader.all_terms():
            postings = []
            matcher = reader.postings(fieldname, btext)
            while matcher.is_active():
                postings.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            info = reader.term_info(fieldname, btext)
            out[(fieldname, btext)] = (
                postings,
                info.doc_frequency(),
                info.weight(),
                info.min_length(),
                info.max_length(),
                info.max_weight(),
            )
        stored = list(searcher.all_stored_fields())
        lengths = [
            [reader.doc_field_length(d, f) for f in ("title", "body", "names")]
            for d in range(reader.doc_count_all())
        ]
    return out, stored, lengths


def test_fast_writer_writes_what_whoosh_writes(tmp_path):
    registers = Registers.load(FIXTURE_CORPUS / "authority")
    fields_list = [
        index_fields(doc, registers)
        for doc in Corpus(Config(corpus=FIXTURE_CORPUS, instance=tmp_path / "instance")).documents()
    ]
    # Enough documents for terms to span several 128-posting blocks.
    fields_list = [
        {**fields, "id": f"{fields['id']}-{n}"} for n in range(60) for fields in fields_list
    ]
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "fast").mkdir()
    expected = every_posting(build(tmp_path / "whoosh", SegmentWriter, fields_list))
    found = every_posting(build(tmp_path / "fast", FastSegmentWriter, fields_list))
    assert found[0].keys() == expected[0].keys()
    assert found == expected
    assert max(len(v[0]) for v in found[0].values()) > 2 * 128
