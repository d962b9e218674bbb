"""How every benchmark hands over its report: JSON on stdout, and the same in a file with
`--out`, so runs can be compared later (docs/performance.md quotes them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def print_report(report: dict[str, Any], out: Path | None) -> None:
    """Print `report` as indented JSON and, when `out` is given, write the same there."""
    text = json.dumps(report, indent=2)
    print(text)
    if out:
        out.write_text(text + "\n", encoding="utf-8")
