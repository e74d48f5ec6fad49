"""Warm latency of a follow-up question over HTTP: POST /api/ask with history next to
POST /v1/chat/completions (non-streaming, and streaming to `data: [DONE]`), against a real `qa serve`.

    python bench/chat_latency.py              # the 46 follow-up conversations x 3 rounds
    python bench/chat_latency.py --rounds 1

Each request is the last turn of a conversation of seeds/followup_questions.jsonl with its earlier
turns as history (messages); one kept-alive connection per endpoint; the server is warmed first.
Also timed: POST /api/ask of the last question alone (no history), the baseline. Milliseconds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency import percentile  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(1200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("qa serve did not start")


def timed(conn: http.client.HTTPConnection, path: str, body: dict, stream: bool = False) -> float:
    data = json.dumps(body, ensure_ascii=False).encode()
    started = time.perf_counter()
    conn.request("POST", path, data, {"Content-Type": "application/json"})
    r = conn.getresponse()
    payload = r.read()
    elapsed = (time.perf_counter() - started) * 1000
    if r.status != 200 or (stream and not payload.rstrip().endswith(b"data: [DONE]")):
        raise SystemExit(f"{path} answered {r.status}: {payload[:300]!r}")
    return elapsed


def requests_for(row: dict) -> dict[str, tuple[str, dict, bool]]:
    *before, last = row["turns"]
    messages = []
    for q in before:
        messages += [{"role": "user", "content": q}, {"role": "assistant", "content": "…"}]
    messages.append({"role": "user", "content": last})
    history = [{"question": q, "answer": "…"} for q in before]
    return {
        "POST /api/ask, last question alone (no history)": ("/api/ask", {"question": last}, False),
        "POST /api/ask, follow-up with history": ("/api/ask", {"question": last, "history": history}, False),
        "POST /v1/chat/completions, follow-up": (
            "/v1/chat/completions",
            {"model": "qa-extractive", "messages": messages},
            False,
        ),
        "POST /v1/chat/completions, follow-up, stream (to [DONE])": (
            "/v1/chat/completions",
            {"model": "qa-extractive", "messages": messages, "stream": True},
            True,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = [json.loads(line) for line in (ROOT / "seeds" / "followup_questions.jsonl").open(encoding="utf-8")]
    port = free_port()
    proc = start_server(port)
    try:
        conns: dict[str, http.client.HTTPConnection] = {}
        times: dict[str, list[float]] = {}
        for row in rows[:5]:  # warm every path once
            for name, (path, body, stream) in requests_for(row).items():
                conn = conns.setdefault(name, http.client.HTTPConnection("127.0.0.1", port, timeout=120))
                timed(conn, path, body, stream)
        for _ in range(args.rounds):
            for row in rows:
                for name, (path, body, stream) in requests_for(row).items():
                    times.setdefault(name, []).append(timed(conns[name], path, body, stream))
        print("| measurement | runs | p50 ms | p95 ms |")
        print("|---|---|---|---|")
        for name, values in times.items():
            print(f"| {name} | {len(values)} | {statistics.median(values):.0f} | {percentile(values, 95):.0f} |")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
