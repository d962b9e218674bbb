"""Plain text to a TEI draft in the archive's profile (`archive encode`).

from archive.encode import encode_text
result = encode_text(text, Registers.load(config.authority_dir), issued="2021-03-25")
result.tei_bytes, result.detections, result.proposals, result.review_points

A facts file (TOML) to a catalogue record (`archive catalogue`):
record = build_catalogue_record(data, path, registers, base_url=..., today="2026-12-02")
"""

from archive.encode.catalogue_record import CatalogueRecord, build_catalogue_record, with_history
from archive.encode.pipeline import Encoder, encode_text
from archive.encode.report import report_json, report_text
from archive.encode.results import (
    DetectedSignatory,
    Detection,
    EncodingResult,
    Proposal,
    ReviewPoint,
)
from archive.encode.text import decode_text, read_text_file

__all__ = [
    "CatalogueRecord",
    "DetectedSignatory",
    "Detection",
    "Encoder",
    "EncodingResult",
    "Proposal",
    "ReviewPoint",
    "build_catalogue_record",
    "decode_text",
    "encode_text",
    "read_text_file",
    "report_json",
    "report_text",
    "with_history",
]
