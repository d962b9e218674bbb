"""bench/corpus_check.py: a catalogue record's abstract against its source text (invented
statements and texts; the record made by `archive catalogue` into a copy of the test corpus)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.config import Config
from bench import corpus_check

FACTS = """\
id = "ldu-appeal-orchards-2021-04-02"
type = "appeal"
lang = "en"
title = "Appeal on the Mined Orchards"
alt_titles = [{ text = "Our rendering of the title", lang = "en" }]
issuers = ["org:icrc"]
treaties = ["treaty:apmbc-1997", "treaty:cat-1984"]
summary = \"\"\"
[[org:icrc|The committee]] urges the clearance of orchards near [[place:barda|Barda]], citing
[[treaty:ccm-2008|the Convention on the Prohibition of the Use, Stockpiling and Transfer of
Cluster Munitions and on their Destruction as adopted in Dublin]]. SUMMARY_TAIL
\"\"\"
made = "Invented, for the tests."

[issued]
when = "2021-04-02"
evidence = "Invented."

[[sources]]
url = "https://example.org/appeal"
publisher = "Example"
kind = "original"
"""

SOURCE = """Appeal. The committee for the orchards. We ask that the orchards be cleared soon,
under the Convention on the Prohibition of the Use, Stockpiling and Transfer of Cluster Munitions
and on their Destruction as adopted in Dublin, and the Ottawa Treaty. We, the cat owners of the
valley, thank all who keep the paths of the valley open for the farmers and their families."""


@pytest.fixture
def record(corpus_copy: Config, tmp_path: Path):
    """A function making the record with `tail` ending its summary, and the folder of
    source texts holding SOURCE for it."""
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "ldu-appeal-orchards-2021-04-02.txt").write_text(SOURCE, encoding="utf-8")

    def make(tail: str) -> list[str]:
        facts = tmp_path / "facts.toml"
        facts.write_text(FACTS.replace("SUMMARY_TAIL", tail), encoding="utf-8")
        out = tmp_path / "record.xml"
        args = ["--corpus", str(corpus_copy.corpus)]
        made = CliRunner().invoke(main, [*args, "catalogue", str(facts), "-o", str(out)])
        assert made.exit_code == 0, made.output
        added = CliRunner().invoke(main, [*args, "add", str(out), "-m", "t"])
        assert added.exit_code == 0, added.output
        return [
            str(sources),
            "--corpus",
            str(corpus_copy.corpus),
            "--manifest",
            str(tmp_path / "m.jsonl"),
        ]

    return make


def test_a_clean_record_passes_and_the_manifest_records_its_text(record, capsys, tmp_path):
    args = record("It thanks those who keep the valley's paths open.")
    assert corpus_check.main([*args, "--write-manifest"]) == 0
    out = capsys.readouterr().out
    # "the paths of the valley open" is 6 words; the 25-word treaty title is a name, not copying.
    assert (
        "1 of " in out and "catalogue records checked against their source texts: 0 failed" in out
    )
    (entry,) = [json.loads(line) for line in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert entry["id"] == "ldu-appeal-orchards-2021-04-02" and entry["chars"] == len(SOURCE)
    assert entry["url"] == "https://example.org/appeal"
    # CAT is cited but "cat" is only a word of the text: listed for a hand check.
    assert "ldu-appeal-orchards-2021-04-02: cat-1984" in out
    assert "apmbc-1997" not in out.split("check by hand")[1].split("\n\n")[0]


def test_ten_shared_words_fail(record, capsys):
    args = record("It thanks all who keep the paths of the valley open for the farmers.")
    assert corpus_check.main([*args, "--write-manifest"]) == 1
    out = capsys.readouterr().out
    assert (
        "FAIL ldu-appeal-orchards-2021-04-02: shares a run of 12 words with its source text: "
        '"all who keep the paths of the valley open for the farmers"' in out
    )


def test_a_changed_source_text_fails_its_fixity(record, capsys, tmp_path):
    args = record("It thanks those who keep the valley's paths open.")
    assert corpus_check.main([*args, "--write-manifest"]) == 0
    text = tmp_path / "sources" / "ldu-appeal-orchards-2021-04-02.txt"
    text.write_text(SOURCE + " One more line.", encoding="utf-8")
    capsys.readouterr()
    assert corpus_check.main(args) == 1
    assert "is not the manifest's" in capsys.readouterr().out


def test_longest_shared_run_ignores_case_and_punctuation():
    ours = [corpus_check.words("Keep, the PATHS of the valley open!")]
    assert corpus_check.longest_shared_run(ours, corpus_check.words(SOURCE)) == [
        "keep", "the", "paths", "of", "the", "valley", "open",
    ]  # fmt: skip
