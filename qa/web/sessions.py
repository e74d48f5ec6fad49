"""The login sessions of the pages: signed cookies, and the ones a logout ended, kept across restarts.

In:  the tokens of each role; a session cookie's value; the file of ended sessions.
Out: a new cookie value, the role a value grants (or None), a revocation written to disk.

A session is `role.expiry.id.HMAC(role.expiry.id)`, keyed with that role's token: the token never leaves
the server, and a changed token ends every session made with the old one. A logout puts the id into
`revoked_sessions.json` beside the audit log, with its expiry: the file is read at start (and again
when another process changed it), expired ids are pruned on every write, and past MAX_REVOKED live ids
the file keeps one `not_before` time instead, which ends every session started before it (everyone
logs in again; the file never grows without bound and a revocation is never forgotten). A file that
cannot be read ends every session started before the server did: the safe side.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from pathlib import Path

from qa.files import write_atomically

__all__ = ["Sessions", "SESSION_SECONDS", "MAX_REVOKED"]

log = logging.getLogger("qa")

SESSION_SECONDS = 12 * 3600
MAX_REVOKED = 10_000


class Sessions:
    def __init__(self, tokens: dict[str, str], path: Path | None):
        self.tokens = tokens
        self.path = path
        self._lock = threading.Lock()
        self._revoked: dict[str, int] = {}
        self._not_before = 0
        self._seen: int | None = None  # the file's mtime_ns when last read
        self._load()

    # -- the cookie value -------------------------------------------------------------------
    def _sign(self, role: str, expires: int, sid: str) -> str:
        key = self.tokens[role].encode()
        return hmac.new(key, f"{role}.{expires}.{sid}".encode(), hashlib.sha256).hexdigest()

    def new(self, role: str) -> str:
        expires, sid = int(time.time()) + SESSION_SECONDS, secrets.token_urlsafe(18)
        return f"{role}.{expires}.{sid}.{self._sign(role, expires, sid)}"

    def _parse(self, value: str) -> tuple[str, int, str] | None:
        """(role, expiry, id) of a genuine, unexpired session value; None for anything else."""
        parts = value.split(".")
        if len(parts) != 4:
            return None
        role, expires, sid, signature = parts
        if role not in self.tokens or not self.tokens[role] or not expires.isdigit() or int(expires) < time.time():
            return None
        if not hmac.compare_digest(signature, self._sign(role, int(expires), sid)):
            return None
        return role, int(expires), sid

    def role(self, value: str) -> str | None:
        parsed = self._parse(value)
        if parsed is None:
            return None
        role, expires, sid = parsed
        with self._lock:
            self._refresh()
            if sid in self._revoked or expires - SESSION_SECONDS < self._not_before:
                return None
        return role

    def revoke(self, value: str) -> bool:
        """End the session `value` for good; False when it is no live session (nothing to do)."""
        parsed = self._parse(value)
        if parsed is None:
            return False
        _, expires, sid = parsed
        with self._lock:
            self._refresh()
            now = int(time.time())
            self._revoked = {s: e for s, e in self._revoked.items() if e >= now}
            self._revoked[sid] = expires
            if len(self._revoked) > MAX_REVOKED:
                self._not_before, self._revoked = now + 1, {}
            try:
                self._save()
            except OSError:  # ended in this process all the same; the log says why it may not outlive it
                log.exception("The logout of a session could not be written to %s.", self.path)
        return True

    # -- the file ---------------------------------------------------------------------------
    def _mtime(self) -> int | None:
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return None

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        self._seen = self._mtime()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            revoked = {str(s): int(e) for s, e in data["revoked"].items()}
            not_before = int(data["not_before"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("%s cannot be read (%s): every earlier session ends.", self.path, exc)
            self._not_before = max(self._not_before, int(time.time()) + 1)
            return
        self._revoked, self._not_before = revoked, max(self._not_before, not_before)

    def _refresh(self) -> None:
        """Read the file again when another process (another server on this folder) wrote it."""
        if self.path is not None and self._mtime() != self._seen:
            self._load()

    def _save(self) -> None:
        if self.path is None:
            return
        data = {"not_before": self._not_before, "revoked": self._revoked}
        text = json.dumps(data, indent=0, sort_keys=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, lambda tmp: tmp.write_text(text, encoding="utf-8"), mode=0o600)
        self._seen = self._mtime()
