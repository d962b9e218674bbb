"""deploy/nginx.conf, the recommended deployment, in front of the real app: the benchmarks
run the file as shipped with only its two addresses changed, and through it the archive
answers as it does directly (issue 13, point 7)."""

from __future__ import annotations

import http.client
import shutil
from pathlib import Path

import pytest

from archive.search.indexing import update_index
from bench.proxy import CONFIG, Proxy, loopback_config
from tests.serving import served
from webui import create_app

HOST = "127.0.0.1"


def test_only_the_two_addresses_of_the_shipped_config_change():
    shipped = CONFIG.read_text()
    local = loopback_config(shipped, 8081, 5001)
    changed = [
        (a, b) for a, b in zip(shipped.splitlines(), local.splitlines(), strict=True) if a != b
    ]
    assert [b.strip() for _, b in changed] == [
        "server 127.0.0.1:5001;  # address: the archive (`archive serve --port`)",
        "listen 127.0.0.1:8081;  # address: where readers connect",
    ]
    with pytest.raises(ValueError, match="expected"):
        loopback_config(shipped.replace("listen 80;", "listen 8080;"), 1, 2)


def _get(port: int, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.skipif(
    not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()),
    reason="nginx is not installed (scripts/test installs it: apt-get install -y nginx)",
)
def test_the_archive_answers_through_the_proxy_as_it_does_directly(bundled_config):
    update_index(bundled_config)
    app = create_app(bundled_config)
    with served(app) as app_port:
        proxy = Proxy(int(app_port))
        try:
            for path in ("/?q=mine+maps", "/search.json?q=mines", "/export?format=jsonl&q=mines"):
                direct = _get(int(app_port), path)
                proxied = _get(proxy.port, path)
                assert proxied[0] == direct[0] == 200
                assert proxied[2] == direct[2] or path.startswith("/search.json")
            status, headers, _ = _get(proxy.port, "/export?format=zip", method="DELETE")
            assert status == 405 and "GET" in headers["Allow"]
            status, headers, _ = _get(proxy.port, "/export?format=zip")
            assert status == 200 and headers["Accept-Ranges"] == "none"
        finally:
            proxy.stop()
