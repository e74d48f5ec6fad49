"""An HTML page that is almost all navigation: time and peak memory to read it, and what is kept.

    python bench/html_nav.py                  # pages of 1, 5 and 6 MB of links around a two-sentence body
    python bench/html_nav.py --mb 5 --mb 20   # other sizes

Each page is written to a temporary folder and read by `read_source` (the reader `qa ingest` uses, default
settings: max_html_mb 5) in a fresh process, so the peak RSS printed is that one read's. The body stands
after the links, so a page cut at the limit loses it: the report's warnings then say why.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BODY = "长三角生态绿色一体化发展示范区建设进展顺利。今年完成了首期工程。"


def nav_page(megabytes: float) -> bytes:
    """About `megabytes` MB (10^6 bytes) of menu links, then a headline and one paragraph of body text."""
    head = "<html><head><meta charset='gb2312'><title>示范区建设</title></head><body><div class='nav'><ul>"
    tail = f"</ul></div><div id='content'><h1>示范区建设进展</h1><p>{BODY}</p></div></body></html>"
    parts, size, n = [head], len(head.encode()), 0
    while size < megabytes * 1e6:
        link = f"<li><a href='/news/{n}.html'>新闻中心{n}</a></li>"
        parts.append(link)
        size += len(link.encode())
        n += 1
    return ("".join(parts) + tail).encode()


_CHILD = """
import json, resource, sys, time
from pathlib import Path
from qa.config import Settings
from qa.errors import SourceError
from qa.ingest.sources import read_source
path = Path(sys.argv[1])
started = time.monotonic()
try:
    source = read_source(path, Settings.load().read_limits)
    text, warnings = source.text, source.report.warnings
except SourceError as exc:  # refused: the report's one line
    text, warnings = "", ["refused: " + exc.message]
seconds = time.monotonic() - started
print(json.dumps({"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "chars": len(text), "body_kept": sys.argv[2] in text, "warnings": warnings}, ensure_ascii=False))
"""


def measure(megabytes: float, folder: Path) -> dict:
    path = folder / f"nav-{megabytes:g}mb.html"
    path.write_bytes(nav_page(megabytes))
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), BODY],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )
    return {"bytes": path.stat().st_size, **json.loads(out.stdout.splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", action="append", type=float, help="page size in MB (repeatable)")
    args = parser.parse_args()
    sizes = args.mb or [1, 5, 6]
    print("| page | read s | peak RSS MB | characters kept | body kept | warnings |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for mb in sizes:
            r = measure(mb, Path(tmp))
            warnings = "; ".join(r["warnings"]) or "none"
            print(
                f"| {r['bytes'] / 1e6:.1f} MB of links | {r['seconds']:.1f} | {r['rss_mb']:.0f} | {r['chars']} | "
                f"{'yes' if r['body_kept'] else 'no'} | {warnings} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
