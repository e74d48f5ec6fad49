"""The audit log: one JSON line per write attempt (upload, remove, create or drop a collection, and every
attempt refused or failed: 401, 403, 404, 409, 413, 422, 429, 5xx).

    {"time": "2026-12-01T01:02:03+00:00", "client": "127.0.0.1", "action": "upload", "collection": "政策文件",
     "files": ["通知.docx"], "result": "accepted: job 20261201010203-1a2b3c4d"}

In:  what happened. Out: a line appended to settings.audit_path (UTF-8, readable). Tokens are never
written: the log says who (the client address) and what, never with which secret.

What a client chose (a path, a file name) is cut to a bounded length, and refused attempts are logged
at most REFUSED_PER_MINUTE per client (and REFUSED_PER_MINUTE_ALL in all): a flood of refused
requests with 15 KB paths cannot grow the log without end. The next line written for that client
says how many were left out (`"suppressed": n`).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from pathlib import Path

__all__ = ["AuditLog", "REFUSED_PER_MINUTE", "REFUSED_PER_MINUTE_ALL"]

REFUSED_PER_MINUTE = 30
REFUSED_PER_MINUTE_ALL = 300
_FIELD = 200  # characters kept of a client, action, collection or file name
_RESULT = 500  # characters kept of a result (it quotes error messages)
_FILES = 20  # file names kept per line


def _cut(text: str | None, limit: int = _FIELD) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}…(+{len(text) - limit})"


class AuditLog:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._refused: dict[str, deque] = {}
        self._refused_all: deque = deque()
        self._suppressed: dict[str, int] = {}

    def write(self, client: str, action: str, collection: str | None, files: list[str], result: str) -> None:
        kept = [_cut(f) for f in files[:_FILES]]
        if len(files) > _FILES:
            kept.append(f"…(+{len(files) - _FILES} files)")
        row = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "client": _cut(client),
            "action": _cut(action),
            "collection": _cut(collection),
            "files": kept,
            "result": _cut(result, _RESULT),
        }
        with self._lock:
            suppressed = self._suppressed.pop(client, 0)
            if suppressed:
                row["suppressed"] = suppressed  # refused attempts of this client left out before this line
            line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One write on an O_APPEND descriptor: lines of several processes never interleave.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def refused(self, client: str, action: str, collection: str | None, files: list[str], result: str) -> bool:
        """Log a refused or failed attempt unless its client (or all clients) passed the rate; True when written."""
        now = time.monotonic()
        with self._lock:
            if len(self._refused) > 10_000:  # many addresses: forget the quiet ones
                self._refused = {c: q for c, q in self._refused.items() if q and now - q[-1] < 60}
            mine = self._refused.setdefault(client, deque())
            for times in (mine, self._refused_all):
                while times and now - times[0] >= 60:
                    times.popleft()
            if len(mine) >= REFUSED_PER_MINUTE or len(self._refused_all) >= REFUSED_PER_MINUTE_ALL:
                if client in self._suppressed or len(self._suppressed) < 10_000:
                    self._suppressed[client] = self._suppressed.get(client, 0) + 1
                return False
            mine.append(now)
            self._refused_all.append(now)
        self.write(client, action, collection, files, result)
        return True

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
