"""qa.web.sessions: a logout outlives the process, the file of ended sessions stays small, and a file
that cannot be read ends sessions rather than reviving them. A logout against a real server, and its
restart: tests/web/test_attacks_auth.py."""

from __future__ import annotations

import json
import types

from qa.web import sessions as sessions_module
from qa.web.sessions import SESSION_SECONDS, Sessions

TOKENS = {"admin": "admin-token-for-sessions", "reader": "read-token-for-sessions"}


class Clock:
    def __init__(self, now: float = 2_000_000_000.0):
        self.now = now

    def time(self) -> float:
        return self.now


def test_a_revoked_session_stays_revoked_in_a_new_process_and_others_live_on(tmp_path):
    path = tmp_path / "revoked_sessions.json"
    store = Sessions(TOKENS, path)
    ended, kept, reader = store.new("admin"), store.new("admin"), store.new("reader")
    assert store.role(ended) == "admin" and store.role(reader) == "reader"
    assert store.revoke(ended) and store.role(ended) is None and store.role(kept) == "admin"
    restarted = Sessions(TOKENS, path)  # what a restarted server reads
    assert restarted.role(ended) is None and restarted.role(kept) == "admin" and restarted.role(reader) == "reader"
    assert TOKENS["admin"] not in path.read_text() and ended not in path.read_text()  # ids only, never a signature


def test_forged_changed_or_garbled_sessions_grant_nothing(tmp_path):
    store = Sessions(TOKENS, tmp_path / "r.json")
    value = store.new("admin")
    role, expires, sid, signature = value.split(".")
    assert store.role(f"{role}.{expires}.{sid}x.{signature}") is None
    assert store.role(f"admin.{int(expires) + 3600}.{sid}.{signature}") is None
    assert store.role(f"reader.{expires}.{sid}.{signature}") is None
    assert Sessions({**TOKENS, "admin": "a-new-token"}, None).role(value) is None  # a changed token ends it
    assert store.role("admin.1.2") is None and store.role("") is None and not store.revoke("junk")


def records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_expired_revocations_are_pruned_and_the_file_is_bounded(tmp_path, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(sessions_module, "time", types.SimpleNamespace(time=clock.time))
    monkeypatch.setattr(sessions_module, "MAX_REVOKED", 3)
    path = tmp_path / "revoked_sessions.json"
    store = Sessions(TOKENS, path)
    old = store.new("admin")
    store.revoke(old)
    clock.now += SESSION_SECONDS + 1  # `old` has expired: its revocation is no longer needed
    live = [store.new("admin") for _ in range(4)]
    for value in live[:3]:
        store.revoke(value)
    assert len(store._revoked["admin"]) == 3  # the expired one was pruned, when the bound was reached
    store.revoke(live[3])  # the 4th live revocation is past the bound: one `not_before` instead of ids
    assert records(path)[-1] == {"role": "admin", "not_before": int(clock.now) + 1}
    assert all(Sessions(TOKENS, path).role(v) is None for v in live)  # none revived
    clock.now += 2
    assert store.role(store.new("admin")) == "admin"  # a new login works
    for _ in range(300):  # the file is compacted as it grows: it holds about its live lines, not every logout
        clock.now += SESSION_SECONDS + 1
        store.revoke(store.new("admin"))
    assert len(records(path)) < 2 * 3 + 64 + 2


def test_a_readers_logouts_never_end_the_admins_session(tmp_path, monkeypatch):
    """Before: MAX_REVOKED counted every role's logouts, and its overflow ended the admin's session too
    (10,001 reader logouts in the probe)."""
    clock = Clock()
    monkeypatch.setattr(sessions_module, "time", types.SimpleNamespace(time=clock.time))
    monkeypatch.setattr(sessions_module, "MAX_REVOKED", 5)
    path = tmp_path / "revoked_sessions.json"
    store = Sessions(TOKENS, path)
    admin, reader = store.new("admin"), store.new("reader")
    clock.now += 1
    for _ in range(12):  # a reader logging in and out, past the bound
        store.revoke(store.new("reader"))
    for view in (store, Sessions(TOKENS, path)):  # this process and a restarted one
        assert view.role(admin) == "admin"
        assert view.role(reader) is None  # the readers' bound was passed: earlier readers log in again
    clock.now += 2
    assert store.role(store.new("reader")) == "reader"  # a reader logs in again


def test_a_logout_appends_a_line_instead_of_rewriting_the_file(tmp_path):
    """Before: every logout rewrote the whole file (400 KB at 10,000 ids)."""
    path = tmp_path / "revoked_sessions.json"
    store = Sessions(TOKENS, path)
    for _ in range(50):
        store.revoke(store.new("admin"))
    inode, size = path.stat().st_ino, path.stat().st_size
    store.revoke(store.new("reader"))
    assert path.stat().st_ino == inode and 0 < path.stat().st_size - size < 200
    assert records(path)[-1]["role"] == "reader" and len(records(path)) == 51


def test_the_file_of_the_earlier_version_is_read_as_meant(tmp_path):
    path = tmp_path / "revoked_sessions.json"
    store = Sessions(TOKENS, None)
    ended, kept = store.new("admin"), store.new("admin")
    sid = ended.split(".")[2]
    path.write_text(json.dumps({"not_before": 0, "revoked": {sid: int(ended.split(".")[1])}}, indent=0))
    loaded = Sessions(TOKENS, path)
    assert loaded.role(ended) is None and loaded.role(kept) == "admin"


def test_a_file_that_cannot_be_read_ends_the_earlier_sessions(tmp_path):
    path = tmp_path / "revoked_sessions.json"
    before = Sessions(TOKENS, None).new("admin")
    path.write_text("{not json", encoding="utf-8")
    assert Sessions(TOKENS, path).role(before) is None
