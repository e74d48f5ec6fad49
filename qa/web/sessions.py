"""The login sessions of the pages: signed cookies, and the ones a logout ended, kept across restarts.

In:  the tokens of each role; a session cookie's value; the file of ended sessions.
Out: a new cookie value, the role a value grants (or None), a revocation written to disk.

A session is `role.expiry.id.HMAC(role.expiry.id)`, keyed with that role's token: the token never leaves
the server, and a changed token ends every session made with the old one. A logout appends one line,
`{"role", "sid", "expires"}`, to `revoked_sessions.json` beside the audit log (JSON Lines: a logout
writes ~80 bytes, not the whole file); the file is read at start (and again when another process
changed it) and rewritten, expired ids pruned, only when it has grown to twice its live lines.

Revocations are kept per role, each bounded: past MAX_REVOKED live ids of one role, that role keeps one
`{"role", "not_before"}` line instead, which ends every session of that role started before it (its
users log in again; the file never grows without bound and a revocation is never forgotten). So a
reader logging in and out 10,000 times ends readers' sessions at worst, never the admin's. The file of
an earlier version (one JSON object for all roles) is read as it was meant. A file that cannot be read
ends every session started before the server did: the safe side.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from pathlib import Path

from qa.files import write_atomically

__all__ = ["Sessions", "SESSION_SECONDS", "MAX_REVOKED"]

log = logging.getLogger("qa")

SESSION_SECONDS = 12 * 3600
MAX_REVOKED = 10_000  # live revocations per role (a module constant: tests lower it)
ROLES = ("admin", "reader")


class Sessions:
    def __init__(self, tokens: dict[str, str], path: Path | None):
        self.tokens = tokens
        self.path = path
        self._lock = threading.Lock()
        self._revoked: dict[str, dict[str, int]] = {role: {} for role in ROLES}
        self._not_before: dict[str, int] = dict.fromkeys(ROLES, 0)
        self._lines = 0  # lines in the file now: it is compacted when twice the live ones
        self._seen: int | None = None  # the file's mtime_ns when last read or written
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
            if sid in self._revoked[role] or expires - SESSION_SECONDS < self._not_before[role]:
                return None
        return role

    def revoke(self, value: str) -> bool:
        """End the session `value` for good; False when it is no live session (nothing to do)."""
        parsed = self._parse(value)
        if parsed is None:
            return False
        role, expires, sid = parsed
        with self._lock:
            self._refresh()
            now = int(time.time())
            revoked = self._revoked[role]
            revoked[sid] = expires
            line: dict = {"role": role, "sid": sid, "expires": expires}
            if len(revoked) > MAX_REVOKED:
                self._revoked[role] = revoked = {s: e for s, e in revoked.items() if e >= now}
            if len(revoked) > MAX_REVOKED:  # this role only: the other's sessions live on
                self._not_before[role], self._revoked[role] = now + 1, {}
                line = {"role": role, "not_before": now + 1}
            try:
                self._write(line, now)
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
        revoked: dict[str, dict[str, int]] = {role: {} for role in ROLES}
        not_before = dict.fromkeys(ROLES, 0)
        try:
            text = self.path.read_text(encoding="utf-8")
            lines = _records(text)
            for record in lines:
                role = record["role"]
                if role not in ROLES:
                    raise ValueError(f"unknown role {role!r}")
                if "not_before" in record:
                    not_before[role] = max(not_before[role], int(record["not_before"]))
                    revoked[role] = {}
                else:
                    revoked[role][str(record["sid"])] = int(record["expires"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("%s cannot be read (%s): every earlier session ends.", self.path, exc)
            start = int(time.time()) + 1
            self._not_before = {role: max(self._not_before[role], start) for role in ROLES}
            return
        self._revoked, self._lines = revoked, len(lines)
        self._not_before = {role: max(self._not_before[role], not_before[role]) for role in ROLES}

    def _refresh(self) -> None:
        """Read the file again when another process (another server on this folder) wrote it."""
        if self.path is not None and self._mtime() != self._seen:
            self._load()

    def _write(self, line: dict, now: int) -> None:
        """Append `line`; rewrite the whole file (expired ids pruned) when it has grown to twice its live lines."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        live = sum(len(r) for r in self._revoked.values()) + len(ROLES)
        if self._lines + 1 > 2 * live + 64 or not self.path.exists():
            for role in ROLES:
                self._revoked[role] = {s: e for s, e in self._revoked[role].items() if e >= now}
            records = [{"role": r, "not_before": t} for r, t in self._not_before.items() if t]
            records += [{"role": r, "sid": s, "expires": e} for r in ROLES for s, e in self._revoked[r].items()]
            text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
            write_atomically(self.path, lambda tmp: tmp.write_text(text, encoding="utf-8"), mode=0o600)
            self._lines = len(records)
        else:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:  # one short write with O_APPEND: lines of two processes do not interleave
                os.write(fd, (json.dumps(line, sort_keys=True) + "\n").encode())
            finally:
                os.close(fd)
            self._lines += 1
        self._seen = self._mtime()


def _records(text: str) -> list[dict]:
    """The file's records: JSON Lines, or the one object of an earlier version (all roles' ids together)."""
    stripped = text.strip()
    if stripped.startswith("{") and '"revoked"' in stripped:
        try:
            old = json.loads(stripped)
        except ValueError:
            old = None
        if isinstance(old, dict) and "revoked" in old:
            records = [{"role": r, "not_before": int(old["not_before"])} for r in ROLES]
            return records + [{"role": r, "sid": s, "expires": e} for s, e in old["revoked"].items() for r in ROLES]
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    if not all(isinstance(r, dict) for r in records):
        raise ValueError("a line is not a JSON object")
    return records
