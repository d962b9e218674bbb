"""What the views share: the configuration, the registers, the corpus and the search engine,
opened once per app."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_request_context, request

from archive.config import Config
from archive.document import Registers
from archive.search import SearchEngine
from archive.storage import Corpus


@dataclass
class ArchiveContext:
    """One per app: the engine keeps one searcher and reopens it only when the index
    changes, so requests never pay for opening the index."""

    app_config: Config
    registers: Registers
    corpus: Corpus
    engine: SearchEngine

    @property
    def config(self) -> Config:
        """The configuration as the request being answered sees it: without a configured
        base URL, permalinks, the Cite box, the feed and exports point where the request
        came, so a link copied from a local run works (Config.for_request)."""
        if has_request_context():
            return self.app_config.for_request(request.url_root)
        return self.app_config

    @classmethod
    def open(cls, config: Config) -> ArchiveContext:
        registers = Registers.load(config.authority_dir)
        return cls(
            app_config=config,
            registers=registers,
            corpus=Corpus(config),
            engine=SearchEngine(config, registers),
        )


def archive() -> ArchiveContext:
    """The archive of the running app."""
    return current_app.extensions["archive"]
