"""`archive catalogue`: facts files (TOML) to TEI catalogue records, validated before written."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from archive.cli.group import main, pass_config, reports_errors
from archive.config import Config
from archive.errors import InvalidDocument, Problem


@main.command()
@click.argument("facts", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the record here (one facts file only). Default: standard output.",
)
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write each record to DIR/<id>.xml (the folder must exist).",
)
@pass_config
@reports_errors
def catalogue(
    config: Config, facts: tuple[Path, ...], output: Path | None, output_dir: Path | None
) -> None:
    """Make TEI catalogue records from facts files (docs/corpus.md, "Facts files").

    Each record is checked against the project schema and the registers before anything is
    written; a problem in any file is reported as `file:line: field: message`, exit 1, and
    no file is written. Store a record with `archive add RECORD.xml -m "..."`. A record of an
    id the archive holds keeps that version's history: store the correction with
    `archive add --revise RECORD.xml -m "why"`.
    """
    from archive.document import Registers
    from archive.encode import build_catalogue_record, with_history
    from archive.storage import Corpus, atomic_write_many, corpus_validator

    if output is not None and output_dir is not None:
        raise click.UsageError("give -o/--output or --output-dir, not both")
    if output is None and output_dir is None and len(facts) > 1:
        raise click.UsageError("several facts files need --output-dir")
    if output is not None and len(facts) > 1:
        raise click.UsageError("-o/--output takes one facts file; use --output-dir for several")
    registers = Registers.load(config.authority_dir)
    validator = corpus_validator(config, registers)
    today = datetime.now(UTC).date().isoformat()
    problems: list[Problem] = []
    outputs: list[tuple[Path, bytes]] = []
    seen: dict[str, Path] = {}
    corpus = Corpus(config)
    revised: list[str] = []
    for path in facts:
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(Problem(str(path), None, f"cannot read: {exc.strerror or exc}"))
            continue
        try:
            record = build_catalogue_record(
                data, path, registers, base_url=config.canonical_base, today=today
            )
        except InvalidDocument as exc:
            problems.extend(exc.problems)
            continue
        if record.doc_id in seen:
            problems.append(
                Problem(
                    str(path),
                    None,
                    f"id: {record.doc_id!r} is also the id of {seen[record.doc_id]}",
                )
            )
            continue
        seen[record.doc_id] = path
        tei = record.tei_bytes
        if corpus.current_among([record.doc_id]):
            # Made again after a correction: the record keeps the history it has.
            tei = with_history(tei, corpus.read_bytes(record.doc_id))
            revised.append(record.doc_id)
        target = output or (output_dir / f"{record.doc_id}.xml" if output_dir else None)
        label = target or Path(f"{record.doc_id}.xml")
        # A record the archive would refuse is a fault of this command, or of its facts (a
        # date the schema cannot take ...): named here, against the facts file.
        invalid = validator.validate_bytes(tei, label)
        problems.extend(
            Problem(str(path), None, f"the record made from it is not valid: {p}") for p in invalid
        )
        if not invalid:
            outputs.append((label, tei))
    if problems:
        raise InvalidDocument(problems)
    for doc_id in revised:
        click.echo(
            f"{doc_id}: the archive holds this id; the record keeps its history: store it with "
            f"archive add --revise FILE -m WHY",
            err=True,
        )
    if output is None and output_dir is None:
        sys.stdout.buffer.write(outputs[0][1])
        sys.stdout.buffer.flush()
        return
    atomic_write_many(outputs)
    for path, _ in outputs:
        click.echo(f"wrote {path}", err=True)
