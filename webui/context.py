"""What the views share: the configuration, the registers, the corpus and the search engine,
opened once per app."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_request_context, request

from archive.config import Config
from archive.document import Registers, register_stamp
from archive.search import SearchEngine
from archive.storage import Corpus


@dataclass
class ArchiveContext:
    """One per app: the engine keeps one searcher and reopens it only when the index
    changes, so requests never pay for opening the index. The registers are read again
    when a register file changes (`archive register ...` while the archive is served):
    four `stat` calls per request tell."""

    app_config: Config
    registers: Registers
    corpus: Corpus
    engine: SearchEngine
    register_stamp: tuple[tuple[int, int], ...] = ()

    @property
    def config(self) -> Config:
        """The configuration as the request being answered sees it: without a configured
        base URL, permalinks, the Cite box, the feed and exports point where the request
        came, so a link copied from a local run works (Config.for_request)."""
        if not has_request_context():
            return self.app_config
        # Made once a request (a search page asks ~7 times); the WSGI environ is the
        # request's own, unlike `g`, which a request shares with an app context pushed
        # around it.
        config = request.environ.get(_CONFIG_KEY)
        if config is None:
            config = request.environ[_CONFIG_KEY] = self.app_config.for_request(request.url_root)
        return config

    @classmethod
    def open(cls, config: Config) -> ArchiveContext:
        stamp = _register_stamp(config)
        registers = Registers.load(config.authority_dir)
        return cls(
            app_config=config,
            registers=registers,
            corpus=Corpus(config),
            engine=SearchEngine(config, registers),
            register_stamp=stamp,
        )

    def refresh_registers(self) -> None:
        stamp = _register_stamp(self.config)
        if stamp != self.register_stamp:
            registers = Registers.load(self.config.authority_dir)
            self.engine.use_registers(registers)
            self.registers, self.register_stamp = registers, stamp


def _register_stamp(config: Config) -> tuple[tuple[int, int], ...]:
    return register_stamp(config.authority_dir)


# What the request has already had from `archive()`, kept in its WSGI environ.
_CONFIG_KEY = "archive.config"
_CHECKED_KEY = "archive.registers_checked"


def archive() -> ArchiveContext:
    """The archive of the running app, its registers as they are on disk: looked at once a
    request (a search page asks four times; four `stat` calls each, ~5% of a JSON page's
    own time at 100,000 documents), so one page never mixes two versions of a register."""
    ctx = current_app.extensions["archive"]
    if not has_request_context():
        ctx.refresh_registers()
    elif not request.environ.get(_CHECKED_KEY):
        ctx.refresh_registers()
        request.environ[_CHECKED_KEY] = True
    return ctx
