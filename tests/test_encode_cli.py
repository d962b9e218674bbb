"""`archive encode`: the draft on stdout or in a file, the report on stderr or as JSON, and
bad input refused with the file named, a non-zero exit and nothing written."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from archive.cli import main
from tests.conftest import snapshot

LETTER = """Open letter on mine clearance

Baku, 4 September 2023

Dear Secretary-General,

We ask the United Nations to remind the parties of the 1949 Geneva Conventions.

Sincerely,

Rey Kerimoglu, Chairman of the Mine Victims Association
"""


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def letter(tmp_path):
    path = tmp_path / "letter.txt"
    path.write_text(LETTER, encoding="utf-8")
    return path


def test_draft_to_stdout_and_readable_report_to_stderr(letter):
    result = run("encode", str(letter), "--id", "open-letter-mine-clearance")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<TEI")
    assert 'xml:id="open-letter-mine-clearance"' in result.stdout
    assert "archive encode:" in result.stderr
    assert f"{letter}:11:1: person “Rey Kerimoglu” -> person:rey-karimoglu" in result.stderr
    assert "valid against the project schema" in result.stderr


def test_draft_to_a_file_and_report_as_json(letter, tmp_path):
    out, report = tmp_path / "open-letter-mine-clearance.xml", tmp_path / "report.json"
    result = run(
        "encode", str(letter), "--id", "open-letter-mine-clearance", "--type", "open-letter",
        "--source", "https://example.org/letter", "-o", str(out), "--report", str(report),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr == ""
    assert out.read_bytes().startswith(b"<?xml")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["valid"] is True and data["id"] == "open-letter-mine-clearance"
    assert data["signatories"][0]["person"] == "person:rey-karimoglu"
    treaty = next(d for d in data["detections"] if d["kind"] == "treaty")
    assert (treaty["ref"], treaty["line"], treaty["column"]) == ("treaty:gc-1949", 7, 52)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "letter.txt", "open-letter-mine-clearance.xml", "report.json",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file, not text"),
        ("Appel du Comité".encode("latin-1"), "not UTF-8"),
    ],
)
def test_bad_text_exits_non_zero_naming_the_file_and_writes_nothing(tmp_path, data, message):
    source = tmp_path / "statement.txt"
    source.write_bytes(data)
    before = snapshot(tmp_path)
    result = run(
        "encode",
        str(source),
        "-o",
        str(tmp_path / "draft.xml"),
        "--report",
        str(tmp_path / "r.json"),
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{source}:") and message in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    assert snapshot(tmp_path) == before


def test_missing_file_is_an_error_naming_it(tmp_path):
    result = run("encode", str(tmp_path / "nowhere.txt"))
    assert result.exit_code == 1
    assert result.stderr == f"{tmp_path / 'nowhere.txt'}: no such file\n"


@pytest.mark.parametrize("target", ["missing-folder/draft.xml", "a-folder"])
def test_unwritable_output_is_an_error_and_nothing_is_written(letter, tmp_path, target):
    (tmp_path / "a-folder").mkdir()
    before = snapshot(tmp_path)
    report = tmp_path / "report.json"
    result = run("encode", str(letter), "--report", str(report), "-o", str(tmp_path / target))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{tmp_path / target}: ")
    assert "Traceback" not in result.output
    assert snapshot(tmp_path) == before
    assert not report.exists()


def test_bad_options_are_refused(letter):
    assert run("encode", str(letter), "--id", "Bad Id").exit_code == 2
    assert run("encode", str(letter), "--date", "someday").exit_code == 2
    assert run("encode", str(letter), "--source", "not a url").exit_code == 2
    assert run("encode", str(letter), "--type", "poem").exit_code == 2
