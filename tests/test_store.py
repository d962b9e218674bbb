"""Adding and withdrawing: immutable versions, all-or-nothing changes, one writer at a time."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from archive.config import Config
from archive.errors import Conflict, Gone, InvalidDocument, NotFound
from archive.storage import store
from archive.storage.store import Corpus
from tests.conftest import SEED_ID, snapshot

PROJECT = Path(__file__).resolve().parent.parent


def state(config: Config) -> dict[str, bytes]:
    """The corpus as files, without the lock file (which only says who wrote last)."""
    return {k: v for k, v in snapshot(config.corpus).items() if k != ".lock"}


def edited(config: Config, doc_id: str, old: str, new: str, folder: Path) -> Path:
    """A copy of the current document with one replacement, in a work folder."""
    text = Corpus(config).read_bytes(doc_id).decode("utf-8")
    assert old in text
    folder.mkdir(exist_ok=True)
    path = folder / f"{doc_id}.xml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


NEW_ID = "appeal-test-new-document"


def new_document(
    config: Config, folder: Path, doc_id: str = NEW_ID, when: str = "2026-11-20"
) -> Path:
    """A new, valid document made from the seed with another id."""
    text = Corpus(config).read_bytes(SEED_ID).decode("utf-8").replace(SEED_ID, doc_id)
    text = text.replace('<change when="2026-11-26" n="1">', f'<change when="{when}" n="1">')
    folder.mkdir(exist_ok=True)
    path = folder / f"{doc_id}.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_corpus_was_added_through_the_store(bundled_config):
    corpus = Corpus(bundled_config)
    assert corpus.integrity_problems() == []
    for doc_id in corpus.ids():
        assert corpus.version_numbers(doc_id) == [1]
        assert corpus.read_version(doc_id, 1) == corpus.read_bytes(doc_id)


def test_new_document_becomes_version_1_byte_for_byte(corpus_copy, tmp_path):
    path = new_document(corpus_copy, tmp_path / "work")
    outcomes = store.add(corpus_copy, [path])
    assert [(o.doc_id, o.version, o.status) for o in outcomes] == [(NEW_ID, 1, "added")]
    corpus = Corpus(corpus_copy)
    assert corpus.read_version(NEW_ID, 1) == path.read_bytes() == corpus.read_bytes(NEW_ID)
    assert not os.access(corpus.version_path(NEW_ID, 1), os.W_OK) or os.geteuid() == 0
    assert oct(corpus.version_path(NEW_ID, 1).stat().st_mode & 0o777) == "0o444"


def test_revisions_keep_every_earlier_version_intact(corpus_copy, tmp_path):
    corpus = Corpus(corpus_copy)
    v1 = corpus.read_version(SEED_ID, 1)
    path = edited(
        corpus_copy,
        SEED_ID,
        "ecological catastrophe",
        "ecological catastrophe (sic)",
        tmp_path / "a",
    )
    [outcome] = store.add(
        corpus_copy,
        [path],
        revise=True,
        message="Marked a typing error.",
        now="2026-11-27T10:00:00Z",
    )
    assert (outcome.version, outcome.status) == (2, "revised")
    v2 = corpus.read_version(SEED_ID, 2)
    assert b'<change when="2026-11-27T10:00:00Z" n="2">Marked a typing error.</change>' in v2
    doc = corpus.document(SEED_ID)
    assert doc.version == 2 and doc.changes[-1].description == "Marked a typing error."

    path = edited(corpus_copy, SEED_ID, "(sic)", "[sic]", tmp_path / "b")
    [outcome] = store.add(corpus_copy, [path], revise=True, now="2026-11-28T10:00:00Z")
    assert outcome.version == 3
    assert corpus.version_numbers(SEED_ID) == [1, 2, 3]
    assert corpus.read_version(SEED_ID, 1) == v1
    assert corpus.read_version(SEED_ID, 2) == v2
    assert corpus.read_bytes(SEED_ID) == corpus.read_version(SEED_ID, 3)
    assert corpus.integrity_problems() == []


def test_a_file_that_records_its_own_next_version_is_stored_as_it_is(corpus_copy, tmp_path):
    path = edited(
        corpus_copy,
        SEED_ID,
        "</change>\n    </revisionDesc>",
        '</change>\n      <change when="2026-11-27" n="2">Second version.</change>\n    </revisionDesc>',
        tmp_path / "w",
    )
    [outcome] = store.add(corpus_copy, [path], revise=True)
    assert outcome.version == 2
    assert Corpus(corpus_copy).read_version(SEED_ID, 2) == path.read_bytes()


def test_an_identical_file_changes_nothing(corpus_copy):
    before = state(corpus_copy)
    [outcome] = store.add(corpus_copy, [Corpus(corpus_copy).path(SEED_ID)])
    assert outcome.status == "unchanged"
    assert state(corpus_copy) == before


def test_an_id_taken_by_another_document_is_refused(corpus_copy, tmp_path):
    before = state(corpus_copy)
    path = new_document(
        corpus_copy, tmp_path / "w", doc_id="petition-minefield-maps-2021", when="2026-10-01"
    )
    with pytest.raises(Conflict, match="already in the archive"):
        store.add(corpus_copy, [path])
    with pytest.raises(Conflict, match="belongs to another document"):
        store.add(corpus_copy, [path], revise=True)
    assert state(corpus_copy) == before


def test_an_edit_of_an_old_version_is_refused(corpus_copy, tmp_path):
    store.add(
        corpus_copy,
        [edited(corpus_copy, SEED_ID, "truest sense", "truest-sense", tmp_path / "a")],
        revise=True,
    )
    stale = tmp_path / "b" / f"{SEED_ID}.xml"
    stale.parent.mkdir()
    stale.write_bytes(
        Corpus(corpus_copy).read_version(SEED_ID, 1).replace(b"truest sense", b"truest  sense")
    )
    before = state(corpus_copy)
    with pytest.raises(Conflict, match="edited from version 1"):
        store.add(corpus_copy, [stale], revise=True)
    assert state(corpus_copy) == before


def test_one_invalid_file_stops_the_whole_batch(corpus_copy, tmp_path):
    good = new_document(corpus_copy, tmp_path / "w")
    bad = edited(corpus_copy, SEED_ID, 'ref="place:ganja"', 'ref="place:nowhere"', tmp_path / "w")
    before = state(corpus_copy)
    with pytest.raises(InvalidDocument) as caught:
        store.add(corpus_copy, [good, bad])
    assert "place:nowhere does not resolve" in str(caught.value)
    assert state(corpus_copy) == before


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "file is empty"),
        (b"\x00\x01binary", "malformed XML"),
        (b"<x>caf\xe9</x>", "not UTF-8"),
    ],
)
def test_unreadable_input_is_refused_and_nothing_changes(corpus_copy, tmp_path, content, words):
    path = tmp_path / "input.xml"
    path.write_bytes(content)
    before = state(corpus_copy)
    with pytest.raises(InvalidDocument, match=words):
        store.add(corpus_copy, [path])
    assert state(corpus_copy) == before


def test_withdrawal_keeps_versions_and_answers_gone(corpus_copy, tmp_path):
    corpus = Corpus(corpus_copy)
    v1 = corpus.read_version(SEED_ID, 1)
    same_id_again = new_document(corpus_copy, tmp_path / "w", doc_id=SEED_ID)
    withdrawal = store.withdraw(
        corpus_copy, SEED_ID, "Duplicate of another record.", now="2026-11-27T09:00:00Z"
    )
    assert (withdrawal.when, withdrawal.last_version) == ("2026-11-27T09:00:00Z", 1)
    assert SEED_ID not in corpus.ids() and SEED_ID in corpus.known_ids()
    with pytest.raises(Gone) as caught:
        corpus.read_bytes(SEED_ID)
    assert caught.value.reason == "Duplicate of another record."
    assert corpus.read_version(SEED_ID, 1) == v1
    assert corpus.withdrawals() == [withdrawal]
    assert corpus.integrity_problems() == []
    with pytest.raises(Conflict, match="ids are never reused"):
        store.add(corpus_copy, [same_id_again])
    with pytest.raises(Gone):
        store.withdraw(corpus_copy, SEED_ID, "again")


def test_unknown_or_malformed_ids_and_versions_are_not_found(bundled_config):
    corpus = Corpus(bundled_config)
    for doc_id in ("no-such-document", "../authority/treaties", "A", ""):
        with pytest.raises(NotFound):
            corpus.read_bytes(doc_id)
    with pytest.raises(NotFound, match="has no version 7"):
        corpus.read_version(SEED_ID, 7)
    with pytest.raises(NotFound):
        corpus.read_version(SEED_ID, 0)


def test_a_failing_index_update_rolls_the_corpus_back(corpus_copy, tmp_path):
    before = state(corpus_copy)
    calls = []

    def failing_index(ids):
        calls.append(ids)
        if len(calls) == 1:
            raise RuntimeError("index is broken")

    with pytest.raises(RuntimeError):
        store.add(corpus_copy, [new_document(corpus_copy, tmp_path / "w")], on_change=failing_index)
    assert state(corpus_copy) == before
    assert calls == [[NEW_ID], [NEW_ID]]  # the rollback re-synchronises the index too


def test_a_second_writer_is_refused_with_a_clear_message(corpus_copy, tmp_path):
    path = new_document(corpus_copy, tmp_path / "w")
    with store.corpus_lock(corpus_copy):
        with pytest.raises(Conflict, match=f"is being changed by process {os.getpid()}"):
            store.add(corpus_copy, [path])
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "archive",
                "--corpus",
                str(corpus_copy.corpus),
                "add",
                str(path),
            ],
            capture_output=True,
            text=True,
            cwd=PROJECT,
        )
        assert completed.returncode == 1
        assert "is being changed by process" in completed.stderr
        assert "Traceback" not in completed.stderr
    assert store.add(corpus_copy, [path])[0].status == "added"


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from archive.storage import fsutil, store
    from archive.config import Config

    kill_at = int(sys.argv[1])
    calls = 0

    def counting(write):
        def wrapper(*args, **kwargs):
            global calls
            calls += 1
            if calls == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return write(*args, **kwargs)
        return wrapper

    store.atomic_write = counting(fsutil.atomic_write)
    config = Config(corpus=Path(sys.argv[2]), instance=Path(sys.argv[2]).parent / "instance")
    def on_change(ids):
        counting(lambda: None)()
    if sys.argv[3] == "add":
        store.add(config, [Path(p) for p in sys.argv[4:]], revise=True, on_change=on_change)
    else:
        store.withdraw(config, sys.argv[4], "test", on_change=on_change)
    print("finished")
    """
)


@pytest.mark.parametrize("kill_at", range(1, 8))
def test_a_kill_at_any_step_leaves_the_corpus_as_before(corpus_copy, tmp_path, kill_at):
    revised = edited(corpus_copy, SEED_ID, "truest sense", "truest sense (sic)", tmp_path / "w")
    fresh = new_document(corpus_copy, tmp_path / "w")
    before = state(corpus_copy)
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            KILLER,
            str(kill_at),
            str(corpus_copy.corpus),
            "add",
            str(revised),
            str(fresh),
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT,
    )
    if completed.returncode == 0:
        assert kill_at > 6  # journal, 2 x (version, current), index hook: six steps
        return
    assert completed.returncode == -9, completed.stderr
    # Nothing half-written: every file present is complete (current file old, version absent or whole).
    for name, data in state(corpus_copy).items():
        if name.endswith(".xml"):
            assert data.rstrip().endswith(b"</TEI>"), name
    store.recover(corpus_copy)
    assert state(corpus_copy) == before
    assert Corpus(corpus_copy).integrity_problems() == []


@pytest.mark.parametrize("kill_at", range(1, 5))
def test_a_kill_during_withdrawal_leaves_the_corpus_as_before(corpus_copy, kill_at):
    before = state(corpus_copy)
    completed = subprocess.run(
        [sys.executable, "-c", KILLER, str(kill_at), str(corpus_copy.corpus), "withdraw", SEED_ID],
        capture_output=True,
        text=True,
        cwd=PROJECT,
    )
    if completed.returncode == 0:
        assert kill_at > 3
        return
    assert completed.returncode == -9, completed.stderr
    store.recover(corpus_copy)
    assert state(corpus_copy) == before


def test_versions_are_verifiable_by_sha256(corpus_copy, tmp_path):
    store.add(
        corpus_copy,
        [edited(corpus_copy, SEED_ID, "truest sense", "truest sense (sic)", tmp_path / "w")],
        revise=True,
    )
    corpus = Corpus(corpus_copy)
    v2 = corpus.version_document(SEED_ID, 2)
    assert v2.sha256 == hashlib.sha256(corpus.read_version(SEED_ID, 2)).hexdigest()
    assert v2.sha256 != corpus.version_document(SEED_ID, 1).sha256
