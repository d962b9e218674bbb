"""Document pages: the latest version at /doc/<id>, each version forever at /doc/<id>/v<n>,
the stored XML, the JSON twin and citations, with `Link: rel="cite-as"` and the sha256 of the
exact bytes shown."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from werkzeug.exceptions import NotFound

from archive.document import human_date, parse_tei, read_document
from archive.publish import cite, styles
from webui.context import archive
from webui.links import entity_url
from webui.negotiation import respond, wants_json
from webui.render import render_prose
from webui.search import hit_navigation

bp = Blueprint("documents", __name__)

DOWNLOADS = {
    "xml": ("application/tei+xml; charset=utf-8", "xml"),
    "bib": ("application/x-bibtex; charset=utf-8", "bib"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "csl.json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "csl.json"),
}


@bp.route("/doc/<docid:doc_id>", defaults={"fmt": None})
@bp.route("/doc/<docid:doc_id>.<fmt>")
def latest(doc_id: str, fmt: str | None):  # type: ignore[no-untyped-def]
    data = archive().corpus.read_bytes(doc_id)  # NotFound, or Gone with the tombstone's facts
    return _page(doc_id, None, data, fmt)


@bp.route("/doc/<docid:doc_id>/v<version:version>", defaults={"fmt": None})
@bp.route("/doc/<docid:doc_id>/v<version:version>.<fmt>")
def version(doc_id: str, version: int, fmt: str | None):  # type: ignore[no-untyped-def]
    data = archive().corpus.read_version(doc_id, version)
    return _page(doc_id, version, data, fmt)


@bp.route("/doc/<docid:doc_id>/cite", defaults={"fmt": None})
@bp.route("/doc/<docid:doc_id>/cite.<fmt>")
def cite_latest(doc_id: str, fmt: str | None):  # type: ignore[no-untyped-def]
    data = archive().corpus.read_bytes(doc_id)
    return _cite(doc_id, data, fmt)


@bp.route("/doc/<docid:doc_id>/v<version:version>/cite", defaults={"fmt": None})
@bp.route("/doc/<docid:doc_id>/v<version:version>/cite.<fmt>")
def cite_version(doc_id: str, version: int, fmt: str | None):  # type: ignore[no-untyped-def]
    data = archive().corpus.read_version(doc_id, version)
    return _cite(doc_id, data, fmt)


def _cite(doc_id: str, data: bytes, fmt: str | None):  # type: ignore[no-untyped-def]
    """A version cited in one style (`?style=apa`): plain text to paste, or JSON."""
    ctx = archive()
    doc = read_document(data, f"{doc_id}.xml")
    citation = cite.citation_for(doc, ctx.registers, ctx.config)
    chosen = styles.style_for(request.args.get("style") or "apa")
    reference = styles.reference(citation, chosen, today())
    headers = {"Link": f'<{citation.url}>; rel="cite-as"'}
    if wants_json(fmt):
        response = jsonify({"id": doc_id, "version": doc.version, **reference.to_dict()})
        response.vary.add("Accept")
        response.headers.update(headers)
        return response
    return Response(
        reference.text + "\n",
        content_type="text/plain; charset=utf-8",
        headers={**headers, "Vary": "Accept"},
    )


def today() -> Any:
    """The access date a citation made now carries (UTC)."""
    return datetime.now(UTC).date()


def _page(doc_id: str, version: int | None, data: bytes, fmt: str | None):  # type: ignore[no-untyped-def]
    """Version `version` of a document (None: the current one) in the format asked for."""
    ctx = archive()
    config, corpus, registers = ctx.config, ctx.corpus, ctx.registers
    doc = read_document(data, f"{doc_id}.xml")
    # Listed after the bytes were read, so never older than they are. A corpus copied in
    # rather than added through `archive add` keeps no versions/ folder: its current file
    # is then the only version there is.
    numbers = corpus.version_numbers(doc_id)
    latest_n = max(numbers[-1], doc.version) if numbers else doc.version
    # The current file is the version its own revisionDesc ends at: during an add the
    # next version exists a moment before the current file is replaced, and a page read
    # then shows the old version as the old version.
    version = version or doc.version
    version_permalink = config.permalink(doc_id, version)
    link_header = {"Link": f'<{version_permalink}>; rel="cite-as"'}
    citation = cite.citation_for(doc, registers, config)
    suffix = f"{doc_id}-v{version}"

    if fmt in DOWNLOADS:
        mimetype, extension = DOWNLOADS[fmt]
        body = {
            "xml": lambda: data,
            "bib": lambda: cite.bibtex(citation).encode(),
            "ris": lambda: cite.ris(citation).encode(),
            "csl.json": lambda: json.dumps(
                [cite.csl_json(citation)], ensure_ascii=False, indent=2
            ).encode(),
        }[fmt]()
        disposition = "inline" if fmt == "xml" else "attachment"
        return Response(
            body,
            mimetype=mimetype.split(";")[0],
            content_type=mimetype,
            headers={
                **link_header,
                "Content-Disposition": f'{disposition}; filename="{suffix}.{extension}"',
            },
        )
    if fmt not in (None, "json"):
        raise NotFound(f"No format {fmt!r}: try .xml, .json, .bib, .ris or .csl.json.")

    withdrawal = corpus.withdrawal(doc_id)
    # The full history is the latest version's revisionDesc (older ones end earlier).
    history = (
        doc.changes
        if version == latest_n
        else read_document(corpus.read_version(doc_id, latest_n)).changes
    )
    versions = [
        {
            "n": change.n,
            "when": change.when,
            # One format for every version, whether stored with a day or a UTC moment.
            "date": human_date(change.when) if change.when else "",
            "description": change.description,
            "stored": corpus.stored_time(doc_id, change.n),
            "url": url_for("documents.version", doc_id=doc_id, version=change.n),
        }
        for change in history
    ]
    data_out: dict[str, Any] = {
        "id": doc_id,
        "version": version,
        "latest_version": latest_n,
        "is_latest": version == latest_n and withdrawal is None,
        "permalink": config.permalink(doc_id),
        "version_permalink": version_permalink,
        # The bytes were checked against the sha256 recorded when they were stored.
        "sha256": hashlib.sha256(data).hexdigest(),
        "sha256_recorded": corpus.recorded_sha256(doc_id, version) is not None,
        "stored": corpus.stored_time(doc_id, version),
        "withdrawn": {
            "when": withdrawal.when,
            "date": human_date(withdrawal.when),
            "reason": withdrawal.reason,
        }
        if withdrawal
        else None,
        "versions": versions,
        "citation": {
            "text": cite.formatted(citation),
            "styles": [
                {
                    "style": s.key,
                    "label": s.label,
                    "url": url_for(
                        "documents.cite_version", doc_id=doc_id, version=version, style=s.key
                    ),
                }
                for s in styles.STYLES.values()
            ],
            "bibtex": url_for("documents.version", doc_id=doc_id, version=version, fmt="bib"),
            "ris": url_for("documents.version", doc_id=doc_id, version=version, fmt="ris"),
            "csl_json": url_for(
                "documents.version", doc_id=doc_id, version=version, fmt="csl.json"
            ),
        },
        "xml": url_for("documents.version", doc_id=doc_id, version=version, fmt="xml"),
        "document": doc.to_dict(),
    }
    if wants_json(fmt):
        response = respond("document.html", data_out, fmt="json")
        response.headers.update(link_header)
        return response
    # Opened from a search: the way back to its results and on to the next hit.
    navigation = hit_navigation(doc_id, request.args.get("from"), request.args.get("hit"))
    query = navigation["search"].q if navigation else request.args.get("q", "")
    # The Cite box in the style asked for (`?style=apa`): rendered only when asked, as each
    # style costs 12-83 ms (docs/citations.md); by default the archive's own reference.
    style = request.args.get("style")
    reference = styles.reference(citation, styles.style_for(style), today()) if style else None
    text = render_prose(
        parse_tei(data, suffix), registers, entity_url, ctx.engine.query_stems(query)
    )
    html, status, headers = respond(
        "document.html",
        data_out,
        doc=doc,
        text=text,
        query=query,
        navigation=navigation,
        meta=cite.highwire_meta(citation),
        reference=reference,
        styles=styles.STYLES,
        accessed=styles.accessed_label(today()),
        registers=registers,
        entity_url=entity_url,
    )
    return html, status, {**headers, **link_header}
