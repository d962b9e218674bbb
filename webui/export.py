"""/export?<search parameters>&format=...: the documents of a search (or all of them) as one
download, streamed as it is produced: the first bytes leave at once and memory stays flat."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, request, stream_with_context, url_for

from archive.errors import BadQuery
from archive.publish import (
    FORMATS,
    PAGING_PARAMS,
    check_format,
    check_versions,
    export_chunks,
    export_name,
    select,
)
from archive.search import SearchRequest
from webui.context import archive

bp = Blueprint("export", __name__)


@bp.route("/export")
def export() -> Response:
    formats = request.args.getlist("format")
    if len(formats) != 1:
        choices = ", ".join(FORMATS)
        raise BadQuery(f"give one export format: format= one of {choices}")
    fmt = check_format(formats[0])
    versions = request.args.getlist("versions") or ["current"]
    if len(versions) != 1:
        raise BadQuery("give versions= once: current or all")
    check_versions(versions[0], fmt.name)
    ctx = archive()
    search = SearchRequest.from_params(request.args.to_dict(flat=False))
    selection = select(ctx.corpus, search, ctx.engine)
    now = datetime.now(UTC).replace(microsecond=0)
    chunks = export_chunks(
        fmt.name, selection, ctx.config, now=now, registers=ctx.registers, versions=versions[0]
    )
    # The name is the archive's own (scope and time), never anything from the request.
    filename = f"{export_name(selection, now)}.{fmt.extension}"
    return Response(
        stream_with_context(chunks),
        content_type=fmt.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def export_links(params: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """The "export these results" links of a search or browse page, one per format: its
    search parameters (without paging) and the format. A Jinja global for the templates."""
    kept = [(k, v) for k, v in params if k not in PAGING_PARAMS]
    base = url_for("export.export")
    return [
        {
            "format": f.name,
            "label": f.label,
            "url": f"{base}?{urlencode([*kept, ('format', f.name)])}",
        }
        for f in FORMATS.values()
    ]
