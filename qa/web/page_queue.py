"""Bounds on the page's event queue (Gradio's) per client address and in all, and on its open streams.

In:  the Gradio Blocks (their `_queue`, read, never changed) and a request's client address (the peer, or
     the client a trusted proxy names: origin.Forwarded rewrote scope["client"]).
Out: nothing when the request may go on; a `Limit` (status, code, message, retry_after) when it may not.

How Gradio's queue works (gradio/routes.py, queueing.py, 6.x): `POST queue/join` pushes an Event (it keeps
the join's Request) into the waiting list of its handler (`event_queue_per_concurrency_id[…].queue`);
a worker moves it into `active_jobs` and runs it whether or not anyone listens; `GET queue/data?
session_hash=` streams the session's messages and ends when its last event completed, but on a session
without events it waits for ever, and `GET heartbeat/<session>` never ends while the client stays. So:

    joins     one client may have `per_client` events waiting or running (429 past it): 150 joins with
              fresh session hashes and no listener no longer put 150 questions ahead of everyone else;
    in all    `total` events waiting (503 past it; Blocks.queue(max_size=total) is the same bound in
              Gradio itself), run `concurrency` at a time per handler (api.py);
    streams   one client may hold `streams_per_client` heartbeat and data streams open (429 past it);
    sessions  queue/data for a session Gradio does not hold is 404 at once (it was a 200 stream that
              ended in an exception and ~20 KB of traceback in the log).
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["PageLimits", "Limit", "client_of"]

RETRY_AFTER = 5  # seconds: about the time a few answers take


@dataclass
class Limit(Exception):
    status: int
    code: str
    message: str
    retry_after: int | None = RETRY_AFTER


def client_of(scope) -> str:
    return (scope.get("client") or ("?", 0))[0]


def _event_client(event) -> str:
    request = getattr(event, "request", None)
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "?"


class PageLimits:
    def __init__(self, blocks, per_client: int, total: int, streams_per_client: int):
        self.blocks = blocks
        self.per_client = per_client
        self.total = total
        self.streams_per_client = streams_per_client
        self._streams: Counter[str] = Counter()
        self._joining: Counter[str] = Counter()

    # -- the queue (read from Gradio's own structures, so that a finished event is not counted) --------
    def _waiting(self) -> list:
        queue = self.blocks._queue
        return [e for q in queue.event_queue_per_concurrency_id.values() for e in q.queue]

    def _running(self) -> list:
        return [e for job in self.blocks._queue.active_jobs if job is not None for e in job]

    @contextmanager
    def join(self, client: str):
        """Hold a join of `client` while Gradio takes it in (its Event is in the queue only once the join
        awaited Gradio's lock): so that concurrent joins do not all pass the count. Limit when `client`
        already has per_client events pending, or the queue holds `total`."""
        self.check_join(client)
        with _held(self._joining, client):
            yield

    def check_join(self, client: str) -> None:
        waiting = self._waiting()
        mine = self._joining[client] + sum(1 for e in [*waiting, *self._running()] if _event_client(e) == client)
        if mine >= self.per_client:
            raise Limit(
                429,
                "too_many_attempts",
                f"您已有 {mine} 个问题在排队，请等它们答完。/ You already have {mine} questions waiting or being "
                f"answered (at most {self.per_client}); wait for their answers, then ask again.",
            )
        if len(waiting) >= self.total:
            raise Limit(
                503,
                "unavailable",
                f"服务器繁忙，请 {RETRY_AFTER} 秒后再试。/ The server is busy ({len(waiting)} questions waiting); "
                f"try again in {RETRY_AFTER} s.",
            )

    def check_session(self, session_hash: str) -> None:
        if session_hash not in self.blocks._queue.pending_messages_per_session:
            raise Limit(
                404,
                "not_found",
                "没有这个会话的排队问题。/ No questions are queued for this session_hash; join the queue first.",
                None,
            )

    # -- open streams -----------------------------------------------------------------------------
    @contextmanager
    def stream(self, client: str):
        """Hold one of `client`'s stream places for the duration; Limit when it has none left."""
        if self._streams[client] >= self.streams_per_client:
            raise Limit(
                429,
                "too_many_attempts",
                f"同时打开的连接太多。/ Too many open event streams from {client} (at most "
                f"{self.streams_per_client}); close some pages and try again.",
            )
        with _held(self._streams, client):
            yield


@contextmanager
def _held(counts: Counter[str], client: str):
    """Count one of `client`'s places in `counts` while the block runs; a client with none left is
    dropped from it, so the counter does not grow with every client ever seen."""
    counts[client] += 1
    try:
        yield
    finally:
        counts[client] -= 1
        if counts[client] <= 0:
            del counts[client]
