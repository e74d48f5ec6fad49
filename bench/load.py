"""Load on a real `qa serve`, up to and past its capacity: concurrent keep-alive clients on /api/ask and
/api/verify, then (--page) concurrent page users on Gradio's queue.

    python bench/load.py                       # starts qa serve on 127.0.0.1, 256 requests per level
    python bench/load.py --requests 128 --levels 1,64 --max-seconds 60
    python bench/load.py --levels 64 --keep-alive 5 --idle 5   # probe the idle keep-alive race
    python bench/load.py --levels 1,4,16,36,64,128 --page 1,8,32,96 --page-requests 96

Capacity: the API works on max_concurrent_requests at once and lets max_waiting_requests wait; a
request past that is answered 503 with Retry-After at once (qa/web/admission.py). The page's queue holds
page_queue_size questions in all and page_queue_per_client per client address (qa/web/page_queue.py).
A 503 or 429 that says when to come back (Retry-After) is counted as "refused", not as an error; one
without Retry-After is an error. Page users are threads on distinct loopback source addresses
(127.0.1.x), so that each is its own client, as separate machines would be.

The server is a subprocess bound to 127.0.0.1 (loopback only); every level is bounded by a request
count and a time limit, and the server is stopped at the end. Each client is a thread with one
kept-alive HTTP/1.1 connection; like any connection pool it reconnects when the server has closed an
idle connection *before* it sends, and never retries a request it has sent. So an error is a request
that got no response (the connection closed under it, a timeout) or a status other than 200.

First every question and quote is asked one at a time; under load every answer must be identical to
that one. Prints one row per level: throughput, p50/p95/p99 latency, errors, answers that differed.

--idle makes every client pause about that long (±5 %) between its requests: set it to the server's
keep-alive timeout and the server closes idle connections just as clients send on them, the race in
which a request can end with the connection closed and no response.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency import percentile  # noqa: E402
from bench.quote_cases import generate_cases, load_seed_articles  # noqa: E402

HOST = "127.0.0.1"  # loopback only: this benchmark never sends anywhere else


def workload(n_questions: int, n_quotes: int) -> list[tuple[str, dict]]:
    """Seed questions and generated quotes (every verdict kind), alternating ask and verify."""
    lines = (ROOT / "seeds" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()][:n_questions]
    cases = generate_cases(load_seed_articles(), scale=0.2)
    quotes = [c["quote"] for c in cases][:n_quotes]
    asks = [("/api/ask", {"question": q}) for q in questions]
    verifies = [("/api/verify", {"quote": q}) for q in quotes]
    mixed = []
    for i in range(max(len(asks), len(verifies))):
        mixed += asks[i : i + 1] + verifies[i : i + 1]
    return mixed


class Client:
    """One kept-alive connection; reconnects only when the server closed it while idle (as pools do)."""

    def __init__(self, port: int, timeout: float):
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def _usable(self) -> bool:
        if self.conn is None or self.conn.sock is None:
            return False
        readable, _, _ = select.select([self.conn.sock], [], [], 0)
        return not readable  # readable while idle means the server closed it (EOF)

    def post(self, path: str, body: dict) -> tuple[int, bytes]:
        if not self._usable():
            if self.conn is not None:
                self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        data = json.dumps(body, ensure_ascii=False).encode()
        self.conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
        response = self.conn.getresponse()
        self.retry_after = response.getheader("retry-after")
        payload = response.read()
        if response.getheader("connection", "").lower() == "close":
            self.conn.close()
        return response.status, payload

    def close(self):
        if self.conn is not None:
            self.conn.close()


def one_at_a_time(port: int, work: list[tuple[str, dict]]) -> dict[int, bytes]:
    client = Client(port, timeout=120)
    expected = {}
    for i, (path, body) in enumerate(work):
        status, payload = client.post(path, body)
        if status != 200:
            raise SystemExit(f"baseline request failed: {path} {body} -> {status} {payload[:200]!r}")
        expected[i] = payload
    client.close()
    return expected


def run_together(threads: list[threading.Thread]) -> float:
    """Start every client's thread and wait for all of them: the seconds the whole level took."""
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def level(port, work, expected, clients: int, requests: int, max_seconds: float, timeout: float, idle: float) -> dict:
    jobs = iter(range(requests))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: dict[str, int] = {}
    differed = refused = 0
    refused_ms: list[float] = []
    stop_at = time.monotonic() + max_seconds

    def run():
        nonlocal differed, refused
        client = Client(port, timeout)
        pause = random.Random(threading.get_ident())
        while time.monotonic() < stop_at:
            if idle and client.conn is not None:
                time.sleep(idle * pause.uniform(0.95, 1.05))
            with lock:
                n = next(jobs, None)
            if n is None:
                break
            i = n % len(work)
            path, body = work[i]
            started = time.perf_counter()
            try:
                status, payload = client.post(path, body)
                kind = None if status == 200 else f"HTTP {status}"
                if status in (429, 503) and client.retry_after:
                    kind = "refused"
            except (OSError, http.client.HTTPException) as exc:  # closed without a response, timeout, reset
                kind, payload = type(exc).__name__, b""
                client.close()
                client.conn = None
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if kind == "refused":
                    refused += 1
                    refused_ms.append(elapsed)
                elif kind:
                    errors[kind] = errors.get(kind, 0) + 1
                else:
                    latencies.append(elapsed)
                    differed += payload != expected[i]
        client.close()

    seconds = run_together([threading.Thread(target=run) for _ in range(clients)])
    done = len(latencies) + sum(errors.values()) + refused
    return {
        "refused": refused,
        "refused_p95": percentile(refused_ms, 95) if refused_ms else float("nan"),
        "clients": clients,
        "requests": done,
        "seconds": seconds,
        "throughput": len(latencies) / seconds,  # answered per second: a refusal is no answer
        "p50": percentile(latencies, 50) if latencies else float("nan"),
        "p95": percentile(latencies, 95) if latencies else float("nan"),
        "p99": percentile(latencies, 99) if latencies else float("nan"),
        "errors": errors,
        "differed": differed,
    }


def page_level(port: int, quotes: list[str], clients: int, requests: int, max_seconds: float, timeout: float) -> dict:
    """`clients` page users, each on its own loopback address, each asking in turn through Gradio's queue
    (join, then the session's event stream until its answer): latency of the answered, counts of the rest."""
    config = json.loads(urllib.request.urlopen(f"http://{HOST}:{port}/config", timeout=timeout).read())
    fn = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "on_check")
    picker = next(c for c in config["components"] if c.get("props", {}).get("elem_id") == "qa-collection")
    jobs, lock = iter(range(requests)), threading.Lock()
    latencies: list[float] = []
    counts = {"refused": 0, "errors": 0}
    stop_at = time.monotonic() + max_seconds

    def ask(source: str, quote: str) -> str:
        session = os.urandom(8).hex()
        body = json.dumps({"data": [quote, picker["props"]["value"]], "fn_index": fn, "session_hash": session})
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout, source_address=(source, 0))
        try:
            conn.request("POST", "/gradio_api/queue/join", body=body, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                return "refused" if r.status in (429, 503) and r.getheader("retry-after") else "errors"
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=timeout, source_address=(source, 0))
            conn.request("GET", f"/gradio_api/queue/data?session_hash={session}")
            r = conn.getresponse()
            while line := r.readline():
                if b"process_completed" in line:
                    return "ok" if b'"success":true' in line.replace(b" ", b"") else "errors"
            return "errors"
        finally:
            conn.close()

    def run(i: int):
        source = f"127.0.1.{i % 250 + 1}"
        while time.monotonic() < stop_at:
            with lock:
                n = next(jobs, None)
            if n is None:
                return
            started = time.perf_counter()
            try:
                kind = ask(source, quotes[n % len(quotes)])
            except (OSError, http.client.HTTPException):
                kind = "errors"
            with lock:
                if kind == "ok":
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    counts[kind] += 1

    seconds = run_together([threading.Thread(target=run, args=(i,)) for i in range(clients)])
    return {
        "clients": clients,
        "requests": len(latencies) + counts["refused"] + counts["errors"],
        "throughput": len(latencies) / seconds,
        "p50": percentile(latencies, 50) if latencies else float("nan"),
        "p95": percentile(latencies, 95) if latencies else float("nan"),
        "max": max(latencies) if latencies else float("nan"),
        **counts,
    }


def start_server(env: dict) -> tuple[subprocess.Popen, int]:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "qa", "serve", "--host", HOST, "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"qa serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=5):
                return proc, port
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("qa serve did not answer /healthz within 600 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="1,4,16,64", help="concurrent clients per level")
    parser.add_argument("--requests", type=int, default=256, help="requests per level (ask and verify alternate)")
    parser.add_argument("--max-seconds", type=float, default=180, help="time limit per level")
    parser.add_argument("--timeout", type=float, default=60, help="client socket timeout, seconds")
    parser.add_argument("--keep-alive", type=float, help="the server's keep_alive_seconds (default: the setting's)")
    parser.add_argument("--idle", type=float, default=0, help="each client's pause between its requests, seconds")
    parser.add_argument("--page", default="", help="concurrent page users per level on Gradio's queue, e.g. 1,8,32,96")
    parser.add_argument("--page-requests", type=int, default=96, help="questions per page level")
    args = parser.parse_args(argv)

    env = {} if args.keep_alive is None else {"QA_KEEP_ALIVE_SECONDS": str(args.keep_alive)}
    work = workload(40, 40)
    proc, port = start_server(env)
    try:
        expected = one_at_a_time(port, work)
        print(f"{len(work)} distinct requests (ask and verify alternating), answered one at a time first\n")
        print(
            "| clients | requests | answered/s | p50 ms | p95 ms | p99 ms | refused 503 + Retry-After "
            "(p95 ms to refuse) | errors | answers differing |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for clients in [int(x) for x in args.levels.split(",") if x]:
            r = level(port, work, expected, clients, args.requests, args.max_seconds, args.timeout, args.idle)
            errors = ", ".join(f"{k} {v}" for k, v in sorted(r["errors"].items())) or "0"
            refused = f"{r['refused']} ({r['refused_p95']:.0f})" if r["refused"] else "0"
            print(
                f"| {clients} | {r['requests']} | {r['throughput']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | "
                f"{r['p99']:.0f} | {refused} | {errors} | {r['differed']} |",
                flush=True,
            )
        if args.page:
            quotes = [body["quote"] for path, body in work if path == "/api/verify"]
            print("\nThe page (Gradio's queue): each user on its own address, join then the answer's stream\n")
            print(
                "| page users | questions | answered/s | p50 ms | p95 ms | max ms | refused 429/503 + Retry-After | errors |"
            )
            print("|---|---|---|---|---|---|---|---|")
            for clients in [int(x) for x in args.page.split(",") if x]:
                r = page_level(port, quotes, clients, args.page_requests, args.max_seconds, args.timeout)
                print(
                    f"| {clients} | {r['requests']} | {r['throughput']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | "
                    f"{r['max']:.0f} | {r['refused']} | {r['errors']} |",
                    flush=True,
                )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
