"""The `archive` command: a thin face over the library, like the web UI.

`main` is the click group (`group`); it imports the module of a command family only when
one of its commands is asked for: the corpus (`corpus`: validate, show, add, withdraw), the
review of a draft (`review`), the registers (`register`), `encode`, the index (`index`),
`search` and `stats`, `export`. Output for a terminal is written by `terminal` and
`terminal_search`. The web UI adds `serve` through the `archive.commands` entry point, with
`pass_config`, `reports_errors` and `update_index_with_progress` from here.
"""

from archive.cli.group import main, pass_config, reports_errors
from archive.cli.index import update_index_with_progress

__all__ = ["main", "pass_config", "reports_errors", "update_index_with_progress"]
