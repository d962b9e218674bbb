"""Shared fixtures: the bundled corpus, copies of it in tmp_path, and the official TEI grammar.

The TEI grammar takes ~15 s to compile, so it is built once per test session. The reference
schemas live outside the project (`../shared/schemas`, or $ARCHIVE_SHARED_SCHEMAS); where
they are absent, the conformance tests skip with the reason and every other test runs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from lxml import etree

from archive.config import BUNDLED_CORPUS, PROJECT_ROOT, Config

SHARED = Path(os.environ.get("ARCHIVE_SHARED", PROJECT_ROOT.parent / "shared"))
SHARED_SCHEMAS = Path(os.environ.get("ARCHIVE_SHARED_SCHEMAS", SHARED / "schemas"))
TEI_ALL = SHARED_SCHEMAS / "tei" / "tei_all-4.3.0.rng"
SEED_ID = "ngo-appeal-mine-maps-2021"


@pytest.fixture(scope="session")
def tei_all() -> etree.RelaxNG:
    """The official TEI P5 grammar (tei_all 4.3.0), compiled once."""
    if not TEI_ALL.exists():
        pytest.skip(f"official TEI schema not found at {TEI_ALL} (set ARCHIVE_SHARED_SCHEMAS)")
    return etree.RelaxNG(etree.parse(str(TEI_ALL)))


@pytest.fixture(scope="session")
def bundled_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The bundled corpus, read-only, with an instance folder of its own."""
    return Config(corpus=BUNDLED_CORPUS, instance=tmp_path_factory.mktemp("instance"))


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Config:
    """A private copy of the bundled corpus that a test may change."""
    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, corpus)
    return Config(corpus=corpus, instance=tmp_path / "instance")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes: to prove an operation changed nothing."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
