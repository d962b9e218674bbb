"""Issue 13, points 1, 2 and 4: a rollback never destroys bytes that exist nowhere else, a
revision is an explicit intent, and every stored version is checked against the sha256
recorded when it was stored."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.errors import Conflict, FixityError
from archive.storage import store
from archive.storage.store import Corpus
from tests.conftest import FIXTURE_DOCUMENTS, SEED_ID
from tests.test_store import NEW_ID, edited, new_document, state
from webui import create_app


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during the index step of an add."""


@pytest.fixture
def interrupt():
    """An index step interrupted once (the rollback's own index step then succeeds)."""
    calls = []

    def step(ids):
        calls.append(ids)
        if len(calls) == 1:
            raise Interrupted

    return step


def unversioned(config):
    """A corpus copied in: documents/ and the registers, no versions/, no records."""
    shutil.rmtree(config.versions_dir)
    (config.corpus / "fixity.jsonl").unlink()
    return config


# -- point 1: data loss in add and its rollback ----------------------------------------


def test_an_interrupted_add_in_a_corpus_without_versions_keeps_the_current_file(
    corpus_copy, tmp_path, interrupt
):
    config = unversioned(corpus_copy)
    before = config.documents_dir.joinpath(f"{SEED_ID}.xml").read_bytes()
    corrected = edited(config, SEED_ID, "truest sense", "truest sense (sic)", tmp_path / "w")
    with pytest.raises(Interrupted):
        store.add(config, [corrected], revise=True, on_change=interrupt)
    assert config.documents_dir.joinpath(f"{SEED_ID}.xml").read_bytes() == before
    # What was current is now stored, and the corrected file can be added after all.
    assert Corpus(config).read_version(SEED_ID, 1) == before


def test_an_add_in_a_corpus_without_versions_stores_what_it_replaces(corpus_copy, tmp_path):
    config = unversioned(corpus_copy)
    before = config.documents_dir.joinpath(f"{SEED_ID}.xml").read_bytes()
    corrected = edited(config, SEED_ID, "truest sense", "truest sense (sic)", tmp_path / "w")
    [outcome] = store.add(config, [corrected], revise=True, message="Typing error marked.")
    assert (outcome.status, outcome.version) == ("revised", 2)
    corpus = Corpus(config)
    assert corpus.read_version(SEED_ID, 1) == before
    assert b">Typing error marked.</change>" in corpus.read_version(SEED_ID, 2)
    assert corpus.integrity_problems() == []
    assert store.verify(config).ok


def test_an_interrupted_add_of_a_file_edited_in_place_keeps_the_edit(corpus_copy, interrupt):
    current = corpus_copy.documents_dir / f"{SEED_ID}.xml"
    edit = current.read_bytes().replace(b"truest sense", b"truest sense (sic)")
    current.write_bytes(edit)
    with pytest.raises(Interrupted):
        store.add(corpus_copy, [current], revise=True, on_change=interrupt)
    assert current.read_bytes() == edit
    assert not (corpus_copy.corpus / store.ROLLBACK_DIR).exists()
    [outcome] = store.add(corpus_copy, [current], revise=True)
    assert outcome.version == 2


def test_a_kill_after_the_copy_aside_still_restores_the_edit(corpus_copy):
    """The journal says the edit was copied aside; recovery puts that copy back."""
    current = corpus_copy.documents_dir / f"{SEED_ID}.xml"
    edit = current.read_bytes().replace(b"truest sense", b"truest sense (sic)")
    current.write_bytes(edit)

    def killed(ids):
        raise SystemExit  # the process dies before its own rollback could run

    original = store.recover
    store.recover = lambda config, on_change=None: (
        [] if on_change is killed else original(config, on_change)
    )
    try:
        with pytest.raises(SystemExit):
            store.add(corpus_copy, [current], revise=True, on_change=killed)
    finally:
        store.recover = original
    assert (corpus_copy.corpus / store.JOURNAL_NAME).exists()
    store.recover_pending(corpus_copy)
    assert current.read_bytes() == edit


def test_an_add_never_overwrites_an_edit_that_is_in_no_version(corpus_copy, tmp_path):
    current = corpus_copy.documents_dir / f"{SEED_ID}.xml"
    other = edited(corpus_copy, SEED_ID, "truest sense", "truest-sense", tmp_path / "w")
    current.write_bytes(current.read_bytes().replace(b"truest sense", b"truest sense (sic)"))
    before = state(corpus_copy)
    with pytest.raises(Conflict, match="holds changes that are in no stored version"):
        store.add(corpus_copy, [other], revise=True)
    assert state(corpus_copy) == before


# -- point 2: a revision is an explicit intent ----------------------------------------


def test_a_colliding_id_is_never_stored_as_a_revision(corpus_copy, tmp_path):
    """Same id, same first date, another document: refused without --revise."""
    path = new_document(corpus_copy, tmp_path / "w", doc_id="petition-minefield-maps-2021")
    result = CliRunner().invoke(main, corpus_copy.arguments("add", str(path)))
    assert result.exit_code == 1
    assert "already in the archive (version 1)" in result.output
    assert "--revise" in result.output
    assert Corpus(corpus_copy).version_numbers("petition-minefield-maps-2021") == [1]


def test_two_archivists_adding_the_same_new_id_one_wins(corpus_copy, tmp_path):
    first = new_document(corpus_copy, tmp_path / "a")
    second = edited(corpus_copy, SEED_ID, "truest sense", "plainest sense", tmp_path / "b")
    second = second.rename(second.with_name(f"{NEW_ID}.xml"))
    second.write_text(second.read_text().replace(SEED_ID, NEW_ID))
    runner = CliRunner()
    won = runner.invoke(main, corpus_copy.arguments("add", str(first)))
    lost = runner.invoke(main, corpus_copy.arguments("add", str(second)))
    assert (won.exit_code, lost.exit_code) == (0, 1)
    assert "added (version 1)" in won.output
    assert f"id {NEW_ID!r} is already in the archive" in lost.output
    assert Corpus(corpus_copy).version_numbers(NEW_ID) == [1]


def test_revise_is_how_a_new_version_is_added(corpus_copy, tmp_path):
    path = edited(corpus_copy, SEED_ID, "truest sense", "truest sense (sic)", tmp_path / "w")
    result = CliRunner().invoke(main, corpus_copy.arguments("add", "--revise", str(path)))
    assert result.exit_code == 0, result.output
    assert f"{SEED_ID}: revised (version 2)" in result.output


# -- point 4: fixity --------------------------------------------------------------------


def records(config):
    lines = (config.corpus / "fixity.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_the_store_records_each_version_sha256_and_second(corpus_copy, tmp_path):
    """The stored time is the moment of storing, not the date the file's change gives."""
    path = edited(
        corpus_copy,
        SEED_ID,
        "</change>\n    </revisionDesc>",
        '</change>\n      <change when="2019-05-01" n="2">Dated long ago.</change>\n    </revisionDesc>',
        tmp_path / "w",
    )
    started = store.utc_now()
    store.add(corpus_copy, [path], revise=True)
    corpus = Corpus(corpus_copy)
    last = records(corpus_copy)[-1]
    assert (last["id"], last["version"]) == (SEED_ID, 2)
    assert last["sha256"] == corpus.version_document(SEED_ID, 2).sha256
    assert corpus.stored_time(SEED_ID, 2) == last["stored"]
    assert started <= last["stored"] <= store.utc_now()


def test_a_rollback_removes_the_records_of_what_it_undid(corpus_copy, tmp_path, interrupt):
    before = (corpus_copy.corpus / "fixity.jsonl").read_bytes()
    with pytest.raises(Interrupted):
        store.add(corpus_copy, [new_document(corpus_copy, tmp_path / "w")], on_change=interrupt)
    assert (corpus_copy.corpus / "fixity.jsonl").read_bytes() == before


def tamper(config, doc_id=SEED_ID, version=1):
    path = Corpus(config).version_path(doc_id, version)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b"truest sense", b"truest  sense"))
    return path


def test_altered_bytes_are_never_served_as_the_version(corpus_copy):
    tamper(corpus_copy)
    corpus = Corpus(corpus_copy)
    with pytest.raises(FixityError, match="no longer has the sha256 recorded"):
        corpus.read_version(SEED_ID, 1)
    client = create_app(corpus_copy, testing=True).test_client()
    page = client.get(f"/doc/{SEED_ID}/v1")
    assert page.status_code == 500
    assert b"Fixity failure" in page.data and b"truest  sense" not in page.data
    assert client.get(f"/doc/{SEED_ID}/v1.xml").status_code == 500
    answer = client.get(f"/doc/{SEED_ID}/v1.json").json
    assert "no longer has the sha256 recorded" in answer["error"]["message"]


def test_the_current_page_serves_the_stored_version_when_documents_is_altered(corpus_copy):
    current = corpus_copy.documents_dir / f"{SEED_ID}.xml"
    stored = current.read_bytes()
    current.write_bytes(stored.replace(b"truest sense", b"altered sense"))
    assert Corpus(corpus_copy).read_bytes(SEED_ID) == stored


def test_archive_verify_reports_every_damaged_or_missing_version(corpus_copy):
    runner = CliRunner()
    result = runner.invoke(main, corpus_copy.arguments("verify"))
    assert result.exit_code == 0, result.output
    assert f"{FIXTURE_DOCUMENTS} versions verified" in result.output
    damaged = tamper(corpus_copy)
    Corpus(corpus_copy).version_path("petition-minefield-maps-2021", 1).unlink()
    result = runner.invoke(main, corpus_copy.arguments("verify"))
    assert result.exit_code == 1
    assert f"{damaged}: fixity failure: sha256 is" in result.output
    assert "missing: version 1 of 'petition-minefield-maps-2021'" in result.output
    assert "Traceback" not in result.output


def test_verify_records_versions_stored_before_records_were_kept_once(corpus_copy):
    (corpus_copy.corpus / "fixity.jsonl").unlink()
    result = CliRunner().invoke(main, corpus_copy.arguments("verify"))
    assert result.exit_code == 0, result.output
    assert f"recorded {FIXTURE_DOCUMENTS} versions that had no fixity record yet" in result.output
    assert len(records(corpus_copy)) == FIXTURE_DOCUMENTS
    result = CliRunner().invoke(main, corpus_copy.arguments("verify"))
    assert "recorded" not in result.output and len(records(corpus_copy)) == FIXTURE_DOCUMENTS


def test_a_line_cut_short_by_a_kill_is_ignored_and_cut_away(corpus_copy, tmp_path):
    fixity = corpus_copy.corpus / "fixity.jsonl"
    with open(fixity, "ab") as handle:
        handle.write(b'{"id":"half-writ')
    assert Corpus(corpus_copy).stored_time(SEED_ID, 1) == "2026-11-26T00:00:00Z"
    store.add(corpus_copy, [new_document(corpus_copy, tmp_path / "w")])
    assert [r["id"] for r in records(corpus_copy)][-1] == NEW_ID
    assert store.verify(corpus_copy).ok


def test_a_reader_sees_records_rewritten_by_a_rollback_and_a_new_add(corpus_copy, tmp_path):
    """A long-lived reader (a web process) read a record that a rollback then removed, and
    an add of the same length replaced: it must read the new record, not keep the old."""
    fixity = corpus_copy.corpus / "fixity.jsonl"
    corpus = Corpus(corpus_copy)
    size = fixity.stat().st_size
    old = (
        b'{"id":"x-doc","version":1,"sha256":"'
        + b"a" * 64
        + b'","stored":"2026-12-01T00:00:00Z"}\n'
    )
    with open(fixity, "ab") as handle:
        handle.write(old)
    assert corpus.recorded_sha256("x-doc", 1) == "a" * 64
    os.truncate(fixity, size)
    with open(fixity, "ab") as handle:
        handle.write(old.replace(b"a" * 64, b"b" * 64))
    assert corpus.recorded_sha256("x-doc", 1) == "b" * 64
