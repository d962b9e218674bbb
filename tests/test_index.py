"""archive/search/index.py and archive/search/indexing.py: the index on disk, kept in step with the corpus incrementally, rebuilt
atomically, never misread across formats, and cheap to update for known documents."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

import archive.search.indexing as index_module
from archive.cli import main
from archive.config import Config
from archive.document.model import DateSpan
from archive.errors import Conflict
from archive.publish.export import export_chunks
from archive.publish.selection import everything
from archive.search import SearchEngine
from archive.search.index import (
    INDEX_FORMAT,
    IndexMissing,
    current_generation,
    generation_format,
    index_status,
    issued_bounds,
    open_generation,
    open_index,
)
from archive.search.indexing import update_documents, update_index
from archive.search.manifest import Manifest
from archive.search.request import SearchRequest
from archive.storage import cache
from archive.storage.store import Corpus
from tests.conftest import FIXTURE_DOCUMENTS, SEED_ID, copy_document, store_edit


def total(engine: SearchEngine, q: str = "", **kwargs) -> int:
    return engine.search(SearchRequest(q=q, **kwargs)).total


def hit_ids(engine: SearchEngine, q: str) -> set[str]:
    return set(engine.iter_ids(SearchRequest(q=q)))


def test_build_writes_a_generation_with_format_and_manifest(corpus_copy: Config):
    report = update_index(corpus_copy)
    assert report.rebuilt and len(report.added) == FIXTURE_DOCUMENTS and not report.problems
    folder = current_generation(corpus_copy.index_dir)
    assert folder is not None and folder.parent == corpus_copy.index_dir
    assert json.loads((folder / "format.json").read_text())["format"] == INDEX_FORMAT
    ix = open_index(corpus_copy)
    manifest = Manifest(folder).load(ix.latest_generation())
    assert manifest is not None
    assert set(manifest) == {p.stem for p in corpus_copy.documents_dir.glob("*.xml")}
    assert open_index(corpus_copy).doc_count() == FIXTURE_DOCUMENTS


def test_second_run_changes_nothing_and_hashes_nothing(corpus_copy: Config, monkeypatch):
    update_index(corpus_copy)

    def no_hashing(*args, **kwargs):
        raise AssertionError("an unchanged file was read and hashed")

    monkeypatch.setattr(index_module, "_file_state", no_hashing)
    report = update_index(corpus_copy)
    assert not report.rebuilt and report.unchanged == FIXTURE_DOCUMENTS and report.indexed == 0


def test_a_stale_manifest_is_rebuilt_from_the_index(corpus_copy: Config):
    update_index(corpus_copy)
    folder = current_generation(corpus_copy.index_dir)
    Manifest(folder).save(-1, {}, replace_all=True)  # as if written for another commit
    report = update_index(corpus_copy)
    assert (
        report.indexed == 0 and report.unchanged == FIXTURE_DOCUMENTS
    )  # every file hashed, none changed
    assert Manifest(folder).load(open_index(corpus_copy).latest_generation()) is not None


def test_touched_but_identical_file_is_not_reindexed(corpus_copy: Config):
    update_index(corpus_copy)
    path = corpus_copy.documents_dir / f"{SEED_ID}.xml"
    os.utime(path, ns=(1, 1))
    report = update_index(corpus_copy)
    assert report.indexed == 0 and report.unchanged == FIXTURE_DOCUMENTS
    assert index_status(corpus_copy).up_to_date


def test_added_changed_and_removed_documents_show_up_after_update(corpus_copy: Config):
    update_index(corpus_copy)
    with SearchEngine(corpus_copy) as engine:
        assert total(engine) == FIXTURE_DOCUMENTS
        copy_document(
            corpus_copy,
            SEED_ID,
            "ngo-appeal-zebra-2022",
            {"maps of mined areas</title>": "zebra crossings</title>"},
        )
        store_edit(
            corpus_copy,
            "trilateral-statement-2020-11-10",
            "It cites no treaty.",
            "It cites no treaty. Quokka.",
        )
        (corpus_copy.documents_dir / "bonn-declaration-mine-maps-2021.xml").unlink()

        report = update_index(corpus_copy)

        assert report.added == ["ngo-appeal-zebra-2022"]
        assert report.changed == ["trilateral-statement-2020-11-10"]
        assert report.removed == ["bonn-declaration-mine-maps-2021"]
        assert total(engine) == FIXTURE_DOCUMENTS
        assert hit_ids(engine, "zebra") == {"ngo-appeal-zebra-2022"}
        assert hit_ids(engine, "quokka") == {"trilateral-statement-2020-11-10"}
        assert "bonn-declaration-mine-maps-2021" not in hit_ids(engine, "")
        assert index_status(corpus_copy).up_to_date


def test_reopened_searcher_never_returns_stale_or_duplicate_documents(corpus_copy: Config):
    """Regression: Whoosh's Searcher.refresh() returned replaced documents twice."""
    update_index(corpus_copy)
    with SearchEngine(corpus_copy) as engine:
        assert total(engine, "tranquility") == 1
        for round_number in range(3):
            store_edit(corpus_copy, SEED_ID, "</body>", f"<!-- {round_number} --></body>")
            assert update_index(corpus_copy).changed == [SEED_ID]
            assert total(engine) == FIXTURE_DOCUMENTS
            assert total(engine, "tranquility") == 1
            assert list(engine.iter_ids(SearchRequest(q="tranquility"))) == [SEED_ID]


def test_update_documents_indexes_exactly_the_given_ids(corpus_copy: Config):
    update_index(corpus_copy)
    copy_document(
        corpus_copy,
        SEED_ID,
        "ngo-appeal-okapi-2022",
        {"maps of mined areas</title>": "okapi</title>"},
    )
    copy_document(
        corpus_copy,
        SEED_ID,
        "ngo-appeal-ignored-2022",
        {"maps of mined areas</title>": "ibis</title>"},
    )
    with SearchEngine(corpus_copy) as engine:
        report = update_documents(corpus_copy, ["ngo-appeal-okapi-2022"])
        assert report.added == ["ngo-appeal-okapi-2022"]
        assert hit_ids(engine, "okapi") == {"ngo-appeal-okapi-2022"}
        assert hit_ids(engine, "ibis") == set()
        (corpus_copy.documents_dir / "ngo-appeal-okapi-2022.xml").unlink()
        assert update_documents(corpus_copy, ["ngo-appeal-okapi-2022"]).removed == [
            "ngo-appeal-okapi-2022"
        ]
        assert hit_ids(engine, "okapi") == set()
    # The ordinary update still finds the file nobody announced.
    assert update_index(corpus_copy).added == ["ngo-appeal-ignored-2022"]


def test_unreadable_file_is_skipped_reported_and_dropped(corpus_copy: Config):
    update_index(corpus_copy)
    bad = corpus_copy.documents_dir / "trilateral-statement-2020-11-10.xml"
    bad.write_text("<TEI>not closed", encoding="utf-8")
    # A damaged working copy in documents/ is read as its stored version: nothing lost.
    assert update_index(corpus_copy).problems == []
    assert open_index(corpus_copy).doc_count() == FIXTURE_DOCUMENTS
    stored = corpus_copy.versions_dir / "trilateral-statement-2020-11-10" / "1.xml"
    stored.chmod(0o644)
    stored.write_text("<TEI>not closed", encoding="utf-8")  # and the stored version too
    os.utime(bad, ns=(1, 1))
    report = update_index(corpus_copy)
    assert [p.path for p in report.problems] == [str(bad)]
    assert "fixity failure" in report.problems[0].message
    assert report.removed == ["trilateral-statement-2020-11-10"]
    assert open_index(corpus_copy).doc_count() == FIXTURE_DOCUMENTS - 1


def test_index_of_another_format_is_refused_then_rebuilt(corpus_copy: Config):
    update_index(corpus_copy)
    folder = current_generation(corpus_copy.index_dir)
    assert folder is not None
    (folder / "format.json").write_text(json.dumps({"format": INDEX_FORMAT - 1}))
    with pytest.raises(IndexMissing, match="run `archive index`"):
        open_index(corpus_copy)
    with SearchEngine(corpus_copy) as engine, pytest.raises(IndexMissing):
        engine.search(SearchRequest())
    report = update_index(corpus_copy)
    assert report.rebuilt and len(report.added) == FIXTURE_DOCUMENTS
    assert current_generation(corpus_copy.index_dir) != folder
    assert not folder.exists()


def test_failed_rebuild_leaves_the_previous_index_usable(corpus_copy: Config, monkeypatch):
    update_index(corpus_copy)
    before = current_generation(corpus_copy.index_dir)
    calls = {"n": 0}
    real = index_module.index_fields

    def failing(doc, registers):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(doc, registers)

    monkeypatch.setattr(index_module, "index_fields", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        update_index(corpus_copy, rebuild=True)
    assert current_generation(corpus_copy.index_dir) == before
    assert sorted(p.name for p in corpus_copy.index_dir.iterdir() if p.is_dir()) == [before.name]
    with SearchEngine(corpus_copy) as engine:
        assert total(engine) == FIXTURE_DOCUMENTS


def test_the_part_built_generation_of_a_killed_rebuild_is_removed_by_the_next_update(
    corpus_copy: Config,
):
    """A rebuild killed with SIGKILL leaves its half-written generation folder (at 100,000
    documents, hundreds of MB): the next `archive index` removes it."""
    update_index(corpus_copy)
    live = current_generation(corpus_copy.index_dir)
    killed = corpus_copy.index_dir / "g-20261126T000000-4242-000001"
    killed.mkdir()
    (killed / "MAIN_abc.seg").write_bytes(b"half a segment")
    (corpus_copy.index_dir / ".CURRENT.4242.tmp").write_text("g-20261126T000000-4242-000001")
    update_index(corpus_copy)
    assert sorted(p.name for p in corpus_copy.index_dir.iterdir()) == ["CURRENT", "LOCK", live.name]
    with SearchEngine(corpus_copy) as engine:
        assert total(engine) == FIXTURE_DOCUMENTS


def test_engine_follows_a_rebuild_to_the_new_generation(corpus_copy: Config):
    update_index(corpus_copy)
    with SearchEngine(corpus_copy) as engine:
        assert total(engine) == FIXTURE_DOCUMENTS
        (corpus_copy.documents_dir / "bonn-declaration-mine-maps-2021.xml").unlink()
        update_index(corpus_copy, rebuild=True)
        assert total(engine) == FIXTURE_DOCUMENTS - 1


def test_parallel_build_gives_the_same_index_as_a_serial_one(corpus_copy: Config, monkeypatch):
    monkeypatch.setattr(index_module, "PARALLEL_MIN_DOCS", 2)
    update_index(corpus_copy, procs=2)
    with SearchEngine(corpus_copy) as engine:
        parallel = {q: hit_ids(engine, q) for q in ("", "mine maps", "treaty:gc-1949")}
        leaves = engine._snapshot.searcher.reader().leaf_readers()
        assert len(list(leaves)) == 2  # one segment per worker
    serial = Config(corpus=corpus_copy.corpus, instance=corpus_copy.instance / "serial")
    update_index(serial, procs=1)
    with SearchEngine(serial) as engine:
        assert parallel == {q: hit_ids(engine, q) for q in parallel}


def cached_models(config: Config) -> set[str]:
    with contextlib.closing(cache.connect(config)) as conn:
        return {row[0] for row in conn.execute("SELECT sha256 FROM models")}


def stored_sha256(config: Config) -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in config.documents_dir.glob("*.xml")}


@pytest.mark.parametrize("procs", [1, 2])
def test_a_build_keeps_every_model_it_read_for_the_exports(corpus_copy, monkeypatch, procs):
    monkeypatch.setattr(index_module, "PARALLEL_MIN_DOCS", 2)
    update_index(corpus_copy, procs=procs)
    assert cached_models(corpus_copy) == stored_sha256(corpus_copy)

    def refuse(*args, **kwargs):
        raise AssertionError("read_document called although the indexer kept the model")

    monkeypatch.setattr(cache, "read_document", refuse)
    lines = b"".join(export_chunks("jsonl", everything(Corpus(corpus_copy)), corpus_copy))
    assert len(lines.splitlines()) == FIXTURE_DOCUMENTS


def test_an_update_keeps_the_model_of_the_changed_document(corpus_copy: Config):
    update_index(corpus_copy)
    before = cached_models(corpus_copy)
    path = store_edit(corpus_copy, SEED_ID, "mine maps", "minefield maps")
    update_index(corpus_copy)
    assert cached_models(corpus_copy) - before == {hashlib.sha256(path.read_bytes()).hexdigest()}


def test_a_second_updater_waits_then_gives_up_with_a_conflict(corpus_copy: Config):
    update_index(corpus_copy)
    with open(corpus_copy.index_dir / "LOCK", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        with pytest.raises(Conflict, match="being updated by another process"):
            update_index(corpus_copy, timeout=0.2)


def test_status_counts_files_the_index_has_not_seen(corpus_copy: Config):
    assert not index_status(corpus_copy).exists
    update_index(corpus_copy)
    copy_document(corpus_copy, SEED_ID, "ngo-appeal-new-2022", {})
    (corpus_copy.documents_dir / "bonn-declaration-mine-maps-2021.xml").unlink()
    status = index_status(corpus_copy)
    assert (status.documents, status.new_files, status.removed_files) == (FIXTURE_DOCUMENTS, 1, 1)
    assert not status.up_to_date


@pytest.mark.parametrize(
    ("span", "bounds"),
    [
        (DateSpan(when="2021-03-25"), (date(2021, 3, 25), date(2021, 3, 25))),
        (DateSpan(when="2021-03"), (date(2021, 3, 1), date(2021, 3, 31))),
        (
            DateSpan(not_before="2020-11-10", not_after="2021-04-22"),
            (date(2020, 11, 10), date(2021, 4, 22)),
        ),
        (DateSpan(not_after="2021-05-17"), (date(2021, 1, 1), date(2021, 5, 17))),
        (DateSpan(not_before="2019-10"), (date(2019, 10, 1), date(2019, 12, 31))),
        (DateSpan(), None),
    ],
)
def test_issued_bounds_agree_with_the_years_a_span_counts_in(span, bounds):
    assert issued_bounds(span) == bounds
    if bounds:
        assert list(range(bounds[0].year, bounds[1].year + 1)) == span.years


# tests/data/index-before-layout: the bundled corpus indexed by the code of 595e5b5, before
# `archive/` became packages (index format 3). Its pickled schema names archive.analysis and
# archive.codec, modules that no longer exist, so it cannot even be opened as it is.
BEFORE_LAYOUT = Path(__file__).parent / "data" / "index-before-layout"


@pytest.mark.parametrize("command", [("search", "mine maps", "--json"), ("index",)])
def test_an_index_built_before_the_layout_change_is_rebuilt_without_a_manual_step(
    corpus_copy, command
):
    shutil.copytree(BEFORE_LAYOUT, corpus_copy.index_dir)
    old = current_generation(corpus_copy.index_dir)
    assert old is not None and generation_format(old) == 3
    assert b"archive.analysis" in (old / "_MAIN_1.toc").read_bytes()
    with pytest.raises(IndexMissing, match="ModuleNotFoundError"):
        open_generation(old)

    result = CliRunner().invoke(main, corpus_copy.arguments(*command))

    assert result.exit_code == 0, result.output
    if command[0] == "search":
        assert "building the search index first" in result.stderr
        # One of them in Russian, with an English title; one (the petition on "maps of
        # minefields") by the synonym list.
        assert len(json.loads(result.stdout)["hits"]) == 5
    else:
        assert result.stdout.startswith(f"index rebuilt: {FIXTURE_DOCUMENTS} added")
    new = current_generation(corpus_copy.index_dir)
    assert new != old and not old.exists()
    assert generation_format(new) == INDEX_FORMAT > 3
