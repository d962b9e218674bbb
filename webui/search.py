"""The search page: query, facets, year histogram, date range, sort and paging, all in the
URL; the JSON twin is the engine's result as it is."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from flask import Blueprint, request, url_for

from archive.search import EXCLUDE_PREFIX, FILTER_FIELDS, SearchRequest, SearchResult
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


# The order of SearchRequest.to_params, so that equal searches have equal URLs.
PARAM_ORDER = {
    name: rank
    for rank, name in enumerate(
        [
            "q",
            *FILTER_FIELDS,
            *(EXCLUDE_PREFIX + f for f in FILTER_FIELDS),
            "from",
            "to",
            "sort",
            "page",
            "size",
        ]
    )
}


def _param_rank(pair: tuple[str, str]) -> int:
    return PARAM_ORDER.get(pair[0], len(PARAM_ORDER))


@lru_cache(maxsize=65536)
def _encode(pair: tuple[str, str]) -> str:
    """One `name=value` as `urllib.parse.urlencode` writes it. Remembered: a results page
    links ~200 facet values, the same ones from page to page (at most ~6 MB of strings)."""
    return f"{quote_plus(pair[0])}={quote_plus(pair[1])}"


class Urls:
    """Links from one search to its neighbours: the same state with one thing changed, and
    always back to page 1 (except for paging itself).

    Built from the search's own URL parameters, changed as (name, value) pairs: a results
    page links every facet value, so this has to be cheap.
    """

    def __init__(
        self, search: SearchRequest, endpoint: str = "search.index", **values: Any
    ) -> None:
        self.search = search
        self.base = url_for(endpoint, **values)
        params = search.to_params(default_page_size=archive().config.page_size)
        self.pairs = [(k, v) for k, v in params if k != "page"]
        # Each of the search's own pairs is encoded once, not once for every link.
        self._encoded = {pair: _encode(pair) for pair in self.pairs}
        self._around: dict[str, tuple[str, str]] = {}

    def _url(self, pairs: list[tuple[str, str]]) -> str:
        # Stable sort: the canonical order of SearchRequest.to_params, values in given order.
        ordered = sorted(pairs, key=_param_rank)
        if not ordered:
            return self.base
        encoded = self._encoded
        return self.base + "?" + "&".join(encoded.get(p) or _encode(p) for p in ordered)

    def page(self, number: int) -> str:
        return self._url(self.pairs + ([("page", str(number))] if number != 1 else []))

    def toggle(self, facet: str, value: str, *, exclude: bool = False) -> str:
        """Select (or exclude) a value, or undo it if it already is."""
        name, other = (
            (EXCLUDE_PREFIX + facet, facet) if exclude else (facet, EXCLUDE_PREFIX + facet)
        )
        if (name, value) in self._encoded:
            return self._url([p for p in self.pairs if p != (name, value)])
        if (other, value) in self._encoded:
            return self._url([p for p in self.pairs if p != (other, value)] + [(name, value)])
        return self._adding(name, value)

    def _adding(self, name: str, value: str) -> str:
        """This search with one more pair: what `_url` makes of it, without sorting and
        joining the same pairs again for each of a facet's values. The pairs are in
        canonical order already, so the new one goes after those of its rank or below."""
        around = self._around.get(name)
        if around is None:
            rank = _param_rank((name, value))
            cut = sum(1 for pair in self.pairs if _param_rank(pair) <= rank)
            around = (
                "".join(self._encoded[p] + "&" for p in self.pairs[:cut]),
                "".join("&" + self._encoded[p] for p in self.pairs[cut:]),
            )
            self._around[name] = around
        before, after = around
        return f"{self.base}?{before}{_encode((name, value))}{after}"

    def only_year(self, year: str) -> str:
        """Only that year; or, if that is the filter already, no year filter."""
        pairs = [p for p in self.pairs if p[0] != "year"]
        if self.search.filters.get("year") != (year,):
            pairs.append(("year", year))
        return self._url(pairs)

    def without(self, what: str) -> str:
        """The search without its query, its dates or all its filters: ways to widen it."""
        names = {
            "q": {"q"},
            "dates": {"from", "to"},
            "filters": {*FILTER_FIELDS, *(EXCLUDE_PREFIX + f for f in FILTER_FIELDS)},
        }[what]
        return self._url([p for p in self.pairs if p[0] not in names])

    def with_query(self, query: str) -> str:
        return self._url([p for p in self.pairs if p[0] != "q"] + [("q", query)])


def histogram(result: SearchResult, width: int = 600, height: int = 120) -> dict[str, Any] | None:
    """Bars of the year facet, every year from the first to the last (empty years too), as
    numbers a template draws as SVG."""
    years = {
        int(v.value): v
        for v in result.facets.get("year", [])
        if v.value.isascii() and v.value.isdigit()
    }
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
    urls = Urls(search)
    return respond(
        "search.html",
        result.to_dict,
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
