"""A search as the URL states it: `SearchRequest` is the state of a search page, and
`from_params`/`to_params` are the two directions between it and a query string.

Parameters (each may repeat where a list is meant):

    q                  the query (archive.search.query syntax); empty = every document
    treaty, signatory, org, addressee, place, type, lang, year
                       facet filters: several values of one facet OR, facets AND
    not_treaty, not_signatory, ...
                       excluded values
    from, to           issue dates (YYYY, YYYY-MM or YYYY-MM-DD); a partial `from` starts
                       at its first day, a partial `to` ends at its last
    sort               relevance (default), date (oldest first) or -date (newest first)
    exact              1 (or true, yes, on): every word of q spelt as typed (no folding of
                       special letters: Mirzəyev is not Mirzayev); 0 or absent: folded
    page, size         page number from 1; page size 1-100

Unknown parameters are ignored (a page may carry its own, such as `format`); a known one
with a bad value is a BadQuery naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from archive.document import parse_iso
from archive.errors import BadQuery

FILTER_FIELDS = ("treaty", "signatory", "org", "addressee", "place", "type", "lang", "year")
SORTS = ("relevance", "date", "-date")
EXCLUDE_PREFIX = "not_"
MAX_PAGE_SIZE = 100
MAX_PAGE = 500
MAX_RESULTS_DEPTH = 10_000  # page x size: deeper paging is for exports (iter_ids)
MAX_VALUES = 50  # values per filter
_SWITCH = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


def _freeze(mapping: Mapping[str, Iterable[str]] | None) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for name, values in (mapping or {}).items():
        if name not in FILTER_FIELDS:
            raise BadQuery(
                f"unknown filter {name!r}: filters are {', '.join(FILTER_FIELDS)}",
                suggestions=list(FILTER_FIELDS),
            )
        if isinstance(values, str):
            values = [values]
        kept = tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))
        if len(kept) > MAX_VALUES:
            raise BadQuery(f"{name}: more than {MAX_VALUES} values")
        if kept:
            out[name] = kept
    return out


@dataclass(frozen=True)
class SearchRequest:
    """Everything that decides a result page. Build it directly or from URL parameters."""

    q: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    excludes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
    exact: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "filters", _freeze(self.filters))
        object.__setattr__(self, "excludes", _freeze(self.excludes))
        if self.sort not in SORTS:
            raise BadQuery(f"sort: {self.sort!r} is not one of {', '.join(SORTS)}")
        if not isinstance(self.page, int) or self.page < 1 or self.page > MAX_PAGE:
            raise BadQuery(f"page: must be a number from 1 to {MAX_PAGE}, not {self.page!r}")
        if not isinstance(self.page_size, int) or not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise BadQuery(f"size: must be a number from 1 to {MAX_PAGE_SIZE}")
        if self.page * self.page_size > MAX_RESULTS_DEPTH:
            raise BadQuery(
                f"page: results beyond the first {MAX_RESULTS_DEPTH:,} are not paged; "
                "narrow the search or export it"
            )
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise BadQuery(f"from: {self.date_from} is after to: {self.date_to}")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def with_page(self, page: int) -> SearchRequest:
        return replace(self, page=page)

    @classmethod
    def from_params(
        cls, params: Mapping[str, Any], *, default_page_size: int = 20
    ) -> SearchRequest:
        """Read URL parameters: a mapping of names to a value or a list of values (Flask's
        `request.args.to_dict(flat=False)`, `urllib.parse.parse_qs`)."""

        def values(name: str) -> list[str]:
            found = params.get(name)
            if found is None:
                return []
            return [found] if isinstance(found, str) else [str(v) for v in found]

        def single(name: str) -> str | None:
            found = values(name)
            if len(found) > 1:
                raise BadQuery(f"{name}: given {len(found)} times, expected once")
            return found[0].strip() if found and found[0].strip() else None

        def number(name: str, default: int) -> int:
            text = single(name)
            if text is None:
                return default
            if not (text.isascii() and text.isdigit()) or len(text) > 6:
                raise BadQuery(f"{name}: {text!r} is not a positive whole number")
            return int(text)

        def day(name: str, end: bool) -> date | None:
            text = single(name)
            if text is None:
                return None
            try:
                parsed = parse_iso(text)
            except ValueError as exc:
                raise BadQuery(f"{name}: {exc}") from None
            return parsed.latest if end else parsed.earliest

        def switch(name: str) -> bool:
            text = (single(name) or "0").lower()
            if text not in _SWITCH:
                raise BadQuery(f"{name}: {text!r} is not 1 or 0 (true or false, yes or no)")
            return _SWITCH[text]

        return cls(
            q=single("q") or "",
            exact=switch("exact"),
            filters={f: values(f) for f in FILTER_FIELDS if values(f)},
            excludes={
                f: values(EXCLUDE_PREFIX + f) for f in FILTER_FIELDS if values(EXCLUDE_PREFIX + f)
            },
            date_from=day("from", end=False),
            date_to=day("to", end=True),
            sort=single("sort") or "relevance",
            page=number("page", 1),
            page_size=number("size", default_page_size),
        )

    def to_params(self, *, default_page_size: int = 20) -> list[tuple[str, str]]:
        """URL parameters in a stable order, defaults left out: `urlencode(r.to_params())`."""
        out: list[tuple[str, str]] = []
        if self.q:
            out.append(("q", self.q))
        for name in FILTER_FIELDS:
            out.extend((name, v) for v in self.filters.get(name, ()))
        for name in FILTER_FIELDS:
            out.extend((EXCLUDE_PREFIX + name, v) for v in self.excludes.get(name, ()))
        if self.date_from:
            out.append(("from", self.date_from.isoformat()))
        if self.date_to:
            out.append(("to", self.date_to.isoformat()))
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if self.page != 1:
            out.append(("page", str(self.page)))
        if self.page_size != default_page_size:
            out.append(("size", str(self.page_size)))
        if self.exact:
            out.append(("exact", "1"))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "q": self.q,
            "filters": {k: list(v) for k, v in self.filters.items()},
            "excludes": {k: list(v) for k, v in self.excludes.items()},
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "sort": self.sort,
            "page": self.page,
            "page_size": self.page_size,
            "exact": self.exact,
        }
