"""Export throughput and memory at scale: `archive export` as a separate process per run.

    python bench/export_bench.py --docs 10000 [--runs 3] [--work /tmp/appeals-bench]

Builds (once, reused) a synthetic corpus of the bundled documents templated into --docs
copies (tests/synthetic.py), then times `archive export --format F -o FILE` for zip, tei,
jsonl, csv and ris, and reads each process's peak RSS from the kernel (wait4). JSON Lines
is measured cold (model cache deleted after the index was built: every document read into
the model) and warm. The index is built first, untimed (an export builds it if it is
missing). Prints a table and writes bench/out/export-<docs>.json. Run by hand: it takes minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.storage import cache  # noqa: E402
from tests.synthetic import make_corpus  # noqa: E402


def corpus_for(work: Path, docs: int):  # type: ignore[no-untyped-def]
    folder = work / f"corpus-{docs}"
    marker = folder / "complete"
    if not marker.exists():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        make_corpus(folder, docs)
        marker.write_text("")
        print(f"generated {docs} documents in {time.perf_counter() - started:.1f} s", flush=True)
    from archive.config import Config

    return Config(corpus=folder / "corpus", instance=folder / "instance")


def write_results(name: str, results: dict) -> None:
    """Merge into bench/out/<name>.json: a run of some formats keeps the others' figures."""
    target = ROOT / "bench" / "out" / f"{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    merged = json.loads(target.read_text()) if target.exists() else {}
    merged.update(results)
    target.write_text(json.dumps(merged, indent=2) + "\n")
    print(f"wrote {target}")


def run_export(config, fmt: str, out: Path) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """One `archive export` process: wall time, peak RSS, output size."""
    command = config.command("export", "--format", fmt, "-o", str(out))
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"export failed: {stderr}")
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "bytes": out.stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/appeals-bench"))
    parser.add_argument("--formats", default="zip,jsonl-cold,jsonl,tei,csv,ris")
    args = parser.parse_args()
    config = corpus_for(args.work, args.docs)
    subprocess.run(config.command("index"), check=True, stdout=subprocess.DEVNULL)
    total = args.docs + 5
    out = args.work / "out"
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    for name in args.formats.split(","):
        fmt = name.removesuffix("-cold")
        runs = []
        for _ in range(args.runs if name != "jsonl-cold" else 1):
            if name == "jsonl-cold":
                # The index stays; only the models go, so that the export reads every TEI
                # file (an index build fills the cache: see docs/export.md).
                for path in config.instance.glob(f"{cache.CACHE_FILE}*"):
                    path.unlink()
            runs.append(run_export(config, fmt, out / f"export.{fmt}"))
        seconds = statistics.median(r["seconds"] for r in runs)
        results[name] = {
            "documents": total,
            "runs": len(runs),
            "median_seconds": round(seconds, 2),
            "docs_per_second": round(total / seconds),
            "peak_rss_mb_max": round(max(r["peak_rss_mb"] for r in runs), 1),
            "output_mb": round(runs[-1]["bytes"] / 1e6, 1),
        }
        row = results[name]
        print(
            f"{name:11} {row['median_seconds']:8.2f} s {row['docs_per_second']:7} docs/s "
            f"peak RSS {row['peak_rss_mb_max']:6.1f} MB  output {row['output_mb']} MB",
            flush=True,
        )
    write_results(f"export-{args.docs}", results)


if __name__ == "__main__":
    main()
