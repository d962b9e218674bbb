"""Facet values with counts, labels and state, as the result page shows them.

Counting itself is one `bincount` per facet (archive.snapshot); this module turns counts
into `FacetValue` lists: labelled from the registers, ordered (most documents first; years
newest first; treaties as their hierarchy, groups holding their members), with the values
the request selected or excluded always present, even at zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from archive.authority import Registers
from archive.query import value_label
from archive.snapshot import FacetArrays

FACET_LIMIT = 30  # values shown per facet (selected and excluded ones always are)


@dataclass
class FacetValue:
    """One value of a facet: `value` is what a filter takes (an id), `label` what a reader
    sees; `children` are a treaty group's members."""

    value: str
    label: str
    count: int
    selected: bool = False
    excluded: bool = False
    children: list[FacetValue] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "label": self.label,
            "count": self.count,
            "selected": self.selected,
            "excluded": self.excluded,
            "children": [c.to_dict() for c in self.children],
        }


def facet_list(
    name: str,
    arrays: FacetArrays,
    counts: np.ndarray,
    registers: Registers,
    selected: tuple[str, ...] = (),
    excluded: tuple[str, ...] = (),
    limit: int | None = FACET_LIMIT,
) -> list[FacetValue]:
    """The values of facet `name` with a count above zero (plus any selected or excluded),
    ordered for display and cut to `limit` top-level values (None: all)."""
    found = {arrays.values[i]: int(counts[i]) for i in np.flatnonzero(counts)}
    for value in (*selected, *excluded):
        found.setdefault(value, int(counts[arrays.index[value]]) if value in arrays.index else 0)
    items = {
        value: FacetValue(
            value,
            value_label(registers, name, value),
            count,
            selected=value in selected,
            excluded=value in excluded,
        )
        for value, count in found.items()
    }
    top = _treaty_tree(items, registers) if name == "treaty" else list(items.values())
    if name == "year":
        top.sort(key=lambda v: v.value, reverse=True)
    else:
        top.sort(key=lambda v: (-v.count, v.label.casefold()))
    if limit is not None and len(top) > limit:
        keep = top[:limit]
        keep += [v for v in top[limit:] if v.selected or v.excluded]
        top = keep
    return top


def _treaty_tree(items: dict[str, FacetValue], registers: Registers) -> list[FacetValue]:
    """Nest each treaty under its group or parent when that is among the values."""
    top = []
    for value, item in items.items():
        treaty = registers.treaties.records.get(value)
        parent = treaty.parent if treaty is not None else None
        if parent is not None and parent in items:
            items[parent].children.append(item)
        else:
            top.append(item)
    for item in items.values():
        item.children.sort(key=lambda v: (-v.count, v.label.casefold()))
    return top
