"""Publishing: how documents leave the archive, in the forms other software reads.

`select` turns a search (or nothing: everything) into the ids an export holds;
`export_chunks` streams them as a BagIt zip, one teiCorpus, JSON Lines, CSV, BibTeX or RIS
(`FORMATS`); `citation_for` makes the citation that `cite` writes as BibTeX, RIS, CSL-JSON, a
formatted reference and the page's Highwire tags; `Catalogue` lists every published id with its datestamp
and sets, which OAI-PMH (`publish.oai`) and the Atom feed (`atom_feed`) serve.
"""

from archive.publish import cite
from archive.publish.catalogue import Catalogue
from archive.publish.cite import Citation, citation_for
from archive.publish.export import (
    FORMATS,
    VERSIONS,
    ExportStats,
    check_format,
    check_versions,
    export_chunks,
    export_name,
)
from archive.publish.feed import FeedLinks, Withdrawn, atom_feed, current_reader, version_reader
from archive.publish.oai import OaiProvider, OaiSettings, token_key
from archive.publish.selection import PAGING_PARAMS, Selection, select

__all__ = [
    "FORMATS",
    "PAGING_PARAMS",
    "VERSIONS",
    "Catalogue",
    "Citation",
    "ExportStats",
    "FeedLinks",
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
    "token_key",
    "version_reader",
]
