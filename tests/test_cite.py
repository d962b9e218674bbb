"""Citations parse with the real parsers researchers' tools use, and name the exact version."""

from __future__ import annotations

import bibtexparser
import pytest
import rispy
from citeproc import Citation as CslCitation
from citeproc import CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from archive.document.authority import Registers
from archive.publish import cite
from archive.storage.store import Corpus
from tests.conftest import SEED_ID

SIGNATORY_FAMILIES = ["Mirzayev", "Karimoglu", "Safikhanov", "Ibrahimov", "Hasanov"]


@pytest.fixture(scope="module")
def citations(bundled_config):
    registers = Registers.load(bundled_config.authority_dir)
    corpus = Corpus(bundled_config)
    return {
        i: cite.citation_for(corpus.document(i), registers, bundled_config) for i in corpus.ids()
    }


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


def test_statement_is_cited_as_a_document_not_a_letter(citations):
    statement = citations["trilateral-statement-2020-11-10"]
    assert rispy.loads(cite.ris(statement))[0]["type_of_reference"] == "GEN"
    assert cite.csl_json(statement)["type"] == "article"
    assert ("DC.type", "document") in cite.highwire_meta(statement)


def test_csl_json_renders_with_citeproc_py(citations):
    items = [cite.csl_json(c) for c in citations.values()]
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(CslCitation([CitationItem(item["id"])]))
    rendered = [str(entry) for entry in bibliography.bibliography()]
    seed = next(r for r in rendered if "Mirzayev" in r)
    assert "2021" in seed and "mined areas" in seed


def test_uncertain_dates_stay_ranges_where_the_format_allows(citations):
    petition = citations["petition-minefield-maps-2021"]
    csl = cite.csl_json(petition)
    assert csl["issued"] == {"date-parts": [[2020, 11, 10], [2021, 4, 22]], "circa": True}
    entry = bibtexparser.parse_string(cite.bibtex(petition)).entries[0]
    assert entry["year"] == "2020--2021"
    assert "between 10 November 2020 and 22 April 2021" in entry["note"]
    # A single bound is a limit, not the date: only its year is claimed.
    assert rispy.loads(cite.ris(citations["bonn-declaration-mine-maps-2021"]))[0]["year"] == "2021"
    assert "date" not in rispy.loads(cite.ris(citations["bonn-declaration-mine-maps-2021"]))[0]


def test_documents_without_signatories_are_cited_under_their_issuers(citations):
    citation = citations["ngo-appeal-mine-victims-2023-04-29"]
    assert [a.literal for a in citation.authors] == ["Azerbaijani non-governmental organisations"]
    assert cite.csl_json(citation)["author"] == [
        {"literal": "Azerbaijani non-governmental organisations"}
    ]


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
    assert ("DC.identifier", f"https://appeals-archive.org/doc/{SEED_ID}/v1") in tags
    assert ("citation_keywords", "Geneva Conventions 1949; Additional Protocols of 1977") in tags


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
