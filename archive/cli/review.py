"""`archive review DRAFT`: a draft's open review points, one at a time, in the terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from archive.cli.group import main, pass_config, reports_errors
from archive.config import Config

if TYPE_CHECKING:
    from archive.storage import DraftReview


@main.command()
@click.argument("draft", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the points as JSON.")
@pass_config
@reports_errors
def review(config: Config, draft: Path, as_json: bool) -> None:
    """Show a draft's review points one by one, and what `archive add` still needs.

    Points about an unknown person or organisation are settled when the proposed record is
    in its register (`archive register add DRAFT`, or `archive add --with-proposals`); the
    others need your decision: edit the draft or re-encode it (--date, --id, --source ...),
    or accept it with `archive add DRAFT --accept -m MESSAGE`. On a terminal, Enter shows
    the next point and q stops.
    """
    from archive.document import Registers, read_bytes
    from archive.storage import review_draft

    state = review_draft(draft, read_bytes(draft), Registers.load(config.authority_dir))
    open_codes = {id(n) for n in state.open_points}
    if as_json:
        data = {
            "draft": str(draft),
            "id": state.doc_id,
            "ready": state.ready,
            "points": [
                {
                    "code": n.code,
                    "message": n.message,
                    "where": n.where,
                    "line": n.line,
                    "ref": n.ref,
                    "open": id(n) in open_codes,
                }
                for n in state.notes
            ],
            "missing_records": [r.ref for r in state.missing],
            "placeholder_change_line": state.placeholder_line,
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    click.echo(f"{draft}: draft of {state.doc_id}, {len(state.notes)} review point(s)")
    for number, note in enumerate(state.notes, 1):
        missing = {r.ref for r in state.missing}
        status = (
            "open"
            if id(note) in open_codes
            else "waits for its record"
            if note.ref in missing
            else "settled: the record is in its register"
        )
        click.echo("")
        click.echo(f"[{number}/{len(state.notes)}] {note.code} ({status})")
        if note.where:
            click.echo(f"  in the plain text: {note.where}")
        click.echo(f"  {note.message}")
        if note.ref in state.contexts:
            line, words = state.contexts[note.ref]
            click.echo(f"  {draft}:{line}: {words}")
        if interactive and number < len(state.notes):
            answer = click.prompt(
                "  Enter for the next point, q to stop", default="", show_default=False
            )
            if answer.strip().lower() == "q":
                break
    click.echo("")
    click.echo(_next_step(draft, state))


def _next_step(draft: Path, state: DraftReview) -> str:
    if state.ready:
        return f"Nothing is left to decide: `archive add {draft} -m MESSAGE` adds it."
    lines = ["Before `archive add` takes it:"]
    if state.missing:
        refs = ", ".join(r.ref for r in state.missing)
        lines.append(
            f"- {len(state.missing)} proposed record(s) not in the registers ({refs}): "
            f"`archive register add {draft}`, or `archive add {draft} --with-proposals`"
        )
    if state.open_points:
        lines.append(
            f"- {len(state.open_points)} open point(s): settle them, or accept the draft "
            "with --accept -m MESSAGE"
        )
    if state.placeholder_line:
        lines.append("- the change note is the encoder's placeholder: give -m MESSAGE")
    return "\n".join(lines)
