"""The `archive` group: its options, how it reports errors, and the commands other packages
plug in.

Every command reads its data through a `Config` built once from --corpus / --instance and
the environment. Errors the archive raises on purpose go to stderr as one readable line
(`path:line: message` where a file is concerned) with the error's exit code: never a
traceback.
"""

from __future__ import annotations

import errno
import functools
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TypeVar

import click

from archive import __version__
from archive.config import Config
from archive.errors import ArchiveError

F = TypeVar("F", bound=Callable[..., Any])

_HINTS = {
    errno.ENOSPC: " (free some space and run the command again; nothing was changed)",
    errno.EROFS: " (the folder is on a read-only file system: choose another with --instance, or remount it)",
    errno.EACCES: " (choose a folder you may write to)",
    errno.EDQUOT: " (over the disk quota; nothing was changed)",
}


def reports_errors(command: F) -> F:
    """Turn ArchiveError into a message on stderr and the error's exit code, and a file
    system's refusal (read-only, full, permission denied) into one line naming the file:
    the store and the exports have undone their part by then (all-or-nothing writes)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ArchiveError as exc:
            click.echo(f"error: {exc}" if exc.path is None else str(exc), err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            hint = _HINTS.get(exc.errno, "")
            click.echo(f"error: {where}{exc.strerror or exc}{hint}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


class ArchiveGroup(click.Group):
    """The `archive` group, plus commands other packages plug in through the entry-point
    group `archive.commands` (the web UI adds `serve` that way, so this library never
    imports the web layer)."""

    def _plugins(self) -> dict[str, Any]:
        return {ep.name: ep for ep in entry_points(group="archive.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in self._plugins():
            command = self._plugins()[name].load()
        return command


@click.group(cls=ArchiveGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--corpus",
    type=click.Path(file_okay=False, path_type=Path),
    help="Corpus folder (documents/, authority/). Default: $ARCHIVE_CORPUS or the bundled corpus.",
)
@click.option(
    "--instance",
    type=click.Path(file_okay=False, path_type=Path),
    help="Instance folder for the index and caches. Default: $ARCHIVE_INSTANCE or ./instance.",
)
@click.version_option(__version__, prog_name="archive")
@click.pass_context
def main(ctx: click.Context, corpus: Path | None, instance: Path | None) -> None:
    """Appeals Archive: TEI appeals and statements on international humanitarian law."""
    ctx.obj = Config.from_env(corpus=corpus, instance=instance)


pass_config = click.make_pass_decorator(Config)
