"""What the views share: the configuration, the registers and the corpus, opened once."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from archive.authority import Registers
from archive.config import Config
from archive.store import Corpus


@dataclass
class ArchiveContext:
    config: Config
    registers: Registers
    corpus: Corpus

    @classmethod
    def open(cls, config: Config) -> ArchiveContext:
        return cls(
            config=config, registers=Registers.load(config.authority_dir), corpus=Corpus(config)
        )


def archive() -> ArchiveContext:
    """The archive of the running app."""
    return current_app.extensions["archive"]
