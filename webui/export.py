"""/export?<search parameters>&format=...: the documents of a search (or all of them) as one
download, streamed as it is produced: the first bytes leave at once and memory stays flat.

An export holds a server thread for as long as its reader takes to read it (the server
buffers 16 MB at most, then waits for the client): 16 readers of a whole-archive zip at
4 KB/s held every thread of `archive serve --workers 2` for a minute, and 8 every thread of
waitress, so searches went unanswered. Exports therefore have capacity of their own: at
most `ExportSlots.size` stream at once in a process (a quarter of its threads); one more
waits half a second for a slot (a researcher's export of a few hundred documents takes tens
of milliseconds: in the load benchmark behind nginx, 2 of ~100 exports were refused without
the wait) and is then answered 503 with `Retry-After`, leaving the other threads to pages
and searches. A buffering proxy in front (deploy/nginx.conf) reads exports at the server's
pace and frees the slot in a few seconds whatever the reader's pace.

A streamed export cannot seek: `Range` is ignored and the whole body sent (200), saying so
with `Accept-Ranges: none` (RFC 9110 14.3, 14.2: a server may ignore Range), so a download
manager restarts rather than stitching parts of two different exports together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, request, stream_with_context, url_for
from werkzeug.exceptions import ServiceUnavailable

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

RETRY_AFTER_SECONDS = 30
SLOT_WAIT_SECONDS = 0.5


class ExportSlots:
    """How many exports may stream at once in this process (see the module doc)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = threading.BoundedSemaphore(size)

    def take(self, wait: float = SLOT_WAIT_SECONDS) -> Callable[[], None] | None:
        """A slot's give-back (to call once or more), or None when all stayed taken for
        `wait` seconds."""
        if not self._free.acquire(timeout=wait):
            return None
        given = threading.Event()
        lock = threading.Lock()

        def give_back() -> None:
            with lock:
                if not given.is_set():
                    given.set()
                    self._free.release()

        return give_back


def _until_done(chunks: Iterator[bytes], give_back: Callable[[], None]) -> Iterator[bytes]:
    """The export's chunks; the slot is free once the last one is handed to the server."""
    try:
        yield from chunks
    finally:
        give_back()


def register(app: Flask, size: int) -> None:
    app.extensions["export_slots"] = ExportSlots(size)


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
    slots: ExportSlots = current_app.extensions["export_slots"]
    give_back = slots.take()
    if give_back is None:
        raise ServiceUnavailable(
            f"{slots.size} exports are being downloaded from this server already: "
            f"try again in {RETRY_AFTER_SECONDS} seconds",
            retry_after=RETRY_AFTER_SECONDS,
        )
    try:
        ctx = archive()
        search = SearchRequest.from_params(request.args.to_dict(flat=False))
        selection = select(ctx.corpus, search, ctx.engine)
        now = datetime.now(UTC).replace(microsecond=0)
        chunks = export_chunks(
            fmt.name, selection, ctx.config, now=now, registers=ctx.registers, versions=versions[0]
        )
        # The name is the archive's own (scope and time), never anything from the request.
        filename = f"{export_name(selection, now)}.{fmt.extension}"
        response = Response(
            stream_with_context(_until_done(chunks, give_back)),
            content_type=fmt.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
                "Accept-Ranges": "none",
            },
        )
    except BaseException:
        give_back()
        raise
    # The server closes the response when the body is sent or the client has gone,
    # started or not (a generator's own `finally` does not run if it never started).
    response.call_on_close(give_back)
    return response


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
