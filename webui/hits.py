"""A result line: a document's title, what it is, who signed it, what it cites, and the
passage that matched, for the search page and the record pages' document lists.

Why Python and not the Jinja macro it replaces: a results page writes 20 of them, and the
macro's ~25 template operations a line (filters, loops, attribute lookups, `url_for` and the
carried search for each link) were a third of the page's own rendering (~0.55 of ~1.65 ms
at 100,000 documents). The markup is the macro's, byte for byte (tests/test_web_hits.py
holds the macro and compares the two over generated hits).
"""

from __future__ import annotations

import re

from flask import url_for
from markupsafe import Markup, escape

from archive.search import Hit
from webui.urls import Urls

_CATALOGUE_MARK = (
    ' · <span class="catalogue-mark" title="The archive describes this document but holds'
    ' no text of it">catalogue record, no text</span>'
)
# Ids a document URL carries as they are (what the `docid` converter accepts, and more):
# anything else goes through `url_for`, which quotes it.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.-]+")


def hit_facts(hit: Hit) -> Markup:
    """What a result line says of a document besides its title: type, date and whether it
    is certain, a catalogue record's mark, who signed or issued it, the treaties it cites."""
    doc_type = escape(hit.doc_type.replace("-", " ").capitalize())
    issued = escape(hit.issued.replace(" (uncertain)", ""))
    out = [f'<p class="hit-meta"><span class="hit-type">{doc_type}</span>\n      · ']
    out.append(f'<span class="hit-date">{issued}</span>')
    if hit.issued_uncertain:
        out.append(' <span class="uncertain">uncertain date</span>')
    if hit.catalogue_record:
        out.append(_CATALOGUE_MARK)
    if hit.version > 1:
        out.append(f" · version {hit.version}")
    out.append("</p>\n    ")
    signatories = hit.signatories
    if signatories:
        out.append(f'\n      <p class="hit-by">Signed by {escape(", ".join(signatories[:4]))}')
        if len(signatories) > 4:
            others = "other" if len(signatories) == 5 else "others"
            out.append(f" and {len(signatories) - 4} {others}")
        out.append("</p>\n    ")
    elif hit.issuers:
        names = ", ".join(str(escape(name)) for _, _, name in hit.issuers)
        out.append(f'\n      <p class="hit-by">Issued by {names}</p>\n    ')
    out.append("\n    ")
    treaties = hit.treaties
    if treaties:
        names = "; ".join(str(escape(name)) for _, name in treaties[:4])
        out.append(f'\n      <p class="hit-treaties">Cites {names}')
        if len(treaties) > 4:
            out.append(f" and {len(treaties) - 4} more")
        out.append("</p>\n    ")
    return Markup("".join(out))


def hit_items(hits: list[Hit], urls: Urls, first: int) -> Markup:
    """The search page's result lines, numbered from `first`: each title links to the
    document, carrying the search and the hit's place in it."""
    # One `url_for` for the page: a plain id is the link's last segment as it is.
    sample = "d0c"
    prefix = url_for("documents.latest", doc_id=sample)[: -len(sample)]
    out = []
    for number, hit in enumerate(hits, first):
        doc_url = (
            prefix + hit.id
            if _PLAIN_ID.fullmatch(hit.id)
            else url_for("documents.latest", doc_id=hit.id)
        )
        snippet = f'<p class="snippet">{hit.snippet}</p>' if hit.snippet else ""
        out.append(
            f'\n          <li>\n            <a class="hit-title" href="'
            f'{escape(urls.hit(doc_url, number))}">{escape(hit.title)}</a>\n            '
            f"{hit_facts(hit)}\n            {snippet}\n          </li>\n        "
        )
    return Markup("".join(out))
