"""`archive catalogue`: a facts file (TOML) becomes a valid TEI catalogue record, or every
problem of the file is named by line and field and nothing is written.

The statements, bodies and people here are invented; the treaties and places are the test
corpus's register records.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from archive.cli import main
from archive.config import Config
from archive.document import NS, read_document
from archive.storage import corpus_validator
from tests.conftest import DEPLOYED

REGISTER_RECORDS = """
[[record]]
kind = "org"
id = "lakeside-deminers-union"
name = "Lakeside Deminers' Union"
type = "ngo"
abbreviations = ["LDU"]

[[record]]
kind = "person"
id = "tamsin-orrell-vasko"
name = "Tamsin Orrell-Vasko"
variants = ["Tamsin Orrel-Vasko"]
role = "Chair"
org = "lakeside-deminers-union"
"""

FACTS = """\
id = "ldu-appeal-mined-orchards-2021-04-02"
type = "appeal"
lang = "en"
title = "Appeal on the Mined Orchards of the Lakeside"
alt_titles = [{ text = "Appel sur les vergers minés", lang = "fr" }]
issuers = ["org:lakeside-deminers-union"]
addressees = ["org:icrc", "org:un"]
treaties = ["treaty:apmbc-1997"]
places = ["place:tartar"]
subjects = ["landmines", "orchards"]
summary = \"\"\"
[[org:lakeside-deminers-union|The union]] asks [[org:icrc|the ICRC]] to press for the maps of
the orchards mined near [[place:barda|Barda]] between [[date:2020-09-27/2020-11-10|the autumn
weeks of fighting]], citing [[treaty:gc-1949-iv#53|Article 53 of the Fourth Geneva
Convention]]. Its chair, [[person:tamsin-orrell-vasko]], recalls the [[date:2021-03|March]]
accident.

A second paragraph, so that paragraphs are kept.
\"\"\"
made = "Catalogue record made from the union's appeal (invented, for the tests)."

[issued]
when = "2021-04-02"
cert = "high"
as_written = "2 April 2021"
evidence = "The date line of the union's appeal."

[[signatories]]
person = "person:tamsin-orrell-vasko"
role = "Chair of the board"
org = "org:lakeside-deminers-union"

[[sources]]
url = "https://ldu.example.org/appeals/mined-orchards"
publisher = "org:lakeside-deminers-union"
kind = "original"
date = "2021-04-02"

[[sources]]
url = "https://news.example.org/2021/04/03/orchards"
publisher = "Lakeside Courier"
kind = "report"
"""


def run(config: Config, *args: str):
    return CliRunner().invoke(main, config.arguments(*args))


@pytest.fixture
def corpus(corpus_copy: Config, tmp_path: Path) -> Config:
    """The test corpus with the invented union and its chair in the registers."""
    records = tmp_path / "records.toml"
    records.write_text(REGISTER_RECORDS, encoding="utf-8")
    result = run(corpus_copy, "register", "add", str(records), "-m", "invented, for the tests")
    assert result.exit_code == 0, result.output
    return corpus_copy


def facts_file(tmp_path: Path, text: str = FACTS, name: str = "facts.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_facts_become_a_valid_catalogue_record_with_every_fact(corpus, tmp_path):
    out = tmp_path / "record.xml"
    result = run(corpus, "catalogue", str(facts_file(tmp_path)), "-o", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert corpus_validator(corpus).validate_bytes(data, out) == []

    doc = read_document(data)
    assert doc.id == "ldu-appeal-mined-orchards-2021-04-02" and doc.is_catalogue_record
    assert doc.title == "Appeal on the Mined Orchards of the Lakeside" and doc.lang == "en"
    assert doc.doc_type == "appeal" and doc.subjects == ["landmines", "orchards"]
    assert doc.permalink == f"{DEPLOYED}/doc/{doc.id}"
    assert (doc.issued.when, doc.issued.cert) == ("2021-04-02", "high")
    assert doc.issued_note == "The date line of the union's appeal."
    assert [i.id for i in doc.issuers] == ["lakeside-deminers-union"]
    assert [a.id for a in doc.addressees] == ["icrc", "un"]
    (signer,) = doc.signatories
    assert (signer.person_id, signer.name, signer.role, signer.org_id) == (
        "tamsin-orrell-vasko",
        "Tamsin Orrell-Vasko",  # a mark without words takes the register's name
        "Chair of the board",
        "lakeside-deminers-union",
    )
    # The treaties listed and those marked in the summary, with the article cited.
    assert doc.treaties == ["apmbc-1997", "gc-1949-iv"]
    assert [(c.treaty_id, c.article) for c in doc.treaty_citations] == [("gc-1949-iv", "53")]
    # A listed place counts even where the summary does not name it; a marked one too.
    assert set(doc.places) == {"tartar", "barda"}
    first = doc.dates[0]
    assert (first.text, first.span.from_, first.span.to) == (
        "the autumn weeks of fighting",
        "2020-09-27",
        "2020-11-10",
    )
    assert "[[" not in doc.abstract and "]]" not in doc.abstract
    assert doc.abstract.count("\n\n") == 1
    assert doc.abstract.startswith("The union asks the ICRC to press for the maps of the orchards")
    assert [(s.type, s.publisher_id, s.publisher, s.date, s.url) for s in doc.sources] == [
        (
            "source",
            "lakeside-deminers-union",
            "Lakeside Deminers' Union",
            "2021-04-02",
            "https://ldu.example.org/appeals/mined-orchards",
        ),
        ("report", None, "Lakeside Courier", None, "https://news.example.org/2021/04/03/orchards"),
    ]
    assert [(c.n, c.description) for c in doc.changes] == [
        (1, "Catalogue record made from the union's appeal (invented, for the tests).")
    ]
    tree = etree.fromstring(data)
    alt = tree.find(".//t:titleStmt/t:title[@type='alt']", NS)
    assert alt.text == "Appel sur les vergers minés"
    assert alt.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    assert tree.find(".//t:text", NS).get("type") == "catalogue-record"
    assert tree.find(".//t:body//t:gap", NS).get("reason") == "catalogue-record"
    # The prefix declarations are the draft writer's, the same bytes in both.
    bundled = etree.parse(str(corpus.documents_dir / "anama-minefield-records-2024-02.xml"))
    assert [p.attrib for p in tree.iterfind(".//t:prefixDef", NS)] == [
        p.attrib for p in bundled.iterfind(".//t:prefixDef", NS)
    ]

    added = run(corpus, "add", str(out), "-m", "test")
    assert added.exit_code == 0, added.output
    assert (corpus.documents_dir / f"{doc.id}.xml").read_bytes() == data


def test_the_record_is_valid_tei(corpus, tmp_path, tei_all):
    out = tmp_path / "record.xml"
    facts = FACTS.replace('summary = """', 'summary_lang = "de"\nsummary = """')
    assert run(corpus, "catalogue", str(facts_file(tmp_path, facts)), "-o", str(out)).exit_code == 0
    assert tei_all.validate(etree.parse(str(out))), tei_all.error_log


def test_a_summary_in_another_language_says_so(corpus, tmp_path):
    out = tmp_path / "record.xml"
    facts = FACTS.replace('lang = "en"\ntitle', 'lang = "az"\ntitle')
    result = run(corpus, "catalogue", str(facts_file(tmp_path, facts)), "-o", str(out))
    assert result.exit_code == 0, result.output
    doc = read_document(out.read_bytes())
    # Both paragraphs are analysed as English, the document's own words (title) as Azerbaijani.
    assert doc.lang == "az"
    end = doc.abstract.index("\n\n")
    assert doc.abstract_langs == [(0, end, "en"), (end + 2, len(doc.abstract), "en")]
    assert "(in English)" in doc.rights


@pytest.mark.parametrize(
    ("issued", "attributes", "words"),
    [
        ('from = "2021-03"\nto = "2021-05"', {"from": "2021-03", "to": "2021-05"}, "from March 2021 to May 2021"),
        (
            'not_before = "2021-03-01"\nnot_after = "2021-03-10"\ncert = "low"',
            {"notBefore": "2021-03-01", "notAfter": "2021-03-10", "cert": "low"},
            "between 1 March 2021 and 10 March 2021",
        ),
    ],
)  # fmt: skip
def test_uncertain_issue_dates(corpus, tmp_path, issued, attributes, words):
    facts = FACTS.replace(
        'when = "2021-04-02"\ncert = "high"\nas_written = "2 April 2021"\n', issued + "\n"
    )
    out = tmp_path / "record.xml"
    result = run(corpus, "catalogue", str(facts_file(tmp_path, facts)), "-o", str(out))
    assert result.exit_code == 0, result.output
    issued_el = etree.parse(str(out)).find(".//t:creation/t:date[@type='issued']", NS)
    assert dict(issued_el.attrib) == {"type": "issued", **attributes}
    assert issued_el.text == words


def test_every_problem_is_named_by_line_and_field_and_nothing_is_written(corpus, tmp_path):
    facts = (
        FACTS.replace('type = "appeal"', 'type = "manifesto"')
        .replace('when = "2021-04-02"', 'when = "2021-02-30"')
        .replace('evidence = "The date line of the union\'s appeal."\n', "")
        .replace('"org:icrc", "org:un"', '"org:icrc", "org:no-such-body"')
        .replace('person = "person:tamsin-orrell-vasko"', 'person = "tamsin-orrell-vasko"')
        .replace("[[place:barda|Barda]]", "[[place:bardaa|Barda]]")
        .replace("[[date:2021-03|March]]", "[[date:2021-03|March]")
        .replace('kind = "report"', 'kind = "rumour"\nauthor = "someone"')
        .replace('places = ["place:tartar"]', 'places = ["place:tartar"]\naddresees = []')
    )
    path = facts_file(tmp_path, facts)
    out = tmp_path / "record.xml"
    result = run(corpus, "catalogue", str(path), "-o", str(out))
    assert result.exit_code == 1
    assert not out.exists()
    lines = result.stderr.strip().splitlines()
    numbered = facts.splitlines()

    def line_of(words: str) -> int:
        return next(n for n, line in enumerate(numbered, 1) if words in line)

    expected = [
        (line_of("manifesto"), "type: 'manifesto' is not one of appeal, statement"),
        (line_of("2021-02-30"), "issued.when: '2021-02-30': day is out of range for month"),
        (line_of("[issued]"), "issued.evidence: missing"),
        (line_of("no-such-body"), "addressees[1]: org:no-such-body is not in the org register"),
        (
            line_of('person = "tamsin'),
            "signatories[0].person: 'tamsin-orrell-vasko' is not a reference",
        ),
        (line_of("addresees"), "addresees: unknown field"),
        (line_of("[[place:bardaa"), "summary: place:bardaa is not in the place register"),
        (line_of("|March]"), "summary: an inline mark is not closed"),
        (line_of("rumour"), "sources[1].kind: 'rumour' is not one of original, report"),
        (line_of("author ="), "sources[1].author: unknown field"),
    ]
    for number, message in expected:
        prefix = f"{path}:{number}: {message}"
        assert any(line.startswith(prefix) for line in lines), (prefix, lines)
    assert len(lines) == len(expected), lines
    assert "Traceback" not in result.output


def test_toml_syntax_error_names_its_line(corpus, tmp_path):
    path = facts_file(tmp_path, FACTS.replace('lang = "en"', 'lang = "en'))
    result = run(corpus, "catalogue", str(path), "-o", str(tmp_path / "record.xml"))
    assert result.exit_code == 1
    assert re.match(rf"{re.escape(str(path))}:3: not valid TOML", result.stderr)
    assert not (tmp_path / "record.xml").exists()


def test_several_files_all_or_nothing(corpus, tmp_path):
    good = facts_file(tmp_path, name="good.toml")
    other = facts_file(
        tmp_path,
        FACTS.replace("ldu-appeal-mined-orchards-2021-04-02", "ldu-appeal-second-2021-05-01"),
        name="other.toml",
    )
    bad = facts_file(tmp_path, FACTS.replace('"appeal"', '"manifesto"'), name="bad.toml")
    out = tmp_path / "out"
    out.mkdir()
    result = run(corpus, "catalogue", str(good), str(bad), "--output-dir", str(out))
    assert result.exit_code == 1 and str(bad) in result.stderr
    assert list(out.iterdir()) == []
    result = run(corpus, "catalogue", str(good), str(other), "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "ldu-appeal-mined-orchards-2021-04-02.xml",
        "ldu-appeal-second-2021-05-01.xml",
    ]
    # The same id twice is refused.
    result = run(corpus, "catalogue", str(good), str(good), "--output-dir", str(out))
    assert result.exit_code == 1 and "is also the id of" in result.stderr


def test_without_output_the_record_goes_to_stdout(corpus, tmp_path):
    result = run(corpus, "catalogue", str(facts_file(tmp_path)))
    assert result.exit_code == 0, result.output
    assert read_document(result.stdout_bytes).id == "ldu-appeal-mined-orchards-2021-04-02"
    several = run(corpus, "catalogue", str(facts_file(tmp_path)), str(facts_file(tmp_path)))
    assert several.exit_code == 2 and "--output-dir" in several.stderr


def test_a_corrected_record_keeps_its_history_and_is_stored_as_the_next_version(corpus, tmp_path):
    facts, out = facts_file(tmp_path), tmp_path / "record.xml"
    assert run(corpus, "catalogue", str(facts), "-o", str(out)).exit_code == 0
    assert run(corpus, "add", str(out), "-m", "first").exit_code == 0
    for n, fix in ((2, "A corrected second paragraph."), (3, "A third wording.")):
        facts.write_text(FACTS.replace("A second paragraph, so that paragraphs are kept.", fix))
        made = run(corpus, "catalogue", str(facts), "-o", str(out))
        assert made.exit_code == 0, made.output
        assert "keeps its history: store it with archive add --revise" in made.stderr
        assert run(corpus, "add", str(out), "-m", "x").exit_code == 1  # a revision is explicit
        added = run(corpus, "add", "--revise", str(out), "-m", f"Summary corrected ({n}).")
        assert added.exit_code == 0, added.output
        doc = read_document(
            (corpus.documents_dir / "ldu-appeal-mined-orchards-2021-04-02.xml").read_bytes()
        )
        assert doc.version == n and doc.abstract.endswith(fix)
        assert doc.changes[0].description.startswith("Catalogue record made from")
        assert doc.changes[-1].description == f"Summary corrected ({n})."


def test_a_record_made_again_is_laid_out_as_a_new_one(corpus, tmp_path):
    facts, out = facts_file(tmp_path), tmp_path / "record.xml"
    assert run(corpus, "catalogue", str(facts), "-o", str(out)).exit_code == 0
    first = out.read_bytes()
    assert run(corpus, "add", str(out), "-m", "first").exit_code == 0
    assert run(corpus, "catalogue", str(facts), "-o", str(out)).exit_code == 0
    # Same facts, same day: the same bytes but for the stored history, and the signatory's
    # affiliation (mixed content) is not re-indented.
    assert out.read_bytes() == first
    assert b"<affiliation><roleName>Chair of the board</roleName>, <orgName" in out.read_bytes()


def test_a_title_in_another_language_than_the_statement_says_so(corpus, tmp_path):
    facts = FACTS.replace('lang = "en"\ntitle', 'lang = "it"\ntitle_lang = "en"\ntitle')
    out = tmp_path / "record.xml"
    result = run(corpus, "catalogue", str(facts_file(tmp_path, facts)), "-o", str(out))
    assert result.exit_code == 0, result.output
    title = etree.parse(str(out)).find(".//t:titleStmt/t:title[@type='main']", NS)
    assert title.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    bad = FACTS.replace('lang = "en"\ntitle', 'lang = "it"\ntitle_lang = "English"\ntitle')
    refused = run(corpus, "catalogue", str(facts_file(tmp_path, bad)), "-o", str(out))
    assert (
        refused.exit_code == 1
        and "title_lang: 'English' is not a BCP 47 language tag" in refused.stderr
    )
