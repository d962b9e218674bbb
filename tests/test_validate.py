"""The corpus is valid against both schemas; every rule catches what it is for, by line."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from archive.config import Config
from archive.document.validate import Validator
from archive.storage.store import corpus_validator
from tests.conftest import FIXTURE_CORPUS, FIXTURE_DOCUMENTS, SEED_ID, snapshot

CORPUS_FILES = sorted((FIXTURE_CORPUS / "documents").glob("*.xml")) + sorted(
    (FIXTURE_CORPUS / "authority").glob("*.xml")
)


@pytest.fixture(scope="module")
def validator(bundled_config: Config) -> Validator:
    return corpus_validator(bundled_config)


def test_the_corpus_holds_the_seed_seven_catalogue_records_and_four_registers():
    assert len(CORPUS_FILES) == FIXTURE_DOCUMENTS + 4


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_file_is_valid_against_the_project_profile(path, validator):
    assert validator.validate_file(path) == []


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_file_is_valid_against_the_official_tei_grammar(path, tei_all):
    valid = tei_all.validate(etree.parse(str(path)))
    assert valid, "\n".join(f"{e.line}: {e.message}" for e in tei_all.error_log)


SEED = (FIXTURE_CORPUS / "documents" / f"{SEED_ID}.xml").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def check(validator: Validator, tmp_path: Path, text: str, name: str = SEED_ID) -> list[str]:
    path = tmp_path / f"{name}.xml"
    path.write_text(text, encoding="utf-8")
    return [str(p) for p in validator.validate_file(path)]


def test_broken_treaty_reference_is_caught_on_its_line(validator, tmp_path):
    broken = SEED.replace(
        '<rs type="treaty" ref="treaty:gc-1949">', '<rs type="treaty" ref="treaty:gc-1994">'
    )
    line = line_of(broken, "treaty:gc-1994")
    problems = check(validator, tmp_path, broken)
    assert len(problems) == 1
    assert problems[0].startswith(
        f"{tmp_path}/{SEED_ID}.xml:{line}: treaty:gc-1994 does not resolve: "
        "no record 'gc-1994' in treaties.xml (did you mean gc-1949"
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('ref="place:ganja"', 'ref="place:gandja"', "place:gandja does not resolve"),
        (
            'ref="person:rey-karimoglu">Rey',
            'ref="person:rey-kerimoglu">Rey',
            "person:rey-kerimoglu does not resolve",
        ),
        ('ref="org:anama"', 'ref="org:anamaa"', "org:anamaa does not resolve"),
        (
            'target="doc:trilateral-statement-2020-11-10"',
            'target="doc:no-such-document"',
            "no document 'no-such-document'",
        ),
    ],
)
def test_every_kind_of_reference_must_resolve(validator, tmp_path, old, new, message):
    broken = SEED.replace(old, new, 1)
    problems = check(validator, tmp_path, broken)
    assert len(problems) == 1 and message in problems[0]
    assert f":{line_of(broken, new)}:" in problems[0]


def test_undeclared_prefix_is_reported(validator, tmp_path):
    start = SEED.index('        <prefixDef ident="doc"')
    end = SEED.index("</prefixDef>", start) + len("</prefixDef>\n")
    problems = check(validator, tmp_path, SEED[:start] + SEED[end:])
    assert any("prefix 'doc' is not declared" in p for p in problems)


def test_file_name_id_and_idno_must_agree(validator, tmp_path):
    (tmp_path / "documents").mkdir()
    problems = check(validator, tmp_path / "documents", SEED, name="another-name")
    assert any("file name says 'another-name'" in p for p in problems)
    mismatched = SEED.replace(
        f'<idno type="archive">{SEED_ID}</idno>', '<idno type="archive">other-id</idno>'
    )
    problems = check(validator, tmp_path, mismatched)
    assert any("idno type=\"archive\" is 'other-id'" in p for p in problems)


def test_not_before_later_than_not_after_is_refused(validator, tmp_path):
    text = SEED.replace(
        '<date type="issued" when="2021-03-25" cert="medium" evidence="external">',
        '<date type="issued" notBefore="2021-04-01" notAfter="2021-03-25">',
    )
    problems = check(validator, tmp_path, text)
    assert [p for p in problems if "@notBefore=2021-04-01 is later than @notAfter=2021-03-25" in p]


def test_from_later_than_to_is_refused(validator, tmp_path):
    text = SEED.replace('from="2020-09-27" to="2020-11-10"', 'from="2020-11-27" to="2020-11-10"')
    problems = check(validator, tmp_path, text)
    line = line_of(text, 'from="2020-11-27"')
    assert problems == [
        f"{tmp_path}/{SEED_ID}.xml:{line}: @from=2020-11-27 is later than @to=2020-11-10"
    ]


def test_impossible_calendar_date_is_refused(validator, tmp_path):
    text = SEED.replace('<date when="2020-11-10">November', '<date when="2020-02-30">November')
    problems = check(validator, tmp_path, text)
    assert any("'2020-02-30': day is out of range for month" in p for p in problems)


def test_signatory_without_person_reference_is_refused(validator, tmp_path):
    text = SEED.replace(
        '<persName ref="person:umud-mirzayev">Umud Mirzayev</persName>\n            <affiliation>',
        "<persName>Umud Mirzayev</persName>\n            <affiliation>",
    )
    problems = check(validator, tmp_path, text)
    assert problems and all(f":{line_of(text, '<persName>Umud')}:" in p for p in problems)


def test_document_type_outside_the_closed_list(validator, tmp_path):
    text = SEED.replace("<term>appeal</term>", "<term>manifesto</term>")
    problems = check(validator, tmp_path, text)
    assert len(problems) == 1
    assert "document type 'manifesto' is not one of: appeal, statement" in problems[0]


def test_missing_required_header_part_is_named(validator, tmp_path):
    start = SEED.index("      <langUsage>")
    end = SEED.index("</langUsage>") + len("</langUsage>\n")
    text = SEED[:start] + SEED[end:]
    problems = check(validator, tmp_path, text)
    line = line_of(text, "<profileDesc>")
    expected = (
        f"{tmp_path}/{SEED_ID}.xml:{line}: profileDesc lacks the language (langUsage/language)"
    )
    assert expected in problems


def test_revision_numbers_must_run_without_gaps(validator, tmp_path):
    text = SEED.replace('<change when="2026-11-26" n="1">', '<change when="2026-11-26" n="2">')
    assert any('expected change n="1"' in p for p in check(validator, tmp_path, text))


def test_missing_file_and_mixed_folder(validator, tmp_path):
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / f"{SEED_ID}.xml").write_text(SEED, encoding="utf-8")
    (tmp_path / "good" / "notes.xml").write_bytes(b"this is not xml")
    (tmp_path / "good" / "README.txt").write_text("ignored: not .xml")
    before = snapshot(tmp_path)
    report = validator.validate_paths([tmp_path / "good", tmp_path / "missing.xml"])
    assert [str(p) for p in report.problems] == [
        f"{tmp_path}/good/notes.xml:1: malformed XML: Start tag expected, '<' not found (column 1)",
        f"{tmp_path}/missing.xml: no such file",
    ]
    assert snapshot(tmp_path) == before


def test_authority_register_with_dangling_member(validator, tmp_path):
    text = (FIXTURE_CORPUS / "authority" / "treaties.xml").read_text(encoding="utf-8")
    text = text.replace('target="#gc-1949"/>', 'target="#gc-1948"/>', 1)
    path = tmp_path / "treaties.xml"
    path.write_text(text, encoding="utf-8")
    problems = [str(p) for p in validator.validate_file(path)]
    assert problems == [
        f"{path}:{line_of(text, '#gc-1948')}: memberOf target #gc-1948 is not a record of this register"
    ]


def test_authority_register_with_duplicate_id(validator, tmp_path):
    text = (FIXTURE_CORPUS / "authority" / "treaties.xml").read_text(encoding="utf-8")
    text = text.replace('xml:id="ccm-2008"', 'xml:id="cwc-1993"')
    path = tmp_path / "treaties.xml"
    path.write_text(text, encoding="utf-8")
    problems = [str(p) for p in validator.validate_file(path)]
    assert len(problems) == 1
    line = text[: text.rindex('xml:id="cwc-1993"')].count("\n") + 1  # the second, duplicate one
    assert problems[0].startswith(f"{path}:{line}: malformed XML: ID cwc-1993 already defined")


def test_a_draft_outside_the_corpus_may_have_any_file_name(validator, tmp_path):
    assert check(validator, tmp_path, SEED, name="draft") == []


def test_a_change_without_n_is_reported_as_such_not_as_a_bad_date(validator, tmp_path):
    broken = SEED.replace('<change when="2026-11-26" n="1">', '<change when="2026-11-26">')
    assert broken != SEED
    problems = check(validator, tmp_path, broken)
    assert any("<change> lacks the required attribute @n" in p for p in problems), problems
    assert not any("expected an ISO date" in p for p in problems), problems


def test_a_bad_date_on_a_change_is_still_named(validator, tmp_path):
    broken = SEED.replace('<change when="2026-11-26" n="1">', '<change when="26.11.2026" n="1">')
    problems = check(validator, tmp_path, broken)
    assert any("@when='26.11.2026'" in p for p in problems), problems
