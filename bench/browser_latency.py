"""Time from pressing Enter to the answer shown, in a real browser, for /embed and the Gradio UI (warm).

    python bench/browser_latency.py                 # starts `qa serve` on a free port, 20 questions
    python bench/browser_latency.py --url http://127.0.0.1:7860 --n 40

The clock runs inside the page: it starts at the Enter keydown and stops when the answer (with the
question it answers) is in the DOM, so Playwright's own round trips are not counted. Gradio then
fades the new output in over a few hundred milliseconds; that animation is not counted. The "api" row
is POST /api/ask over HTTP from Python, for reference. Needs Debian's chromium (apt-get install chromium).
"""

from __future__ import annotations

import argparse
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

from tests.web.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

FALLBACK = ["长三角地区主要领导座谈会在哪里举行？", "长三角一体化发展座谈会在哪里召开？", "会议的主题是什么？"]

# Installed before Enter is pressed: records the keydown time, and the time the answer appears.
SETUP = """([selector, question, needsState]) => {
  let t0 = null, resolve;
  window.__qaDone = new Promise((ok, fail) => {
    resolve = ok;
    setTimeout(() => fail(new Error('no answer within 30 s')), 30000);
  });
  document.addEventListener('keydown', e => { if (e.key === 'Enter') t0 = performance.now(); },
                            {capture: true, once: true});
  const box = document.querySelector(selector);
  const done = () => {
    const echoes = box.querySelectorAll('.qa-q');  // the pages are transcripts: the newest turn is last
    const echo = echoes[echoes.length - 1];
    return echo && echo.textContent.includes(question) && (box.matches('.qa-answer') || box.querySelector('.qa-answer'))
           && (!needsState || box.getAttribute('data-state') === 'done');
  };
  const observer = new MutationObserver(() => {
    if (t0 !== null && done()) { resolve(performance.now() - t0); observer.disconnect(); }
  });
  observer.observe(box, {subtree: true, childList: true, attributes: true, characterData: true});
}"""


def questions(n: int) -> list[str]:
    path = ROOT / "seeds" / "questions.jsonl"
    found = (
        [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if path.exists()
        else FALLBACK
    )
    return [found[i % len(found)] for i in range(n)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"qa serve exited with {proc.returncode}; run it by hand to see why.")
        try:
            urllib.request.urlopen(url + "/healthz", timeout=5)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    sys.exit("qa serve did not come up within 600 s.")


def time_page(page, url: str, field: str, box: str, needs_state: bool, qs: list[str], warmup: int = 2) -> list[float]:
    page.goto(url, wait_until="load")
    field_locator = page.locator(field).first
    field_locator.wait_for()
    times = []
    for i, q in enumerate(qs[:warmup] + qs):
        field_locator.fill(q)
        page.evaluate(SETUP, [box, q.strip(), needs_state])
        field_locator.press("Enter")
        ms = page.evaluate("() => window.__qaDone")  # evaluate, not wait_for_function: /embed's CSP forbids eval
        if i >= warmup:
            times.append(float(ms))
    return times


def time_api(url: str, qs: list[str]) -> list[float]:
    times = []
    for q in qs:
        body = json.dumps({"question": q}).encode()
        req = urllib.request.Request(url + "/api/ask", body, {"Content-Type": "application/json"})
        t = time.perf_counter()
        urllib.request.urlopen(req).read()
        times.append((time.perf_counter() - t) * 1000)
    return times


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="a running qa server (default: start one)")
    ap.add_argument("--n", type=int, default=20, help="questions per page (default 20)")
    ap.add_argument("--chromium", default=os.environ.get("QA_CHROMIUM", CHROMIUM))
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    proc, url = (None, args.url.rstrip("/")) if args.url else start_server()
    qs = questions(args.n)
    try:
        time_api(url, qs[:2])  # warm
        rows = {"api (HTTP only)": time_api(url, qs)}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1180, "height": 1000})
            rows["/embed"] = time_page(page, url + "/embed", "#q", "#answer", True, qs)
            rows["Gradio UI /"] = time_page(
                page, url + "/", "#qa-question textarea, #qa-question input", "#qa-chat", False, qs
            )
            browser.close()
    finally:
        if proc:
            proc.terminate()
            proc.wait()

    print(f"Enter → answer shown, warm, {len(qs)} questions each (ms)")
    print(f"{'page':<18}{'n':>4}{'p50':>9}{'p95':>9}{'max':>9}")
    for name, values in rows.items():
        print(f"{name:<18}{len(values):>4}{statistics.median(values):>9.0f}{pct(values, 95):>9.0f}{max(values):>9.0f}")


if __name__ == "__main__":
    main()
