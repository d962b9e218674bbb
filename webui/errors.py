"""Errors in one place: every refusal becomes a readable page (or JSON) with the right status.

ArchiveError subclasses carry their status (BadQuery 400, NotFound 404, Conflict 409,
Gone 410, a search past its time 503) and may carry a title and a `retry_after` (seconds,
sent as `Retry-After`); HTTP errors keep their status and the headers that go with it
(`Allow` on a 405, as RFC 9110 15.5.6 requires; `Retry-After` on a 503); anything
unexpected is a plain 500 page, never a traceback.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from archive.errors import ArchiveError, BadQuery, FixityError, Gone
from webui.context import archive


def _wants_json() -> bool:
    if request.path.endswith(".json"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(
    status: int, title: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """An error as a page or as JSON (`{"error": {status, title, message, **extra}}`)."""
    if _wants_json():
        response = jsonify(
            {"error": {"status": status, "title": title, "message": message, **extra}}
        )
    else:
        template = "tombstone.html" if status == 410 else "error.html"
        response = make_response(
            render_template(template, status=status, title=title, message=message, **extra)
        )
    response.status_code = status
    response.headers.update(headers or {})
    return response


def register(app: Flask) -> None:
    @app.errorhandler(ArchiveError)
    def archive_error(exc: ArchiveError):  # type: ignore[no-untyped-def]
        if isinstance(exc, Gone):
            versions = archive().corpus.version_numbers(exc.doc_id)
            return error_response(
                410,
                "Withdrawn",
                exc.message,
                doc_id=exc.doc_id,
                when=exc.when,
                reason=exc.reason,
                versions=versions,
            )
        if isinstance(exc, FixityError):
            # The archive's own disk is at fault, and the reader must know which copy.
            return error_response(500, "Fixity failure", exc.message)
        extra = {"suggestions": exc.suggestions} if isinstance(exc, BadQuery) else {}
        titles = {400: "Bad request", 404: "Not found", 409: "Conflict", 503: "Not ready"}
        status = exc.http_status if exc.http_status in titles else 500
        message = exc.message if status != 500 else "The archive could not answer this request."
        title = getattr(exc, "title", None) or titles.get(status, "Error")
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else {}
        return error_response(status, title, message, headers, **extra)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        # The exception's own headers (Allow, Retry-After ...), the page's content type.
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return error_response(exc.code or 500, exc.name, exc.description or exc.name, headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unexpected error on %s", request.path)
        return error_response(500, "Internal error", "The archive could not answer this request.")
