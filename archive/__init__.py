"""The Appeals Archive library: TEI documents on international humanitarian law, their
registers, validation, storage and search. It knows nothing of the web; `webui` and the
`archive` command are thin faces over it."""

__version__ = "0.1.0"
