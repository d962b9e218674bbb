"""URLs of archive things, in one place: documents, versions, register records."""

from __future__ import annotations

from flask import url_for
from werkzeug.routing import BuildError

_ENDPOINTS = {
    "treaty": "browse.treaty",
    "person": "browse.person",
    "org": "browse.organisation",
    "place": "browse.place",
}


def entity_url(kind: str, record_id: str) -> str | None:
    """The page of a register record or a document, or None where the app has none."""
    try:
        if kind == "doc":
            return url_for("documents.latest", doc_id=record_id)
        return url_for(_ENDPOINTS[kind], record_id=record_id)
    except (BuildError, KeyError):
        return None


def web_url(url: str | None) -> str | None:
    """`url` if it is an http(s) URL, else None. A source or register link is followed by
    the reader's browser, so a `javascript:` or `data:` URL must never become one: the
    schemas refuse them, but a file copied into the corpus by hand is not validated."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def endpoint_url(endpoint: str, **values: object) -> str | None:
    """`url_for`, or None when the endpoint is not part of this app."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
