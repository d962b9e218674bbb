"""/feed.atom: the latest additions and versions as an Atom 1.0 feed (`archive.publish.feed`)."""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for

from archive.publish import Catalogue, FeedLinks, atom_feed, current_reader
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
    )
    catalogue = Catalogue(ctx.config, ctx.registers)
    try:
        catalogue.refresh()
        with ModelCache(ctx.config, catalogue.conn) as models:
            read = current_reader(ctx.corpus.read_bytes, models.document)
            body = atom_feed(catalogue, read, ctx.registers, ctx.config, links)
    finally:
        catalogue.close()
    return Response(body, content_type="application/atom+xml; charset=utf-8")
