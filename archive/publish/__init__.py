"""Publishing: how documents leave the archive, in the forms other software reads.

`select` turns a search (or nothing: everything) into the ids an export holds;
`export_chunks` streams them as a BagIt zip, one teiCorpus, JSON Lines, CSV, BibTeX or RIS
(`FORMATS`); `citation_for` makes the citation that `cite` writes as BibTeX, RIS, CSL-JSON, a
formatted reference and the page's Highwire tags, and `styles` the reference in APA,
Chicago, MLA, Harvard and OSCOLA (citeproc-py); `Catalogue` lists every published id with its datestamp
and sets, which OAI-PMH (`publish.oai`) and the Atom feed (`atom_feed`) serve.

Loaded lazily, as `archive.search` is: `from archive.publish import FORMATS` imports the
export module alone, so that `archive export --help` does not load OAI-PMH and the feed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from archive import lazy_names

if TYPE_CHECKING:
    from archive.publish import cite, styles
    from archive.publish.catalogue import Catalogue
    from archive.publish.cite import Citation, citation_for
    from archive.publish.export import (
        ExportStats,
        check_format,
        export_chunks,
        export_name,
    )
    from archive.publish.feed import (
        FeedLinks,
        FeedScope,
        Withdrawn,
        atom_feed,
        current_reader,
        version_reader,
    )
    from archive.publish.formats import FORMATS, VERSIONS, check_versions
    from archive.publish.oai import OaiProvider, OaiSettings, token_key
    from archive.publish.selection import PAGING_PARAMS, Selection, select

# Where each name offered below is defined ("" for a submodule offered as it is).
_MODULES = {
    "cite": "",
    "styles": "",
    "Catalogue": "catalogue",
    "Citation": "cite",
    "citation_for": "cite",
    "FORMATS": "formats",
    "VERSIONS": "formats",
    "check_versions": "formats",
    "ExportStats": "export",
    "check_format": "export",
    "export_chunks": "export",
    "export_name": "export",
    "FeedLinks": "feed",
    "FeedScope": "feed",
    "atom_feed": "feed",
    "current_reader": "feed",
    "Withdrawn": "feed",
    "version_reader": "feed",
    "OaiProvider": "oai",
    "OaiSettings": "oai",
    "token_key": "oai",
    "PAGING_PARAMS": "selection",
    "Selection": "selection",
    "select": "selection",
}


__getattr__ = lazy_names(__name__, _MODULES)


__all__ = [
    "FORMATS",
    "PAGING_PARAMS",
    "VERSIONS",
    "Catalogue",
    "Citation",
    "ExportStats",
    "FeedLinks",
    "FeedScope",
    "OaiProvider",
    "OaiSettings",
    "Selection",
    "Withdrawn",
    "atom_feed",
    "check_format",
    "check_versions",
    "citation_for",
    "cite",
    "current_reader",
    "export_chunks",
    "export_name",
    "select",
    "styles",
    "token_key",
    "version_reader",
]
