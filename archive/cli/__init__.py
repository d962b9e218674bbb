"""The `archive` command: a thin face over the library, like the web UI.

`main` is the click group (`group`); each command family is a module that adds its
commands to it when imported: the corpus (`corpus`: validate, show, add, withdraw),
`encode`, the index (`index`), `search` and `stats`, `export`. Output for a terminal is
written by `terminal` and `terminal_search`. The web UI adds `serve` through the
`archive.commands` entry point, with `pass_config`, `reports_errors` and
`update_index_with_progress` from here.
"""

from archive.cli import corpus, encode, export, index, search  # noqa: F401  (they add commands)
from archive.cli.group import main, pass_config, reports_errors
from archive.cli.index import update_index_with_progress

__all__ = ["main", "pass_config", "reports_errors", "update_index_with_progress"]
