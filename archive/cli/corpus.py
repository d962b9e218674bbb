"""Commands on the corpus itself: validate, show, add, withdraw, verify."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from archive.cli.group import main, pass_config, reports_errors
from archive.cli.index import index_step
from archive.config import Config
from archive.errors import Problem


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@pass_config
@reports_errors
def validate(config: Config, paths: tuple[Path, ...]) -> None:
    """Validate TEI files against the project schema and the reference rules.

    PATHS may be files or folders (searched for *.xml); the default is the whole corpus:
    its documents, every stored version and the registers (with their history). Prints one
    `path:line: message` per problem, then what was checked, and exits 1 if there is any.
    """
    from archive.storage import (
        Corpus,
        corpus_validator,
        register_history_dir,
        register_integrity_problems,
    )

    folders = (
        config.documents_dir,
        config.versions_dir,
        config.authority_dir,
        register_history_dir(config),
    )
    targets = list(paths) or [p for p in folders if p.is_dir()]
    report = corpus_validator(config).validate_paths(targets)
    if not paths:
        report.problems.extend(Corpus(config).integrity_problems())
        report.problems.extend(register_integrity_problems(config))
    counted = _counted(report.files, config) if not paths else _plural(len(report.files), "file")
    bad_files = len({p.path for p in report.problems})
    _conclude(
        report.problems,
        f"{counted}: valid",
        f"{_plural(len(report.problems), 'problem')} in {bad_files} of {counted}",
    )


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _counted(files: list[str], config: Config) -> str:
    """What `validate` read, in the corpus's own terms: "5 documents, 5 stored versions,
    4 registers"."""
    from archive.storage import register_history_dir

    kinds = {
        "document": config.documents_dir,
        "stored version": config.versions_dir,
        "register": config.authority_dir,
        "earlier register version": register_history_dir(config),
    }
    counts = dict.fromkeys(kinds, 0)
    for file in files:
        for kind, folder in kinds.items():
            if Path(file).is_relative_to(folder):
                counts[kind] += 1
                break
    return ", ".join(_plural(n, kind) for kind, n in counts.items() if n) or "0 files"


def _conclude(problems: Sequence[Problem], good: str, bad: str) -> None:
    """One line per problem on stderr, then the verdict: `good` on stdout, or `bad` on
    stderr and exit 1."""
    for problem in problems:
        click.echo(str(problem), err=True)
    if not problems:
        click.echo(good)
        return
    click.echo(bad, err=True)
    sys.exit(1)


@main.command()
@click.argument("doc_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the document model as JSON.")
@click.option("--xml", "as_xml", is_flag=True, help="Print the stored TEI exactly as stored.")
@pass_config
@reports_errors
def show(config: Config, doc_id: str, as_json: bool, as_xml: bool) -> None:
    """Show one document readably, as JSON, or as its stored XML."""
    from archive.cli.terminal import document_text
    from archive.document import Registers
    from archive.storage import Corpus

    if as_json and as_xml:
        raise click.UsageError("--json and --xml exclude each other: give one of them")
    corpus = Corpus(config)
    if as_xml:
        sys.stdout.buffer.write(corpus.read_bytes(doc_id))
        return
    doc = corpus.document(doc_id)
    if as_json:
        click.echo(json.dumps(doc.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(document_text(doc, Registers.load(config.authority_dir)))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--revise",
    is_flag=True,
    help="The files are new versions of documents the archive holds (without it, every id must be new).",
)
@click.option(
    "-m",
    "--message",
    help="What changed, or what the review settled: the revisionDesc entry of the new version.",
)
@click.option(
    "--accept",
    is_flag=True,
    help="Add a draft with open review points as it is (needs -m in your own words).",
)
@click.option(
    "--with-proposals",
    is_flag=True,
    help="Add the register records a draft proposes, in the same change.",
)
@pass_config
@reports_errors
def add(
    config: Config,
    files: tuple[Path, ...],
    revise: bool,
    message: str | None,
    accept: bool,
    with_proposals: bool,
) -> None:
    """Add TEI files to the corpus: new documents become version 1; with --revise, files of
    documents it holds become their version n+1.

    Every file is validated first; then all are stored together or none is. Earlier versions
    stay, byte for byte, in versions/<id>/<n>.xml, with the sha256 and time recorded when
    each was stored (corpus/fixity.jsonl). An identical file changes nothing. The stored
    file is named by the id in its TEI, whatever FILE is called.

    A draft from `archive encode` passes a review gate: refused, with each point named, while
    it has open review points or the encoder's placeholder change note, unless --accept -m
    MESSAGE; refused while the records it proposes are missing from the registers, unless
    --with-proposals adds them.
    """
    from archive import storage

    outcomes, register_changes = storage.add_documents(
        config,
        files,
        revise=revise,
        message=message,
        accept=accept,
        with_proposals=with_proposals,
        on_change=index_step(config),
    )
    for change in register_changes:
        click.echo(
            f"{change.kind} register: version {change.version}, added {', '.join(change.record_ids)}"
        )
    for outcome in outcomes:
        click.echo(f"{outcome.doc_id}: {outcome.status} (version {outcome.version})")


@main.command()
@click.argument("doc_id", metavar="ID")
@click.option("--reason", required=True, help="Why the document is withdrawn; shown to readers.")
@pass_config
@reports_errors
def withdraw(config: Config, doc_id: str, reason: str) -> None:
    """Withdraw a document: it keeps its versions and its id, and is shown as withdrawn."""
    from archive import storage

    withdrawal = storage.withdraw(config, doc_id, reason, on_change=index_step(config))
    click.echo(
        f"{withdrawal.doc_id}: withdrawn on {withdrawal.when} (last version {withdrawal.last_version})"
    )


@main.command()
@pass_config
@reports_errors
def verify(config: Config) -> None:
    """Check every stored version against the sha256 recorded when it was stored.

    Prints one line per damaged or missing version and exits 1 if there is any. Versions
    stored before records were kept are recorded now, once.
    """
    from archive import storage

    report = storage.verify(config)
    if report.recorded:
        click.echo(
            f"recorded {len(report.recorded)} versions that had no fixity record yet "
            f"(stored before records were kept): {', '.join(report.recorded[:5])}"
            + (" ..." if len(report.recorded) > 5 else ""),
            err=True,
        )
    if report.unrecorded:
        click.echo(
            f"{len(report.unrecorded)} versions have no fixity record and none could be "
            f"written ({report.unrecorded_why}): their sha256 is not checked",
            err=True,
        )
    _conclude(
        report.damaged,
        f"{report.checked} versions verified: every sha256 matches its record",
        f"{len(report.damaged)} problems in {report.checked} versions: fixity check failed",
    )
