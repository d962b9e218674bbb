"""/oai: the OAI-PMH 2.0 endpoint (GET, and POST with a form body). The protocol is
`archive.publish.oai.protocol`; this view only hands it the arguments and returns its XML as text/xml."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from archive.publish import Catalogue, OaiProvider, OaiSettings, token_key
from archive.storage import Corpus, ModelCache
from webui.context import archive

bp = Blueprint("oai", __name__)
# Records a list page holds; the app setting OAI_PAGE_SIZE overrides it.
PAGE_SIZE = 100


@bp.route("/oai", methods=["GET", "POST"])
def endpoint() -> Response:
    ctx = archive()
    config = ctx.config  # as this request sees it: links on its address unless configured
    source = request.form if request.method == "POST" else request.args
    args = list(source.items(multi=True))
    catalogue = Catalogue(config, ctx.registers)
    try:
        catalogue.refresh()
        with ModelCache(config, catalogue.conn) as models:
            provider = OaiProvider(
                catalogue,
                Corpus(config),
                ctx.registers,
                OaiSettings(
                    base_url=request.base_url,
                    admin_email=config.admin_email,
                    page_size=current_app.config.get("OAI_PAGE_SIZE", PAGE_SIZE),
                ),
                token_key(config.instance),
                models.document,
            )
            body = provider.respond(args)
    finally:
        catalogue.close()
    return Response(body, content_type="text/xml; charset=utf-8")
