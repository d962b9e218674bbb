"""`archive replicate TARGET`: publish the writer's corpus and index to a replica that a
reader host serves (archive.search.replica says in which order, and why)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from archive.cli.group import main, pass_config, reports_errors
from archive.config import Config

TOKEN_KEY = "oai-token.key"  # archive.publish.oai.tokens.KEY_FILE (tests/test_replica.py)


@main.command("replicate")
@click.argument("target", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--wait",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds to wait for a change or an index update under way on the writer.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Compare every corpus file, not only the versions stored since the last publication.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was published as JSON.")
@pass_config
@reports_errors
def replicate(config: Config, target: Path, wait: float, full: bool, as_json: bool) -> None:
    """Publish the corpus and its search index to the replica in TARGET (a new or empty
    folder becomes one), copying only what changed.

    Serve it with `archive serve --corpus TARGET/corpus --instance TARGET/instance`: the
    server picks up each publication without a restart, and serves either the old state or
    the new one. A folder that is not a replica is refused, and so is a replica that
    another publication is writing.
    """
    from archive.publish import token_key
    from archive.search import publish_replica

    # Every host signs and reads OAI-PMH resumption tokens with the writer's key: a
    # harvester's next page may be asked of another host.
    token_key(config.instance)
    report = publish_replica(config, target, wait=wait, instance_files=[TOKEN_KEY], full=full)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(report.summary())
