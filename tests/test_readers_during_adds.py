"""Readers keep reading while an archivist adds: the web app served by waitress answers every
page, search and download during repeated `archive add` runs (separate processes, as an
archivist's), and each answer is the old or the new state, never an error or a mixture
(a page's version number, sha256 and bytes always belong to one stored version)."""

from __future__ import annotations

import hashlib
import http.client
import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from archive.config import PROJECT_ROOT, Config
from archive.search.indexing import update_index
from archive.storage.store import Corpus
from tests import serving
from tests.conftest import FIXTURE_DOCUMENTS, SEED_ID
from webui import create_app

REVISIONS = 5
NEW_ID = "appeal-added-while-read-2026"


@pytest.fixture
def served(corpus_copy: Config):
    update_index(corpus_copy)
    with serving.served(create_app(corpus_copy), threads=6) as port:
        yield corpus_copy, port


def _add(config: Config, path: Path) -> None:
    completed = subprocess.run(
        config.command("add", "--revise", str(path), "-m", "Revised while read."),
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert completed.returncode == 0, completed.stderr


def test_readers_see_the_old_or_the_new_document_never_an_error(served, tmp_path):
    config, port = served
    corpus = Corpus(config)
    stop = threading.Event()
    failures: list[str] = []
    reads: list[int] = [0]
    lock = threading.Lock()

    def version_sha(n: int) -> str | None:
        path = corpus.version_path(SEED_ID, n)
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None

    def reader(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        paths = [
            f"/doc/{SEED_ID}.json",
            f"/doc/{SEED_ID}",
            f"/doc/{SEED_ID}.xml",
            "/search.json?q=id:" + SEED_ID,
            "/search.json",
            "/?q=mines",
            "/feed.atom",
        ]
        i = number
        while not stop.is_set():
            path = paths[i % len(paths)]
            i += 1
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                failures.append(f"{path}: {exc!r}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            problem = None
            if response.status != 200:
                problem = f"HTTP {response.status}: {body[:200]!r}"
            elif path.endswith(".json") and path.startswith("/doc/"):
                page = json.loads(body)
                if page["sha256"] != version_sha(page["version"]):
                    problem = f"page says version {page['version']} but shows other bytes"
            elif path.endswith(".xml"):
                digest = hashlib.sha256(body).hexdigest()
                if digest not in {version_sha(n) for n in corpus.version_numbers(SEED_ID)}:
                    problem = "XML that is no stored version"
            elif path.startswith("/search.json?q=id:"):
                if json.loads(body)["total"] != 1:
                    problem = f"{json.loads(body)['total']} hits for one id"
            elif path == "/search.json" and json.loads(body)["total"] not in (
                FIXTURE_DOCUMENTS,
                FIXTURE_DOCUMENTS + 1,
            ):
                problem = f"{json.loads(body)['total']} documents"
            if problem:
                failures.append(f"{path}: {problem}")
            with lock:
                reads[0] += 1
        connection.close()

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        for n in range(REVISIONS):
            data = corpus.read_bytes(SEED_ID).decode()
            path = tmp_path / f"{SEED_ID}.xml"
            path.write_text(
                data.replace("ecological catastrophe", f"ecological catastrophe {n}", 1),
                encoding="utf-8",
            )
            _add(config, path)
        new = tmp_path / f"{NEW_ID}.xml"
        text = corpus.read_version(SEED_ID, 1).decode().replace(SEED_ID, NEW_ID)
        new.write_text(
            text.replace('<change when="2026-11-26" n="1">', '<change when="2026-11-20" n="1">')
        )
        _add(config, new)
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert failures == [], failures[:10]
    assert corpus.version_numbers(SEED_ID) == list(range(1, REVISIONS + 2))
    assert reads[0] > 50  # the readers really read throughout


def test_a_page_read_between_the_two_writes_of_an_add_is_the_old_version(corpus_copy, tmp_path):
    """`archive add` writes versions/<id>/<n+1>.xml, then documents/<id>.xml: a reader in
    between reads the old current file while the new version already exists. The page
    must show the version it read (1), with that version's sha256, not call it version 2."""
    from archive.storage import store

    corpus = Corpus(corpus_copy)
    v1 = corpus.read_bytes(SEED_ID)
    path = tmp_path / f"{SEED_ID}.xml"
    path.write_bytes(v1.replace(b"ecological catastrophe", b"ecological disaster", 1))
    store.add(corpus_copy, [path], revise=True, message="Second version.")
    (corpus_copy.documents_dir / f"{SEED_ID}.xml").write_bytes(v1)  # the moment in between
    client = create_app(corpus_copy, testing=True).test_client()
    page = client.get(f"/doc/{SEED_ID}.json").json
    assert (page["version"], page["latest_version"]) == (1, 2)
    assert page["sha256"] == hashlib.sha256(v1).hexdigest()
    link = client.get(f"/doc/{SEED_ID}").headers["Link"]
    assert link == f'<https://appeals-archive.org/doc/{SEED_ID}/v1>; rel="cite-as"'
