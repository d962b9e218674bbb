"""The search page: query, facets, year histogram, date range, sort and paging, all in the
URL; the JSON twin is the engine's result as it is."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, request, url_for

from archive.request import EXCLUDE_PREFIX, SearchRequest
from archive.search import SearchResult
from webui.context import archive
from webui.negotiation import respond

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


def search_request() -> SearchRequest:
    """The search the URL states (BadQuery names a bad parameter: answered with 400)."""
    return SearchRequest.from_params(
        request.args.to_dict(flat=False), default_page_size=archive().config.page_size
    )


class Urls:
    """Links from one search to its neighbours: same state, one thing changed."""

    def __init__(
        self, search: SearchRequest, endpoint: str = "search.index", **values: Any
    ) -> None:
        self.search = search
        self.endpoint = endpoint
        self.values = values
        self.default_size = archive().config.page_size

    def _url(self, changed: SearchRequest) -> str:
        query = urlencode(changed.to_params(default_page_size=self.default_size))
        base = url_for(self.endpoint, **self.values)
        return f"{base}?{query}" if query else base

    def page(self, number: int) -> str:
        return self._url(self.search.with_page(number))

    def toggle(self, facet: str, value: str, *, exclude: bool = False) -> str:
        """Select (or exclude) a value, or undo it if it already is."""
        filters = {k: list(v) for k, v in self.search.filters.items()}
        excludes = {k: list(v) for k, v in self.search.excludes.items()}
        target, other = (excludes, filters) if exclude else (filters, excludes)
        values = target.setdefault(facet, [])
        if value in values:
            values.remove(value)
        else:
            values.append(value)
            if value in other.get(facet, []):
                other[facet].remove(value)
        return self._url(_replace(self.search, filters=filters, excludes=excludes))

    def only_year(self, year: str) -> str:
        filters = {k: list(v) for k, v in self.search.filters.items()}
        filters["year"] = [] if self.search.filters.get("year") == (year,) else [year]
        return self._url(_replace(self.search, filters=filters))

    def without(self, what: str) -> str:
        """The search without its query, its dates or all its filters: ways to widen it."""
        changes: dict[str, Any] = {
            "q": {"q": ""},
            "dates": {"date_from": None, "date_to": None},
            "filters": {"filters": {}, "excludes": {}},
        }[what]
        return self._url(_replace(self.search, **changes))

    def with_query(self, query: str) -> str:
        return self._url(_replace(self.search, q=query))


def _replace(search: SearchRequest, **changes: Any) -> SearchRequest:
    from dataclasses import replace

    return replace(search, page=1, **changes)


def histogram(result: SearchResult, width: int = 600, height: int = 120) -> dict[str, Any] | None:
    """Bars of the year facet, every year from the first to the last (empty years too), as
    numbers a template draws as SVG."""
    years = {int(v.value): v for v in result.facets.get("year", []) if v.value.isdigit()}
    if not years:
        return None
    first, last = min(years), max(years)
    span = list(range(first, last + 1))
    top = max(v.count for v in years.values()) or 1
    slot = width / len(span)
    bars = []
    for i, year in enumerate(span):
        value = years.get(year)
        count = value.count if value else 0
        bar_height = round((height - 20) * count / top, 1)
        bars.append(
            {
                "year": str(year),
                "count": count,
                "x": round(i * slot + 1, 1),
                "y": round(height - 14 - bar_height, 1),
                "width": round(max(slot - 2, 1), 1),
                "height": bar_height,
                "selected": bool(value and value.selected),
                "label": str(year)
                if len(span) <= 12 or year % 5 == 0 or year in (first, last)
                else "",
            }
        )
    return {"width": width, "height": height, "bars": bars}


@bp.route("/", defaults={"fmt": None})
@bp.route("/search.<fmt>")
def index(fmt: str | None):  # type: ignore[no-untyped-def]
    search = search_request()
    result = archive().engine.search(search)
    data = result.to_dict()
    urls = Urls(search)
    return respond(
        "search.html",
        data,
        fmt=fmt,
        result=result,
        search=search,
        urls=urls,
        facet_titles=FACET_TITLES,
        histogram=histogram(result),
        exclude_prefix=EXCLUDE_PREFIX,
        labels=archive().engine.labels.label,
        config_page_size=archive().config.page_size,
    )
