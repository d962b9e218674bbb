"""The index step of every command that changes the corpus, `archive index`, and the engine
that `search` and `export` use once an index of this format exists."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from archive.cli.group import main, pass_config, reports_errors
from archive.config import Config
from archive.errors import InvalidDocument

if TYPE_CHECKING:
    from archive.search import IndexReport, SearchEngine


class _ProgressBar:
    """A progress bar on stderr when it is a terminal; silent otherwise (logs, pipes)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None

    def __call__(self, total: int) -> Callable[[int], None] | None:
        if not total or not sys.stderr.isatty():
            return None
        self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
        self.bar.__enter__()
        return self.bar.update

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def index_step(config: Config) -> Callable[[list[str]], None]:
    """The index step of an add or a withdrawal: those documents, nothing else. A failure
    raises, and the store then rolls the corpus back."""

    def index(doc_ids: list[str]) -> None:
        from archive.search import update_documents

        report = update_documents(config, doc_ids)
        if report.problems:
            raise InvalidDocument(report.problems)
        if report.deferred:
            click.echo(
                "the index is being updated by another process (a rebuild?); it indexes "
                f"{', '.join(report.deferred)} before it finishes",
                err=True,
            )
        _refresh_catalogue(config)

    return index


def _refresh_catalogue(config: Config) -> None:
    """Bring the harvesting catalogue (OAI-PMH, the Atom feed) in step with the corpus now,
    rather than on the next harvester's request."""
    from archive.publish import Catalogue

    catalogue = Catalogue(config)
    try:
        catalogue.refresh()
    finally:
        catalogue.close()


def check_instance(config: Config) -> None:
    """Refuse an instance folder that cannot hold the index (a path under a file, a folder
    without write permission) in words, before the index or a cache trips over it."""
    from archive.storage import writable_folder

    writable_folder(config.instance, "the instance folder (--instance)")


def update_index_with_progress(config: Config, rebuild: bool = False) -> IndexReport:
    """Update the index with a progress bar on a terminal, reporting unreadable files."""
    from archive.search import IndexReport, update_index
    from archive.storage import replica_of

    writer = replica_of(config.instance)
    if writer is not None:
        # A reader host's copy: its index is the writer's, published by `archive
        # replicate`; built here it would part from the corpus it was published with.
        click.echo(
            f"{config.instance} is a replica of {writer}: its index is published by the "
            "writer (`archive replicate`), not updated here",
            err=True,
        )
        return IndexReport()
    check_instance(config)
    bar = _ProgressBar("Indexing")
    try:
        report = update_index(config, rebuild=rebuild, progress=bar)
    finally:
        bar.close()
    for problem in report.problems:
        click.echo(str(problem), err=True)
    return report


@main.command("index")
@click.option("--rebuild", is_flag=True, help="Build the index from scratch.")
@pass_config
@reports_errors
def index_command(config: Config, rebuild: bool) -> None:
    """Bring the search index up to date with the corpus.

    New, changed (by content hash) and removed documents are indexed incrementally;
    --rebuild starts over (so does an index of an older format). A file that cannot be read
    is skipped and reported, and the command exits 1.
    """
    from archive import storage

    rolled_back = storage.recover_pending(config)
    if rolled_back:
        click.echo(f"rolled back an unfinished change to: {', '.join(rolled_back)}", err=True)
    registers = storage.recover_pending_registers(config)
    if registers:
        click.echo(
            f"rolled back an unfinished change to the {', '.join(registers)} register(s)", err=True
        )
    report = update_index_with_progress(config, rebuild=rebuild)
    _refresh_catalogue(config)
    click.echo(report.summary())
    if report.problems:
        sys.exit(1)


def ready_engine(engine: SearchEngine, config: Config) -> SearchEngine:
    """The engine, after building the index if there is none yet, or only one of an older
    format (which the engine will not read)."""
    from archive.search import current_index_folder

    if current_index_folder(config.index_dir) is None:
        click.echo("building the search index first ...", err=True)
        update_index_with_progress(config)
    return engine
