"""URL converters that refuse malformed ids before a view (or the file system) sees them."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import BaseConverter


class DocIdConverter(BaseConverter):
    """A document id: lowercase letters, digits and hyphens, 3 to 100 characters."""

    regex = r"[a-z0-9][a-z0-9-]{2,99}"


class RecordIdConverter(BaseConverter):
    """A register record id (treaty, person, organisation, place)."""

    regex = r"[a-z0-9][a-z0-9-]{0,99}"


def register(app: Flask) -> None:
    app.url_map.converters["docid"] = DocIdConverter
    app.url_map.converters["recordid"] = RecordIdConverter
