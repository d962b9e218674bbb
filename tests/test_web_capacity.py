"""Exports have capacity of their own, so slow readers of exports cannot take every thread
from searches (issue 13, point 7); errors carry the headers HTTP asks of them, and a
streamed export says it cannot serve ranges (point 9)."""

from __future__ import annotations

import http.client
import socket
import time

import pytest

from archive.search.indexing import update_index
from tests.conftest import FIXTURE_DOCUMENTS
from tests.serving import served
from tests.synthetic import make_corpus
from webui import create_app

HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def app(bundled_config):
    update_index(bundled_config)
    return create_app(bundled_config, testing=True, export_slots=2)


def test_exports_beyond_the_slots_answer_503_while_searches_answer(app):
    client = app.test_client()
    # Two exports whose bodies nobody reads: each keeps its slot until it is closed.
    held = [client.get("/export?format=zip", buffered=False) for _ in range(2)]
    assert [r.status_code for r in held] == [200, 200]
    refused = client.get("/export?format=jsonl", headers={"Accept": "application/json"})
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "30"
    assert "2 exports are being downloaded" in refused.json["error"]["message"]
    page = client.get("/export?format=csv")
    assert page.status_code == 503 and b"try again in 30 seconds" in page.data
    assert client.get("/?q=mine+maps").status_code == 200
    # Closed last first: here both share one thread and Flask's stack of contexts.
    held[1].close()
    again = client.get("/export?format=jsonl")
    assert again.status_code == 200 and again.data.count(b"\n") == FIXTURE_DOCUMENTS
    held[0].close()


def test_a_refused_export_gives_its_slot_back(app):
    client = app.test_client()
    for _ in range(3):  # more than the slots: each bad request gave its slot back
        assert client.get("/export?format=zip&q=%22mine").status_code == 400
    assert client.get("/export?format=zip").status_code == 200


def test_a_range_request_for_an_export_gets_the_whole_export(app):
    client = app.test_client()
    whole = client.get("/export?format=jsonl&q=mines")
    ranged = client.get("/export?format=jsonl&q=mines", headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 200 and "Content-Range" not in ranged.headers
    assert ranged.headers["Accept-Ranges"] == "none" == whole.headers["Accept-Ranges"]
    assert ranged.data == whole.data and len(whole.data) > 100


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/"), ("PUT", "/doc/ngo-appeal-mine-maps-2021"), ("DELETE", "/export")],
)
def test_a_method_not_allowed_says_which_are(app, method, path):
    response = app.test_client().open(path, method=method)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_a_costly_query_is_refused_on_the_search_page_with_its_message(app):
    client = app.test_client()
    response = client.get("/", query_string={"q": '"mine maps"~99999999999'})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Query too costly" in html and "at most 100" in html
    # The search box holds the query, to be corrected.
    assert 'value="&#34;mine maps&#34;~99999999999"' in html
    wildcards = " ".join(f"*q{n}x*" for n in range(40))
    response = client.get("/search.json", query_string={"q": wildcards})
    assert response.status_code == 400
    assert "40 words with wildcards" in response.json["error"]["message"]


def _slow_export(port: int) -> socket.socket:
    """An export asked for and then not read: a reader at 0 bytes/s."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((HOST, port))
    sock.sendall(b"GET /export?format=tei HTTP/1.1\r\nHost: x\r\n\r\n")
    return sock


def _get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_slow_export_readers_on_a_real_server_leave_searches_answering(tmp_path):
    """waitress with 4 threads, one export slot: a teiCorpus of ~7 MB, more than the
    server buffers here (512 KB) and the sockets hold, so an unread export keeps its thread
    and its slot, as a reader at a few KB/s does."""
    config = make_corpus(tmp_path, 900)
    update_index(config)
    app = create_app(config, export_slots=1)
    with served(app, threads=4, outbuf_high_watermark=512 * 1024) as served_port:
        port = int(served_port)
        slow = [_slow_export(port)]
        deadline = time.monotonic() + 60
        # The slow export is under way once the next one is refused.
        while True:
            status, headers, body = _get(port, "/export?format=csv")
            if status == 503 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert status == 503 and headers["Retry-After"] == "30"
        slow += [_slow_export(port) for _ in range(6)]  # more slow readers: all refused
        for _ in range(3):
            status, _, body = _get(port, "/?q=synthetic")
            assert status == 200 and b"hit-title" in body
        for sock in slow:
            sock.close()
        # The dropped export gives its slot back.
        deadline = time.monotonic() + 60
        while _get(port, "/export?format=csv&q=id:no-such-document")[0] != 200:
            assert time.monotonic() < deadline, "the dropped export kept its slot"
            time.sleep(0.2)


def test_a_search_past_its_time_answers_503_busy_with_retry_after(bundled_config):
    from archive.search import SearchEngine
    from archive.search.limits import SearchLimits

    update_index(bundled_config)
    app = create_app(bundled_config, testing=True)
    context = app.extensions["archive"]
    context.engine = SearchEngine(
        bundled_config, context.registers, limits=SearchLimits(seconds=-1)
    )
    client = app.test_client()
    page = client.get("/?q=mines")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "Busy" in page.get_data(as_text=True)
    as_json = client.get("/search.json?q=mines")
    assert as_json.status_code == 503 and "try again" in as_json.json["error"]["message"]
