"""`archive encode`: plain text to a TEI draft, with a review report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archive.cli.group import main, pass_config, reports_errors
from archive.config import Config
from archive.document import Registers, document_types, parse_tei


@main.command()
@click.argument("textfile", type=click.Path(path_type=Path, dir_okay=True))
@click.option(
    "--id", "doc_id", help="Document id (lowercase slug). Default: proposed from title and date."
)
@click.option("--title", help="Main title. Default: the text's heading, if it has one.")
@click.option(
    "--date", "issued", help="Issue date: YYYY-MM-DD (or YYYY-MM, YYYY, or '25 March 2021')."
)
@click.option("--source", "source_url", help="URL the text was taken from.")
@click.option(
    "--type",
    "doc_type",
    type=click.Choice(document_types()),
    help="Document type. Default: what the text calls itself.",
)
@click.option("--lang", default="en", show_default=True, help="Language of the text (BCP 47).")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write the draft here (default: stdout).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path),
    help="Write the review report here as JSON (default: readable text on stderr).",
)
@pass_config
@reports_errors
def encode(
    config: Config,
    textfile: Path,
    doc_id: str | None,
    title: str | None,
    issued: str | None,
    source_url: str | None,
    doc_type: str | None,
    lang: str,
    output: Path | None,
    report_path: Path | None,
) -> None:
    """Encode a plain-text statement as a TEI draft, with a review report.

    Treaties, dates, signatories, organisations and places are detected against the
    registers; what needs a person's decision (unknown signers, ambiguous names, a missing
    date or id) is listed in the report. Nothing is written unless everything can be.
    """
    from archive.encode import Encoder, read_text_file, report_json, report_text
    from archive.storage import atomic_write_many, corpus_validator

    registers = Registers.load(config.authority_dir)
    text = read_text_file(textfile)
    result = Encoder(registers, config.canonical_base).encode(
        text,
        doc_id=doc_id,
        title=title,
        issued=issued,
        source_url=source_url,
        doc_type=doc_type,
        lang=lang,
    )
    draft_path = output if output is not None else Path(f"{result.doc_id}.xml")
    # A draft may need review, but one the archive could not even read back (too large,
    # past the XML parser's limits) is refused: nothing is written.
    parse_tei(result.tei_bytes, draft_path)
    problems = corpus_validator(config, registers).validate_bytes(result.tei_bytes, draft_path)
    outputs = []
    if output is not None:
        outputs.append((output, result.tei_bytes))
    if report_path is not None:
        data = report_json(result, str(textfile), problems)
        outputs.append(
            (report_path, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode())
        )
    atomic_write_many(outputs)
    if output is None:
        sys.stdout.buffer.write(result.tei_bytes)
        sys.stdout.buffer.flush()
    if report_path is None:
        click.echo(report_text(result, str(textfile), problems), err=True, nl=False)
