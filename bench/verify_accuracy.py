"""Verdict accuracy of QuoteChecker on the generated cases, with the confusion matrix.

    python bench/verify_accuracy.py [--seed N] [--scale X] [--show-errors]

Prints Markdown: accuracy, expected × predicted counts, and the safety check that no changed
number or negation is ever called exact or normalized (and that each carries its flag).
Exit status 1 when accuracy < 0.99 or the safety check fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quote_cases import generate_cases, load_seed_articles  # noqa: E402

from qa.quotes.checker import VERDICTS, QuoteChecker  # noqa: E402

_FLAG_OF = {"number": "number", "negation_inserted": "negation", "negation_removed": "negation"}


def evaluate(checker: QuoteChecker, cases: list[dict]) -> dict:
    """Run every case; return predictions, confusion counts, accuracy and safety failures."""
    rows = []
    for case in cases:
        result = checker.check(case["quote"])
        rows.append((case, result))
    confusion = Counter((c["expected"], r.verdict) for c, r in rows)
    correct = sum(1 for c, r in rows if c["expected"] == r.verdict)
    unsafe = [(c, r) for c, r in rows if c["kind"] in _FLAG_OF and r.verdict in ("exact", "normalized")]
    unflagged = [
        (c, r)
        for c, r in rows
        if c["kind"] in _FLAG_OF
        and r.verdict == "altered"
        and not any(f["kind"] == _FLAG_OF[c["kind"]] for m in r.matches for f in m.flags)
    ]
    return {
        "rows": rows,
        "confusion": confusion,
        "accuracy": correct / len(rows) if rows else 0.0,
        "unsafe": unsafe,
        "unflagged": unflagged,
    }


def confusion_table(confusion: Counter) -> str:
    head = "| expected \\ predicted | " + " | ".join(VERDICTS) + " | total |"
    lines = [head, "|" + "---|" * (len(VERDICTS) + 2)]
    for exp in VERDICTS:
        counts = [confusion.get((exp, pred), 0) for pred in VERDICTS]
        lines.append(f"| {exp} | " + " | ".join(str(n) for n in counts) + f" | {sum(counts)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=20200605)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--show-errors", action="store_true", help="print every misjudged case")
    args = ap.parse_args(argv)

    articles = load_seed_articles()
    cases = generate_cases(articles, args.seed, args.scale)
    t0 = time.perf_counter()
    checker = QuoteChecker(articles)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    ev = evaluate(checker, cases)
    run = time.perf_counter() - t0

    kinds = Counter(c["kind"] for c in cases)
    print(f"## Quote verification accuracy (seeds, {len(cases)} cases, seed {args.seed})\n")
    print(
        f"accuracy: **{ev['accuracy']:.4f}** ({round(ev['accuracy'] * len(cases))}/{len(cases)}); "
        f"index built in {build * 1000:.0f} ms, cases checked in {run:.1f} s\n"
    )
    print(confusion_table(ev["confusion"]))
    print("\ncases per kind: " + ", ".join(f"{k} {n}" for k, n in kinds.items()))
    wrong_by_kind = Counter(c["kind"] for c, r in ev["rows"] if c["expected"] != r.verdict)
    if wrong_by_kind:
        print("errors per kind: " + ", ".join(f"{k} {n}" for k, n in wrong_by_kind.items()))
    print(f"\nchanged number/negation called exact or normalized: {len(ev['unsafe'])}")
    print(f"changed number/negation called altered without its flag: {len(ev['unflagged'])}")
    bad = [(c, r) for c, r in ev["rows"] if c["expected"] != r.verdict]
    if args.show_errors or len(bad) <= 10:
        for c, r in bad + ev["unsafe"] + ev["unflagged"]:
            best = r.matches[0].similarity if r.matches else None
            print(f"- [{c['kind']}] expected {c['expected']}, got {r.verdict} (best {best}): {c['quote']!r}")
    ok = ev["accuracy"] >= 0.99 and not ev["unsafe"]
    print("\nPASS" if ok else "\nFAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
