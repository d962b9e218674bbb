"""The corpus on disk: where each document's current file lives, and reading it.

Layout (under the corpus folder):
    documents/<id>.xml          the current version of each document
    authority/*.xml             the registers
Ids from outside (command line, URLs) are checked against the id pattern before any path
is built from them, so no request can name a file outside the corpus.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from archive.config import Config
from archive.errors import NotFound
from archive.model import Document
from archive.tei import read_document

DOC_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,99}$")


def check_id(doc_id: str) -> str:
    """Return `doc_id` if it is a well-formed document id, else raise NotFound (a malformed
    id names no document, and must never reach the file system)."""
    if not isinstance(doc_id, str) or not DOC_ID_RE.match(doc_id):
        raise NotFound(f"no document {doc_id!r}: ids are lowercase letters, digits and hyphens")
    return doc_id


class Corpus:
    """Read access to the documents of one corpus folder."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def ids(self) -> list[str]:
        folder = self.config.documents_dir
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.xml") if DOC_ID_RE.match(p.stem))

    def path(self, doc_id: str) -> Path:
        return self.config.documents_dir / f"{check_id(doc_id)}.xml"

    def read_bytes(self, doc_id: str) -> bytes:
        path = self.path(doc_id)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no document {doc_id!r} in {self.config.documents_dir}") from None

    def document(self, doc_id: str) -> Document:
        return read_document(self.read_bytes(doc_id), self.path(doc_id))

    def documents(self) -> Iterator[Document]:
        for doc_id in self.ids():
            yield self.document(doc_id)
