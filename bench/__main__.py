"""`python -m bench`: the synthetic corpus generator and the search benchmark.

    python -m bench generate --docs 10000 --out /work/bench-data/corpus-10k
    python -m bench run --docs 10000 --data /work/bench-data [--out report.json]

`run` generates the corpus if needed (under --data, never in the bundled corpus), builds
the index from scratch, measures searches and the plain-Whoosh baseline, and prints JSON.
The phases `build`, `search` and `baseline` can be run alone on an existing corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench import run as bench_run
from bench.generate import generate_corpus

DEFAULT_DATA = Path("/work/bench-data")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a synthetic corpus")
    gen.add_argument("--docs", type=int, required=True)
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--procs", type=int, default=1, help="writer processes (same corpus)")

    run = sub.add_parser("run", help="the whole benchmark, as JSON")
    run.add_argument("--docs", type=int, required=True)
    run.add_argument("--data", type=Path, default=DEFAULT_DATA)
    run.add_argument("--seed", type=int, default=42)
    run.add_argument("--queries", type=int, default=40, help="queries per type")
    run.add_argument("--baseline-queries", type=int, default=10, help="baseline queries per type")
    run.add_argument("--procs", type=int, default=None, help="build worker processes")
    run.add_argument("--skip-build", action="store_true", help="reuse the existing index")
    run.add_argument(
        "--instance", type=Path, default=None, help="instance folder (default DATA/instance-NNk)"
    )
    run.add_argument("--out", type=Path, help="also write the report here")

    for name in ("build", "search", "baseline"):
        phase = sub.add_parser(name, help=f"one phase: {name}")
        phase.add_argument("--corpus", type=Path, required=True)
        phase.add_argument("--instance", type=Path, required=True)
        if name == "build":
            phase.add_argument("--procs", type=int, default=None)
        else:
            phase.add_argument("--seed", type=int, default=42)
            phase.add_argument("--queries", type=int, default=40)

    args = parser.parse_args(argv)
    if args.command == "generate":
        generate_corpus(args.out, args.docs, args.seed, procs=args.procs)
        print(json.dumps({"corpus": str(args.out), "documents": args.docs}))
        return 0
    if args.command == "build":
        report = bench_run.phase_build(args.corpus, args.instance, args.procs)
    elif args.command == "search":
        report = bench_run.phase_search(args.corpus, args.instance, args.seed, args.queries)
    elif args.command == "baseline":
        report = bench_run.phase_baseline(args.corpus, args.instance, args.seed, args.queries)
    else:
        report = bench_run.run(
            args.docs,
            args.data,
            args.seed,
            args.queries,
            args.baseline_queries,
            args.procs,
            args.skip_build,
            args.instance,
        )
    text = json.dumps(report, indent=2)
    print(text)
    if getattr(args, "out", None):
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
