"""Issue 13, point 8: a damaged cache or index is detected and rebuilt (or the answer says
exactly what to run), never a traceback or a 500."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from archive.cli import main
from archive.search import current_index_folder, update_index
from tests.conftest import SEED_ID
from webui import create_app


def cli(config, *args):
    return CliRunner().invoke(main, config.arguments(*args))


def hits(config, query="mine"):
    result = cli(config, "search", query, "--json")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def indexed(corpus_copy):
    update_index(corpus_copy)
    client = create_app(corpus_copy, testing=True).test_client()
    assert client.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc").status_code == 200
    return corpus_copy


def test_a_corrupt_cache_is_started_again(indexed, tmp_path):
    (indexed.instance / "cache.sqlite").write_bytes(b"this is not a database " * 100)
    for suffix in ("-wal", "-shm"):
        (indexed.instance / f"cache.sqlite{suffix}").unlink(missing_ok=True)
    client = create_app(indexed, testing=True).test_client()
    assert client.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc").status_code == 200
    assert client.get(f"/doc/{SEED_ID}").status_code == 200
    result = cli(indexed, "index")
    assert result.exit_code == 0, result.output


def test_a_corrupt_index_manifest_is_rebuilt(indexed):
    folder = current_index_folder(indexed.index_dir)
    (folder / "manifest.sqlite").write_bytes(b"\x00garbage" * 500)
    result = cli(indexed, "index")
    assert result.exit_code == 0, result.output
    assert f'"id": "{SEED_ID}"' in hits(indexed)


def _toc(folder):
    [toc] = folder.glob("_MAIN_*.toc")
    return toc


def test_a_truncated_toc_answers_503_and_archive_index_rebuilds(indexed):
    folder = current_index_folder(indexed.index_dir)
    toc = _toc(folder)
    toc.write_bytes(toc.read_bytes()[:40])
    client = create_app(indexed, testing=True).test_client()
    page = client.get("/search.json?q=mine")
    assert page.status_code == 503
    assert "archive index" in page.json["error"]["message"]
    result = cli(indexed, "index")
    assert result.exit_code == 0, result.output
    assert "rebuilt because it was damaged" in result.output
    assert f'"id": "{SEED_ID}"' in hits(indexed)
    assert (
        create_app(indexed, testing=True).test_client().get("/search.json?q=mine").status_code
        == 200
    )


def test_a_damaged_segment_is_found_by_archive_index(indexed):
    folder = current_index_folder(indexed.index_dir)
    [segment] = folder.glob("*.seg")
    data = bytearray(segment.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64
    segment.write_bytes(bytes(data))
    result = cli(indexed, "index")
    assert result.exit_code == 0, result.output
    assert "rebuilt because it was damaged" in result.output
    assert "has changed since it was written" in result.output
    assert f'"id": "{SEED_ID}"' in hits(indexed)


def test_damage_met_in_the_middle_of_searching_answers_503_not_500(indexed):
    """The index opened fine, then a segment lost its end (a disk error, a bad copy): the
    search that reads there says what to run, and `archive index` repairs it."""
    client = create_app(indexed, testing=True).test_client()
    assert client.get("/search.json?q=appeal").status_code == 200  # the engine is open
    [segment] = current_index_folder(indexed.index_dir).glob("*.seg")
    segment.write_bytes(segment.read_bytes()[: segment.stat().st_size // 4])
    page = client.get("/search.json?q=mine")
    assert page.status_code == 503
    assert "archive index" in page.json["error"]["message"]
    assert client.get("/?q=mine").status_code == 503  # the HTML page too
    result = cli(indexed, "index")
    assert result.exit_code == 0, result.output
    assert "rebuilt because it was damaged" in result.output
    assert client.get("/search.json?q=mine").status_code == 200
