"""The Flask app behind waitress on a free loopback port, in a thread, for tests that need
a real HTTP server (harvesters, browsers, concurrent readers)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from flask import Flask
from waitress import create_server


@contextlib.contextmanager
def served(app: Flask, threads: int = 4, **options: Any) -> Iterator[int]:
    """Serve `app` until the block ends (`options` are waitress's); yields the port."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads, **options)
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:
            # close() shuts the sockets under the running loop, whose next select then
            # fails: that is how the loop ends, not an error.
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        stopping.set()
        server.close()
        thread.join(timeout=10)
