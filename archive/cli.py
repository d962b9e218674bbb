"""The `archive` command: a thin face over the library, like the web UI.

Every command reads its data through a `Config` built once from --corpus / --instance and
the environment. Errors the archive raises on purpose go to stderr as one readable line
(`path:line: message` where a file is concerned) with the error's exit code: never a
traceback.
"""

from __future__ import annotations

import contextlib
import functools
import json
import signal
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import click

from archive import __version__, store
from archive.authority import Registers
from archive.catalogue import Catalogue
from archive.config import Config
from archive.encode import Encoder, read_text_file
from archive.encode.report import report_json, report_text
from archive.errors import ArchiveError, BadQuery, InvalidDocument
from archive.export import FORMATS, ExportStats, export_chunks
from archive.facets import FacetValue
from archive.fsutil import atomic_write_many, unnamed_atomic_writer
from archive.index import INDEX_FORMAT, current_generation, generation_format, index_status
from archive.indexing import IndexReport, update_documents, update_index
from archive.request import EXCLUDE_PREFIX, FILTER_FIELDS, SORTS, SearchRequest
from archive.search import SearchEngine
from archive.selection import select
from archive.stats import corpus_figures
from archive.store import Corpus
from archive.tei import parse_tei
from archive.terminal import document_text
from archive.terminal_search import search_result_text, stats_text
from archive.validate import Validator, document_types

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Turn ArchiveError into a message on stderr and the error's exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ArchiveError as exc:
            click.echo(f"error: {exc}" if exc.path is None else str(exc), err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


class ArchiveGroup(click.Group):
    """The `archive` group, plus commands other packages plug in through the entry-point
    group `archive.commands` (the web UI adds `serve` that way, so this library never
    imports the web layer)."""

    def _plugins(self) -> dict[str, Any]:
        return {ep.name: ep for ep in entry_points(group="archive.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in self._plugins():
            command = self._plugins()[name].load()
        return command


@click.group(cls=ArchiveGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--corpus",
    type=click.Path(file_okay=False, path_type=Path),
    help="Corpus folder (documents/, authority/). Default: $ARCHIVE_CORPUS or the bundled corpus.",
)
@click.option(
    "--instance",
    type=click.Path(file_okay=False, path_type=Path),
    help="Instance folder for the index and caches. Default: $ARCHIVE_INSTANCE or ./instance.",
)
@click.version_option(__version__, prog_name="archive")
@click.pass_context
def main(ctx: click.Context, corpus: Path | None, instance: Path | None) -> None:
    """Appeals Archive: TEI appeals and statements on international humanitarian law."""
    ctx.obj = Config.from_env(corpus=corpus, instance=instance)


pass_config = click.make_pass_decorator(Config)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@pass_config
@reports_errors
def validate(config: Config, paths: tuple[Path, ...]) -> None:
    """Validate TEI files against the project schema and the reference rules.

    PATHS may be files or folders (searched for *.xml); the default is the whole corpus.
    Prints one `path:line: message` per problem and exits 1 if there is any.
    """
    targets = list(paths) or [
        p for p in (config.documents_dir, config.authority_dir, config.versions_dir) if p.is_dir()
    ]
    report = Validator(config).validate_paths(targets)
    if not paths:
        report.problems.extend(Corpus(config).integrity_problems())
    for problem in report.problems:
        click.echo(str(problem), err=True)
    bad_files = len({p.path for p in report.problems})
    if report.ok:
        click.echo(f"{len(report.files)} files valid")
    else:
        click.echo(
            f"{bad_files} of {len(report.files) or bad_files} files invalid, {len(report.problems)} problems",
            err=True,
        )
        sys.exit(1)


@main.command()
@click.argument("doc_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the document model as JSON.")
@click.option("--xml", "as_xml", is_flag=True, help="Print the stored TEI exactly as stored.")
@pass_config
@reports_errors
def show(config: Config, doc_id: str, as_json: bool, as_xml: bool) -> None:
    """Show one document readably, as JSON, or as its stored XML."""
    corpus = Corpus(config)
    if as_xml:
        sys.stdout.buffer.write(corpus.read_bytes(doc_id))
        return
    doc = corpus.document(doc_id)
    if as_json:
        click.echo(json.dumps(doc.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(document_text(doc, Registers.load(config.authority_dir)))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-m",
    "--message",
    help="What changed, for the revisionDesc entry of a new version (when the file has none).",
)
@pass_config
@reports_errors
def add(config: Config, files: tuple[Path, ...], message: str | None) -> None:
    """Add TEI files to the corpus: new documents become version 1, changed ones version n+1.

    Every file is validated first; then all are stored together or none is. Earlier versions
    stay, byte for byte, in versions/<id>/<n>.xml. An identical file changes nothing.
    """
    outcomes = store.add(config, files, message=message, on_change=_index_documents(config))
    for outcome in outcomes:
        click.echo(f"{outcome.doc_id}: {outcome.status} (version {outcome.version})")


@main.command()
@click.argument("doc_id", metavar="ID")
@click.option("--reason", required=True, help="Why the document is withdrawn; shown to readers.")
@pass_config
@reports_errors
def withdraw(config: Config, doc_id: str, reason: str) -> None:
    """Withdraw a document: it keeps its versions and its id, and is shown as withdrawn."""
    withdrawal = store.withdraw(config, doc_id, reason, on_change=_index_documents(config))
    click.echo(
        f"{withdrawal.doc_id}: withdrawn on {withdrawal.when} (last version {withdrawal.last_version})"
    )


# --- archive encode: plain text to a TEI draft ------------------------------------------


@main.command()
@click.argument("textfile", type=click.Path(path_type=Path, dir_okay=True))
@click.option(
    "--id", "doc_id", help="Document id (lowercase slug). Default: proposed from title and date."
)
@click.option("--title", help="Main title. Default: the text's heading, if it has one.")
@click.option(
    "--date", "issued", help="Issue date: YYYY-MM-DD (or YYYY-MM, YYYY, or '25 March 2021')."
)
@click.option("--source", "source_url", help="URL the text was taken from.")
@click.option(
    "--type",
    "doc_type",
    type=click.Choice(document_types()),
    help="Document type. Default: what the text calls itself.",
)
@click.option("--lang", default="en", show_default=True, help="Language of the text (BCP 47).")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write the draft here (default: stdout).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path),
    help="Write the review report here as JSON (default: readable text on stderr).",
)
@pass_config
@reports_errors
def encode(
    config: Config,
    textfile: Path,
    doc_id: str | None,
    title: str | None,
    issued: str | None,
    source_url: str | None,
    doc_type: str | None,
    lang: str,
    output: Path | None,
    report_path: Path | None,
) -> None:
    """Encode a plain-text statement as a TEI draft, with a review report.

    Treaties, dates, signatories, organisations and places are detected against the
    registers; what needs a person's decision (unknown signers, ambiguous names, a missing
    date or id) is listed in the report. Nothing is written unless everything can be.
    """
    registers = Registers.load(config.authority_dir)
    text = read_text_file(textfile)
    result = Encoder(registers, config.base_url).encode(
        text,
        doc_id=doc_id,
        title=title,
        issued=issued,
        source_url=source_url,
        doc_type=doc_type,
        lang=lang,
    )
    draft_path = output if output is not None else Path(f"{result.doc_id}.xml")
    # A draft may need review, but one the archive could not even read back (too large,
    # past the XML parser's limits) is refused: nothing is written.
    parse_tei(result.tei_bytes, draft_path)
    problems = Validator(config, registers).validate_bytes(result.tei_bytes, draft_path)
    outputs = []
    if output is not None:
        outputs.append((output, result.tei_bytes))
    if report_path is not None:
        data = report_json(result, str(textfile), problems)
        outputs.append(
            (report_path, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode())
        )
    atomic_write_many(outputs)
    if output is None:
        sys.stdout.buffer.write(result.tei_bytes)
        sys.stdout.buffer.flush()
    if report_path is None:
        click.echo(report_text(result, str(textfile), problems), err=True, nl=False)


# --- stating a search: shared by search and export -----------------------------------


def _field_values(pairs: tuple[str, ...], option: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not value.strip():
            raise BadQuery(f"{option} {pair!r}: write FIELD=VALUE, e.g. {option} treaty=gc-1949")
        if name.strip() not in FILTER_FIELDS:
            raise BadQuery(
                f"{option}: unknown field {name.strip()!r}; fields: {', '.join(FILTER_FIELDS)}"
            )
        out.setdefault(name.strip(), []).append(value.strip())
    return out


def search_options(command: F) -> F:
    """The options that state a search, shared by `archive search` and `archive export`
    (which exports exactly what the same search finds)."""
    options = [
        click.argument("query", required=False, default=""),
        click.option(
            "--filter",
            "filters",
            multiple=True,
            metavar="FIELD=VALUE",
            help=f"Keep documents with this value ({', '.join(FILTER_FIELDS)}); repeat to OR values of one field.",
        ),
        click.option(
            "--exclude",
            "excludes",
            multiple=True,
            metavar="FIELD=VALUE",
            help="Leave out documents with this value.",
        ),
        click.option(
            "--from", "date_from", metavar="DATE", help="Issued on or after (YYYY[-MM[-DD]])."
        ),
        click.option(
            "--to", "date_to", metavar="DATE", help="Issued on or before (YYYY[-MM[-DD]])."
        ),
        click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def search_params(
    query: str,
    filters: tuple[str, ...],
    excludes: tuple[str, ...],
    date_from: str | None,
    date_to: str | None,
    sort: str,
) -> dict[str, list[str]]:
    """The search options as URL parameters: the state `SearchRequest.from_params` reads, as
    on the search page."""
    params: dict[str, list[str]] = {"q": [query], "sort": [sort]}
    if date_from:
        params["from"] = [date_from]
    if date_to:
        params["to"] = [date_to]
    params.update(_field_values(filters, "--filter"))
    for name, values in _field_values(excludes, "--exclude").items():
        params[f"{EXCLUDE_PREFIX}{name}"] = values
    return params


def _ready(engine: SearchEngine, config: Config) -> SearchEngine:
    """The engine, after building the index if there is none yet, or only one of an older
    format (which the engine will not read)."""
    folder = current_generation(config.index_dir)
    if folder is None or generation_format(folder) != INDEX_FORMAT:
        click.echo("building the search index first ...", err=True)
        update_index_with_progress(config)
    return engine


# --- export ---------------------------------------------------------------------------


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
@pass_config
@reports_errors
def export_command(config: Config, format_name: str, output: Path, **search: Any) -> None:
    """Export the documents a search selects (all documents without QUERY or filters).

    Shows a progress bar on a terminal. The output file is written under no name and only
    linked into place when complete: an interrupted export (Ctrl-C, SIGTERM, even SIGKILL)
    leaves no file.
    """
    request = SearchRequest.from_params(search_params(**search))
    with SearchEngine(config) as engine:
        chosen = select(Corpus(config), request, _ready(engine, config))
        stats = ExportStats()
        chunks = export_chunks(format_name, chosen, config, stats=stats)
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


# --- search: index, search, stats (issue 3) ---------------------------------------------
# Thin faces over archive.indexing and archive.search; the output formats live in
# archive.terminal_search.


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


def _index_documents(config: Config) -> Callable[[list[str]], None]:
    """The index step of an add or a withdrawal: those documents, nothing else. A failure
    raises, and the store then rolls the corpus back."""

    def index(doc_ids: list[str]) -> None:
        report = update_documents(config, doc_ids)
        if report.problems:
            raise InvalidDocument(report.problems)
        _refresh_catalogue(config)

    return index


def _refresh_catalogue(config: Config) -> None:
    """Bring the harvesting catalogue (OAI-PMH, the Atom feed) in step with the corpus now,
    rather than on the next harvester's request."""
    catalogue = Catalogue(config)
    try:
        catalogue.refresh()
    finally:
        catalogue.close()


def update_index_with_progress(config: Config, rebuild: bool = False) -> IndexReport:
    """Update the index with a progress bar on a terminal, reporting unreadable files."""
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
    rolled_back = store.recover_pending(config)
    if rolled_back:
        click.echo(f"rolled back an unfinished change to: {', '.join(rolled_back)}", err=True)
    report = update_index_with_progress(config, rebuild=rebuild)
    _refresh_catalogue(config)
    click.echo(report.summary())
    if report.problems:
        sys.exit(1)


@main.command()
@search_options
@click.option("--page", default="1", metavar="N", help="Result page, from 1.")
@click.option("--size", default=None, metavar="N", help="Results per page (1-100).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_config
@reports_errors
def search(config: Config, page: str, size: str | None, as_json: bool, **search: Any) -> None:
    """Search the archive: QUERY in Whoosh syntax (words, "phrases", AND/OR/NOT, -word,
    treaty:, signatory:, org:, addressee:, place:, type:, lang:, date:[2020-11 TO 2021-06]).

    Prints the hits with snippets, then the facet counts. Builds the index first if there
    is none.
    """
    params = search_params(**search)
    params["page"] = [page]
    if size is not None:
        params["size"] = [size]
    request = SearchRequest.from_params(params, default_page_size=config.page_size)
    with SearchEngine(config) as engine:
        result = _ready(engine, config).search(request)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(search_result_text(result), nl=False)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@pass_config
@reports_errors
def stats(config: Config, as_json: bool) -> None:
    """Corpus and index figures: documents, registers, index size and freshness, and the
    documents per type, language and year (from the index)."""
    registers = Registers.load(config.authority_dir)
    status = index_status(config)
    counts: dict[str, list[FacetValue]] = {}
    if status.exists and status.format == INDEX_FORMAT:
        with SearchEngine(config, registers) as engine:
            counts = {name: engine.counts(name) for name in ("type", "lang", "year")}
    figures = corpus_figures(config, registers)
    if as_json:
        data = {
            "corpus": figures,
            "index": status.to_dict(),
            "counts": {k: [v.to_dict() for v in vs] for k, vs in counts.items()},
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(stats_text(figures, status, counts), nl=False)
