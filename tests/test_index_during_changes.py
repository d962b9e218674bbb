"""Issue 13, point 3: `archive add` and `archive withdraw` while `archive index --rebuild`
runs. They must not wait for the rebuild (nor fail after waiting and roll back), and the
rebuilt index must hold the corpus as it is when the rebuild ends: no hit for a version that
is not stored, no current document missing."""

from __future__ import annotations

import subprocess
import sys

from archive.config import PROJECT_ROOT
from archive.search import SearchEngine, SearchRequest, update_index
from archive.storage.store import Corpus
from tests.conftest import SEED_ID
from tests.test_store import edited

WITHDRAWN = "petition-minefield-maps-2021"


def run(config, *args):
    return subprocess.run(
        config.command(*args), capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300
    )


def ids_for(config, query):
    with SearchEngine(config) as engine:
        found = engine.search(SearchRequest(q=query, page_size=50))
        return {(hit.id, hit.version) for hit in found.hits}


def test_add_and_withdraw_during_a_rebuild_neither_wait_nor_leave_ghosts(corpus_copy, tmp_path):
    update_index(corpus_copy)
    revision = edited(
        corpus_copy, SEED_ID, "ecological catastrophe", "ecological zebrawords", tmp_path / "w"
    )
    during = []

    def progress(total):
        # The rebuild has listed the corpus and holds the index lock: change the corpus now.
        during.append(run(corpus_copy, "add", "--revise", str(revision)))
        during.append(run(corpus_copy, "withdraw", WITHDRAWN, "--reason", "Duplicate."))
        return None

    update_index(corpus_copy, rebuild=True, progress=progress, procs=1)
    added, withdrawn = during
    assert added.returncode == 0, added.stderr
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "being updated by another process" in added.stderr
    corpus = Corpus(corpus_copy)
    assert corpus.version_numbers(SEED_ID) == [1, 2]  # the add stands: nothing rolled back
    assert ids_for(corpus_copy, "zebrawords") == {(SEED_ID, 2)}
    assert ids_for(corpus_copy, "") == {(i, 2 if i == SEED_ID else 1) for i in corpus.ids()}
    assert WITHDRAWN not in corpus.ids()
    assert not (corpus_copy.index_dir / "PENDING").read_bytes()


def test_the_next_update_indexes_what_a_killed_rebuild_left_pending(corpus_copy, tmp_path):
    """The ids stay in PENDING until indexed: a rebuild killed before it took them leaves
    them to the next `archive index`."""
    update_index(corpus_copy)
    revision = edited(
        corpus_copy, SEED_ID, "ecological catastrophe", "ecological zebrawords", tmp_path / "w"
    )
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a+b'); "
            "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(600)",
            str(corpus_copy.index_dir / "LOCK"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        added = run(corpus_copy, "add", "--revise", str(revision))
        assert added.returncode == 0, added.stderr
    finally:
        holder.kill()  # as a rebuild killed with -9
        holder.wait()
    assert ids_for(corpus_copy, "zebrawords") == set()
    result = run(corpus_copy, "index")
    assert result.returncode == 0, result.stderr
    assert ids_for(corpus_copy, "zebrawords") == {(SEED_ID, 2)}
