"""Issue 13, point 5: files in documents/ that are not current documents (a backup copy, a
half-written file, notes) are reported by `archive validate` and skipped by search, the
pages, OAI-PMH, the feed and every export alike, never exported."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.search import update_index
from archive.storage import store
from archive.storage.store import Corpus
from tests.conftest import FIXTURE_DOCUMENTS, SEED_ID
from tests.test_store import new_document
from webui import create_app

BACKUP = f"{SEED_ID}-old"


@pytest.fixture
def strays(corpus_copy):
    folder = corpus_copy.documents_dir
    seed = (folder / f"{SEED_ID}.xml").read_bytes()
    (folder / f"{BACKUP}.xml").write_bytes(seed)  # a backup copy, same xml:id
    (folder / "zz-half.xml").write_bytes(seed[: len(seed) // 2])  # a half-written file
    (folder / "notes.txt").write_text("to do")
    return corpus_copy


def test_validate_reports_each_stray_and_fails(strays):
    result = CliRunner().invoke(main, strays.arguments("validate"))
    assert result.exit_code == 1
    for name in (f"{BACKUP}.xml", "zz-half.xml", "notes.txt"):
        assert f"documents/{name}: not " in result.output, name
    assert Corpus(strays).ids() == sorted(p.stem for p in strays.versions_dir.iterdir())


def test_strays_are_skipped_everywhere_the_same_way(strays, tmp_path):
    update_index(strays)
    client = create_app(strays, testing=True).test_client()
    assert client.get("/search.json").json["total"] == FIXTURE_DOCUMENTS
    assert client.get(f"/doc/{BACKUP}").status_code == 404
    assert client.get("/doc/zz-half").status_code == 404
    oai = client.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc")
    assert oai.status_code == 200 and oai.data.count(b"<identifier>") == FIXTURE_DOCUMENTS
    assert b"zz-half" not in oai.data and BACKUP.encode() not in oai.data
    feed = client.get("/feed.atom")
    assert feed.status_code == 200 and b"zz-half" not in feed.data
    lines = client.get("/export?format=jsonl").data.decode().splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == Corpus(strays).ids()
    tei = client.get("/export?format=tei")
    assert (
        tei.status_code == 200 and tei.data.count(b"<TEI ") == FIXTURE_DOCUMENTS + 4
    )  # + registers
    bag = zipfile.ZipFile(io.BytesIO(client.get("/export?format=zip").data))
    names = [n for n in bag.namelist() if "/data/documents/" in n]
    assert len(names) == FIXTURE_DOCUMENTS and not any("zz-half" in n or BACKUP in n for n in names)
    # ... and they block no later change.
    assert store.add(strays, [new_document(strays, tmp_path / "w")])[0].status == "added"


def test_an_edit_in_place_never_added_is_neither_served_nor_found(corpus_copy):
    """documents/ is a working copy: until `archive add --revise`, an edit made there is in
    no stored version, so no page shows it and no search finds it."""
    update_index(corpus_copy)
    current = corpus_copy.documents_dir / f"{SEED_ID}.xml"
    stored = current.read_bytes()
    current.write_bytes(stored.replace(b"ecological catastrophe", b"ecological zebrawords"))
    update_index(corpus_copy)
    client = create_app(corpus_copy, testing=True).test_client()
    assert client.get("/search.json?q=zebrawords").json["total"] == 0
    assert client.get(f"/doc/{SEED_ID}.xml").data == stored
    result = CliRunner().invoke(main, corpus_copy.arguments("validate"))
    assert result.exit_code == 1 and "differs from its latest version" in result.output
