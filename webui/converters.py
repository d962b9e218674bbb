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


class VersionConverter(BaseConverter):
    """A version number as permalinks write it: ASCII digits, no leading zero, at most six
    (werkzeug's `int` also takes `v01`, other scripts' digits and numbers too long for a
    file name, so one version would have many URLs, and a long one would reach the file
    system)."""

    regex = r"[1-9][0-9]{0,5}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))


def register(app: Flask) -> None:
    app.url_map.converters["docid"] = DocIdConverter
    app.url_map.converters["recordid"] = RecordIdConverter
    app.url_map.converters["version"] = VersionConverter
