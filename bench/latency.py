"""Latency of `qa ask` on the seeds: warm (model loaded, one process) and cold (process start to answer).

    python bench/latency.py              # 62 seed questions x 5 rounds warm, 5 cold starts
    python bench/latency.py --rounds 2 --cold 3
    python bench/latency.py --rounds 0 --cold 5     # cold start only (the index built beforehand)
    python bench/latency.py --rounds 5 --cold 0     # warm only

The cold runs also say whether the `qa ask` process imported torch (`python -X importtime`), and
the slowest top-level imports.

Run on an otherwise idle machine; the numbers are wall-clock milliseconds on this machine's CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def warm(rounds: int) -> dict:
    from qa.service import QAService

    service = QAService()
    service.warm()
    questions = [json.loads(line)["question"] for line in (ROOT / "seeds" / "questions.jsonl").open(encoding="utf-8")]
    times = []
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            service.ask(q)
            times.append((time.perf_counter() - started) * 1000)
    return {"n": len(times), "p50": statistics.median(times), "p95": percentile(times, 95), "max": max(times)}


def cold(runs: int) -> dict:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "qa", "ask", "长三角地区主要领导座谈会在哪里举行？"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=os.environ.copy(),
        )
        times.append((time.perf_counter() - started) * 1000)
        if out.returncode != 0 or "[1]" not in out.stdout:
            raise SystemExit(f"qa ask failed: {out.stderr}")
    return {"n": len(times), "p50": statistics.median(times), "p95": percentile(times, 95), "max": max(times)}


def imports() -> tuple[bool, list[tuple[float, str]]]:
    """Whether one `qa ask` process imports torch, and its five slowest top-level imports (seconds)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "qa", "ask", "长三角地区主要领导座谈会在哪里举行？"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ.copy(),
    )
    rows = []
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit() and not name.startswith("  "):
                rows.append((int(cumulative) / 1e6, name.strip()))
    names = {name.strip() for line in out.stderr.splitlines() if "|" in line for name in [line.split("|")[-1]]}
    return "torch" in names, sorted(rows, reverse=True)[:5]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cold", type=int, default=5)
    args = ap.parse_args()
    rows = [("warm `qa ask` (in one process)", warm(args.rounds))] if args.rounds else []
    if args.cold:
        rows.append(("cold start (process start → answer printed)", cold(args.cold)))
    print("| measurement | runs | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['n']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} |")
    torch, slowest = imports()
    print(f"\n`qa ask` imports torch: {'yes' if torch else 'no'}; slowest top-level imports (s): "
          + ", ".join(f"{name} {seconds:.2f}" for seconds, name in slowest))  # fmt: skip


if __name__ == "__main__":
    main()
