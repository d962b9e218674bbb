"""What the views share: the configuration, the registers, the corpus and the search engine,
opened once per app."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from archive.config import Config
from archive.document import Registers
from archive.search import SearchEngine
from archive.storage import Corpus


@dataclass
class ArchiveContext:
    """One per app: the engine keeps one searcher and reopens it only when the index
    changes, so requests never pay for opening the index."""

    config: Config
    registers: Registers
    corpus: Corpus
    engine: SearchEngine

    @classmethod
    def open(cls, config: Config) -> ArchiveContext:
        registers = Registers.load(config.authority_dir)
        return cls(
            config=config,
            registers=registers,
            corpus=Corpus(config),
            engine=SearchEngine(config, registers),
        )


def archive() -> ArchiveContext:
    """The archive of the running app."""
    return current_app.extensions["archive"]
