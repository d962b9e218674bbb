"""`archive search` and `archive stats`, and the options that state a search (which
`archive export` shares, so that it exports exactly what the same search finds)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from archive.cli.group import F, main, pass_config, reports_errors
from archive.cli.index import check_instance, ready_engine
from archive.cli.terminal_search import search_result_text, stats_text
from archive.config import Config
from archive.errors import BadQuery
from archive.search import EXCLUDE_PREFIX, FILTER_FIELDS, SORTS

if TYPE_CHECKING:
    from archive.search import FacetValue


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
        click.option(
            "--exact",
            is_flag=True,
            help="Every word as typed: special letters count (ə is not a) and no synonyms "
            "(mine does not also find minefield).",
        ),
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
    exact: bool = False,
) -> dict[str, list[str]]:
    """The search options as URL parameters: the state `SearchRequest.from_params` reads, as
    on the search page."""
    params: dict[str, list[str]] = {"q": [query], "sort": [sort]}
    if exact:
        params["exact"] = ["1"]
    if date_from:
        params["from"] = [date_from]
    if date_to:
        params["to"] = [date_to]
    params.update(_field_values(filters, "--filter"))
    for name, values in _field_values(excludes, "--exclude").items():
        params[f"{EXCLUDE_PREFIX}{name}"] = values
    return params


@main.command()
@search_options
@click.option("--page", default="1", metavar="N", help="Result page, from 1.")
@click.option("--size", default=None, metavar="N", help="Results per page (1-100).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_config
@reports_errors
def search(config: Config, page: str, size: str | None, as_json: bool, **search: Any) -> None:
    """Search the archive: QUERY in Whoosh syntax (words, "phrases", AND/OR/NOT, -word,
    treaty:, article:, signatory:, org:, addressee:, place:, type:, lang:,
    date:[2020-11 TO 2021-06]).

    Prints the hits with snippets, then the facet counts. Builds the index first if there
    is none.
    """
    from archive.search import SearchEngine, SearchRequest

    check_instance(config)
    params = search_params(**search)
    params["page"] = [page]
    if size is not None:
        params["size"] = [size]
    request = SearchRequest.from_params(params, default_page_size=config.page_size)
    with SearchEngine(config) as engine:
        result = ready_engine(engine, config).search(request)
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
    from archive.document import Registers
    from archive.search import INDEX_FORMAT, SearchEngine, index_status
    from archive.storage import corpus_figures

    check_instance(config)
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
