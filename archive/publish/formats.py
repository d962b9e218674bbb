"""The export formats by name: what the command line and the web offer, kept apart from the
exporters so that stating the choice (`archive export --help`) loads none of them."""

from __future__ import annotations

from dataclasses import dataclass

from archive.errors import BadQuery


@dataclass(frozen=True)
class Format:
    """An export format: its name in URLs and options, file extension and media type."""

    name: str
    extension: str
    media_type: str
    label: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("zip", "zip", "application/zip", "BagIt bag (zip) of the TEI files"),
        Format("tei", "xml", "application/tei+xml", "one teiCorpus TEI file"),
        Format("jsonl", "jsonl", "application/x-ndjson", "JSON Lines, one document per line"),
        Format("csv", "csv", "text/csv; charset=utf-8", "CSV, one document per row"),
        Format("bibtex", "bib", "application/x-bibtex; charset=utf-8", "BibTeX"),
        Format("ris", "ris", "application/x-research-info-systems; charset=utf-8", "RIS"),
    )
}


# Which versions a package holds: the current one of each document, or every stored version
# (and the tombstones of withdrawn documents), which only the bag can hold side by side.
VERSIONS = ("current", "all")


def check_versions(versions: str, format_name: str) -> None:
    """BadQuery unless `versions` is one of VERSIONS and the format can hold it."""
    if versions not in VERSIONS:
        raise BadQuery(f"unknown versions {versions!r}: choose current or all")
    if versions == "all" and format_name != "zip":
        raise BadQuery(
            "versions=all needs format zip: only a BagIt bag holds every version of a "
            "document side by side"
        )
