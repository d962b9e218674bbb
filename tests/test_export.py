"""Bulk export formats, checked with the real tools that read them: bagit, the TEI grammar,
json, csv, bibtexparser, rispy."""

from __future__ import annotations

import csv
import io
import json
import re
import tracemalloc
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import bagit
import bibtexparser
import pytest
import rispy
from lxml import etree

from archive.document.authority import Registers
from archive.document.model import DateSpan, Document, Signatory
from archive.document.tei import NS, XML_ID
from archive.errors import BadQuery
from archive.publish import table
from archive.publish.export import FORMATS, ExportStats, export_chunks, export_name
from archive.publish.selection import Selection, describe, everything, select
from archive.search import SearchEngine
from archive.search.indexing import update_index
from archive.search.request import SearchRequest
from archive.storage import cache, store
from archive.storage.store import Corpus
from tests.conftest import FIXTURE_CORPUS, FIXTURE_DOCUMENTS
from tests.conftest import SEED_ID as SEED
from tests.synthetic import make_corpus, revise_seed

NOW = datetime(2026, 11, 27, 9, 30, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """The bundled documents and 40 templated copies: 45 documents of every kind."""
    return make_corpus(tmp_path_factory.mktemp("synthetic"), 40)


def export(config, fmt, selection=None, **kwargs) -> bytes:
    selection = selection or everything(Corpus(config))
    return b"".join(export_chunks(fmt, selection, config, now=NOW, **kwargs))


def test_zip_is_a_bagit_bag_that_validates_and_holds_the_stored_bytes(synthetic, tmp_path):
    data = export(synthetic, "zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path)
    root = tmp_path / "appeals-archive-all-20261127T093000Z"
    assert {n.split("/", 1)[0] for n in names} == {root.name}
    bag = bagit.Bag(str(root))
    bag.validate()  # checksums, Payload-Oxum, completeness; raises BagValidationError
    validate_with_bagit_py(root)
    assert bag.version_info == (1, 0)
    corpus = Corpus(synthetic)
    assert sorted(p.stem for p in (root / "data" / "documents").iterdir()) == corpus.ids()
    for doc_id in corpus.ids():
        stored = corpus.read_bytes(doc_id)
        assert (root / "data" / "documents" / f"{doc_id}.xml").read_bytes() == stored
    for name in ("treaties.xml", "persons.xml", "organisations.xml", "places.xml"):
        assert (root / "data/authority" / name).read_bytes() == (
            synthetic.authority_dir / name
        ).read_bytes()
    assert set(bag.entries) >= {"data/documents/ngo-appeal-mine-maps-2021.xml"}


def test_bag_info_states_who_when_what_and_how_much(synthetic, tmp_path):
    with zipfile.ZipFile(io.BytesIO(export(synthetic, "zip"))) as archive:
        archive.extractall(tmp_path)
    info = bagit.Bag(str(tmp_path / "appeals-archive-all-20261127T093000Z")).info
    corpus = Corpus(synthetic)
    octets = sum(len(corpus.read_bytes(i)) for i in corpus.ids())
    registers = [p.read_bytes() for p in synthetic.authority_dir.glob("*.xml")]
    octets += sum(len(r) for r in registers)
    assert info["Payload-Oxum"] == f"{octets}.{len(corpus.ids()) + len(registers)}"
    assert info["Document-Count"] == str(len(corpus.ids()))
    assert info["Export-Versions"] == "current"
    assert info["Bagging-Date"] == "2026-11-27"
    assert info["Source-Organization"] == "Appeals Archive"
    assert info["Export-Selection"] == "all current documents of the archive"


def test_bag_info_of_a_search_names_its_query_and_filters_on_single_lines(bundled_config):
    selection = Selection(
        ids=["ngo-appeal-mine-maps-2021"],
        description=describe(
            [("q", "mine\nmaps\r\nForged-Field: x"), ("type", "appeal"), ("page", "3")]
        ),
    )
    with zipfile.ZipFile(io.BytesIO(export(bundled_config, "zip", selection))) as archive:
        name = next(n for n in archive.namelist() if n.endswith("/bag-info.txt"))
        text = archive.read(name).decode()
    assert "Export-Query: mine maps Forged-Field: x\n" in text
    assert "Export-Filter: type=appeal\n" in text
    assert "page" not in text
    assert not any(line.startswith("Forged-Field") for line in text.splitlines())
    assert name.startswith("appeals-archive-search-20261127T093000Z/")


def test_tei_corpus_validates_against_tei_all_and_keeps_each_header(synthetic, tei_all):
    tree = etree.ElementTree(etree.fromstring(export(synthetic, "tei")))
    assert tei_all.validate(tree), tei_all.error_log.filter_from_errors()[:3]
    root = tree.getroot()
    assert root.tag == f"{{{NS['t']}}}teiCorpus"
    members = root.findall("t:TEI", NS)
    registers = ["authority-treaties", "authority-persons", "authority-organisations"]
    registers.append("authority-places")
    assert [m.get(XML_ID) for m in members] == [*Corpus(synthetic).ids(), *registers]
    seed = root.find("t:TEI[@xml:id='ngo-appeal-mine-maps-2021']", {**NS, "xml": _XML})
    titles = seed.findall("t:teiHeader/t:fileDesc/t:titleStmt/t:title", NS)
    assert titles[0].text.startswith("Appeal of Azerbaijani civil society organisations")
    header_title = root.find("t:teiHeader/t:fileDesc/t:titleStmt/t:title", NS).text
    assert header_title == "Appeals Archive: all current documents of the archive"


_XML = "http://www.w3.org/XML/1998/namespace"


def test_jsonl_round_trips_the_model(synthetic):
    lines = export(synthetic, "jsonl").decode("utf-8").splitlines()
    corpus = Corpus(synthetic)
    assert len(lines) == len(corpus.ids())
    for line in lines:
        doc = Document.from_dict(json.loads(line))
        assert doc == corpus.document(doc.id)


def test_csv_round_trips_the_model_fields_it_carries(synthetic):
    text = export(synthetic, "csv").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    corpus = Corpus(synthetic)
    assert list(rows[0]) == list(table.COLUMNS)
    assert [r["id"] for r in rows] == corpus.ids()
    for row in rows:
        doc = corpus.document(row["id"])
        for name, value in table.read_row(row).items():
            assert value == getattr(doc, name), (row["id"], name)


def test_csv_cells_keep_separators_and_backslashes_inside_values():
    doc = Document(
        id="tricky-names",
        lang="en",
        title='A "title", with; separators | and \\ backslashes',
        doc_type="appeal",
        issued=DateSpan(not_before="2020-11-10", not_after="2021-04-22", cert="low"),
        permalink="https://appeals-archive.org/doc/tricky-names",
        sha256="0" * 64,
        signatories=[
            Signatory("a-b", "Ann; B|C \\D", "Chair; deputy", None, None),
            Signatory("e-f", "Eve", None, "org-x", "Org | X"),
        ],
        treaties=["gc-1949", "ap-1977-i"],
    )
    buffer = io.StringIO()
    registers = Registers.load(FIXTURE_CORPUS / "authority")
    csv.writer(buffer).writerows([table.COLUMNS, table.row(doc, registers)])
    row = next(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert row["issued_tei"] == "notBefore=2020-11-10; notAfter=2021-04-22; cert=low"
    for name, value in table.read_row(row).items():
        assert value == getattr(doc, name), name


def test_bibtex_parses_with_bibtexparser_one_entry_per_document(synthetic):
    library = bibtexparser.parse_string(export(synthetic, "bibtex").decode("utf-8"))
    assert not library.failed_blocks
    ids = Corpus(synthetic).ids()
    assert [e.key for e in library.entries] == [f"{i}-v1" for i in ids]
    seed = next(e for e in library.entries if e.key == "ngo-appeal-mine-maps-2021-v1")
    assert seed.fields_dict["url"].value == (
        "https://appeals-archive.org/doc/ngo-appeal-mine-maps-2021/v1"
    )


def test_ris_parses_with_rispy_one_record_per_document(synthetic):
    records = rispy.loads(export(synthetic, "ris").decode("utf-8"))
    corpus = Corpus(synthetic)
    assert len(records) == len(corpus.ids())
    assert [r["urls"] for r in records] == [[synthetic.permalink(i, 1)] for i in corpus.ids()]


def test_unknown_format_is_refused_before_any_byte(bundled_config):
    with pytest.raises(BadQuery, match="unknown export format 'pdf': choose one of zip, tei"):
        export_chunks("pdf", everything(Corpus(bundled_config)), bundled_config)


def test_a_document_withdrawn_during_the_export_is_left_out_and_reported(corpus_copy):
    ids = Corpus(corpus_copy).ids()
    gone = "bonn-declaration-mine-maps-2021"
    stats = ExportStats()
    chunks = export_chunks("jsonl", Selection(ids, total=len(ids)), corpus_copy, stats=stats)
    # Selected, then withdrawn before the export reaches it.
    store.withdraw(corpus_copy, gone, "Duplicate record.")
    lines = b"".join(chunks).decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [i for i in ids if i != gone]
    assert stats.skipped == [gone] and stats.documents == len(ids) - 1


def test_file_names_are_made_by_the_archive_not_the_request():
    search = Selection([], description=(("Query", '"; rm -rf / <script>'),))
    assert export_name(search, NOW) == "appeals-archive-search-20261127T093000Z"
    assert export_name(Selection([]), NOW) == "appeals-archive-all-20261127T093000Z"


def test_every_format_has_a_media_type_and_an_extension():
    assert set(FORMATS) == {"zip", "tei", "jsonl", "csv", "bibtex", "ris"}
    assert all(f.media_type and f.extension for f in FORMATS.values())


# --- selection ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(bundled_config):
    update_index(bundled_config)
    with SearchEngine(bundled_config) as engine:
        yield engine


def test_select_without_query_or_filters_is_every_current_document(bundled_config, engine):
    corpus = Corpus(bundled_config)
    selection = select(corpus, SearchRequest(q="", page=2, page_size=2), engine)
    assert list(selection.ids) == corpus.ids() and selection.total == FIXTURE_DOCUMENTS
    assert selection.is_everything


def test_select_of_a_search_is_its_ids_in_its_order(bundled_config, engine):
    request = SearchRequest(q="mines", filters={"type": ["appeal", "declaration"]}, sort="date")
    selection = select(Corpus(bundled_config), request, engine)
    found = engine.search(request)
    assert list(selection.ids) == [hit.id for hit in found.hits]
    assert selection.total == found.total == 3
    assert (
        selection.summary()
        == "Query: mines; Filter: type=appeal; Filter: type=declaration; Filter: sort=date"
    )


def test_select_of_a_search_needs_an_engine(bundled_config):
    with pytest.raises(BadQuery, match="run `archive index` first"):
        select(Corpus(bundled_config), SearchRequest(q="mines"), None)


# --- model cache and memory -------------------------------------------------------------


def test_a_second_export_reads_no_tei_into_the_model(synthetic, monkeypatch):
    first = export(synthetic, "jsonl")

    def refuse(*args, **kwargs):
        raise AssertionError("read_document called although the model is cached")

    monkeypatch.setattr(cache, "read_document", refuse)
    assert export(synthetic, "jsonl") == first


def test_cached_models_of_other_code_are_dropped(corpus_copy, monkeypatch):
    export(corpus_copy, "jsonl")
    conn = cache.connect(corpus_copy)
    assert conn.execute("SELECT count(*) FROM models").fetchone()[0] == FIXTURE_DOCUMENTS
    monkeypatch.setattr(cache, "code_fingerprint", lambda part="models": f"other {part} code")
    conn = cache.connect(corpus_copy)
    assert conn.execute("SELECT count(*) FROM models").fetchone()[0] == 0


def _peak(config, fmt: str) -> int:
    selection = everything(Corpus(config))
    tracemalloc.start()
    try:
        # Small chunks: the fixed-size buffers are full in both corpora, growth is what is left.
        for _ in export_chunks(fmt, selection, config, now=NOW, chunk_size=4096):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def small_and_large(tmp_path_factory):
    """Two synthetic corpora of different sizes."""
    folder = tmp_path_factory.mktemp("sizes")
    return make_corpus(folder / "small", 150), make_corpus(folder / "large", 450)


@pytest.mark.parametrize(
    ("fmt", "per_document"),
    # A held document would cost >= 5 KB. The list of ids is made before the measure. The zip
    # spills its directory entries, its central directory (~0.2 KB a document, written in one
    # go at the end) and its digests to temporary files: nothing of it may grow.
    [("zip", 30), ("tei", 300), ("jsonl", 300), ("csv", 300), ("ris", 300)],
)
def test_memory_does_not_grow_with_the_documents(small_and_large, fmt, per_document):
    small, large = small_and_large
    for config in (small, large):
        export(config, fmt)  # warm the model cache: measured is the export, not the parsing
    # The least of two runs: one-time events of the interpreter (a first import, the table
    # of interned strings growing) are not the export's.
    growth = min(_peak(large, fmt) for _ in range(2)) - min(_peak(small, fmt) for _ in range(2))
    assert growth < 300 * per_document, f"{fmt}: {growth} bytes more for 300 more documents"


def test_no_chunk_of_a_zip_grows_with_the_number_of_documents(small_and_large):
    """The central directory is written when the zip closes; handed on in one piece it was
    a last chunk of ~0.2 KB a document (the web response's memory, not only the export's)."""
    _small, large = small_and_large
    chunks = list(export_chunks("zip", everything(Corpus(large)), large, now=NOW, chunk_size=4096))
    files = [*large.documents_dir.iterdir(), *large.authority_dir.iterdir()]
    biggest_file = max(p.stat().st_size for p in files)
    assert max(len(c) for c in chunks) <= 4096 + biggest_file


# --- self-contained packages -------------------------------------------------------


def pointers(root: etree._Element) -> list[str]:
    """Every private pointer (`treaty:gc-1949`, `doc:x`) a TEI element's attributes hold."""
    found = []
    for element in root.iter():
        for name in ("ref", "target", "corresp", "who"):
            for token in (element.get(name) or "").split():
                if ":" in token and not token.startswith(("http:", "https:")):
                    found.append(token)
    return found


def expand(root: etree._Element, pointer: str) -> str:
    """A pointer expanded by the prefixDef of the TEI it is in, as a TEI processor does."""
    prefix, _, value = pointer.partition(":")
    for prefix_def in root.iterfind(".//t:prefixDef", NS):
        if prefix_def.get("ident") == prefix:
            match = re.fullmatch(prefix_def.get("matchPattern"), value)
            assert match, pointer
            return match.expand(prefix_def.get("replacementPattern").replace("$", "\\"))
    raise AssertionError(f"no prefixDef for {pointer}")


def ids_in(path: Path) -> set[str]:
    return {e.get(XML_ID) for e in etree.parse(str(path)).iter() if e.get(XML_ID)}


def test_every_pointer_of_a_bag_resolves_inside_the_bag(synthetic, tmp_path):
    with zipfile.ZipFile(io.BytesIO(export(synthetic, "zip"))) as archive:
        archive.extractall(tmp_path)
    data = tmp_path / "appeals-archive-all-20261127T093000Z" / "data"
    checked = 0
    for path in [*(data / "documents").glob("*.xml"), *(data / "authority").glob("*.xml")]:
        root = etree.parse(str(path)).getroot()
        for pointer in pointers(root):
            target, _, fragment = expand(root, pointer).partition("#")
            resolved = (path.parent / target).resolve()
            assert resolved.is_relative_to(data.resolve()), (path.name, pointer)
            assert resolved.is_file(), (path.name, pointer, target)
            assert not fragment or fragment in ids_in(resolved), (path.name, pointer)
            checked += 1
    assert checked > 100


def test_every_pointer_of_a_tei_corpus_resolves_inside_the_file(synthetic):
    root = etree.fromstring(export(synthetic, "tei"))
    ids = {e.get(XML_ID) for e in root.iter() if e.get(XML_ID)}
    checked = 0
    for member in root.findall("t:TEI", NS):
        for pointer in pointers(member):
            target = expand(member, pointer)
            assert target.startswith("#") and target[1:] in ids, (member.get(XML_ID), pointer)
            checked += 1
    assert checked > 100


def test_a_bag_of_every_version_holds_each_version_and_tombstone_and_validates(
    corpus_copy, tmp_path
):

    revise_seed(corpus_copy)
    store.withdraw(corpus_copy, "bonn-declaration-mine-maps-2021", "Duplicate record.")
    data = export(corpus_copy, "zip", versions="all")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path / "out")
    root = next((tmp_path / "out").iterdir())
    bagit.Bag(str(root)).validate()
    validate_with_bagit_py(root)
    corpus = Corpus(corpus_copy)
    for number in (1, 2):
        held = (root / "data/versions" / f"{SEED}.v{number}.xml").read_bytes()
        assert held == corpus.read_version(SEED, number)
    gone = "bonn-declaration-mine-maps-2021"
    assert (root / "data/versions" / f"{gone}.v1.xml").is_file()
    tombstone = json.loads((root / "data/withdrawn" / f"{gone}.json").read_text())
    assert tombstone["reason"] == "Duplicate record."
    assert not (root / "data/documents" / f"{gone}.xml").exists()
    # An old version's pointers resolve too: versions/ is one folder deep, like documents/.
    old = etree.parse(str(root / "data/versions" / f"{SEED}.v1.xml")).getroot()
    target = expand(old, "treaty:gc-1949-iv").partition("#")[0]
    assert (root / "data/versions" / target).resolve().is_file()


def test_every_version_is_a_bag_option_only(bundled_config):
    with pytest.raises(BadQuery, match="versions=all needs format zip"):
        export(bundled_config, "tei", versions="all")
    with pytest.raises(BadQuery, match="unknown versions 'some'"):
        export(bundled_config, "zip", versions="some")


def validate_with_bagit_py(root: Path) -> None:
    """The Library of Congress command-line validator, as an archive receiving the bag runs it."""
    import shutil
    import subprocess

    tool = shutil.which("bagit.py")
    assert tool, "bagit.py (from the bagit test dependency) is not on PATH"
    done = subprocess.run([tool, "--validate", str(root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "is valid" in done.stderr


def test_csv_gives_dates_as_columns_and_register_names_beside_ids(bundled_config):
    text = export(bundled_config, "csv").decode("utf-8")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text, newline=""))}
    seed = rows["ngo-appeal-mine-maps-2021"]
    assert (seed["issued"], seed["issued_from"], seed["issued_to"]) == (
        "25 March 2021 (uncertain)",
        "2021-03-25",
        "2021-03-25",
    )
    assert (
        seed["issued_certainty"] == "medium"
        and seed["issued_tei"] == "when=2021-03-25; cert=medium"
    )
    petition = rows["petition-minefield-maps-2021"]
    assert (petition["issued_from"], petition["issued_to"], petition["issued_certainty"]) == (
        "2020-11-10",
        "2021-04-22",
        "between",
    )
    bonn = rows["bonn-declaration-mine-maps-2021"]  # "not after 17 May 2021"
    assert (bonn["issued_from"], bonn["issued_to"]) == ("", "2021-05-17")
    trilateral = rows["trilateral-statement-2020-11-10"]
    assert trilateral["issued_certainty"] == "certain"
    # Names beside ids, item for item.
    assert (seed["treaty_ids"], seed["treaties"]) == (
        "gc-1949; ap-1977",
        "Geneva Conventions 1949; Additional Protocols of 1977",
    )
    assert seed["places"].split("; ")[seed["place_ids"].split("; ").index("karabakh")] == "Karabakh"
    assert len(seed["organisations"].split("; ")) == len(seed["organisation_ids"].split("; "))
