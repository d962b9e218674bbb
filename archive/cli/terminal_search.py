"""Plain-text views of search results and index figures for the command line."""

from __future__ import annotations

import re
import textwrap
import time
from html import unescape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archive.search import FacetValue, IndexStatus, SearchResult

FACET_TITLES = {
    "treaty": "Treaties",
    "signatory": "Signatories",
    "org": "Organisations",
    "addressee": "Addressees",
    "place": "Places",
    "type": "Types",
    "lang": "Languages",
    "year": "Years",
}
_VALUES_SHOWN = 8


def snippet_text(html: str) -> str:
    """A snippet's HTML as terminal text: matched words between asterisks."""
    return unescape(re.sub(r"</?mark>", "*", html))


def _facet_value(value: FacetValue) -> str:
    mark = "+" if value.selected else "-" if value.excluded else ""
    text = f"{mark}{value.label} ({value.count})"
    if value.children:
        text += " [" + ", ".join(_facet_value(c) for c in value.children) + "]"
    return text


def search_result_text(result: SearchResult, width: int = 88) -> str:
    """Hits with snippets, then one line per facet."""
    request = result.request
    what = f" for {request.q!r}" if request.q else ""
    order = {"relevance": "relevance", "date": "date, oldest first", "-date": "date, newest first"}
    if result.total == 0:
        where = ""
    elif result.page > result.pages:
        where = f"page {result.page} is past the last page, {result.pages}; "
    else:
        where = f"page {result.page} of {result.pages}, "
    lines = [
        f"{result.total} document{'' if result.total == 1 else 's'}{what} ({where}sorted by {order[request.sort]})"
    ]
    for resolved in result.resolved:
        lines.append(f"  {resolved.field}: {resolved.text!r} = {', '.join(resolved.labels)}")
    for note in result.notes:
        lines.append(f"  note: {note}")
    for expansion in result.expanded:
        lines.append(f"  {expansion.text!r} also found as: {', '.join(expansion.also)}")
    if result.expanded:
        lines.append("  (--exact: the words as typed only)")
    if result.suggestion:
        lines.append(f"Did you mean: {result.suggestion}")
    for number, hit in enumerate(result.hits, start=request.offset + 1):
        lines += ["", f"{number}. {hit.title}"]
        facts = [hit.id, hit.doc_type, hit.issued, f"v{hit.version}"]
        if hit.score is not None:
            facts.append(f"score {hit.score:.2f}")
        lines.append("   " + " · ".join(f for f in facts if f))
        if hit.snippet:
            lines += textwrap.wrap(
                snippet_text(hit.snippet), width, initial_indent="   ", subsequent_indent="   "
            )
    shown = {k: v for k, v in result.facets.items() if v}
    if shown:
        lines += ["", "Facets:"]
        for name, values in shown.items():
            text = ", ".join(_facet_value(v) for v in values[:_VALUES_SHOWN])
            more = len(values) - _VALUES_SHOWN
            if more > 0:
                text += f", … {more} more"
            lines += textwrap.wrap(
                f"{FACET_TITLES.get(name, name)}: {text}", width, subsequent_indent="    "
            )
    return "\n".join(lines) + "\n"


def stats_text(
    figures: dict[str, Any], status: IndexStatus, counts: dict[str, list[FacetValue]]
) -> str:
    """`archive stats` as a reader wants it."""
    lines = [
        f"Corpus:  {figures['path']}",
        f"  {figures['documents']} documents, {figures['bytes'] / 1e6:.1f} MB",
        f"  registers: {figures['treaties']} treaties, {figures['persons']} persons, "
        f"{figures['organisations']} organisations, {figures['places']} places",
        f"Index:   {status.path}",
    ]
    if not status.exists:
        lines.append("  none yet: run `archive index`")
    else:
        updated = (
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(status.updated))
            if status.updated
            else "?"
        )
        lines.append(
            f"  format {status.format}, {status.documents} documents, {status.segments} segments, "
            f"{status.size_bytes / 1e6:.1f} MB, updated {updated}"
        )
        if status.up_to_date:
            lines.append("  up to date with the corpus")
        else:
            lines.append(
                f"  behind the corpus: {status.new_files} new, {status.changed_files} changed, "
                f"{status.removed_files} removed files: run `archive index`"
            )
    for name, values in counts.items():
        text = ", ".join(f"{v.label} {v.count}" for v in values)
        lines += textwrap.wrap(
            f"{FACET_TITLES.get(name, name)}: {text}", 88, subsequent_indent="    "
        )
    return "\n".join(lines) + "\n"
