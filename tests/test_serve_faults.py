"""The real server (`archive serve`, waitress, in its own process on a loopback port) under
faults: clients that drop an export half-way, requests too large for it, raw paths that try
to climb out of the site. Afterwards it answers as before, with no thread or file handle
left behind."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import struct
import subprocess
import time

import psutil
import pytest

from archive.config import PROJECT_ROOT
from bench.proxy import stop_process
from tests.conftest import FIXTURE_DOCUMENTS
from tests.synthetic import make_corpus

HOST = "127.0.0.1"
COPIES = 2500  # a whole-archive teiCorpus of ~19 MB: more than waitress buffers (16 MB)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    config = make_corpus(tmp_path_factory.mktemp("served"), COPIES)
    port = _free_port()
    process = subprocess.Popen(
        config.command("serve", "--host", HOST, "--port", str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=PROJECT_ROOT,
    )
    deadline = time.monotonic() + 180
    while True:
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "the server did not start"
        try:
            with socket.create_connection((HOST, port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    process.port = port  # type: ignore[attr-defined]
    process.config = config  # type: ignore[attr-defined]
    yield process
    stop_process(process)
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert "Traceback" not in stderr, stderr[-3000:]


def get(server, path: str) -> tuple[int, bytes]:  # type: ignore[no-untyped-def]
    connection = http.client.HTTPConnection(HOST, server.port, timeout=120)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def raw(server, request: bytes) -> bytes:  # type: ignore[no-untyped-def]
    """The server's answer to bytes sent as they are: its head and (Content-Length) body."""
    with socket.create_connection((HOST, server.port), timeout=30) as sock:
        # Refused before it read everything: the answer is waiting all the same.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < _expected(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def _expected(answer: bytes) -> int:
    head, _, _ = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(head) + 4 + int(line.split(b":")[1])
    return 0


def resources(server) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Open file descriptors and threads of the server process, once it has settled."""
    process = psutil.Process(server.pid)
    time.sleep(1.0)
    return process.num_fds(), process.num_threads()


def healthy(server) -> None:  # type: ignore[no-untyped-def]
    status, body = get(server, "/search.json?q=mines&size=5")
    assert status == 200 and json.loads(body)["total"] > 0
    status, body = get(server, "/doc/ngo-appeal-mine-maps-2021")
    assert status == 200 and b"sha256" in body


def drop_export(server, path: str, keep: int, reset: bool) -> int:  # type: ignore[no-untyped-def]
    """Ask for an export, read `keep` bytes of it, then go away: closing politely, or with
    a TCP reset as a crashed client does. Returns the bytes read."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    sock.settimeout(60)
    sock.connect((HOST, server.port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
    received = 0
    while received < keep:
        chunk = sock.recv(16 * 1024)
        if not chunk:
            break
        received += len(chunk)
    time.sleep(0.2)  # let the server fill the socket buffers and block on the next send
    if reset:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    return received


def test_clients_that_drop_exports_midway_leave_the_server_healthy(server):
    healthy(server)
    get(server, "/export?format=csv")  # every lazily opened file is open now
    fds, threads = resources(server)
    for round_ in range(12):
        fmt = ("tei", "zip", "jsonl")[round_ % 3]
        received = drop_export(server, f"/export?format={fmt}", 128 * 1024, reset=round_ % 2 == 1)
        assert received >= 64 * 1024, "the export did not start streaming"
    healthy(server)
    # A whole export still comes out complete: one line per document.
    status, body = get(server, "/export?format=jsonl")
    assert status == 200 and body.count(b"\n") == COPIES + FIXTURE_DOCUMENTS
    after_fds, after_threads = resources(server)
    assert after_threads <= threads, (threads, after_threads)
    assert after_fds <= fds + 2, (fds, after_fds)  # no handle per dropped export


def test_raw_paths_that_climb_out_of_the_site_are_not_found(server):
    for path in (
        "/doc/../../pyproject.toml",
        "/static/../../pyproject.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/doc/..%2f..%2fpyproject.toml",
        "//etc/passwd",
        "/doc/ngo-appeal-mine-maps-2021/v1/../../../../etc/passwd",
    ):
        answer = raw(server, f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        status = answer.split(b"\r\n", 1)[0]
        assert status.split()[1] in (b"404", b"400"), (path, status)
        assert b"tool.setuptools" not in answer and b"root:" not in answer
    healthy(server)


def test_a_huge_request_line_is_refused_by_the_server(server):
    answer = raw(server, b"GET /?q=" + b"a" * 400_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.split(b" ", 2)[1] == b"431", answer[:80]
    healthy(server)


def test_many_headers_are_refused_by_the_server(server):
    headers = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"v" * 100) for i in range(5000))
    answer = raw(server, b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert answer.split(b" ", 2)[1] == b"431", answer[:80]
    healthy(server)


def test_a_huge_post_is_refused_before_its_body_is_read(server):
    started = time.monotonic()
    head = (
        b"POST /oai HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 1000000000\r\n\r\nverb=Identify&pad="
    )
    answer = raw(server, head + b"x" * 100_000)
    assert answer.split(b" ", 2)[1] == b"413", answer[:80]
    assert time.monotonic() - started < 10
    healthy(server)


def test_a_post_just_under_the_limit_is_answered(server):
    body = b"verb=Identify&pad=" + b"x" * 60_000
    answer = raw(
        server,
        b"POST /oai HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body,
    )
    assert answer.startswith(b"HTTP/1.1 200"), answer[:80]
    assert b'<error code="badArgument">' in answer  # `pad` is no OAI-PMH argument


def test_dropped_exports_left_no_temporary_file(server):
    folders = (server.config.instance, server.config.corpus)
    temporaries = [p for f in folders for p in f.rglob("*") if p.name.startswith((".tmp-", "tmp"))]
    assert temporaries == []
