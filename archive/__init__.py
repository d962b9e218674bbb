"""The Appeals Archive library: TEI documents on international humanitarian law, their
registers, validation, storage, search and publication. It knows nothing of the web; `webui`
and the `archive` command are thin faces over it.

The packages are layers; each imports only those below it, and only what their
`__init__` offers (tests/test_layout.py holds the rule):

    errors, config    what every layer shares: the exception family, the folders
    document          what a document is: model, TEI, dates, registers, validation
    storage           where documents are kept: versions, withdrawals, atomic files, caches
    encode            plain text to a TEI draft (reads the document layer only)
    search            how documents are found: analysis, index, query language, engine
    publish           how they leave: exports, BagIt, citations, Atom, OAI-PMH
    cli               the `archive` command (the web UI, `webui`, stands beside it)
"""

import importlib
import sys
from collections.abc import Callable
from typing import Any

__version__ = "0.1.0"


def lazy_names(package: str, modules: dict[str, str]) -> Callable[[str], Any]:
    """A package's module `__getattr__` (PEP 562) that imports the module defining a name
    only when the name is first used: `modules` maps each name the package offers to its
    module ("" for a submodule offered as itself). `archive.search` and `archive.publish`
    use it, so that the command line can name a constant without loading numpy or OAI-PMH.
    """

    def __getattr__(name: str) -> Any:
        if name not in modules:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(f"{package}.{modules[name] or name}")
        value = getattr(module, name) if modules[name] else module
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
