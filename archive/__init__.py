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

__version__ = "0.1.0"
