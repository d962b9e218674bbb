"""The archivist's workflow (issue 16): encode -> review -> register -> add, through the real
command line, on a copy of the corpus, with no hand edit of XML; then what the web shows.

The statement is made up for these tests: an invented women's union and invented signers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.config import Config
from archive.document import PLACEHOLDER_CHANGE, Registers, Validator
from archive.storage import Corpus
from tests.conftest import SEED_ID
from tests.conftest import snapshot as snapshot_with_lock

STATEMENT = """Appeal of the Lakeside Women's Union on mined fields

Baku, 12 May 2024

We appeal to the United Nations and the International Committee of the Red Cross to press for
the maps of the minefields laid near Fuzuli, as Additional Protocol II of 1977 requires.

The appeal was signed by Chairwoman of the Lakeside Women's Union Zarifa Nurlanova, Coordinator of the Mine Victims Association Rey Karimoglu and Director of the Orchard Widows Fund Samira Tofiqova.
"""
DOC_ID = "lakeside-appeal-2024-05-12"


def snapshot(folder: Path) -> dict[str, bytes]:
    """The corpus's files, but the lock file (a writer creates it, empty, to take the lock)."""
    files = snapshot_with_lock(folder)
    files.pop(".lock", None)
    return files


def run(config: Config, *args: str):
    return CliRunner().invoke(main, config.arguments(*args))


@pytest.fixture
def draft(corpus_copy: Config, tmp_path: Path) -> Path:
    """A draft as `archive encode` writes it, under a name that is not its id."""
    text = tmp_path / "statement.txt"
    text.write_text(STATEMENT, encoding="utf-8")
    out = tmp_path / "draft.xml"
    result = run(
        corpus_copy, "encode", str(text), "--id", DOC_ID, "--source",
        "https://example.org/lakeside", "-o", str(out), "--report", str(tmp_path / "r.json"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_the_draft_carries_its_review_points_and_proposals(draft, corpus_copy):
    data = draft.read_text(encoding="utf-8")
    assert '<standOff type="review">' in data
    assert 'subtype="unknown-person"' in data and 'corresp="person:zarifa-nurlanova"' in data
    assert '<listPerson type="proposed">' in data and 'xml:id="zarifa-nurlanova"' in data
    # The draft is still valid but for the records it proposes, whatever its file is called.
    problems = Validator(corpus_copy, set()).validate_file(draft)
    assert problems and all("does not resolve" in p.message for p in problems)


def test_the_draft_with_its_review_part_is_valid_tei(draft, tei_all):
    from lxml import etree

    assert tei_all.validate(etree.parse(str(draft))), tei_all.error_log


def test_add_refuses_a_draft_naming_each_point_and_changes_nothing(draft, corpus_copy):
    before = snapshot(corpus_copy.corpus)
    result = run(corpus_copy, "add", str(draft))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    err = result.stderr
    assert f"{draft}:" in err
    assert "proposes person:zarifa-nurlanova (Zarifa Nurlanova), which persons.xml lacks" in err
    assert "proposes org:orchard-widows-fund" in err
    assert "the change note is still the encoder's placeholder" in err
    assert snapshot(corpus_copy.corpus) == before


def test_accept_needs_a_message_of_ones_own(draft, corpus_copy):
    result = run(corpus_copy, "add", str(draft), "--with-proposals", "--accept")
    assert result.exit_code == 1
    assert "accepting a draft needs a change message of your own (-m)" in result.stderr


def test_review_shows_the_points_one_by_one(draft, corpus_copy):
    result = run(corpus_copy, "review", str(draft))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "[1/" in out and "unknown-person (waits for its record)" in out
    assert f"{draft}:" in out and "Zarifa Nurlanova" in out  # where the draft names her
    assert f"`archive register add {draft}`" in out
    data = json.loads(run(corpus_copy, "review", str(draft), "--json").stdout)
    assert data["id"] == DOC_ID and not data["ready"]
    assert "person:zarifa-nurlanova" in data["missing_records"]


def test_register_then_add_publishes_under_the_id_of_the_tei(draft, corpus_copy):
    result = run(corpus_copy, "register", "add", str(draft))
    assert result.exit_code == 0, result.output
    assert "person register: version 2, added zarifa-nurlanova, samira-tofiqova" in result.stdout
    registers = Registers.load(corpus_copy.authority_dir)
    assert registers.persons.get("zarifa-nurlanova").name == "Zarifa Nurlanova"
    # Settled: the review lists them as such, and add asks only for the change message.
    review = json.loads(run(corpus_copy, "review", str(draft), "--json").stdout)
    assert review["missing_records"] == [] and review["ready"] is False
    refused = run(corpus_copy, "add", str(draft))
    assert refused.exit_code == 1 and "placeholder" in refused.stderr
    assert "proposes" not in refused.stderr
    result = run(corpus_copy, "add", str(draft), "-m", "Reviewed against the union's site.")
    assert result.exit_code == 0, result.output
    assert f"{DOC_ID}: added (version 1)" in result.stdout
    stored = (corpus_copy.documents_dir / f"{DOC_ID}.xml").read_text(encoding="utf-8")
    assert "<standOff" not in stored and PLACEHOLDER_CHANGE not in stored
    assert 'n="1">Reviewed against the union\'s site.</change>' in stored
    assert not (corpus_copy.documents_dir / "draft.xml").exists()
    searched = json.loads(run(corpus_copy, "search", "Nurlanova", "--json").stdout)
    assert [h["id"] for h in searched["hits"]] == [DOC_ID]
    assert run(corpus_copy, "validate").exit_code == 0


def test_add_with_proposals_and_accept_does_it_in_one_step(corpus_copy, tmp_path):
    text = tmp_path / "statement.txt"
    text.write_text(STATEMENT, encoding="utf-8")
    out = tmp_path / "any-name.xml"
    assert run(corpus_copy, "encode", str(text), "-o", str(out)).exit_code == 0
    result = run(corpus_copy, "add", str(out), "--with-proposals")
    assert result.exit_code == 1
    assert "open review point proposed-id" in result.stderr
    assert "--accept -m MESSAGE" in result.stderr
    message = "Reviewed; id and source confirmed by the editors."
    result = run(corpus_copy, "add", str(out), "--with-proposals", "--accept", "-m", message)
    assert result.exit_code == 0, result.output
    assert "org register: version 2, added" in result.stdout
    assert ": added (version 1)" in result.stdout
    assert run(corpus_copy, "validate").exit_code == 0


def test_a_failed_document_change_takes_the_proposed_records_back(draft, corpus_copy, tmp_path):
    before = snapshot(corpus_copy.corpus)
    holder = tmp_path / "holder.xml"
    # Another file in the same batch that is invalid: nothing at all may be written.
    seed = Corpus(corpus_copy).read_bytes(SEED_ID).decode("utf-8")
    holder.write_text(seed.replace('ref="place:barda"', 'ref="place:nowhere"'), encoding="utf-8")
    result = run(corpus_copy, "add", str(draft), str(holder), "--with-proposals", "-m", "x")
    assert result.exit_code == 1
    assert "place:nowhere does not resolve" in result.stderr
    assert snapshot(corpus_copy.corpus) == before


def test_register_records_from_toml_and_json(corpus_copy, tmp_path):
    toml = tmp_path / "person.toml"
    toml.write_text(
        'kind = "person"\nid = "kamala-rustamli"\nname = "Kamala Rustamli"\n'
        'variants = ["Kamala Rustamly"]\nrole = "Secretary"\norg = "anama"\n',
        encoding="utf-8",
    )
    jsonfile = tmp_path / "places.json"
    jsonfile.write_text(
        json.dumps(
            [
                {
                    "kind": "place",
                    "id": "lakeside",
                    "name": "Lakeside",
                    "type": "town",
                    "geo": "40.1 47.2",
                    "within": "azerbaijan",
                }
            ]
        ),
        encoding="utf-8",
    )
    result = run(corpus_copy, "register", "add", str(toml), str(jsonfile), "-m", "New records.")
    assert result.exit_code == 0, result.output
    registers = Registers.load(corpus_copy.authority_dir)
    person = registers.persons.get("kamala-rustamli")
    assert person.variants == ("Kamala Rustamly",) and person.affiliations[0].org_id == "anama"
    assert registers.places.get("lakeside").parent == "azerbaijan"
    shown = run(corpus_copy, "register", "show", "person", "kamala-rustamli")
    assert "Kamala Rustamli [person:kamala-rustamli]" in shown.stdout
    assert "persons.xml version 2" in shown.stdout and "New records." in shown.stdout
    listed = run(corpus_copy, "register", "list", "place")
    assert "lakeside" in listed.stdout and "Lakeside" in listed.stdout
    assert run(corpus_copy, "validate").exit_code == 0


def test_a_place_without_coordinates_keeps_what_it_lies_within(corpus_copy, tmp_path):
    places = tmp_path / "places.toml"
    places.write_text(
        '[[record]]\nkind = "place"\nid = "lakeside-district"\nname = "Lakeside District"\n'
        'type = "district"\nwithin = "azerbaijan"\n\n'
        '[[record]]\nkind = "place"\nid = "upper-orchard"\nname = "Upper Orchard"\n'
        'type = "village"\nwithin = "lakeside-district"\n',
        encoding="utf-8",
    )
    result = run(corpus_copy, "register", "add", str(places), "-m", "Invented places.")
    assert result.exit_code == 0, result.output
    registers = Registers.load(corpus_copy.authority_dir)
    village = registers.places.get("upper-orchard")
    assert (village.category, village.parent, village.latitude) == (
        "village",
        "lakeside-district",
        None,
    )
    assert registers.places.get("lakeside-district").parent == "azerbaijan"
    assert run(corpus_copy, "validate").exit_code == 0


def test_an_invalid_record_is_refused_with_its_file_and_nothing_changes(corpus_copy, tmp_path):
    before = snapshot(corpus_copy.corpus)
    bad = tmp_path / "place.toml"
    bad.write_text('kind = "place"\nid = "nowhere"\nname = "Nowhere"\n', encoding="utf-8")
    result = run(corpus_copy, "register", "add", str(bad))
    assert result.exit_code == 1
    assert "places.xml" in result.stderr and "lacks the required attribute @type" in result.stderr
    taken = tmp_path / "taken.toml"
    taken.write_text('kind = "org"\nid = "anama"\nname = "Another"\n', encoding="utf-8")
    result = run(corpus_copy, "register", "add", str(taken))
    assert result.exit_code == 1 and "org 'anama' is already in organisations.xml" in result.stderr
    assert "Traceback" not in result.output
    assert snapshot(corpus_copy.corpus) == before


def test_edit_keeps_the_old_name_and_records_the_history(corpus_copy):
    result = run(
        corpus_copy, "register", "edit", "person", "rey-karimoglu", "--name", "Rey Kerimoğlu",
        "--variant", "Rey Karimoglou", "--idno", "wikidata=Q000001", "-m", "Spelling of his own site.",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    person = Registers.load(corpus_copy.authority_dir).persons.get("rey-karimoglu")
    assert person.name == "Rey Kerimoğlu"
    assert "Rey Karimoglu" in person.variants and "Rey Karimoglou" in person.variants
    assert ("wikidata", "Q000001") in person.external_ids
    history = json.loads(
        run(corpus_copy, "register", "show", "person", "rey-karimoglu", "--json").stdout
    )["history"]
    assert [v["version"] for v in history] == [1, 2]
    assert "Rey Karimoglu" in history[0]["tei"] and "Rey Kerimoğlu" in history[1]["tei"]
    # The register file says what happened to it, and keeps every version.
    persons = (corpus_copy.authority_dir / "persons.xml").read_text(encoding="utf-8")
    assert 'n="2">Spelling of his own site.</change>' in persons
    kept = corpus_copy.corpus / "authority-history" / "persons"
    assert sorted(p.name for p in kept.iterdir()) == ["1.xml", "2.xml"]


def test_merge_rewrites_citing_documents_and_the_old_id_keeps_answering(corpus_copy, tmp_path):
    toml = tmp_path / "dup.toml"
    toml.write_text(
        'kind = "person"\nid = "umud-mirzaev"\nname = "Umud Mirzaev (as spelt by a wire)"\n',
        encoding="utf-8",
    )
    assert run(corpus_copy, "register", "add", str(toml)).exit_code == 0
    # A document that cites the duplicate, added before anyone noticed.
    seed = Corpus(corpus_copy).read_bytes(SEED_ID).decode("utf-8")
    revised = tmp_path / "seed.xml"
    revised.write_text(seed.replace("person:umud-mirzayev", "person:umud-mirzaev"), "utf-8")
    assert run(corpus_copy, "add", "--revise", str(revised), "-m", "Wire spelling.").exit_code == 0
    old_version = Corpus(corpus_copy).read_version(SEED_ID, 2)
    result = run(
        corpus_copy, "register", "merge", "person", "umud-mirzaev", "umud-mirzayev",
        "-m", "The same person.",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"{SEED_ID}: revised (version 3)" in result.stdout
    current = Corpus(corpus_copy).read_bytes(SEED_ID).decode("utf-8")
    assert 'ref="person:umud-mirzaev"' not in current and 'ref="person:umud-mirzayev"' in current
    assert "Points to person:umud-mirzayev: person:umud-mirzaev was merged into it" in current
    assert Corpus(corpus_copy).read_version(SEED_ID, 2) == old_version  # history untouched
    registers = Registers.load(corpus_copy.authority_dir)
    assert "umud-mirzaev" not in registers.persons
    assert registers.persons.current_id("umud-mirzaev") == "umud-mirzayev"
    assert "Umud Mirzaev (as spelt by a wire)" in registers.persons.get("umud-mirzayev").variants
    # Version 2 still cites the old id, and still validates.
    assert run(corpus_copy, "validate").exit_code == 0
    from webui import create_app

    client = create_app(corpus_copy, testing=True).test_client()
    response = client.get("/person/umud-mirzaev?page=1")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/person/umud-mirzayev?page=1")
    assert (
        client.get("/person/umud-mirzaev.json")
        .headers["Location"]
        .endswith("/person/umud-mirzayev.json")
    )
    assert client.get("/person/nobody-at-all").status_code == 404


def test_rename_keeps_the_old_id_resolving(corpus_copy):
    result = run(
        corpus_copy, "register", "edit", "org", "dayag", "--rename", "dayag-ngo",
        "-m", "Id as the NGO spells itself.",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    registers = Registers.load(corpus_copy.authority_dir)
    assert registers.organisations.current_id("dayag") == "dayag-ngo"
    persons = (corpus_copy.authority_dir / "persons.xml").read_text(encoding="utf-8")
    assert 'ref="org:dayag-ngo"' in persons and 'ref="org:dayag"' not in persons
    for doc_id in Corpus(corpus_copy).ids():
        assert 'org:dayag"' not in Corpus(corpus_copy).read_bytes(doc_id).decode("utf-8")
    assert run(corpus_copy, "validate").exit_code == 0
    shown = run(corpus_copy, "register", "show", "org", "dayag")
    assert shown.exit_code == 0 and "[org:dayag-ngo]" in shown.stdout


def test_a_register_change_that_fails_midway_is_rolled_back(corpus_copy, tmp_path, monkeypatch):
    from archive.storage import registers as register_storage

    before = snapshot(corpus_copy.corpus)
    toml = tmp_path / "p.toml"
    toml.write_text('kind = "person"\nid = "new-person"\nname = "New Person"\n', "utf-8")
    real = register_storage.atomic_write
    calls = []

    def failing(path, data, **kwargs):  # type: ignore[no-untyped-def]
        if path.name == "persons.xml" and path.parent.name == "authority" and not calls:
            calls.append(path)
            raise OSError("disk full")  # once: the roll-back's own write of it succeeds
        return real(path, data, **kwargs)

    monkeypatch.setattr(register_storage, "atomic_write", failing)
    with pytest.raises(OSError):
        from archive.document import read_records
        from archive.storage import RegisterFile, change_registers

        register = RegisterFile(corpus_copy, "person")
        register.add(read_records(toml)[0][1])
        change_registers(corpus_copy, [register], "x")
    monkeypatch.setattr(register_storage, "atomic_write", real)
    assert snapshot(corpus_copy.corpus) == before


def test_documents_copied_elsewhere_keep_their_name_rule(corpus_copy):
    # In documents/ the file name is still the id: a misnamed copy there is reported.
    shutil.copy(
        corpus_copy.documents_dir / f"{SEED_ID}.xml", corpus_copy.documents_dir / "misnamed.xml"
    )
    result = run(corpus_copy, "validate", str(corpus_copy.documents_dir / "misnamed.xml"))
    assert result.exit_code == 1 and "file name says 'misnamed'" in result.stderr


# --- what the web shows of the workflow's results ---------------------------------------


def test_results_mark_catalogue_records(indexed_config):
    from webui import create_app

    client = create_app(indexed_config, testing=True).test_client()
    page = client.get("/?q=mine").get_data(as_text=True)
    hits = page.split('class="hit-title"')[1:]
    marked = {
        h.split('href="/doc/', 1)[1].split('"', 1)[0].split("?")[0]: "catalogue record, no text"
        in h
        for h in hits
    }
    assert marked[SEED_ID] is False  # the archive holds its text
    assert marked["ngo-appeal-mine-victims-2023-04-29"] is True
    data = client.get("/?q=mine", headers={"Accept": "application/json"}).get_json()
    flags = {h["id"]: h["catalogue_record"] for h in data["hits"]}
    assert flags[SEED_ID] is False and flags["ngo-appeal-mine-victims-2023-04-29"] is True
    record = client.get("/doc/ngo-appeal-mine-victims-2023-04-29").get_data(as_text=True)
    assert "catalogue record" in record and "The archive holds no text of this document" in record


def test_a_document_without_a_source_says_so_in_words(corpus_copy, tmp_path):
    from webui import create_app

    text = tmp_path / "statement.txt"
    text.write_text(STATEMENT, encoding="utf-8")
    draft = tmp_path / "draft.xml"
    assert run(corpus_copy, "encode", str(text), "--id", DOC_ID, "-o", str(draft)).exit_code == 0
    added = run(corpus_copy, "add", str(draft), "--with-proposals", "--accept", "-m", "Reviewed.")
    assert added.exit_code == 0, added.output
    page = create_app(corpus_copy, testing=True).test_client().get(f"/doc/{DOC_ID}")
    html = page.get_data(as_text=True)
    source = html.split("<dt>Source</dt>", 1)[1].split("</dd>", 1)[0]
    assert "Not recorded" in source and "None" not in source
    shown = run(corpus_copy, "show", DOC_ID)
    assert "Source:       not recorded" in shown.stdout


def test_version_dates_have_one_format(corpus_copy, tmp_path):
    from archive import storage
    from webui import create_app

    seed = Corpus(corpus_copy).read_bytes(SEED_ID).decode("utf-8")
    path = tmp_path / "seed.xml"
    path.write_text(seed.replace("ecological catastrophe", "ecological disaster"), "utf-8")
    storage.add(
        corpus_copy, [path], revise=True, message="Second reading.", now="2026-11-27T10:00:00Z"
    )
    html = create_app(corpus_copy, testing=True).test_client().get(f"/doc/{SEED_ID}")
    versions = html.get_data(as_text=True).split('class="versions"', 1)[1].split("</ol>", 1)[0]
    assert '<time datetime="2026-11-26">26 November 2026</time>' in versions
    assert '<time datetime="2026-11-27T10:00:00Z">27 November 2026</time>' in versions


def test_a_register_change_killed_midway_is_rolled_back_by_the_next_index(corpus_copy, tmp_path):
    """A kill after the history was written but before the register file: the journal is
    left, and `archive index` rolls the change back."""
    import subprocess
    import sys

    before = snapshot(corpus_copy.corpus)
    toml = tmp_path / "p.toml"
    toml.write_text('kind = "person"\nid = "new-person"\nname = "New Person"\n', "utf-8")
    script = (
        "import os, signal, sys\n"
        "from archive.storage import registers\n"
        "real = registers.atomic_write\n"
        "def write(path, data, **kw):\n"
        "    if path.parent.name == 'authority':\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(path, data, **kw)\n"
        "registers.atomic_write = write\n"
        "from archive.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    killed = subprocess.run(
        [sys.executable, "-c", script, *corpus_copy.arguments("register", "add", str(toml))],
        capture_output=True,
    )
    assert killed.returncode == -9, killed.stderr.decode()
    assert (corpus_copy.corpus / ".registers-journal.json").exists()
    result = run(corpus_copy, "index")
    assert result.exit_code == 0, result.output
    assert "rolled back an unfinished change to the person register(s)" in result.stderr
    assert snapshot(corpus_copy.corpus) == before


def test_validate_finds_a_register_that_is_not_its_latest_version(corpus_copy, tmp_path):
    toml = tmp_path / "p.toml"
    toml.write_text('kind = "person"\nid = "new-person"\nname = "New Person"\n', "utf-8")
    assert run(corpus_copy, "register", "add", str(toml)).exit_code == 0
    persons = corpus_copy.authority_dir / "persons.xml"
    persons.write_text(persons.read_text("utf-8").replace("New Person", "Edited By Hand"), "utf-8")
    result = run(corpus_copy, "validate")
    assert result.exit_code == 1
    assert f"{persons}: differs from its latest version" in result.stderr


def test_the_served_archive_sees_register_changes_without_a_restart(corpus_copy, tmp_path):
    from webui import create_app

    assert run(corpus_copy, "index").exit_code == 0
    client = create_app(corpus_copy, testing=True).test_client()
    assert client.get("/person/kamala-rustamli").status_code == 404
    toml = tmp_path / "p.toml"
    toml.write_text('kind = "person"\nid = "kamala-rustamli"\nname = "Kamala Rustamli"\n', "utf-8")
    assert run(corpus_copy, "register", "add", str(toml)).exit_code == 0
    page = client.get("/person/kamala-rustamli")
    assert page.status_code == 200 and "Kamala Rustamli" in page.get_data(as_text=True)
    merged = run(
        corpus_copy, "register", "merge", "person", "kamala-rustamli", "umud-mirzayev", "-m", "x"
    )
    assert merged.exit_code == 0, merged.output
    assert client.get("/person/kamala-rustamli").status_code == 301


def test_register_add_of_a_draft_twice_skips_what_is_there(draft, corpus_copy, tmp_path):
    assert run(corpus_copy, "register", "add", str(draft)).exit_code == 0
    again = run(corpus_copy, "register", "add", str(draft))
    assert again.exit_code == 0, again.output
    assert "person:zarifa-nurlanova: already in its register, left as it is" in again.stderr
    # A record file, unlike a draft, means to add: a record already there is refused.
    xml = tmp_path / "records.xml"
    xml.write_text(
        '<listPerson><person xml:id="zarifa-nurlanova">'
        '<persName type="preferred">Zarifa N.</persName></person></listPerson>',
        encoding="utf-8",
    )
    refused = run(corpus_copy, "register", "add", str(xml))
    assert refused.exit_code == 1
    assert "person 'zarifa-nurlanova' is already in persons.xml" in refused.stderr
