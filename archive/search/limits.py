"""What one search may cost, and the account of what it has cost so far.

A query is text from anyone on the web, and one query used to be able to stop every other:
`"mine maps"~99999999999` looped once per word of slop, `*qx*` forty times read every word
of the index forty times (18.5 s at 20,000 documents, at Whoosh's ~25 µs a word), and 45
unknown words asked for 45 spelling suggestions (3.8 s), all under the engine's one lock.
Every search now carries a `Work`: the limits below, the counts of what it did (words looked
at to find a wildcard's words, words it stood for, postings and positions read, suggestions
made) and a deadline. Past a limit the search is refused with `QueryTooCostly` (a
`BadQuery`: HTTP 400, exit 2, the message says what to change); past the deadline it stops
with `SearchTimeout` (HTTP 503: try again). Suggestions are a courtesy: past their share
they are left out, the search still answers.

The limits are far above what a reader's query needs: of the benchmark's 240 queries at
10,000 documents the costliest reads 18,184 postings and 38,575 positions, and none looks at
a word list; the phrase of the two commonest words (`"synthetic person"`) reads 45,419
postings and 115,818 positions, ~10 times that at 100,000 documents.
A wildcard with no letter before its `*` looks at every word of the index (22,000 in the
text at 10,000 documents, ~0.5 s at Whoosh's pace), hence the allowance of 50,000 words
looked at per query: such a wildcard works on an archive of ~10,000-20,000 documents and is
refused, saying why, on a larger one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from archive.errors import ArchiveError, BadQuery


class QueryTooCostly(BadQuery):
    """A query that would cost more than one search may: the message names the limit;
    `work` what the search had done when it was refused."""

    title = "Query too costly"
    work: dict[str, int] | None = None


class SearchTimeout(ArchiveError):
    """A search that ran past its time: the archive is busy, not the query wrong."""

    exit_code = 3
    http_status = 503
    title = "Busy"
    retry_after = 5
    work: dict[str, int] | None = None


@dataclass(frozen=True)
class SearchLimits:
    """The most one search may cost (see the module doc for how they were chosen)."""

    max_slop: int = 100  # words between the words of a phrase ("a b"~N)
    max_wildcards: int = 10  # wildcard or prefix words in one query
    max_expansion: int = 500  # words one wildcard or prefix may stand for
    max_expanded: int = 2_000  # words all of a query's wildcards stand for together
    max_scanned: int = 50_000  # index words looked at to find them (~25 µs each)
    max_postings: int = 20_000_000  # postings read (a word in a document)
    max_positions: int = 50_000_000  # word positions read for phrases
    max_suggested: int = 3  # unknown words a suggestion is looked for
    seconds: float = 10.0  # wall time, a backstop behind the counts


@dataclass
class Work:
    """One search's account: what it has done, against its limits, and the postings it has
    read so far (a query names the same word to match, to score and to suggest)."""

    limits: SearchLimits = field(default_factory=SearchLimits)
    scanned: int = 0
    expanded: int = 0
    postings: int = 0
    positions: int = 0
    suggested: int = 0
    started: float = field(default_factory=time.monotonic)
    cache: dict[Any, Any] = field(default_factory=dict)

    def check_time(self) -> None:
        if time.monotonic() - self.started > self.limits.seconds:
            raise SearchTimeout(
                f"the search took longer than {self.limits.seconds:g} s: "
                "the archive is busy, try again in a moment"
            )

    def scan(self, what: str) -> None:
        """One more index word looked at to find the words of `what` (a wildcard)."""
        self.scanned += 1
        if self.scanned > self.limits.max_scanned:
            raise QueryTooCostly(
                f"{what} needs more than {self.limits.max_scanned:,} words of the index "
                "looked at: put more letters before the first * or ?"
            )
        if not self.scanned % 1000:
            self.check_time()

    def expand(self, what: str, count: int) -> None:
        """`what` stands for `count` words."""
        if count > self.limits.max_expansion:
            raise QueryTooCostly(
                f"{what} matches more than {self.limits.max_expansion} different words: "
                "use a longer prefix or more letters"
            )
        self.expanded += count
        if self.expanded > self.limits.max_expanded:
            raise QueryTooCostly(
                f"the query's wildcards stand for more than {self.limits.max_expanded:,} "
                "words together: use fewer wildcards or longer prefixes"
            )

    def read(self, postings: int, positions: int = 0) -> None:
        """Postings (and their positions) read from the index."""
        self.postings += postings
        self.positions += positions
        if self.postings > self.limits.max_postings:
            raise QueryTooCostly(
                f"the query reads more than {self.limits.max_postings:,} postings: "
                "use fewer or rarer words"
            )
        if self.positions > self.limits.max_positions:
            raise QueryTooCostly(
                f"the query's phrases read more than {self.limits.max_positions:,} word "
                "positions: use rarer words in phrases"
            )
        self.check_time()

    @contextmanager
    def reported(self) -> Iterator[None]:
        """Refusals and timeouts inside the block carry what the search had done
        (`error.work`): how far it got before it stopped."""
        try:
            yield
        except (QueryTooCostly, SearchTimeout) as exc:
            exc.work = self.to_dict()
            raise

    def to_dict(self) -> dict[str, int]:
        return {
            "scanned": self.scanned,
            "expanded": self.expanded,
            "postings": self.postings,
            "positions": self.positions,
            "suggested": self.suggested,
        }
