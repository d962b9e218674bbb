"""Which segments an update merges: the small ones that updates wrote, never the build's.

Every `archive add` (and any update of the index) commits a new small segment. Left alone,
these would pile up and each search would look words up in all of them; Whoosh's default
policy (`MERGE_SMALL`) merges them, but it decides by the Fibonacci number of the segment
count: once a build has written more than ~25 segments (a million documents in segments of
~25,000), the first add after it finds its "merge point" among the build's own segments and
rewrites most of the archive (28 of 40 segments, ~700,000 documents and 4 GB, inside one
`archive add`). The work of one update must not follow the size of the archive.

So an update merges only segments of fewer than `SMALL_SEGMENT_DOCS` documents (those that
updates wrote, or earlier merges of them), and only once `MERGE_AT` of them have gathered:
one merge rewrites at most `MERGE_AT * SMALL_SEGMENT_DOCS` documents (~10 MB), whatever the
archive's size. A merged segment that reaches the limit is left as it is from then on, like
the build's; `archive index --rebuild` lays everything out anew (and drops what deletions
left in the big segments).
"""

from __future__ import annotations

from typing import Any

from whoosh.reading import SegmentReader

# A build's segments hold ~25,000 documents; updates write one segment each.
SMALL_SEGMENT_DOCS = 2_000
MERGE_AT = 8


def merge_added_segments(writer: Any, segments: list[Any]) -> list[Any]:
    """A Whoosh merge policy (`writer.commit(mergetype=...)`): merge the small segments into
    the writer's new one once there are `MERGE_AT` of them; return the segments kept."""
    small = [s for s in segments if s.doc_count_all() < SMALL_SEGMENT_DOCS]
    if len(small) < MERGE_AT:
        return list(segments)
    for segment in small:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    merged = {id(s) for s in small}
    return [s for s in segments if id(s) not in merged]
