"""Two versions of a document compared: `/doc/<id>/compare?a=1&b=2` (and its `.json` twin)
shows what changed in the metadata, field by field, and in the text, word by word, as one
inline diff (archive.document.compare)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for
from werkzeug.exceptions import NotFound

from archive.document import compare, read_document
from archive.errors import BadQuery
from webui.context import archive
from webui.negotiation import respond

bp = Blueprint("compare", __name__)


def _version_param(name: str, default: int) -> int:
    values = request.args.getlist(name)
    if not values:
        return default
    text = values[0].strip().removeprefix("v")
    if len(values) > 1 or not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise BadQuery(f"{name}: {values[0]!r} is not a version number such as 1 or 2")
    return int(text)


@bp.route("/doc/<docid:doc_id>/compare", defaults={"fmt": None})
@bp.route("/doc/<docid:doc_id>/compare.<fmt>")
def versions(doc_id: str, fmt: str | None):  # type: ignore[no-untyped-def]
    ctx = archive()
    corpus = ctx.corpus
    stored = corpus.version_numbers(doc_id)
    current: bytes | None = None
    numbers = stored
    if not stored:
        # A corpus copied in without versions/: its current file is the only version.
        current = corpus.read_bytes(doc_id)  # NotFound, or Gone for a withdrawn one
        numbers = [read_document(current, f"{doc_id}.xml").version]
    latest = numbers[-1]
    a = _version_param("a", max(numbers[0], latest - 1))
    b = _version_param("b", latest)
    for n in (a, b):
        if n not in numbers:
            raise NotFound(
                f"{doc_id} has no version {n}: its versions are "
                + ", ".join(str(v) for v in numbers)
            )

    def read(n: int):  # type: ignore[no-untyped-def]
        data = current if current is not None else corpus.read_version(doc_id, n)
        return read_document(data, f"{doc_id}-v{n}.xml")

    first, second = read(a), read(b)
    comparison = compare(first, second, ctx.registers.label)

    def side(n: int, doc: Any) -> dict[str, Any]:
        return {
            "n": n,
            "url": url_for("documents.version", doc_id=doc_id, version=n),
            "stored": corpus.stored_time(doc_id, n) if stored else None,
            "description": next((c.description for c in doc.changes if c.n == n), ""),
        }

    data = {
        "id": doc_id,
        "title": second.title,
        "versions": numbers,
        "a": side(a, first),
        "b": side(b, second),
        **comparison.to_dict(),
    }
    return respond("compare.html", data, fmt=fmt, comparison=comparison)
