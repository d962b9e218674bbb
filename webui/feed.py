"""/feed.atom: the latest additions and versions as an Atom 1.0 feed (`archive.publish.feed`)."""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for

from archive.publish import (
    Catalogue,
    FeedLinks,
    Withdrawn,
    atom_feed,
    current_reader,
    version_reader,
)
from archive.storage import ModelCache
from webui.context import archive

bp = Blueprint("feed", __name__)


@bp.route("/feed.atom")
def feed() -> Response:
    ctx = archive()
    links = FeedLinks(
        self_url=request.base_url,
        site_url=request.url_root,
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
            withdrawn = [
                Withdrawn(w.doc_id, doc.title if doc else w.doc_id, w.when, w.reason)
                for w in ctx.corpus.withdrawals()
                for doc in [read_version(w.doc_id, w.last_version)]
            ]
            body = atom_feed(
                catalogue,
                read,
                ctx.registers,
                ctx.config,
                links,
                read_version=read_version,
                withdrawn=withdrawn,
            )
    finally:
        catalogue.close()
    return Response(body, content_type="application/atom+xml; charset=utf-8")
