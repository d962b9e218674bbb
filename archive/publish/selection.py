"""Which documents an export holds: the input of every export format, kept apart from them.

An export takes an iterable of document ids, in order, and a description of how they were
chosen (for `bag-info.txt` and the teiCorpus header). Where the ids come from is this
module's business alone: the whole archive (`everything`), or a search (`from_search`, over
the search engine's `iter_ids`). The command line and the web call `select` with the same
`SearchRequest` the search page and `archive search` use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from archive.errors import BadQuery
from archive.search import SearchRequest
from archive.storage import Corpus

# Parameters of a search URL that choose a page, not documents: an export holds every
# matching document, in the search's order.
PAGING_PARAMS = frozenset({"page", "size", "format"})


@dataclass(frozen=True)
class Selection:
    """The documents to export, in order, and how they were chosen.

    `description` is a list of (label, value) pairs such as ("Query", "mine maps") or
    ("Filter", "treaty=gc-1949"); empty means the whole archive. `total` is the expected
    number of documents when known in advance (for a progress bar), else None.
    """

    ids: Iterable[str]
    description: tuple[tuple[str, str], ...] = ()
    total: int | None = None

    @property
    def is_everything(self) -> bool:
        return not self.description

    def summary(self) -> str:
        """One line for people: 'all documents' or 'Query: mines; Filter: type=appeal'."""
        if self.is_everything:
            return "all current documents of the archive"
        return "; ".join(f"{label}: {value}" for label, value in self.description)


def everything(corpus: Corpus) -> Selection:
    """Every current (not withdrawn) document, in id order: `Corpus.ids()`, which lists
    documents/ with a streaming `os.scandir` and leaves out stray files (a backup copy, a
    half-written file), exactly as the index and the catalogue do."""
    ids = corpus.ids()
    return Selection(ids=ids, description=(), total=len(ids))


class IdSearch(Protocol):
    """What an export needs of the search engine: every id a search matches, in order, and
    how many there are."""

    def iter_ids(self, request: Any) -> Iterator[str]: ...

    def search(self, request: Any) -> Any: ...


def from_search(
    engine: IdSearch, request: Any, params: Sequence[tuple[str, str]], total: int | None = None
) -> Selection:
    """The documents a search matches, described by the search's own URL parameters.

    `request` is the engine's request object built from `params`; `total`, when the engine
    knows it (its hit count), lets the command line show a progress bar with an end.
    """
    return Selection(ids=engine.iter_ids(request), description=describe(params), total=total)


def describe(params: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """(label, value) pairs for a search's parameters: the query, then each filter."""
    out: list[tuple[str, str]] = []
    for name, value in params:
        value = " ".join(value.split())
        if name in PAGING_PARAMS or not value:
            continue
        out.append(("Query", value) if name == "q" else ("Filter", f"{name}={value}"))
    return tuple(out)


def select(corpus: Corpus, request: SearchRequest, engine: IdSearch | None) -> Selection:
    """The documents the search `request` finds, in its order; with no query, no filter
    and the default order, the whole archive (read from the corpus, no index needed).

    The description is the search's own URL parameters (without paging), so a bag or a
    teiCorpus says exactly which search made it.
    """
    params = [(k, v) for k, v in request.to_params() if k not in PAGING_PARAMS]
    if not params:
        return everything(corpus)
    if engine is None:
        raise BadQuery("exporting a search needs the search index: run `archive index` first")
    total = engine.search(replace(request, page=1, page_size=1)).total
    return from_search(engine, request, params, total=total)
