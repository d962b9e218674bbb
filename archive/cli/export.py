"""`archive export`: what a search finds, streamed to a file that appears whole or not at
all."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import click

from archive.cli.group import main, pass_config, reports_errors
from archive.cli.index import check_instance, ready_engine
from archive.cli.search import search_options, search_params
from archive.config import Config
from archive.errors import Conflict, NotFound
from archive.publish import FORMATS, VERSIONS, check_versions

if TYPE_CHECKING:
    from archive.publish import ExportStats


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """Let SIGTERM unwind the stack like Ctrl-C does, so that every `finally` and context
    manager runs (an export in progress then leaves no file behind)."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@main.command("export")
@search_options
@click.option(
    "--format",
    "format_name",
    required=True,
    type=click.Choice(list(FORMATS)),
    help="zip (BagIt bag of the TEI files), tei (one teiCorpus file), jsonl, csv, bibtex, ris.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="File to write ('-' for standard output). It appears complete or not at all.",
)
@click.option(
    "--versions",
    type=click.Choice(VERSIONS),
    default="current",
    show_default=True,
    help="all: every stored version and the tombstones of withdrawn documents (zip only).",
)
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@pass_config
@reports_errors
def export_command(
    config: Config, format_name: str, output: Path, versions: str, force: bool, **search: Any
) -> None:
    """Export the documents a search selects (all documents without QUERY or filters).

    Shows a progress bar on a terminal. The output file is written under no name and only
    linked into place when complete: an interrupted export (Ctrl-C, SIGTERM, even SIGKILL)
    leaves no file. An existing OUTPUT is replaced only with --force, and its folder must
    exist: a typing slip neither destroys a file nor scatters folders.
    """
    from archive.publish import ExportStats, export_chunks, select
    from archive.search import SearchEngine, SearchRequest
    from archive.storage import Corpus, unnamed_atomic_writer

    check_versions(versions, format_name)
    if str(output) != "-":
        _check_output(output, force)
    check_instance(config)
    request = SearchRequest.from_params(search_params(**search))
    with SearchEngine(config) as engine:
        chosen = select(Corpus(config), request, ready_engine(engine, config))
        stats = ExportStats()
        chunks = export_chunks(format_name, chosen, config, stats=stats, versions=versions)
        with _terminate_as_exit():
            if str(output) == "-":
                _copy(chunks, sys.stdout.buffer, stats, chosen.total)
                sys.stdout.buffer.flush()
            else:
                with unnamed_atomic_writer(output) as handle:
                    _copy(chunks, handle, stats, chosen.total)
    if stats.skipped:
        click.echo(
            f"left out {len(stats.skipped)} document(s) withdrawn during the export: "
            + ", ".join(stats.skipped),
            err=True,
        )
    where = "standard output" if str(output) == "-" else str(output)
    click.echo(f"{stats.documents} documents, {stats.bytes} bytes written to {where}", err=True)


def _check_output(output: Path, force: bool) -> None:
    if output.exists() and not force:
        raise Conflict(f"{output} exists: give --force to replace it, or choose another name")
    if not output.parent.is_dir():
        raise NotFound(f"no folder {output.parent} to write {output.name} in: create it first")


def _copy(chunks: Iterator[bytes], handle: BinaryIO, stats: ExportStats, total: int | None) -> None:
    if not sys.stderr.isatty():
        for chunk in chunks:
            handle.write(chunk)
        return
    with click.progressbar(length=total, label="Exporting", file=sys.stderr) as bar:
        shown = 0
        for chunk in chunks:
            handle.write(chunk)
            bar.update(stats.documents - shown)
            shown = stats.documents
