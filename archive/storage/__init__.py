"""Storage: where documents are kept, and how a change to them is made safe.

`Corpus` reads a corpus folder (current documents, every version byte for byte,
withdrawals); `add` and `withdraw` change it all or nothing under a lock and a journal, and
`recover_pending` finishes or rolls back a change a crash interrupted. Every version's
sha256 and the UTC second it was stored are recorded in `corpus/fixity.jsonl`
(`Corpus.stored_time`, `Corpus.recorded_sha256`); reading a version checks it (FixityError),
and `verify` checks them all. `add_documents` is `add` behind the review gate for drafts
(`review_draft` says what a draft still needs); the registers change through `RegisterFile`
and `change_registers` (records added, edited), `merge_records` (merged or renamed, the
documents citing them rewritten), with every version kept (`record_history`,
`register_history_dir`). `corpus_validator`
is the document layer's `Validator` for this corpus. Files are written atomically
(`atomic_write`, `atomic_write_many`, `unnamed_atomic_writer` for long exports), and the
model of each stored version is cached by sha256 in the instance folder (`ModelCache`).
"""

from archive.storage.cache import ModelCache
from archive.storage.cache import connect as connect_cache
from archive.storage.cache import transaction as cache_transaction
from archive.storage.drafts import DraftReview, add_documents, review_draft
from archive.storage.fsutil import (
    atomic_write,
    atomic_write_many,
    unnamed_atomic_writer,
    writable_folder,
)
from archive.storage.register_file import RegisterFile, check_kind
from archive.storage.registers import (
    RecordVersion,
    RegisterChange,
    change_registers,
    merge_records,
    record_history,
    recover_pending_registers,
    recover_registers,
    register_history_dir,
    register_integrity_problems,
)
from archive.storage.replica import (
    CopyCounts,
    NotAReplica,
    Replica,
    copy_corpus,
    file_listing,
    mirror_file,
    mirror_files,
    replica_of,
)
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
    "CopyCounts",
    "Corpus",
    "DraftReview",
    "FixityReport",
    "ModelCache",
    "NotAReplica",
    "RecordVersion",
    "RegisterChange",
    "RegisterFile",
    "Replica",
    "Withdrawal",
    "add",
    "add_documents",
    "atomic_write",
    "atomic_write_many",
    "cache_transaction",
    "change_registers",
    "check_kind",
    "connect_cache",
    "copy_corpus",
    "corpus_figures",
    "corpus_validator",
    "file_listing",
    "merge_records",
    "mirror_file",
    "mirror_files",
    "record_history",
    "recover_pending",
    "recover_pending_registers",
    "recover_registers",
    "register_history_dir",
    "register_integrity_problems",
    "replica_of",
    "review_draft",
    "unnamed_atomic_writer",
    "verify",
    "withdraw",
    "writable_folder",
]
