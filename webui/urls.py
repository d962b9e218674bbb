"""Links from one search to its neighbours (a facet value toggled, a page turned, a year
chosen), written as `urllib.parse.urlencode` would write them, in the canonical order of
`SearchRequest.to_params` so that equal searches have equal URLs.

A results page links ~200 facet values: the pairs are encoded once per process, and the
part of a link that is the page's own search once per page (`Urls.adding`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from flask import url_for

from archive.search import EXCLUDE_PREFIX, FILTER_FIELDS, SearchRequest
from webui.context import archive

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
def encoded_pair(pair: tuple[str, str]) -> str:
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
        self._encoded = {pair: encoded_pair(pair) for pair in self.pairs}
        self._around: dict[str, tuple[str, str]] = {}
        self._carried: str | None = None  # `state`, encoded once for every hit's link

    def _url(self, pairs: list[tuple[str, str]]) -> str:
        # Stable sort: the canonical order of SearchRequest.to_params, values in given order.
        ordered = sorted(pairs, key=_param_rank)
        if not ordered:
            return self.base
        encoded = self._encoded
        return self.base + "?" + "&".join(encoded.get(p) or encoded_pair(p) for p in ordered)

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
        before, after = self.around(name)
        return f"{before}{encoded_pair((name, value))}{after}"

    def around(self, name: str) -> tuple[str, str]:
        """What comes before and after one more `name` pair in the URL of this search with
        that pair added: `before + encoded_pair((name, value)) + after`, the same URL
        `_url` would make, without sorting and joining the search's own pairs again for each
        of a facet's values. The pairs are in canonical order already, so the new one goes
        after those of its rank or below."""
        around = self._around.get(name)
        if around is None:
            rank = _param_rank((name, ""))
            cut = sum(1 for pair in self.pairs if _param_rank(pair) <= rank)
            around = (
                self.base + "?" + "".join(self._encoded[p] + "&" for p in self.pairs[:cut]),
                "".join("&" + self._encoded[p] for p in self.pairs[cut:]),
            )
            self._around[name] = around
        return around

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

    def feed(self) -> str:
        """The Atom feed of this search's new documents and versions (no paging, size or
        order: what the search finds, not how a page shows it)."""
        pairs = [p for p in self.pairs if p[0] not in ("size", "sort")]
        query = "&".join(
            self._encoded.get(p) or encoded_pair(p) for p in sorted(pairs, key=_param_rank)
        )
        return url_for("feed.search_feed") + (f"?{query}" if query else "")

    def exactly(self) -> str:
        """The same search with its words as typed (no synonyms, special letters count)."""
        return self._url([p for p in self.pairs if p[0] != "exact"] + [("exact", "1")])

    def with_query(self, query: str) -> str:
        return self._url([p for p in self.pairs if p[0] != "q"] + [("q", query)])

    def replace(self, name: str, old: str, new: str) -> str:
        """This search with one value of a parameter replaced (a misspelt filter)."""
        return self._url([(name, new) if p == (name, old) else p for p in self.pairs])

    @property
    def state(self) -> str:
        """The search as a query string without its page: what a document opened from the
        results carries (`?from=`) to come back to them and to the next and previous hit."""
        return "&".join(self._encoded[p] for p in self.pairs)

    def hit(self, doc_url: str, position: int) -> str:
        """A hit's document, carrying this search and the hit's place in it (from 1)."""
        if self._carried is None:
            self._carried = quote_plus(self.state)
        return f"{doc_url}?from={self._carried}&hit={position}"
