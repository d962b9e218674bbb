"""`archive register ...`: the registers of treaties, persons, organisations and places,
read and changed from the command line, so that nobody edits their XML by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from archive.cli.group import main, pass_config, reports_errors
from archive.cli.index import index_step
from archive.config import Config

KINDS = ("treaty", "person", "org", "place")
_KIND = click.Choice(KINDS)


@main.group()
def register() -> None:
    """Read and change the registers: list, show, add, edit, merge.

    KIND is treaty, person, org or place. Every change is validated, made all or nothing,
    recorded in the register's revisionDesc and kept in corpus/authority-history/; a merged
    or renamed id keeps resolving, and the documents citing it are rewritten.
    """


@register.command("list")
@click.argument("kind", type=_KIND)
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
@pass_config
@reports_errors
def list_records(config: Config, kind: str, as_json: bool) -> None:
    """List a register's records: id and preferred name, with other names."""
    from archive.document import Registers

    records = sorted(Registers.load(config.authority_dir).by_kind(kind), key=lambda r: r.id)
    if as_json:
        data = [{"id": r.id, "name": r.name, "variants": list(r.variants)} for r in records]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    width = max((len(r.id) for r in records), default=0)
    for record in records:
        others = f"  ({'; '.join(record.variants)})" if record.variants else ""
        click.echo(f"{record.id:<{width}}  {record.name}{others}")
    click.echo(f"{len(records)} record{'' if len(records) == 1 else 's'}", err=True)


@register.command("show")
@click.argument("kind", type=_KIND)
@click.argument("record_id", metavar="ID")
@click.option(
    "--xml", "as_xml", is_flag=True, help="Print the record's TEI as the register holds it."
)
@click.option("--json", "as_json", is_flag=True, help="Print the record and its history as JSON.")
@pass_config
@reports_errors
def show_record(config: Config, kind: str, record_id: str, as_xml: bool, as_json: bool) -> None:
    """Show one record: names, identifiers, and its history (every recorded change)."""
    from archive.storage import RegisterFile, record_history

    if as_xml and as_json:
        raise click.UsageError("--json and --xml exclude each other: give one of them")
    register = RegisterFile(config, kind)
    current = register.successor(record_id) or record_id
    xml = register.record_xml(current)
    if as_xml:
        click.echo(xml)
        return
    from archive.document import Registers

    record = Registers.load(config.authority_dir).by_kind(kind).get(current)
    history = record_history(config, kind, current)
    if as_json:
        data: dict[str, Any] = {
            "id": record.id,
            "asked_for": record_id,
            "name": record.name,
            "variants": list(record.variants),
            "identifiers": [list(pair) for pair in record.external_ids],
            "note": record.note,
            "history": [
                {"version": v.version, "when": v.when, "message": v.message, "tei": v.xml}
                for v in history
            ],
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if current != record_id:
        click.echo(f"{kind}:{record_id} was merged into or renamed to {kind}:{current}", err=True)
    click.echo(f"{record.name} [{kind}:{record.id}]")
    for variant in record.variants:
        click.echo(f"  also: {variant}")
    for scheme, value in record.external_ids:
        click.echo(f"  {scheme}: {value}")
    if record.note:
        click.echo(f"  note: {record.note}")
    click.echo("")
    click.echo(xml)
    click.echo("")
    if not history:
        click.echo(f"History: none recorded yet ({register.path.name} has not been changed since)")
    for version in history:
        state = "" if version.xml is not None else " (merged away: no longer a record of its own)"
        click.echo(
            f"{register.path.name} version {version.version}"
            f"{', ' + version.when if version.when else ''}: {version.message}{state}"
        )


@register.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--kind", type=_KIND, help="The register, where a record file does not say.")
@click.option("-m", "--message", help="Why the records are added (default: what was added).")
@pass_config
@reports_errors
def add_records(
    config: Config, files: tuple[Path, ...], kind: str | None, message: str | None
) -> None:
    """Add records from FILES: .toml or .json fields, .xml register records, or a draft
    (the records it proposes that the registers lack).

    Fields: kind, id, name, variants, wikidata, uri, note; a person's role and org; an
    org's type, abbreviations, place, description; a place's type, geo ("lat lon") and
    within (docs/encoding.md). All records are added together, or none.
    """
    from archive.document import XML_ID, Registers, proposes_records, read_records
    from archive.storage import RegisterFile, change_registers

    registers = Registers.load(config.authority_dir)
    records = [
        (record, proposes_records(path))
        for path in files
        for record in read_records(path, kind, registers)
    ]
    editors: dict[str, Any] = {}
    added, skipped = [], []
    for (record_kind, element), proposed in records:
        record_id = element.get(XML_ID) or ""
        # A draft's proposal may be in the register already (added with another draft);
        # a record given on purpose that is already there is refused (RegisterFile.add).
        if proposed and registers.by_kind(record_kind).current_id(record_id) is not None:
            skipped.append(f"{record_kind}:{record_id}")
            continue
        editor = editors.setdefault(record_kind, RegisterFile(config, record_kind))
        editor.add(element)
        added.append(f"{record_kind}:{record_id}")
    text = message or "Added " + ", ".join(added) + "."
    changes = change_registers(config, editors.values(), text)
    for ref in skipped:
        click.echo(f"{ref}: already in its register, left as it is", err=True)
    for change in changes:
        click.echo(
            f"{change.kind} register: version {change.version}, added {', '.join(change.record_ids)}"
        )
    if not changes and not skipped:
        click.echo("nothing to add", err=True)


@register.command("edit")
@click.argument("kind", type=_KIND)
@click.argument("record_id", metavar="ID")
@click.option("--name", help="A new preferred name (the old one is kept as a variant).")
@click.option("--variant", "add_variants", multiple=True, help="Add another name (repeat).")
@click.option("--remove-variant", "remove_variants", multiple=True, help="Remove a variant name.")
@click.option(
    "--idno",
    "idnos",
    multiple=True,
    metavar="TYPE=VALUE",
    help="Set an identifier (wikidata, URI, ISNI, VIAF, ICRC); TYPE= removes it.",
)
@click.option("--note", help="Replace the record's note ('' removes it).")
@click.option(
    "--from",
    "from_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Replace the whole record by the one in this .toml/.json/.xml file.",
)
@click.option(
    "--rename",
    "new_id",
    metavar="NEW_ID",
    help="Give the record a new id (the old one keeps resolving).",
)
@click.option("-m", "--message", required=True, help="Why the record changes.")
@pass_config
@reports_errors
def edit_record(
    config: Config,
    kind: str,
    record_id: str,
    name: str | None,
    add_variants: tuple[str, ...],
    remove_variants: tuple[str, ...],
    idnos: tuple[str, ...],
    note: str | None,
    from_file: Path | None,
    new_id: str | None,
    message: str,
) -> None:
    """Change one record; with --rename, give it a new id (documents citing the old id are
    rewritten to the new one, as new versions, and the old id keeps resolving)."""
    from archive.document import XML_ID, Registers, read_records
    from archive.errors import BadQuery
    from archive.storage import RegisterFile, change_registers, merge_records

    register = RegisterFile(config, kind)
    fields: dict[str, str] = {}
    for pair in idnos:
        scheme, sep, value = pair.partition("=")
        if not sep:
            raise BadQuery(f"--idno {pair!r}: write TYPE=VALUE, e.g. --idno wikidata=Q42")
        fields[scheme.strip()] = value.strip()
    if from_file is not None:
        found = read_records(from_file, kind, Registers.load(config.authority_dir))
        if len(found) != 1 or found[0][0] != kind:
            raise BadQuery(f"{from_file}: give exactly one {kind} record")
        element = found[0][1]
        element.set(XML_ID, new_id or record_id)
        if new_id is None:
            register.replace(record_id, element)
    if name or add_variants or remove_variants or fields or note is not None:
        register.edit(
            record_id,
            name=name,
            add_variants=add_variants,
            remove_variants=remove_variants,
            idnos=fields,
            note=note,
        )
    if new_id is not None:
        element = element if from_file is not None else register.element(record_id)
        element.set(XML_ID, new_id)
        changes, outcomes = merge_records(
            config,
            kind,
            record_id,
            new_id,
            message,
            on_change=index_step(config),
            rename_to=element,
        )
    else:
        if not register.touched:
            raise BadQuery(
                "nothing to change: give --name, --variant, --idno, --note, --from or --rename"
            )
        changes, outcomes = change_registers(config, [register], message), []
    _report(changes, outcomes)


@register.command("merge")
@click.argument("kind", type=_KIND)
@click.argument("old_id", metavar="OLD")
@click.argument("new_id", metavar="NEW")
@click.option("-m", "--message", required=True, help="Why the two records are one.")
@pass_config
@reports_errors
def merge(config: Config, kind: str, old_id: str, new_id: str, message: str) -> None:
    """Merge record OLD into NEW (one person spelt two ways): OLD's names and identifiers
    go to NEW, OLD keeps resolving to NEW (`/person/OLD` redirects), and the documents
    citing OLD are rewritten to cite NEW, as new versions."""
    from archive.storage import merge_records

    changes, outcomes = merge_records(
        config, kind, old_id, new_id, message, on_change=index_step(config)
    )
    _report(changes, outcomes)


def _report(changes: list[Any], outcomes: list[Any]) -> None:
    for change in changes:
        click.echo(
            f"{change.kind} register: version {change.version} ({', '.join(change.record_ids)})"
        )
    for outcome in outcomes:
        click.echo(f"{outcome.doc_id}: {outcome.status} (version {outcome.version})")
