"""The `archive` command: validate and show, with errors on stderr and honest exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from click.testing import CliRunner

from archive.cli import main
from tests.conftest import FIXTURE_CORPUS, FIXTURE_DOCUMENTS, SEED_ID, snapshot


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def test_validate_passes_on_the_test_corpus():
    result = run("validate", "--corpus", str(FIXTURE_CORPUS))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "8 documents, 8 stored versions, 4 registers: valid"


def test_validate_reports_path_line_message_and_exits_1(tmp_path):
    text = (FIXTURE_CORPUS / "documents" / f"{SEED_ID}.xml").read_text(encoding="utf-8")
    bad = tmp_path / f"{SEED_ID}.xml"
    bad.write_text(text.replace('ref="place:barda"', 'ref="place:bardaa"'), encoding="utf-8")
    result = run("validate", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:" in result.stderr and "place:bardaa does not resolve" in result.stderr
    assert "Traceback" not in result.output


def test_validate_of_hostile_file_exits_1_without_traceback(tmp_path):
    evil = tmp_path / "evil.xml"
    evil.write_bytes(
        b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    )
    before = snapshot(tmp_path)
    result = run("validate", str(evil))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{evil}:2: DOCTYPE declarations are not allowed")
    assert snapshot(tmp_path) == before


def test_validate_with_another_corpus_from_the_environment(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    (corpus / "documents" / "trilateral-statement-2020-11-10.xml").unlink()
    result = run("validate", env={"ARCHIVE_CORPUS": str(corpus)})
    assert result.exit_code == 1
    assert (
        "versions/trilateral-statement-2020-11-10: has versions but no current document"
        in result.stderr
    )
    shutil.rmtree(corpus / "versions" / "trilateral-statement-2020-11-10")
    result = run("validate", env={"ARCHIVE_CORPUS": str(corpus)})
    assert result.exit_code == 1
    assert "doc:trilateral-statement-2020-11-10 does not resolve" in result.stderr


def test_show_json_lists_the_five_signatories():
    result = run("show", SEED_ID, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [s["name"] for s in data["signatories"]] == [
        "Umud Mirzayev",
        "Rey Karimoglu",
        "Hafiz Safikhanov",
        "Shahin Ibrahimov",
        "Mammadhasan Hasanov",
    ]


def test_show_xml_prints_the_stored_bytes():
    result = CliRunner().invoke(main, ["--corpus", str(FIXTURE_CORPUS), "show", SEED_ID, "--xml"])
    assert result.stdout_bytes == (FIXTURE_CORPUS / "documents" / f"{SEED_ID}.xml").read_bytes()


def test_show_readable_names_treaties_and_signatories():
    result = run("show", SEED_ID)
    assert "Geneva Conventions 1949 [gc-1949]" in result.stdout
    assert (
        "1. Umud Mirzayev [umud-mirzayev] — President, International Eurasian Press Fund"
        in result.stdout
    )


def test_show_unknown_or_malformed_id_is_an_error_not_a_traceback():
    for doc_id in ("no-such-document", "../../etc/passwd"):
        result = run("show", doc_id)
        assert result.exit_code == 1
        assert result.stderr.startswith("error: no document")
        assert "Traceback" not in result.output


def test_installed_console_script_runs():
    archive = shutil.which("archive") or f"{sys.executable} -m archive"
    completed = subprocess.run(
        [*archive.split(), "validate"], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "archive", *args], capture_output=True, text=True, timeout=120
    )


def test_serve_on_a_port_in_use_says_so_and_suggests_another(tmp_path):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        for workers in ("1", "2"):
            result = _cli(
                "--instance", str(tmp_path / "instance"), "serve", "--port", str(port),
                "--workers", workers,
            )  # fmt: skip
            assert result.returncode == 1
            assert f"port {port} on 127.0.0.1 is in use by another program" in result.stderr
            assert "--port" in result.stderr
            assert "Traceback" not in result.stderr
            assert "Serving" not in result.stderr


def test_corpus_and_instance_are_accepted_after_the_command(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    (corpus / "documents" / "trilateral-statement-2020-11-10.xml").unlink()
    result = run("validate", "--corpus", str(corpus))
    assert result.exit_code == 1
    assert "has versions but no current document" in result.stderr
    result = run("--corpus", str(FIXTURE_CORPUS), "stats", "--corpus", str(corpus), "--json",
                 "--instance", str(tmp_path / "instance"))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["corpus"]["documents"] == FIXTURE_DOCUMENTS - 1
    assert (tmp_path / "instance").is_dir()


def test_show_refuses_json_and_xml_together():
    result = run("show", SEED_ID, "--json", "--xml")
    assert result.exit_code == 2
    assert "--json and --xml exclude each other" in result.stderr


def test_one_problem_is_one_problem(tmp_path):
    text = (FIXTURE_CORPUS / "documents" / f"{SEED_ID}.xml").read_text(encoding="utf-8")
    bad = tmp_path / "draft.xml"
    bad.write_text(text.replace('ref="place:barda"', 'ref="place:bardaa"', 1), encoding="utf-8")
    result = run("validate", str(bad))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "1 problem in 1 of 1 file"
