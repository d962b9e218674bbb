"""How long the `archive` command takes to answer what should feel instant: `--help`, each
command's `--help`, and `archive show` (targets: 0.3 s for help, 0.5 s for show).

    python -m bench.cli_startup [--runs 15] [--against /work/main] [--out report.json]

Each command line runs `--runs` times as a fresh process (`python -m archive ...`, the same
Python and an empty instance folder), interleaved so that a busy moment of a shared machine
does not fall on one command only; the report gives the median and the fastest and slowest
run in seconds. `--against` times another checkout of the project the same way (with its
folder first on PYTHONPATH), for a before/after comparison on the same machine at the same
time. A benchmark, never a test: wall-clock times depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archive.config import PROJECT_ROOT

SEED_ID = "ngo-appeal-mine-maps-2021"
COMMANDS = [
    ["--help"],
    *[
        [name, "--help"]
        for name in (
            "validate",
            "show",
            "add",
            "withdraw",
            "review",
            "register",
            "encode",
            "index",
            "search",
            "stats",
            "export",
            "serve",
        )
    ],
    ["show", SEED_ID],
]
TARGETS = {"show": 0.5}  # seconds; 0.3 for everything else (help texts)


def _time(checkout: Path, args: list[str], instance: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(checkout), "ARCHIVE_INSTANCE": str(instance)}
    env.pop("ARCHIVE_CORPUS", None)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "archive", *args],
        env=env,
        cwd=checkout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


def measure(checkouts: dict[str, Path], runs: int) -> dict[str, dict[str, dict[str, float]]]:
    """{checkout label: {command line: {median, min, max}}}, runs interleaved."""
    times: dict[str, dict[str, list[float]]] = {label: {} for label in checkouts}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(runs):
            for label, checkout in checkouts.items():
                for args in COMMANDS:
                    seconds = _time(checkout, args, Path(scratch) / label)
                    times[label].setdefault(" ".join(args), []).append(seconds)
    return {
        label: {
            command: {
                "median": round(statistics.median(values), 3),
                "min": round(min(values), 3),
                "max": round(max(values), 3),
            }
            for command, values in by_command.items()
        }
        for label, by_command in times.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cli_startup", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--against", type=Path, help="another checkout to time the same way")
    parser.add_argument("--out", type=Path, help="write the report as JSON here too")
    args = parser.parse_args(argv)
    checkouts = {"this": PROJECT_ROOT}
    if args.against:
        checkouts["against"] = args.against.resolve()
    report = {
        "runs": args.runs,
        "python": sys.version.split()[0],
        "checkouts": {k: str(v) for k, v in checkouts.items()},
    }
    report["seconds"] = measure(checkouts, args.runs)
    for label, by_command in report["seconds"].items():
        print(f"{label} ({checkouts[label]}): median of {args.runs} runs, seconds")
        for command, figures in by_command.items():
            target = TARGETS.get(command.split()[0], 0.3) if "--help" not in command else 0.3
            flag = "" if figures["median"] <= target else f"  above the {target} s target"
            print(
                f"  archive {command:<24} {figures['median']:.3f}  ({figures['min']:.3f}-{figures['max']:.3f}){flag}"
            )
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
