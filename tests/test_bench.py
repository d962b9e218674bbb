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
