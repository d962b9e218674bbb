"""bench/: the synthetic corpus is valid, seeded and kept out of the bundled corpus; the
benchmark runs end to end (slow: `pytest -m slow`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from archive.config import BUNDLED_CORPUS, PROJECT_ROOT, Config
from archive.storage.store import Corpus, corpus_validator
from bench.generate import generate_corpus


def test_generated_documents_are_valid_synthetic_and_seeded(tmp_path):
    corpus = generate_corpus(tmp_path / "a", 25, seed=7)
    config = Config(corpus=corpus, instance=tmp_path / "instance")
    report = corpus_validator(config).validate_paths([config.documents_dir, config.authority_dir])
    assert report.ok, report.problems[:3]
    docs = list(Corpus(config).documents())
    assert len(docs) == 25
    assert all(s.name.startswith("Synthetic Person ") for d in docs for s in d.signatories)
    assert sum(1 for d in docs if d.treaties) >= 20  # most documents cite a treaty
    assert sum(1 for d in docs if d.issued.kind == "uncertain") == 3  # seed 7: ~1 in 10
    assert 250 <= sum(len(d.text.split()) for d in docs) / len(docs) <= 550
    again = generate_corpus(tmp_path / "b", 25, seed=7)
    first = sorted((corpus / "documents").iterdir())
    assert [p.read_bytes() for p in first] == [
        p.read_bytes() for p in sorted((again / "documents").iterdir())
    ]


def test_generation_in_two_processes_writes_the_same_corpus_and_resumes(tmp_path):
    one = generate_corpus(tmp_path / "one", 12, seed=7)
    two = generate_corpus(tmp_path / "two", 12, seed=7, procs=2)
    names = sorted(p.name for p in (one / "documents").iterdir())
    assert names == sorted(p.name for p in (two / "documents").iterdir())
    assert all(
        (one / "documents" / n).read_bytes() == (two / "documents" / n).read_bytes() for n in names
    )
    # A stopped run leaves at most a partial temporary file, never a truncated document:
    # the next run writes the missing documents and leaves the finished ones untouched.
    (two / "documents" / names[-1]).unlink()
    (two / "documents" / (names[-1] + ".part")).write_bytes(b"<TEI")
    kept = (two / "documents" / names[0]).stat().st_mtime_ns
    generate_corpus(tmp_path / "two", 12, seed=7, procs=2)
    assert (two / "documents" / names[-1]).read_bytes() == (
        one / "documents" / names[-1]
    ).read_bytes()
    assert (two / "documents" / names[0]).stat().st_mtime_ns == kept


def test_generator_refuses_the_bundled_corpus():
    with pytest.raises(ValueError, match="refusing"):
        generate_corpus(BUNDLED_CORPUS / "documents", 1)


@pytest.mark.slow
def test_benchmark_runs_end_to_end(tmp_path, request):
    if "slow" not in (request.config.getoption("-m") or ""):
        pytest.skip("benchmark smoke test: run with -m slow")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "run",
            "--docs",
            "150",
            "--data",
            str(tmp_path),
            "--queries",
            "3",
            "--baseline-queries",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["build"]["documents"] == 150
    assert report["search"]["documents"] == 150
    assert set(report["search"]["by_type"]) == {
        "term",
        "and",
        "phrase",
        "treaty",
        "date_range",
        "match_all",
    }
    assert report["search"]["added_document"]["searchable_after_s"] < 30
    assert "build_docs_per_s>=500" in report["targets"]


def test_anchor_harness_agrees_with_the_engine_and_notices_a_difference(tmp_path):
    """bench/anchors.py on a tiny corpus: SQLite FTS5 (the stdlib anchor; tantivy is an
    optional extra and not needed here) fed the archive's terms answers every bench query
    with the engine's totals and facet counts, and the check fails on one count changed."""
    from archive.search import SearchEngine, SearchRequest, update_index
    from bench import anchors
    from bench.run import QUERY_TYPES, make_queries

    corpus = generate_corpus(tmp_path / "corpus", 40, seed=3)
    config = Config(corpus=corpus, instance=tmp_path / "instance")
    update_index(config, procs=1)
    archive = anchors.Archive(corpus, config.instance)
    fts = anchors.Fts5(tmp_path / "work" / "fts5.sqlite")
    fts.build(anchors.prepared_documents(corpus, tmp_path / "work", procs=1))
    texts = make_queries(corpus, 42, 3)
    engine: SearchEngine = archive.engine
    with engine._using() as snap:
        queries = [
            (kind, text, engine._parse(snap, SearchRequest(q=text)).query)
            for kind in QUERY_TYPES
            for text in texts[kind]
        ]
    assert len(queries) >= 15
    checked = anchors.check_equal(archive, [fts], queries)
    assert checked["facet_counts_checked"] > 100
    totals = [fts.plain(fts.convert(text, parsed))[0] for _, text, parsed in queries]
    assert max(totals) == 40  # match-all finds every document
    assert sum(1 for t in totals if 0 < t < 40) >= 5  # and the others some of them

    assert fts.db is not None
    fts.db.execute("DELETE FROM facet WHERE rowid = (SELECT min(rowid) FROM facet)")
    with pytest.raises(AssertionError, match="sqlite_fts5"):
        anchors.check_equal(archive, [fts], queries)


def test_added_document_benchmark_measures_real_adds_and_revisions(tmp_path):
    """bench.added end to end on a small generated corpus: a served archive, `archive add`
    and `archive add --revise` as separate processes, the delays measured and the corpus
    left holding the documents added and their versions (with --in-place)."""
    corpus = generate_corpus(tmp_path / "corpus", 30, seed=3)
    instance = tmp_path / "instance"
    out = tmp_path / "added.json"
    command = [sys.executable, "-m", "bench.added", "--corpus", str(corpus)]
    command += ["--instance", str(instance), "--docs", "2", "--readers", "1", "--in-place"]
    done = subprocess.run(
        [*command, "--out", str(out)], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["documents"] == 2 and report["readers"] == 1
    for key in ("added_searchable_after_add_returned", "revision_searchable_after_add_returned"):
        assert 0 < report[key]["p50_ms"] <= report[key]["max_ms"] < 60_000
    added = sorted(p.name for p in (corpus / "documents").iterdir())
    assert len(added) == 32
    new = [name.removesuffix(".xml") for name in added if name.startswith("synthetic-2")]
    assert len(new) == 2
    for doc_id in new:  # added, then revised: two versions kept
        assert sorted(p.name for p in (corpus / "versions" / doc_id).iterdir()) == [
            "1.xml",
            "2.xml",
        ]
