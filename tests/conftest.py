"""Shared fixtures: the test corpus, copies of it in tmp_path, and the official TEI grammar.

The tests that count documents, facet values and hits run on a frozen corpus,
tests/data/corpus: the bundled corpus as it stood before issue 18 (the seed appeal, seven
records around it, their registers), so that their figures stay true while the bundled
corpus (corpus/) grows. tests/test_bundled_corpus.py checks the bundled corpus itself.

The TEI grammar takes ~15 s to compile, so it is built once per test session. The reference
schemas live outside the project (`../shared/schemas`, or $ARCHIVE_SHARED_SCHEMAS); where
they are absent, the conformance tests skip with the reason and every other test runs; under
CI (or ARCHIVE_NO_SKIPS=1) such a skip fails instead (tests/strict_skips.py).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from lxml import etree

from archive.config import CANONICAL_BASE_URL, PROJECT_ROOT, Config
from tests.strict_skips import pytest_runtest_makereport  # noqa: F401  (under CI a skip fails)

SHARED = Path(os.environ.get("ARCHIVE_SHARED", PROJECT_ROOT.parent / "shared"))
SHARED_SCHEMAS = Path(os.environ.get("ARCHIVE_SHARED_SCHEMAS", SHARED / "schemas"))
TEI_ALL = SHARED_SCHEMAS / "tei" / "tei_all-4.3.0.rng"
SEED_ID = "ngo-appeal-mine-maps-2021"
# The fixtures' configurations are a deployment with its public address set
# ($ARCHIVE_BASE_URL); tests/test_config.py covers the archive run without one.
DEPLOYED = CANONICAL_BASE_URL
# The test corpus (above): the seed, four records around it, three in Azerbaijani or Russian
# (issue 19).
FIXTURE_CORPUS = Path(__file__).parent / "data" / "corpus"
FIXTURE_DOCUMENTS = 8


def pytest_configure(config: pytest.Config) -> None:
    """The tests never write into the project's own instance folder: a command run without
    `--instance` (and the subprocesses of tests) uses a scratch one, as a reader's
    `./instance` must not fill with the tests' indexes and caches."""
    os.environ.setdefault("ARCHIVE_INSTANCE", tempfile.mkdtemp(prefix="archive-tests-instance-"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked slow (long runs: the full fuzzing, the crash loop) run only when asked
    for with `-m slow`."""
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="long run: select it with -m slow")
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    """The number of fuzzing cases that ran, for the figures in README.md."""
    fuzz = sys.modules.get("tests.test_fuzz")
    if fuzz is not None and fuzz.RAN:
        counts = ", ".join(f"{name} {n:,}" for name, n in sorted(fuzz.RAN.items()))
        terminalreporter.write_line(
            f"hypothesis cases run: {counts}; total {sum(fuzz.RAN.values()):,}"
        )


@pytest.fixture(scope="session")
def tei_all() -> etree.RelaxNG:
    """The official TEI P5 grammar (tei_all 4.3.0), compiled once."""
    if not TEI_ALL.exists():
        pytest.skip(f"official TEI schema not found at {TEI_ALL} (set ARCHIVE_SHARED_SCHEMAS)")
    return etree.RelaxNG(etree.parse(str(TEI_ALL)))


@pytest.fixture(scope="session")
def bundled_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The test corpus, read-only, with an instance folder of its own."""
    return Config(
        corpus=FIXTURE_CORPUS, instance=tmp_path_factory.mktemp("instance"), base_url=DEPLOYED
    )


@pytest.fixture(scope="module")
def citations(bundled_config: Config) -> dict:
    """Every bundled document's citation, for the citation and style tests."""
    from archive.document import Registers
    from archive.publish import cite
    from archive.storage import Corpus

    registers = Registers.load(bundled_config.authority_dir)
    corpus = Corpus(bundled_config)
    return {
        i: cite.citation_for(corpus.document(i), registers, bundled_config) for i in corpus.ids()
    }


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Config:
    """A private copy of the test corpus that a test may change."""
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    return Config(corpus=corpus, instance=tmp_path / "instance", base_url=DEPLOYED)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes: to prove an operation changed nothing."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="session")
def indexed_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The test corpus with a search index built once for the session (read-only)."""
    from archive.search.indexing import update_index

    config = Config(
        corpus=FIXTURE_CORPUS, instance=tmp_path_factory.mktemp("indexed"), base_url=DEPLOYED
    )
    update_index(config)
    return config


@pytest.fixture(scope="session")
def engine(indexed_config: Config):
    """One search engine over `indexed_config`, shared like a web process shares it."""
    from archive.search import SearchEngine

    with SearchEngine(indexed_config) as search_engine:
        yield search_engine


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """300 generated documents (bench.generate) in two segments, one revised (its old
    version deleted, the word "revisedword" added): a real index of the size where sets
    of documents are both ids and masks (read-only)."""
    from archive.search import update_documents, update_index
    from bench.generate import generate_corpus

    root = tmp_path_factory.mktemp("docs")
    corpus = generate_corpus(root / "corpus", 300, seed=11)
    config = Config(corpus=corpus, instance=root / "instance")
    update_index(config, procs=2)
    revised = sorted((corpus / "documents").glob("*.xml"))[7]
    text = revised.read_text(encoding="utf-8")
    revised.write_text(text.replace("<p>", "<p>revisedword ", 1), encoding="utf-8")
    update_documents(config, [revised.stem])
    return config


def copy_document(config: Config, source_id: str, new_id: str, replace: dict[str, str]) -> Path:
    """Add a document to a corpus copy: `source_id`'s file under `new_id`, with its id,
    permalink and any other strings in `replace` changed, stored as its version 1 (with its
    fixity record) as `archive add` would, without validating. Stays valid."""
    from archive.storage import fixity

    text = (config.documents_dir / f"{source_id}.xml").read_text(encoding="utf-8")
    text = text.replace(source_id, new_id)
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = config.documents_dir / f"{new_id}.xml"
    path.write_text(text, encoding="utf-8")
    version = config.versions_dir / new_id / "1.xml"
    version.parent.mkdir(parents=True, exist_ok=True)
    version.write_bytes(path.read_bytes())
    record = fixity.VersionRecord(
        new_id, 1, fixity.sha256_hex(path.read_bytes()), "2026-11-30T12:00:00Z"
    )
    fixity.FixityManifest(config.corpus).append([record])
    return path


def store_edit(config: Config, doc_id: str, old: str, new: str) -> Path:
    """Edit a current document in place and store the edit as its next version, as an
    archivist does (`archive add --revise` of the edited file), without touching the index."""
    from archive.storage import store

    path = config.documents_dir / f"{doc_id}.xml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    store.add(config, [path], revise=True)
    return path
