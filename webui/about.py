"""The About page: what the archive holds and why, its editorial policy, its licence and how
to cite the archive itself. Text of the archive's own, with the few facts that vary (the
public address, the registers' sizes) filled in per request. The archive is cited under its
canonical address, the one its permalinks are made on (Config.canonical_base)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template

from archive.config import ARCHIVE_NAME
from webui.context import archive

bp = Blueprint("about", __name__)


@bp.route("/about")
def about():  # type: ignore[no-untyped-def]
    ctx = archive()
    registers = ctx.registers
    sizes = {
        kind: len(registers.by_kind(kind).records) for kind in ("treaty", "person", "org", "place")
    }
    return render_template(
        "about.html",
        archive_name=ARCHIVE_NAME,
        base=ctx.config.canonical_base,
        sizes=sizes,
        today=datetime.now(UTC).date().isoformat(),
    )
