"""Character spans the encoder asks about for every match in a text: does this span overlap
one already taken, which detections lie inside this paragraph. A linear scan per question
made encoding quadratic in the length of the text (a 2 MB text took minutes); these answer
in logarithmic time."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

from archive.encode.results import Detection


class SpanSet:
    """A set of character spans [start, end), kept as sorted disjoint runs: overlapping
    or touching spans are merged, which answers the same for any non-empty query span."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        for start, end in spans:
            self.add(start, end)

    def overlaps(self, start: int, end: int) -> bool:
        """Whether [start, end) shares a character with any span of the set."""
        i = bisect_right(self._ends, start)  # the first run that ends after `start`
        return i < len(self._starts) and self._starts[i] < end

    def add(self, start: int, end: int) -> None:
        if end <= start:
            return
        i = bisect_left(self._ends, start)  # runs that end at or after `start` ...
        j = bisect_right(self._starts, end)  # ... and start at or before `end` merge
        if i < j:
            start, end = min(start, self._starts[i]), max(end, self._ends[j - 1])
        self._starts[i:j] = [start]
        self._ends[i:j] = [end]


class Marks(Sequence[Detection]):
    """Detections in text order, with those that start in a stretch of text at hand."""

    def __init__(self, detections: Iterable[Detection]) -> None:
        self._items = sorted(detections, key=lambda d: (d.start, d.end))
        self._starts = [d.start for d in self._items]

    def __getitem__(self, index):  # type: ignore[no-untyped-def,override]
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def starting_in(self, start: int, end: int) -> list[Detection]:
        """The detections whose start lies in [start, end), in text order."""
        return self._items[bisect_left(self._starts, start) : bisect_left(self._starts, end)]


def any_in(sorted_offsets: Sequence[int], start: int, end: int) -> bool:
    """Whether a sorted list of offsets holds one in [start, end)."""
    i = bisect_left(sorted_offsets, start)
    return i < len(sorted_offsets) and sorted_offsets[i] < end
