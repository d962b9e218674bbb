"""`archive index`, `archive search` and `archive stats`: output, JSON, and bad input on
stderr with exit 2, never a traceback."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.config import Config
from archive.search.index import INDEX_FORMAT, current_generation, generation_format
from tests.conftest import FIXTURE_DOCUMENTS, SEED_ID, copy_document, store_edit


def run(config: Config, *args: str):
    return CliRunner().invoke(main, config.arguments(*args))


def test_index_then_search_prints_hits_snippets_and_facets(corpus_copy: Config):
    result = run(corpus_copy, "index")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"index rebuilt: {FIXTURE_DOCUMENTS} added")
    result = run(corpus_copy, "search", "mine maps")
    assert result.exit_code == 0, result.output
    # "mine" also finds the petition on "maps of minefields" (archive/search/synonyms.toml).
    assert "5 documents for 'mine maps'" in result.stdout
    assert "'mine' also found as: minefield, landmine, APM" in result.stdout
    exact = run(corpus_copy, "search", "mine maps", "--exact")
    assert "4 documents for 'mine maps'" in exact.stdout
    assert "also found as" not in exact.stdout
    assert f"   {SEED_ID} · appeal · 25 March 2021 (uncertain)" in result.stdout
    assert "*maps*" in result.stdout
    assert "Treaties: Additional Protocols of 1977 (1) [Additional Protocol I (1)" in result.stdout


def test_search_builds_a_missing_index_first(corpus_copy: Config):
    result = run(corpus_copy, "search", "signatory:Mirzayev", "--json")
    assert result.exit_code == 0, result.output
    assert "building the search index first" in result.stderr
    data = json.loads(result.stdout)
    assert {h["id"] for h in data["hits"]} == {SEED_ID, "petition-minefield-maps-2021"}


def test_search_rebuilds_an_index_of_an_older_format_first(corpus_copy: Config):
    assert run(corpus_copy, "index").exit_code == 0
    folder = current_generation(corpus_copy.index_dir)
    (folder / "format.json").write_text(json.dumps({"format": INDEX_FORMAT - 1}))
    result = run(corpus_copy, "search", "mine maps")
    assert result.exit_code == 0, result.output
    assert "building the search index first" in result.stderr
    assert "5 documents for 'mine maps'" in result.stdout
    assert generation_format(current_generation(corpus_copy.index_dir)) == INDEX_FORMAT


def test_search_json_with_filters_excludes_sort_and_page(corpus_copy: Config):
    run(corpus_copy, "index")
    result = run(
        corpus_copy,
        "search",
        "--filter",
        "type=appeal",
        "--filter",
        "type=petition",
        "--exclude",
        "year=2023",
        "--sort",
        "date",
        "--size",
        "1",
        "--page",
        "2",
        "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["total"], data["pages"], data["page"]) == (2, 2, 2)
    assert [h["id"] for h in data["hits"]] == [SEED_ID]
    assert data["request"]["filters"] == {"type": ["appeal", "petition"]}
    types = {v["value"]: v for v in data["facets"]["type"]}
    assert types["appeal"]["selected"] and types["petition"]["selected"]


def test_archive_index_picks_up_added_changed_and_removed_files(corpus_copy: Config):
    run(corpus_copy, "index")
    copy_document(
        corpus_copy,
        SEED_ID,
        "ngo-appeal-wombat-2022",
        {"maps of mined areas</title>": "wombats</title>"},
    )
    store_edit(corpus_copy, SEED_ID, "tranquility", "serenity")
    (corpus_copy.documents_dir / "bonn-declaration-mine-maps-2021.xml").unlink()
    result = run(corpus_copy, "index")
    assert result.stdout.startswith(
        f"index updated: 1 added, 1 changed, 1 removed, {FIXTURE_DOCUMENTS - 2} unchanged"
    )

    def found(query: str) -> list[str]:
        return [
            h["id"] for h in json.loads(run(corpus_copy, "search", query, "--json").stdout)["hits"]
        ]

    assert found("wombats") == ["ngo-appeal-wombat-2022"]
    assert found("serenity") == [SEED_ID]
    assert found("tranquility") == ["ngo-appeal-wombat-2022"]
    assert "bonn-declaration-mine-maps-2021" not in found("mine maps")


def test_stats_reports_corpus_and_index(corpus_copy: Config):
    result = run(corpus_copy, "stats")
    assert "none yet: run `archive index`" in result.stdout
    run(corpus_copy, "index")
    result = run(corpus_copy, "stats")
    assert result.exit_code == 0, result.output
    assert (
        f"{FIXTURE_DOCUMENTS} documents" in result.stdout
        and "up to date with the corpus" in result.stdout
    )
    assert "appeal 2" in next(
        line for line in result.stdout.splitlines() if line.startswith("Types:")
    )
    data = json.loads(run(corpus_copy, "stats", "--json").stdout)
    assert data["index"]["documents"] == FIXTURE_DOCUMENTS and data["corpus"]["treaties"] == 35


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", 'treaty:"Protocol II"'], "ambiguous: it may mean ap-1977-ii"),
        (["search", "colour:red"], "unknown field 'colour'"),
        (["search", "(mine"], "unclosed parenthesis"),
        (["search", "mine", "--page", "-3"], "page: '-3' is not a positive whole number"),
        (["search", "mine", "--page", "99999999"], "page:"),
        (["search", "mine", "--filter", "treaty"], "write FIELD=VALUE"),
        (["search", "mine", "--filter", "colour=red"], "unknown field 'colour'"),
        (["search", "mine", "--exclude", "treaty=Nobody Atall"], "unknown treaty"),
        (["search", "mine", "--from", "2021-02-30"], "from:"),
    ],
)
def test_bad_input_is_one_line_on_stderr_with_exit_2(indexed_config: Config, args, message):
    result = run(indexed_config, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_a_word_only_withdrawn_documents_held_is_not_corrected(corpus_copy):
    withdrawn = run(corpus_copy, "withdraw", "bonn-declaration-mine-maps-2021", "--reason", "test")
    assert withdrawn.exit_code == 0, withdrawn.output
    result = run(corpus_copy, "search", "Bonn", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"] == 0
    assert data["suggestion"] is None  # it was "been"


def test_a_page_past_the_last_says_so(corpus_copy):
    result = run(corpus_copy, "search", "mine", "--page", "5")
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert "page 5 is past the last page, 1;" in first
    assert "page 5 of 1" not in result.stdout


def test_a_name_no_register_holds_is_0_documents_with_a_note(indexed_config: Config):
    result = run(indexed_config, "search", "signatory:Smith")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("0 documents for 'signatory:Smith'")
    assert "note: signatory:Smith: no person of the registers is called 'Smith'" in result.stdout
    data = json.loads(run(indexed_config, "search", "--filter", "org=Nobody", "--json").stdout)
    assert data["total"] == 0 and "no organisation of the registers" in data["notes"][0]
