"""`python -m bench.encode_eval TEXTS_DIR`: the encoder scored on real public statements.

The development set is 62 statements by the ICRC, IFRC, the UN Secretary-General and
Security Council, OHCHR, HRW, Amnesty, the ICBL and CMC, ICMP, Geneva Call, ombudspersons,
governments and news agencies (bench/encode_devset/*.json: hand labels, each with the URL
and sha256 of its text). Third-party texts are not ours to redistribute, so the texts stay
outside the repository: TEXTS_DIR holds NAME.txt for each NAME.json, and a text whose
sha256 differs from its label's is refused (its labels would point at other words).

Scoring is archive/encode/evaluate.py's (`devset=True`): per kind precision, recall and F1,
then one row per document, then the encoding time per document (the 100 ms budget).

    python -m bench.encode_eval /work/encoder-devset/texts [-v] [--json OUT]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

from archive.config import BUNDLED_CORPUS
from archive.document import Registers
from archive.encode import Encoder
from archive.encode.evaluate import GoldText, Score, evaluate, format_table

LABELS = Path(__file__).parent / "encode_devset"


def load_devset(texts: Path, labels: Path = LABELS) -> list[GoldText]:
    """Each labelled text, its sha256 checked; a missing or changed text stops the run."""
    items = []
    for path in sorted(labels.glob("*.json")):
        label = json.loads(path.read_text(encoding="utf-8"))
        text_path = texts / f"{path.stem}.txt"
        if not text_path.is_file():
            raise SystemExit(f"{text_path}: missing (fetch {label['url']} and save its text)")
        data = text_path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != label["sha256"]:
            raise SystemExit(f"{text_path}: sha256 {digest} is not the labelled {label['sha256']}")
        items.append(GoldText(path.stem, data.decode("utf-8"), label))
    return items


def timings(items: list[GoldText], registers: Registers, rounds: int = 3) -> list[float]:
    """Milliseconds per document (best of `rounds`), the Encoder built once beforehand."""
    encoder = Encoder(registers)
    result = []
    for item in items:
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            encoder.encode(item.text, issued=item.labels.get("issued"))
            best = min(best, time.perf_counter() - start)
        result.append(best * 1000)
    return result


def document_table(rows: dict[str, dict[str, Score]]) -> str:
    kinds = ("treaty", "date", "org", "place", "signatory", "signatory-name", "issued")
    lines = [
        "| document | " + " | ".join(kinds) + " |",
        "| --- | " + " | ".join("---:" for _ in kinds) + " |",
    ]
    for name, scores in rows.items():
        cells = []
        for kind in kinds:
            s = scores[kind]
            labels, found = s.tp + s.fn, s.tp + s.fp
            cells.append("" if labels == 0 and found == 0 else f"{s.tp}/{labels} ({found})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.encode_eval", description=__doc__.split("\n")[0]
    )
    parser.add_argument("texts", type=Path, help="folder with NAME.txt for each label file")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    parser.add_argument("--json", type=Path, help="write the figures there as JSON")
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args(argv)
    items = load_devset(args.texts)
    registers = Registers.load(BUNDLED_CORPUS / "authority")
    rows: dict[str, dict[str, Score]] = {}
    scores = evaluate(items, registers, devset=True, per_document=rows)
    print(f"development set: {len(items)} texts ({args.texts})")
    print(format_table(scores))
    print()
    print("per document: right/labelled (found)")
    print(document_table(rows))
    report = {
        kind: {
            "labels": s.tp + s.fn,
            "found": s.tp + s.fp,
            "right": s.tp,
            "precision": s.precision,
            "recall": s.recall,
            "f1": s.f1,
        }
        for kind, s in scores.items()
    }
    if not args.no_timing:
        ms = timings(items, registers)
        report["ms_per_document"] = {
            "mean": statistics.mean(ms),
            "max": max(ms),
            "median": statistics.median(ms),
        }
        print(
            f"\nencoding time per document: median {statistics.median(ms):.1f} ms, "
            f"mean {statistics.mean(ms):.1f} ms, max {max(ms):.1f} ms"
        )
    if args.verbose:
        for kind, score in scores.items():
            for miss in score.misses:
                print(f"  {kind}: {miss}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
