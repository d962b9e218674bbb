"""Storage: where documents are kept, and how a change to them is made safe.

`Corpus` reads a corpus folder (current documents, every version byte for byte,
withdrawals); `add` and `withdraw` change it all or nothing under a lock and a journal, and
`recover_pending` finishes or rolls back a change a crash interrupted. Every version's
sha256 and the UTC second it was stored are recorded in `corpus/fixity.jsonl`
(`Corpus.stored_time`, `Corpus.recorded_sha256`); reading a version checks it (FixityError),
and `verify` checks them all. `corpus_validator`
is the document layer's `Validator` for this corpus. Files are written atomically
(`atomic_write`, `atomic_write_many`, `unnamed_atomic_writer` for long exports), and the
model of each stored version is cached by sha256 in the instance folder (`ModelCache`).
"""

from archive.storage.cache import ModelCache
from archive.storage.cache import connect as connect_cache
from archive.storage.cache import transaction as cache_transaction
from archive.storage.fsutil import atomic_write, atomic_write_many, unnamed_atomic_writer
from archive.storage.stats import corpus_figures
from archive.storage.store import (
    AddOutcome,
    Corpus,
    FixityReport,
    Withdrawal,
    add,
    corpus_validator,
    recover_pending,
    verify,
    withdraw,
)

__all__ = [
    "AddOutcome",
    "Corpus",
    "FixityReport",
    "ModelCache",
    "Withdrawal",
    "add",
    "atomic_write",
    "atomic_write_many",
    "cache_transaction",
    "connect_cache",
    "corpus_figures",
    "corpus_validator",
    "recover_pending",
    "unnamed_atomic_writer",
    "verify",
    "withdraw",
]
