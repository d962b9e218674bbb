"""`archive serve`: the web UI behind a production WSGI server (waitress).

Plugged into the `archive` command through the `archive.commands` entry point, so the
library never imports the web layer.
"""

from __future__ import annotations

import click

from archive import store
from archive.cli import pass_config, reports_errors, update_index_with_progress
from archive.config import Config


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads."
)
@pass_config
@reports_errors
def serve(config: Config, host: str, port: int, threads: int) -> None:
    """Serve the web UI on the corpus with a production WSGI server (waitress).

    The index is brought up to date first (built on first start). The app keeps one
    searcher and reopens it when the index changes, e.g. after `archive add`.
    """
    from waitress import serve as waitress_serve

    from webui import create_app

    store.recover_pending(config)
    report = update_index_with_progress(config)
    click.echo(report.summary(), err=True)
    app = create_app(config)
    click.echo(f"Serving the Appeals Archive at http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    waitress_serve(app, host=host, port=port, threads=threads, ident="appeals-archive")
