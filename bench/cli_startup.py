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
import resource
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


def _time(checkout: Path, args: list[str], instance: Path) -> tuple[float, float]:
    """Wall-clock seconds and CPU seconds (user + system) of one run."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "ARCHIVE_INSTANCE": str(instance)}
    env.pop("ARCHIVE_CORPUS", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "archive", *args],
        env=env,
        cwd=checkout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(checkouts: dict[str, Path], runs: int) -> dict[str, dict[str, dict[str, float]]]:
    """{checkout label: {command line: {median, min, max, cpu}}}, runs interleaved. `cpu`
    is the median CPU time: on a machine shared with other work the wall clock waits for
    the processor, the CPU time does not."""
    times: dict[str, dict[str, list[tuple[float, float]]]] = {label: {} for label in checkouts}
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(runs):
            for label, checkout in checkouts.items():
                for args in COMMANDS:
                    measured = _time(checkout, args, Path(scratch) / label)
                    times[label].setdefault(" ".join(args), []).append(measured)
    return {
        label: {
            command: {
                "median": round(statistics.median(w for w, _ in values), 3),
                "min": round(min(w for w, _ in values), 3),
                "max": round(max(w for w, _ in values), 3),
                "cpu": round(statistics.median(c for _, c in values), 3),
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
    seconds = measure(checkouts, args.runs)
    report = {
        "runs": args.runs,
        "python": sys.version.split()[0],
        "checkouts": {k: str(v) for k, v in checkouts.items()},
        "load_average": os.getloadavg(),
        "seconds": seconds,
    }
    for label, by_command in seconds.items():
        print(f"{label} ({checkouts[label]}): median of {args.runs} runs, seconds (wall, CPU)")
        for command, figures in by_command.items():
            target = TARGETS.get(command.split()[0], 0.3) if "--help" not in command else 0.3
            flag = "" if figures["median"] <= target else f"  above the {target} s target"
            print(
                f"  archive {command:<24} {figures['median']:.3f}  "
                f"({figures['min']:.3f}-{figures['max']:.3f})  cpu {figures['cpu']:.3f}{flag}"
            )
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
