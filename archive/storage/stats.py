"""Figures about a corpus that need no index: files, bytes, register sizes."""

from __future__ import annotations

from typing import Any

from archive.config import Config
from archive.document import Registers
from archive.storage.store import Corpus


def corpus_figures(config: Config, registers: Registers) -> dict[str, Any]:
    """Documents on disk and records per register (`archive stats`, the about page)."""
    corpus = Corpus(config)
    ids = corpus.ids()
    size = sum(corpus.path(doc_id).stat().st_size for doc_id in ids)
    return {
        "path": str(config.corpus),
        "documents": len(ids),
        "bytes": size,
        "treaties": len(registers.treaties),
        "persons": len(registers.persons),
        "organisations": len(registers.organisations),
        "places": len(registers.places),
    }
