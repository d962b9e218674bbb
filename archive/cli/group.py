"""The `archive` group: its options, how it reports errors, and how it finds its commands.

Every command reads its data through a `Config` built once from --corpus / --instance and
the environment; both options are accepted before the command and after it (`archive add
--corpus X f.xml`), the later one winning. Errors the archive raises on purpose go to stderr
as one readable line (`path:line: message` where a file is concerned) with the error's exit
code: never a traceback.

The group is lazy: it knows which module defines each command (`COMMAND_MODULES`) and imports
that module only when the command is run or its help shown. The command modules import the
heavy layers (numpy, Whoosh, the search engine, lxml's schemas) inside the commands, so that a
help text costs no search engine. Measured with `python -m bench.cli_startup` (medians of
repeated runs, docs/performance.md): `archive --help` went from ~1.0 s to ~0.12 s.
"""

from __future__ import annotations

import errno
import functools
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from archive import __version__
from archive.config import Config
from archive.errors import ArchiveError

F = TypeVar("F", bound=Callable[..., Any])

# Each command and the module of `archive.cli` that adds it to the group when imported.
COMMAND_MODULES = {
    "validate": "corpus",
    "show": "corpus",
    "add": "corpus",
    "withdraw": "corpus",
    "verify": "corpus",
    "review": "review",
    "register": "register",
    "encode": "encode",
    "catalogue": "catalogue",
    "index": "index",
    "search": "search",
    "stats": "search",
    "export": "export",
    "replicate": "replicate",
}

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
    """The `archive` group: its own commands loaded on demand from `COMMAND_MODULES`, plus
    commands other packages plug in through the entry-point group `archive.commands` (the web
    UI adds `serve` that way, so this library never imports the web layer)."""

    def _plugins(self) -> dict[str, Any]:
        # importlib.metadata costs ~30 ms: only asked when a name is not one of ours.
        from importlib.metadata import entry_points

        return {ep.name: ep for ep in entry_points(group="archive.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_MODULES, *super().list_commands(ctx), *self._plugins()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMAND_MODULES and name not in self.commands:
            importlib.import_module(f"archive.cli.{COMMAND_MODULES[name]}")
        command = super().get_command(ctx, name)
        if command is None:
            plugin = self._plugins().get(name)
            command = plugin.load() if plugin is not None else None
        return command


_CORPUS_HELP = (
    "Corpus folder (documents/, authority/). Default: $ARCHIVE_CORPUS or the bundled corpus."
)
_INSTANCE_HELP = (
    "Instance folder for the index and caches. Default: $ARCHIVE_INSTANCE or ./instance."
)


@click.group(cls=ArchiveGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--corpus", type=click.Path(file_okay=False, path_type=Path), help=_CORPUS_HELP)
@click.option("--instance", type=click.Path(file_okay=False, path_type=Path), help=_INSTANCE_HELP)
@click.version_option(__version__, prog_name="archive")
@click.pass_context
def main(ctx: click.Context, corpus: Path | None, instance: Path | None) -> None:
    """Appeals Archive: TEI appeals and statements on international humanitarian law."""
    ctx.obj = Config.from_env(corpus=corpus, instance=instance)


def pass_config(command: F) -> F:
    """Give the command the `Config` as its first argument, and accept --corpus and
    --instance after the command name too (they override those given before it)."""

    @click.option(
        "--corpus",
        "corpus_option",
        type=click.Path(file_okay=False, path_type=Path),
        help=_CORPUS_HELP,
    )
    @click.option(
        "--instance",
        "instance_option",
        type=click.Path(file_okay=False, path_type=Path),
        help=_INSTANCE_HELP,
    )
    @functools.wraps(command)
    def wrapper(
        *args: Any, corpus_option: Path | None, instance_option: Path | None, **kwargs: Any
    ) -> Any:
        ctx = click.get_current_context()
        config = ctx.find_object(Config) or Config.from_env()
        config = config.with_overrides(corpus=corpus_option, instance=instance_option)
        return command(config, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
