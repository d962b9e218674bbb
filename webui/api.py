"""The read API described: an OpenAPI 3.1 document at /openapi.json and the JSON Schemas
(draft 2020-12) of every JSON shape under /schemas/<name>.json.

Both are files kept beside this module (webui/openapi.json, webui/schemas/*.json), written
by hand and checked against the app's real answers by tests/test_web_api.py: a shape that
changes without its schema fails there. They are read once when the app is built; names
are looked up in that set, so a request never reaches the file system. References are
relative (`schemas/document.json` from /openapi.json, `document.json` from a schema), so
they resolve on whatever host the archive answers.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response
from werkzeug.exceptions import NotFound

HERE = Path(__file__).resolve().parent
OPENAPI = HERE / "openapi.json"
SCHEMA_DIR = HERE / "schemas"

bp = Blueprint("api", __name__)
_SCHEMAS = {path.stem: path.read_bytes() for path in sorted(SCHEMA_DIR.glob("*.json"))}
_OPENAPI = OPENAPI.read_bytes()


@bp.route("/openapi.json")
def openapi() -> Response:
    return Response(_OPENAPI, mimetype="application/json")


@bp.route("/schemas/<name>.json")
def schema(name: str) -> Response:
    body = _SCHEMAS.get(name)
    if body is None:
        raise NotFound(f"No schema {name!r}: the schemas are {', '.join(_SCHEMAS)}.")
    return Response(body, mimetype="application/schema+json")
