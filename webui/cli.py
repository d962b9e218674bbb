"""`archive serve`: the web UI behind a production WSGI server.

One process (the default) is waitress, threaded. Python runs one thread at a time in a
process, so a busy archive on several cores is served with `--workers N`: gunicorn's
threaded (gthread) workers, each a process with its own app and search engine (about
180 MB each at 100,000 documents), loaded after the fork so that no index file or SQLite
connection is shared between processes.

Plugged into the `archive` command through the `archive.commands` entry point, so the
library never imports the web layer.
"""

from __future__ import annotations

import errno
import logging
import socket
import subprocess
from typing import Any

import click

from archive.cli import pass_config, reports_errors, update_index_with_progress
from archive.config import Config
from archive.errors import ArchiveError

# The longest request line gunicorn accepts (its default, 4094, cuts off long searches;
# waitress allows 256 KB of headers).
GUNICORN_REQUEST_LINE = 8190

# waitress reads requests in its event loop, not in its threads, so a client that sends its
# headers slowly costs it one connection, not a thread; but it stops accepting at 100
# connections by default, so 110 slowloris clients shut everyone else out. It watches its
# sockets with poll() here (select() fails past file descriptor 1024), allows 2,000
# connections, and closes one idle for 60 s (default 120). A client that keeps trickling
# bytes is never idle: the recommended deployment puts nginx in front (deploy/nginx.conf),
# which times out slow headers and bodies and buffers responses (docs/web.md, Deployment).
WAITRESS_CONNECTIONS = 2000
IDLE_SECONDS = 60


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker threads (per process).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Processes: 1 serves with waitress; more with gunicorn's threaded workers.",
)
@pass_config
@reports_errors
def serve(config: Config, host: str, port: int, threads: int, workers: int) -> None:
    """Serve the web UI on the corpus with a production WSGI server (waitress, or
    gunicorn with --workers above 1).

    The index is brought up to date first (built on first start). Each process keeps one
    searcher and reopens it when the index changes, e.g. after `archive add`.
    """
    if workers == 1:
        from archive import storage

        storage.recover_pending(config)
        report = update_index_with_progress(config)
        click.echo(report.summary(), err=True)
        _serve_waitress(config, host, port, threads)
    else:
        # In a child process: the gunicorn master forks every worker and serves nothing,
        # so it should not keep the memory an update of a large index leaves behind.
        completed = subprocess.run(config.command("index"), check=False)
        if completed.returncode != 0:
            raise ArchiveError("the index could not be brought up to date (see above)")
        _check_port(host, port)
        _announce(host, port)
        _serve_gunicorn(config, host, port, threads, workers)


def _announce(host: str, port: int) -> None:
    click.echo(f"Serving the Appeals Archive at http://{host}:{port}/ (Ctrl-C to stop)", err=True)


def _port_taken(host: str, port: int, exc: OSError) -> ArchiveError:
    if exc.errno in (errno.EADDRINUSE, errno.EACCES):
        why = (
            "is in use by another program"
            if exc.errno == errno.EADDRINUSE
            else "is not open to this user"
        )
        return ArchiveError(
            f"port {port} on {host} {why}: choose another with --port, e.g. --port {port + 1}"
        )
    return ArchiveError(f"cannot listen on {host}:{port}: {exc.strerror}")


def _check_port(host: str, port: int) -> None:
    """Say so in words, before any worker starts, when the address cannot be listened on
    (port 5000 is taken on macOS by default)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise _port_taken(host, port, exc) from None


def _serve_waitress(config: Config, host: str, port: int, threads: int) -> None:
    from waitress import create_server

    from webui import MAX_REQUEST_BYTES, create_app, export_slots_for

    try:
        server = create_server(
            create_app(config, export_slots=export_slots_for(threads)),
            host=host,
            port=port,
            threads=threads,
            ident="appeals-archive",
            # Refused by waitress before it buffers the body (its default is 1 GB).
            max_request_body_size=MAX_REQUEST_BYTES,
            connection_limit=WAITRESS_CONNECTIONS,
            asyncore_use_poll=True,
            channel_timeout=IDLE_SECONDS,
            cleanup_interval=10,
        )
    except OSError as exc:  # binding happens here: before "Serving ..." is announced
        raise _port_taken(host, port, exc) from None
    logging.basicConfig()  # as waitress.serve does: its warnings (a full queue) reach stderr
    _announce(host, port)
    server.run()


def _serve_gunicorn(config: Config, host: str, port: int, threads: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    class ArchiveServer(BaseApplication):  # type: ignore[misc]
        """gunicorn configured from our options rather than its command line."""

        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": threads,
                "limit_request_line": GUNICORN_REQUEST_LINE,
                "proc_name": "appeals-archive",
                # A worker that hangs (not one busy with a long export: gthread workers
                # report from their own loop) is replaced after this many seconds.
                "timeout": 120,
                "graceful_timeout": 10,
                # Readers pause between pages: keep their connection open as waitress
                # does (gunicorn's default, 2 s, closes it under nearly every reader).
                "keepalive": 30,
                "accesslog": None,
                "errorlog": "-",
            }
            if "control_socket_disable" in self.cfg.settings:
                # gunicorn 25.1+ opens a control socket in the home folder: not wanted here.
                options["control_socket_disable"] = True
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):  # type: ignore[no-untyped-def]
            from webui import create_app, export_slots_for

            # In each worker, after the fork.
            return create_app(config, export_slots=export_slots_for(threads))

    ArchiveServer().run()
