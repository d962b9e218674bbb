"""/feed.atom: the latest additions and versions as an Atom 1.0 feed (`archive.publish.feed`);
/search.atom?<a search's parameters>: the same for the documents that search finds, to follow
it in a feed reader."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, request, url_for

from archive.config import ARCHIVE_NAME
from archive.publish import (
    Catalogue,
    FeedLinks,
    FeedScope,
    Withdrawn,
    atom_feed,
    current_reader,
    version_reader,
)
from archive.search import SearchRequest
from archive.storage import ModelCache
from webui.context import archive
from webui.search import search_request

bp = Blueprint("feed", __name__)

# What a feed's query keeps of a search: what it finds, not how a page shows it.
UNFOLLOWED = ("page", "size", "sort")


@bp.route("/feed.atom")
def feed() -> Response:
    return _feed(scope=None, with_withdrawals=True)


@bp.route("/search.atom")
def search_feed() -> Response:
    """The new documents and versions a search finds: `/search.atom?` + the search's own
    parameters (the results page links it)."""
    search = search_request()
    ctx = archive()
    params = feed_params(search)
    tail = f"?{urlencode(params)}" if params else ""
    scope = FeedScope(
        feed_id=f"{ctx.config.link_base}/search.atom{tail}",
        title=f"{ARCHIVE_NAME}: {describe(search)}",
        subtitle="New documents and new versions of documents this search finds, latest first.",
        ids=set(ctx.engine.iter_ids(search)),
    )
    return _feed(
        scope,
        with_withdrawals=False,
        self_url=url_for("feed.search_feed", _external=True) + tail,
        site_url=url_for("search.index", _external=True) + tail,
    )


def feed_params(search: SearchRequest) -> list[tuple[str, str]]:
    """A search's URL parameters as its feed keeps them (no paging, size or order)."""
    return [(k, v) for k, v in search.to_params() if k not in UNFOLLOWED]


def describe(search: SearchRequest) -> str:
    """'search "mine maps", Treaty: Mine Ban Convention, not Type: statement, 2020-2021'."""
    label = archive().engine.labels.label
    parts = [f'search "{search.q}"' if search.q else "every document"]
    parts += [f"{name}: {label(name, v)}" for name, vs in search.filters.items() for v in vs]
    parts += [f"not {name}: {label(name, v)}" for name, vs in search.excludes.items() for v in vs]
    if search.date_from or search.date_to:
        parts.append(f"issued {search.date_from or '…'} to {search.date_to or '…'}")
    if search.exact:
        parts.append("words as typed")
    return ", ".join(parts)


def _feed(
    scope: FeedScope | None,
    *,
    with_withdrawals: bool,
    self_url: str | None = None,
    site_url: str | None = None,
) -> Response:
    ctx = archive()
    links = FeedLinks(
        self_url=self_url or request.base_url,
        site_url=site_url or request.url_root,
        version_url=lambda doc_id, n: url_for(
            "documents.version", doc_id=doc_id, version=n, _external=True
        ),
        document_url=lambda doc_id: url_for("documents.latest", doc_id=doc_id, _external=True),
    )
    catalogue = Catalogue(ctx.config, ctx.registers)
    try:
        catalogue.refresh()
        with ModelCache(ctx.config, catalogue.conn) as models:
            read = current_reader(ctx.corpus.read_bytes, models.document)
            read_version = version_reader(ctx.corpus.read_version, models.document)
            withdrawn = (
                [
                    Withdrawn(w.doc_id, doc.title if doc else w.doc_id, w.when, w.reason)
                    for w in ctx.corpus.withdrawals()
                    for doc in [read_version(w.doc_id, w.last_version)]
                ]
                if with_withdrawals
                else []
            )
            body = atom_feed(
                catalogue,
                read,
                ctx.registers,
                ctx.config,
                links,
                read_version=read_version,
                withdrawn=withdrawn,
                scope=scope,
            )
    finally:
        catalogue.close()
    return Response(body, content_type="application/atom+xml; charset=utf-8")
