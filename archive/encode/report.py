"""The review report: what the encoder found and what it leaves to the archivist.

Two faces of the same content: lines for a terminal (`path:line:col: ...`, as compilers
and `archive validate` write them) and a JSON object for tools.
"""

from __future__ import annotations

from typing import Any

from archive.encode.results import EncodingResult
from archive.encode.text import line_column
from archive.errors import Problem


def _where(result: EncodingResult, source: str, start: int | None) -> str:
    if start is None:
        return source
    line, column = line_column(result.text, start)
    return f"{source}:{line}:{column}"


def report_text(result: EncodingResult, source: str, problems: list[Problem]) -> str:
    """The report for a person: review points first, then every detection with evidence."""
    lines = [f"archive encode: {source} -> draft {result.doc_id}"]
    if result.review_points:
        lines.append(f"To review ({len(result.review_points)}):")
        for point in result.review_points:
            flag = (
                " [the draft does not validate until this is done]"
                if point.blocks_validation
                else ""
            )
            lines.append(
                f"  {_where(result, source, point.start)}: {point.code}: {point.message}{flag}"
            )
    if result.proposals:
        lines.append(f"Proposed register records ({len(result.proposals)}), ready to paste:")
        for proposal in result.proposals:
            lines.append(f"  {proposal.register_file}: {proposal.tei}")
    if result.signatories:
        lines.append(f"Signatories ({len(result.signatories)}), in the text's order:")
        for n, signer in enumerate(result.signatories, 1):
            role = ", ".join(
                x
                for x in (
                    signer.role.text if signer.role else None,
                    f"{signer.org.text} [{signer.org.ref}]" if signer.org else None,
                )
                if x
            )
            lines.append(
                f"  {n}. {signer.name} [{signer.person.ref}]" + (f" — {role}" if role else "")
            )
    lines.append(f"Detections ({len(result.detections)}):")
    for d in result.detections:
        value = d.value or ("ambiguous: " + " | ".join(d.candidates) if d.candidates else "-")
        article = f" article {d.article}" if d.article else ""
        lines.append(
            f"  {_where(result, source, d.start)}: {d.kind} \u201c{d.text}\u201d -> {value}{article}"
            f" (confidence {d.confidence:.2f}; {d.evidence})"
        )
    if problems:
        lines.append(f"Validation of the draft: {len(problems)} problem(s):")
        lines.extend(f"  {p}" for p in problems)
    else:
        lines.append("Validation of the draft: valid against the project schema and registers.")
    return "\n".join(lines) + "\n"


def report_json(result: EncodingResult, source: str, problems: list[Problem]) -> dict[str, Any]:
    """The report as JSON-ready data, positions given as offsets and as line/column."""

    def located(data: dict[str, Any]) -> dict[str, Any]:
        if data.get("start") is not None:
            data["line"], data["column"] = line_column(result.text, data["start"])
        return data

    return {
        "source": source,
        "id": result.doc_id,
        "valid": not problems,
        "review_points": [located(p.to_dict()) for p in result.review_points],
        "proposals": [located(p.to_dict()) for p in result.proposals],
        "signatories": [located(s.to_dict()) for s in result.signatories],
        "detections": [located(d.to_dict()) for d in result.detections],
        "validation_problems": [
            {"path": p.path, "line": p.line, "message": p.message} for p in problems
        ],
    }
