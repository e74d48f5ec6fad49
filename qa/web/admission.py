"""A bounded waiting room in front of the JSON API: so many requests at work, so many waiting, the rest 503.

In:  every HTTP request; only the API's (/api/*, /v1/*) are counted, the page (Gradio's own queue,
     page_queue.py), its assets and /healthz pass as they are.
Out: the request passed on once one of `concurrent` places is free; 503 with Retry-After at once when
     `waiting` requests already wait (never an unbounded wait), in the one error shape (or OpenAI's,
     which openai_api.OpenAIErrors makes of it on /v1).

Why: every question costs a model forward on a CPU. Without a bound, 100 concurrent clients each
waited 7.5 s (p50) in the thread pool and a flood made every answer later still; with it, a client past
the waiting room is told at once to come back, and those inside wait at most waiting/concurrent answers.
A place is held until the response has been sent (a streamed /v1 answer included).
"""

from __future__ import annotations

import asyncio

from .security import route_path, send_error

__all__ = ["Admission", "counted"]


def counted(method: str, path: str) -> bool:
    """Is this request work for the service (a question, a quote, a document read, a completion)?"""
    if method == "OPTIONS":
        return False
    if path in ("/api/login", "/api/logout"):
        return False
    return path.startswith("/api/") or path.startswith("/v1/")


class Admission:
    def __init__(self, app, concurrent: int, waiting: int, retry_after: int = 2):
        self.app = app
        self.concurrent = concurrent
        self.waiting = waiting
        self.retry_after = retry_after
        self._free = asyncio.Semaphore(concurrent)
        self._waiting = 0

    @property
    def busy(self) -> int:
        """Requests at work now."""
        return self.concurrent - self._free._value

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not counted(scope["method"], route_path(scope)):
            return await self.app(scope, receive, send)
        if self._free.locked():
            if self._waiting >= self.waiting:
                return await send_error(
                    send,
                    503,
                    "unavailable",
                    f"服务器繁忙，请 {self.retry_after} 秒后再试。/ The server is busy ({self.concurrent} requests at "
                    f"work, {self.waiting} waiting); try again in {self.retry_after} s.",
                    [(b"retry-after", str(self.retry_after).encode())],
                )
            self._waiting += 1
            try:
                await self._free.acquire()
            finally:
                self._waiting -= 1
        else:
            await self._free.acquire()
        try:
            await self.app(scope, receive, send)
        finally:
            self._free.release()
