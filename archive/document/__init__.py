"""The document: what an appeal or statement is, independent of where it is kept.

A TEI file is parsed safely (`parse_tei`, `read_document`: no entities, no network, no DTD)
into plain dataclasses (`Document`, `Signatory`, `DateSpan`); the registers of treaties,
persons, organisations and places (`Registers`) resolve its pointers; `Validator` checks a
file against the project schema and the reference rules. Nothing here knows of a corpus
folder, an index or the web: the layers above pass in what they know (for instance the
document ids a `doc:` pointer may name).
"""

from archive.document.authority import (
    FORMER_ID,
    RECORD_ELEMENTS,
    REGISTER_FILES,
    HierarchicalRegister,
    Organisation,
    Person,
    Place,
    Record,
    Register,
    Registers,
    Treaty,
    TreatyRegister,
    latin_key,
    normalize_name,
    register_stamp,
)
from archive.document.compare import Comparison, compare
from archive.document.dates import human_date, parse_iso
from archive.document.model import DOC_ID_RE, DateSpan, Document, Signatory, article_keys
from archive.document.records import (
    proposes_records,
    read_records,
    record_from_fields,
    record_kind,
)
from archive.document.review import (
    PLACEHOLDER_CHANGE,
    SETTLED_BY_A_RECORD,
    ProposedRecord,
    ReviewNote,
    finalized,
    is_draft,
    placeholder_change,
    proposed_records,
    review_notes,
    review_standoff,
)
from archive.document.tei import (
    MAX_FILE_BYTES,
    NS,
    TEI_NS,
    XML_ID,
    XML_LANG,
    date_span,
    parse_tei,
    read_bytes,
    read_document,
    split_refs,
    t,
)
from archive.document.validate import ValidationReport, Validator, document_types

__all__ = [
    "DOC_ID_RE",
    "FORMER_ID",
    "MAX_FILE_BYTES",
    "NS",
    "PLACEHOLDER_CHANGE",
    "RECORD_ELEMENTS",
    "REGISTER_FILES",
    "SETTLED_BY_A_RECORD",
    "TEI_NS",
    "XML_ID",
    "XML_LANG",
    "Comparison",
    "DateSpan",
    "Document",
    "HierarchicalRegister",
    "Organisation",
    "Person",
    "Place",
    "ProposedRecord",
    "Record",
    "Register",
    "Registers",
    "ReviewNote",
    "Signatory",
    "Treaty",
    "TreatyRegister",
    "ValidationReport",
    "Validator",
    "article_keys",
    "compare",
    "date_span",
    "document_types",
    "finalized",
    "human_date",
    "is_draft",
    "latin_key",
    "normalize_name",
    "parse_iso",
    "parse_tei",
    "placeholder_change",
    "proposed_records",
    "proposes_records",
    "read_bytes",
    "read_document",
    "read_records",
    "record_from_fields",
    "record_kind",
    "register_stamp",
    "review_notes",
    "review_standoff",
    "split_refs",
    "t",
]
