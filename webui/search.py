"""The search page: query, facets, year histogram, date range, sort and paging, all in the
URL; the JSON twin is the engine's result as it is."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

from flask import Blueprint, render_template, request, url_for

from archive.errors import ArchiveError, BadQuery
from archive.search import EXCLUDE_PREFIX, FacetValue, SearchRequest, SearchResult
from webui.context import archive
from webui.errors import error_response
from webui.facets import facet_html
from webui.histogram import year_chart
from webui.negotiation import respond, wants_json
from webui.urls import Urls

bp = Blueprint("search", __name__)

FACET_TITLES = {
    "treaty": "Treaty",
    "type": "Type",
    "year": "Year",
    "signatory": "Signatory",
    "org": "Organisation",
    "addressee": "Addressed to",
    "place": "Place",
    "lang": "Language",
}


# The deepest hit a result link names: as deep as results are paged.
MAX_HIT = 10_000
SORT_LABELS = {
    "relevance": "relevance",
    "-date": "date, newest first",
    "date": "date, oldest first",
}


def search_request() -> SearchRequest:
    """The search the URL states (BadQuery names a bad parameter: answered with 400)."""
    return SearchRequest.from_params(
        request.args.to_dict(flat=False), default_page_size=archive().config.page_size
    )


# Parameters dropped, in turn, to keep as much of a refused search as can be kept: the
# page it shows (box, query, filters) stays the reader's, with the fault named on it.
_SETTINGS = ("page", "size", "sort", "from", "to", "exact")


def kept_request() -> SearchRequest:
    """The URL's search without the setting at fault (a bad page or date), for a refused
    search's page; failing that without any setting; at worst the query alone."""
    params = request.args.to_dict(flat=False)
    size = archive().config.page_size
    for dropped in [(name,) for name in _SETTINGS if name in params] + [_SETTINGS]:
        try:
            return SearchRequest.from_params(
                {k: v for k, v in params.items() if k not in dropped}, default_page_size=size
            )
        except BadQuery:
            continue
    queries = params.get("q") or [""]
    return SearchRequest(q=queries[0].strip(), page_size=size)


def _field_value(field: str, value: str) -> str:
    """`field:value` as the query language reads it back."""
    if re.fullmatch(r"[\w.-]+", value):
        return f"{field}:{value}"
    return f'{field}:"{value.replace(chr(34), "")}"'


def suggested_searches(exc: BadQuery, search: SearchRequest, urls: Urls) -> list[dict[str, str]]:
    """The refused search with the value at fault replaced by each suggestion the error
    offers: in the query (`treaty:"Fourth Genva Convention"` becomes `treaty:"Fourth Geneva
    Convention"`) or in the filter it came from. `label` is what the link reads."""
    if not exc.suggestions or exc.field is None or not exc.text:
        return []
    out = []
    if exc.param:
        if (exc.param, exc.text) not in urls.pairs:
            return []
        facet = exc.param.removeprefix(EXCLUDE_PREFIX)
        title = FACET_TITLES.get(facet, facet)
        prefix = "not " if exc.param.startswith(EXCLUDE_PREFIX) else ""
        for suggestion in exc.suggestions:
            out.append(
                {
                    "label": f"{prefix}{title}: {suggestion}",
                    "url": urls.replace(exc.param, exc.text, suggestion),
                }
            )
        return out
    words = r"\s+".join(re.escape(w) for w in exc.text.split())
    typed = re.compile(rf"\b{re.escape(exc.field)}:\s*(?:\"\s*{words}\s*\"|{words})", re.I)
    if not typed.search(search.q):
        return []
    for suggestion in exc.suggestions:
        query = typed.sub(lambda _m, s=suggestion: _field_value(exc.field, s), search.q, count=1)
        out.append({"label": query, "url": urls.with_query(query)})
    return out


def hit_navigation(doc_id: str, carried: str | None, position: str | None) -> dict[str, Any] | None:
    """Where a document opened from a search sits in it: the way back to the results page
    that listed it and to the previous and next hit, from the search state the result link
    carried (`?from=<query string>&hit=<n>`). None when it came from no search; without
    neighbours when the results changed under it (an add) and hit n is another document."""
    if carried is None or not position or not position.isdigit():
        return None
    n = int(position)
    ctx = archive()
    try:
        search = SearchRequest.from_params(
            parse_qs(carried), default_page_size=ctx.config.page_size
        )
        if not 1 <= n <= MAX_HIT:
            return None
        around = ctx.engine.ids_between(search, n - 2, n + 1)
    except ArchiveError:
        # A carried search that no longer runs (edited by hand, or the index not built, busy
        # or damaged): the document is what was asked for, and it needs no index; the
        # search page itself says what is wrong when the reader goes back to it.
        return None
    urls = Urls(search)
    out: dict[str, Any] = {
        "search": search,
        "back": urls.page((n - 1) // search.page_size + 1),
        "position": n,
        "previous": None,
        "next": None,
    }
    before, rest = (around[:1], around[1:]) if n > 1 else ([], around)
    if not rest or rest[0] != doc_id:
        return out

    def doc_url(other: str) -> str:
        return url_for("documents.latest", doc_id=other)

    if before:
        out["previous"] = urls.hit(doc_url(before[0]), n - 1)
    if len(rest) > 1:
        out["next"] = urls.hit(doc_url(rest[1]), n + 1)
    return out


def active_filters(search: SearchRequest) -> int:
    """How many filters narrow the search (each value, each exclusion, a date range): the n
    of the "Filters (n)" control."""
    values = sum(len(v) for v in search.filters.values())
    values += sum(len(v) for v in search.excludes.values())
    return values + (1 if search.date_from or search.date_to else 0)


def _page_values(search: SearchRequest, urls: Urls) -> dict[str, Any]:
    """What the search template needs besides the result."""
    ctx = archive()
    return {
        "search": search,
        "urls": urls,
        "facet_titles": FACET_TITLES,
        "sort_labels": SORT_LABELS,
        "facet_html": facet_html,
        "year_chart": year_chart,
        "labels": ctx.engine.labels.label,
        "config_page_size": ctx.config.page_size,
        "active_count": active_filters(search),
    }


@bp.route("/", defaults={"fmt": None})
@bp.route("/search.<fmt>")
def index(fmt: str | None):  # type: ignore[no-untyped-def]
    wants_json(fmt)  # an unknown format is a 404 before anything else
    try:
        search = search_request()
    except BadQuery as exc:
        return refused(exc, kept_request(), fmt)
    try:
        result = archive().engine.search(search)
    except BadQuery as exc:
        return refused(exc, search, fmt)
    urls = Urls(search)
    return respond(
        "search.html",
        result.to_dict,
        fmt=fmt,
        result=result,
        **_page_values(search, urls),
    )


def refused(exc: BadQuery, search: SearchRequest, fmt: str | None):  # type: ignore[no-untyped-def]
    """A search the archive cannot run, answered 400 on the search page itself: the box
    holds the query, the filters stay (as ticked boxes and chips), the fault is named where
    the results would be, with each suggestion as a link to the corrected search. JSON
    gets the error with the same links."""
    urls = Urls(search)
    suggested = suggested_searches(exc, search, urls)
    title = getattr(exc, "title", None) or "Bad request"
    extra: dict[str, Any] = {"suggestions": exc.suggestions}
    if suggested:
        extra["suggested_searches"] = suggested
    status = exc.http_status
    if wants_json(fmt):
        return error_response(status, title, exc.message, **extra)
    # The filters the URL gave, as facet values to untick (their counts are not known).
    labels = archive().engine.labels.label
    facets: dict[str, list[FacetValue]] = {}
    for source, flag in ((search.filters, "selected"), (search.excludes, "excluded")):
        for name, values in source.items():
            facets.setdefault(name, []).extend(
                FacetValue(v, labels(name, v), 0, **{flag: True}) for v in values
            )
    result = SearchResult(request=search, total=0, hits=[], facets=facets)
    html = render_template(
        "search.html",
        data=result.to_dict(),
        result=result,
        error={"title": title, "message": exc.message, "suggested": suggested},
        **_page_values(search, urls),
    )
    return html, status, {"Vary": "Accept"}
