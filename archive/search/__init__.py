"""Search: how documents are found.

The index (`update_index`, `update_documents`) holds every current document in Whoosh, built
by our own analysis (`analysis`), posting codec (`codec`) and segment writer; the query
language resolves register names to ids (`query`); `SearchEngine` evaluates a
`SearchRequest` (the URL state: query, filters, dates, sort, page) over numpy arrays of one
index generation (`snapshot`) and answers a `SearchResult` with hits, snippets and facet
counts (`FacetValue`). The command line, the web UI and exports all search through it.

The package is loaded lazily (PEP 562 `__getattr__`): `from archive.search import SORTS`
imports `request` alone, not numpy, Whoosh and the engine (~0.25 s), so that the command
line can state its options without paying for a search it may never run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive import lazy_names

if TYPE_CHECKING:
    from archive.search.analysis import TOKEN_RE, QueryTerms, stem
    from archive.search.engine import Hit, SearchEngine, SearchResult
    from archive.search.facets import FacetValue
    from archive.search.index import (
        INDEX_FORMAT,
        IndexMissing,
        IndexStatus,
        current_index_folder,
        index_status,
    )
    from archive.search.indexing import (
        IndexReport,
        update_documents,
        update_index,
    )
    from archive.search.request import EXCLUDE_PREFIX, FILTER_FIELDS, SORTS, SearchRequest

# Where each name offered below is defined.
_MODULES = {
    "TOKEN_RE": "analysis",
    "stem": "analysis",
    "QueryTerms": "analysis",
    "Hit": "engine",
    "SearchEngine": "engine",
    "SearchResult": "engine",
    "FacetValue": "facets",
    "INDEX_FORMAT": "index",
    "IndexMissing": "index",
    "IndexStatus": "index",
    "current_index_folder": "index",
    "index_status": "index",
    "IndexReport": "indexing",
    "update_documents": "indexing",
    "update_index": "indexing",
    "PublishReport": "replica",
    "publish_replica": "replica",
    "EXCLUDE_PREFIX": "request",
    "FILTER_FIELDS": "request",
    "SORTS": "request",
    "SearchRequest": "request",
}


__getattr__ = lazy_names(__name__, _MODULES)


__all__ = [
    "EXCLUDE_PREFIX",
    "FILTER_FIELDS",
    "INDEX_FORMAT",
    "SORTS",
    "TOKEN_RE",
    "FacetValue",
    "Hit",
    "IndexMissing",
    "IndexReport",
    "IndexStatus",
    "PublishReport",
    "QueryTerms",
    "SearchEngine",
    "SearchRequest",
    "SearchResult",
    "current_index_folder",
    "index_status",
    "publish_replica",
    "stem",
    "update_documents",
    "update_index",
]
