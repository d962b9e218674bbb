"""Every page the web UI serves is valid HTML by the Nu HTML Checker (vnu), the W3C's own.

The pages come from the real app over a corpus with every page type (tests/page_types.py):
each type listed there, and beyond them every document, every version and every register
record of the bundled corpus. All are saved to a folder and checked by one run of vnu.jar
(one JVM start, ~3 s, rather than one per page). Errors fail the test; warnings are printed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.page_types import PAGE_TYPES, TOOLS_MISSING, VNU_JAR, corpus_with_every_page_type
from webui import create_app

REGISTERS = {"treaties": "treaty", "people": "person", "organisations": "org", "places": "place"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    config = corpus_with_every_page_type(tmp_path_factory.mktemp("pages"))
    return create_app(config, testing=True).test_client()


def every_page(client) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    """The page types, then every document version and every register record."""
    pages = list(PAGE_TYPES)
    search = client.get("/search.json?size=100").get_json()
    for hit in search["hits"]:
        document = client.get(f"/doc/{hit['id']}.json").get_json()
        pages += [
            (f"{hit['id']} v{v['n']}", f"/doc/{hit['id']}/v{v['n']}", 200)
            for v in document["versions"]
        ]
    for register, kind in REGISTERS.items():
        for record in client.get(f"/{register}.json").get_json()["records"]:
            pages.append((f"{kind} {record['id']}", f"/{kind}/{record['id']}", 200))
    return pages


def vnu(files: list[Path]) -> list[dict]:
    """vnu's messages on `files` (one JVM for all)."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("java is missing: install default-jre-headless (scripts/test does)")
    if not VNU_JAR.exists():
        pytest.skip(f"{VNU_JAR} is missing: {TOOLS_MISSING}")
    run = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--format", "json", "--skip-non-html", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # vnu writes its report to stderr, and exits 1 when a document has errors.
    assert run.returncode in (0, 1), run.stderr[-2000:]
    return json.loads(run.stderr)["messages"]


def test_every_page_type_is_valid_html(client, tmp_path):
    pages = every_page(client)
    assert len(pages) > len(PAGE_TYPES) + 60  # the documents' versions and the records too
    files: dict[str, str] = {}
    for n, (what, path, status) in enumerate(pages):
        response = client.get(path)
        assert response.status_code == status, path
        assert response.mimetype == "text/html", path
        file = tmp_path / f"page-{n:03d}.html"
        file.write_bytes(response.data)
        files[file.name] = f"{what} ({path})"

    messages = vnu(sorted(tmp_path.glob("page-*.html")))

    def where(message: dict) -> str:
        url = message.get("url", "?")  # file:/tmp/.../page-000.html
        page = files.get(url.rsplit("/", 1)[-1], url)
        return f"{page}:{message.get('lastLine', '?')}: {message['message']}"

    for message in messages:
        if message["type"] != "error":
            print("vnu", message.get("subType", message["type"]), where(message))
    errors = [where(m) for m in messages if m["type"] == "error"]
    assert errors == [], "\n".join(errors)


def test_the_checker_finds_errors(tmp_path):
    """A page with the faults the archive's pages once had fails: the test above would see them."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!doctype html><html lang="en"><head><title>t</title></head><body>'
        '<div aria-label="Narrow">x</div><time>between 2020 and 2021</time></body></html>',
        encoding="utf-8",
    )
    errors = [m["message"] for m in vnu([page]) if m["type"] == "error"]
    assert any("aria-label" in e for e in errors) and any("time" in e for e in errors), errors
