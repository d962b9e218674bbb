"""One exception family for everything the archive refuses.

Each error carries a message fit for a person and, where it applies, the file and line it
is about, so the command line and the web layer can report it without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file, located as precisely as we know."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}: {self.message}"
        return f"{self.path}: {self.message}"


class ArchiveError(Exception):
    """Base of every error the archive raises on purpose.

    `exit_code` is what the command line exits with; `http_status` what the web answers.
    """

    exit_code = 1
    http_status = 500

    def __init__(
        self, message: str, *, path: str | Path | None = None, line: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        return str(Problem(self.path, self.line, self.message))


class InvalidDocument(ArchiveError):
    """A file is not a well-formed, safe, valid document of the archive's profile."""

    http_status = 400

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        super().__init__(first.message, path=first.path, line=first.line)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class NotFound(ArchiveError):
    """An id, version or record that the archive does not hold."""

    http_status = 404


class Gone(ArchiveError):
    """A document that was withdrawn: it existed, it keeps its versions, it is not shown."""

    http_status = 410

    def __init__(self, message: str, *, doc_id: str, when: str, reason: str) -> None:
        super().__init__(message)
        self.doc_id = doc_id
        self.when = when
        self.reason = reason


class BadQuery(ArchiveError):
    """A search or a parameter that cannot be run as given; the message says what was meant.

    Where `suggestions` are other values for one field, `field` and `text` say which field
    and what was typed for it, and `param` the URL parameter it came from when it was not
    the query: enough for a page to offer the corrected search as a link."""

    exit_code = 2
    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        suggestions: list[str] | None = None,
        field: str | None = None,
        text: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.suggestions = suggestions or []
        self.field = field
        self.text = text
        self.param = param


class UnknownName(BadQuery):
    """A name that no record of a register bears. A search for it is not a mistake of the
    query but a fact about the registers: it finds nothing, and says so (a note beside 0
    results); where a record must be named (a draft, a register command) it is refused."""


class Conflict(ArchiveError):
    """An operation that would contradict what the archive holds (an id taken, a lock held)."""

    http_status = 409


class FixityError(ArchiveError):
    """Stored bytes that no longer match the sha256 the store recorded when it wrote them:
    they are never served as if they were that version. A fault of the archive's disk, not
    of the request (500), but one a reader must be told about by name."""

    http_status = 500
