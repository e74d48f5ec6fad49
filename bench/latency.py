"""Latency of `qa ask` on the seeds: warm (model loaded, one process) and cold (process start to answer).

    python bench/latency.py              # 62 seed questions x 5 rounds warm, 5 cold starts
    python bench/latency.py --rounds 2 --cold 3

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cold", type=int, default=5)
    args = ap.parse_args()
    rows = [
        ("warm `qa ask` (in one process)", warm(args.rounds)),
        ("cold start (process start → answer printed)", cold(args.cold)),
    ]
    print("| measurement | runs | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['n']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} |")


if __name__ == "__main__":
    main()
