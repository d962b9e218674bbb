"""The catalogue of records: datestamps, sets with the treaty hierarchy, and keeping up with
the corpus cheaply and without missing a change."""

from __future__ import annotations

import os
import threading

import pytest

from archive.document.authority import Registers
from archive.publish.catalogue import Catalogue, set_specs, utc_datestamp
from archive.storage import cache, store
from tests.conftest import FIXTURE_DOCUMENTS, SEED_ID
from tests.synthetic import copy_id, make_corpus, revise_seed


@pytest.mark.parametrize(
    ("when", "stamp"),
    [
        ("2026-11-26", "2026-11-26T00:00:00Z"),
        ("2026-11-26T10:15:00Z", "2026-11-26T10:15:00Z"),
        ("2021-03-25T12:31:00+04:00", "2021-03-25T08:31:00Z"),
        ("2026-11-26T10:15:00.750Z", "2026-11-26T10:15:00Z"),
    ],
)
def test_version_times_become_utc_seconds_datestamps(when, stamp):
    assert utc_datestamp(when) == stamp


def test_a_record_is_in_each_set_up_its_treaty_hierarchy(bundled_config):
    registers = Registers.load(bundled_config.authority_dir)
    specs = set_specs("appeal", ["gc-1949-iv"], registers)
    assert specs == ["type", "type:appeal", "treaty", "treaty:gc-1949", "treaty:gc-1949:gc-1949-iv"]
    # Citing a group cites each of its members.
    assert "treaty:ap-1977:ap-1977-ii" in set_specs("statement", ["ap-1977"], registers)


def test_lists_are_ordered_and_paged_by_datestamp_and_id(tmp_path):
    config = make_corpus(tmp_path, 30)
    catalogue = Catalogue.current(config)
    everything = catalogue.list(limit=1000)
    assert len(everything) == catalogue.count() == 30 + FIXTURE_DOCUMENTS
    keys = [(r.datestamp, r.id) for r in everything]
    assert keys == sorted(keys)
    pages, after = [], None
    while page := catalogue.list(after=after, limit=7):
        pages.append(page)
        after = (page[-1].datestamp, page[-1].id)
    assert [r for page in pages for r in page] == everything
    window = catalogue.list("2025-01-01T00:10:00Z", "2025-01-01T00:12:00Z")
    assert [r.id for r in window] == [copy_id(10), copy_id(11), copy_id(12)]
    assert catalogue.count("2025-01-01T00:10:00Z", "2025-01-01T00:12:00Z") == 3
    appeals = catalogue.list(set_spec="type:appeal", limit=1000)
    assert len(appeals) == catalogue.count(set_spec="type:appeal") == 2 + 8  # 2 of 8 templates


def test_a_refresh_reads_only_what_changed(corpus_copy, tmp_path, monkeypatch):
    Catalogue.current(corpus_copy)
    calls = []
    real = cache.read_document
    monkeypatch.setattr(cache, "read_document", lambda *a: calls.append(a) or real(*a))
    revise_seed(corpus_copy, now="2026-12-11T08:00:00Z")
    catalogue = Catalogue(corpus_copy)
    assert catalogue.refresh() == 1
    assert len(calls) == 1  # only the new version was read into the model
    assert catalogue.get(SEED_ID).datestamp == "2026-12-11T08:00:00Z"
    assert catalogue.get(SEED_ID).version == 2


def test_a_change_hidden_from_the_folder_times_is_still_seen(corpus_copy):
    """A change in the same timestamp tick as the last refresh leaves the folder's time as
    it was: a refresh that recent is never trusted, and each file is compared."""
    catalogue = Catalogue.current(corpus_copy)
    folder = corpus_copy.documents_dir
    before = os.stat(folder)
    store.withdraw(corpus_copy, SEED_ID, "Withdrawn.", now="2026-12-12T09:00:00Z")
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))
    withdrawn = corpus_copy.corpus / "withdrawn"
    os.utime(withdrawn, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert not catalogue.is_fresh()
    catalogue.refresh()
    record = catalogue.get(SEED_ID)
    assert record.deleted and record.datestamp == "2026-12-12T09:00:00Z"


def test_an_old_enough_refresh_is_trusted_without_looking_at_files(corpus_copy):
    catalogue = Catalogue.current(corpus_copy)
    old = 1_600_000_000_000_000_000
    for folder in (corpus_copy.documents_dir,):
        os.utime(folder, ns=(old, old))
    catalogue.refresh()
    assert catalogue.is_fresh()
    assert catalogue.refresh() == 0


def test_one_instance_serving_another_corpus_rebuilds(corpus_copy, tmp_path):
    Catalogue.current(corpus_copy)
    other = make_corpus(tmp_path / "other", 3)
    other = other.with_overrides(instance=corpus_copy.instance)
    catalogue = Catalogue.current(other)
    assert catalogue.count() == 3 + FIXTURE_DOCUMENTS
    assert catalogue.get(copy_id(2)) is not None


def test_concurrent_refreshes_read_each_document_once(tmp_path, monkeypatch):
    config = make_corpus(tmp_path, 40)
    calls = []
    real = cache.read_document
    monkeypatch.setattr(cache, "read_document", lambda *a: calls.append(a) or real(*a))

    def refresh() -> None:
        catalogue = Catalogue(config)
        catalogue.refresh()
        catalogue.close()

    threads = [threading.Thread(target=refresh) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 40 + FIXTURE_DOCUMENTS
    assert Catalogue.current(config).count() == 40 + FIXTURE_DOCUMENTS


def test_new_catalogue_code_rebuilds_the_catalogue_from_the_cached_models(corpus_copy, monkeypatch):
    Catalogue.current(corpus_copy).close()
    real = cache.code_fingerprint
    monkeypatch.setattr(
        cache, "code_fingerprint", lambda part="models": "new" if part == "catalogue" else real()
    )
    monkeypatch.setattr(cache, "read_document", lambda *a: pytest.fail("TEI read again"))
    catalogue = Catalogue.current(corpus_copy)
    assert catalogue.count() == FIXTURE_DOCUMENTS
    assert catalogue.conn.execute("SELECT count(*) FROM models").fetchone()[0] == FIXTURE_DOCUMENTS
