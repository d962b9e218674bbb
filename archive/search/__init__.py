"""Search: how documents are found.

The index (`update_index`, `update_documents`) holds every current document in Whoosh, built
by our own analysis (`analysis`), posting codec (`codec`) and segment writer; the query
language resolves register names to ids (`query`); `SearchEngine` evaluates a
`SearchRequest` (the URL state: query, filters, dates, sort, page) over numpy arrays of one
index generation (`snapshot`) and answers a `SearchResult` with hits, snippets and facet
counts (`FacetValue`). The command line, the web UI and exports all search through it.
"""

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
from archive.search.indexing import IndexReport, update_documents, update_index
from archive.search.request import EXCLUDE_PREFIX, FILTER_FIELDS, SORTS, SearchRequest

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
    "QueryTerms",
    "SearchEngine",
    "SearchRequest",
    "SearchResult",
    "current_index_folder",
    "index_status",
    "stem",
    "update_documents",
    "update_index",
]
