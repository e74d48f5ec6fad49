"""The audit log: one JSON line per write (upload, remove, create or drop a collection, a refused attempt).

    {"time": "2026-12-01T01:02:03+00:00", "client": "127.0.0.1", "action": "upload", "collection": "政策文件",
     "files": ["通知.docx"], "result": "accepted: job 20261201010203-1a2b3c4d"}

In:  what happened. Out: a line appended to settings.audit_path (UTF-8, readable). Tokens are never
written: the log says who (the client address) and what, never with which secret.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

__all__ = ["AuditLog"]


class AuditLog:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def write(self, client: str, action: str, collection: str | None, files: list[str], result: str) -> None:
        row = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "client": client,
            "action": action,
            "collection": collection,
            "files": files,
            "result": result,
        }
        line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One write on an O_APPEND descriptor: lines of several processes never interleave.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
