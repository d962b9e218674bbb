"""One view, two faces: HTML for people, the same data as JSON for programs.

A view builds a plain dict and calls `respond(template, data)`: the JSON twin is that dict,
chosen by a `.json` URL suffix (passed by the route as `fmt`) or `Accept: application/json`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify, render_template, request
from werkzeug.exceptions import NotFound


def wants_json(fmt: str | None = None) -> bool:
    if fmt is not None:
        if fmt != "json":
            raise NotFound(f"no format {fmt!r} here")
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def respond(
    template: str,
    data: dict[str, Any] | Callable[[], dict[str, Any]],
    *,
    fmt: str | None = None,
    status: int = 200,
    **page: Any,
):  # type: ignore[no-untyped-def]
    """Render `template` with `data` (and presentation-only `page` values), or return `data` as JSON.
    `data` may be a function making it, called only when it is needed: a search page's
    template reads the result, not its JSON form (~1.5 ms of a page at 100,000 documents)."""
    if wants_json(fmt):
        response = jsonify(data() if callable(data) else data)
        response.status_code = status
        response.vary.add("Accept")
        return response
    if callable(data):
        return render_template(template, **page), status, {"Vary": "Accept"}
    html = render_template(template, data=data, **page)
    return html, status, {"Vary": "Accept"}
