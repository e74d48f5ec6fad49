"""Access control for every route: who may read, who may write, from where, and slowing down wrong tokens.

    reading   open, unless `read_token` is set: then a bearer token (read or admin) or a login
              session is needed — the API answers 401, a page redirects to `login`
    writing   (POST/DELETE under /api/collections, GET /api/jobs/*) needs `admin_token` (bearer or
              session); with none set, only clients on the loopback address may write (403 otherwise),
              and only when they asked for a loopback host (127.0.0.1, localhost, [::1]: a page that
              rebinds its own name to 127.0.0.1 is refused) and came through no unlisted proxy
    origin    every state-changing request (the writes above but GET, login, logout) that a browser
              sent must come from a page of this server: Origin, or without one Sec-Fetch-Site, equal
              to the server's own origin (origin.py); embed_origins may read, never write (403
              `cross_origin`). A request with neither header is no browser's: a write then needs the
              bearer token (a session cookie alone is refused), except from loopback without admin_token
    sessions  `POST api/login {"token"}` sets an HttpOnly, SameSite=Strict cookie `qa_session`
              (sessions.py); `POST api/logout` ends it on the server, for good
    strikes   a wrong token counts against the client address; from the 5th within 15 minutes the
              address is refused (429, Retry-After) for 2, 4, 8 … up to 300 seconds
    logins    at most LOGINS logins per client address a minute, right token or wrong (429, Retry-After):
              every login is a session that a logout must remember (sessions.py)

Tokens are compared with hmac.compare_digest, never logged, never put into a page or a URL. The client
address is the connection's peer, or the one a proxy listed in trusted_proxies names (origin.py). A
plain ASGI middleware (AccessControl), so the Gradio page and its /gradio_api/* calls are covered too;
it answers before the body is read, and closes the connection when it refuses.
"""

from __future__ import annotations

import hmac
import time
from collections import deque
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote

from qa.errors import CrossOrigin, Forbidden, TooManyAttempts, Unauthorized

from .origin import browser_origin, host_name, is_proxied, own_origin
from .security import CLOSE, is_api, route_path, send_error
from .sessions import SESSION_SECONDS, Sessions

__all__ = ["Guard", "AccessControl", "COOKIE", "is_write", "is_state_changing", "local_writer", "LOOPBACK"]

COOKIE = "qa_session"
STRIKES, STRIKE_WINDOW, MAX_WAIT = 5, 15 * 60, 300
LOGINS, LOGIN_WINDOW = 10, 60  # logins (right or wrong) per client address per minute
LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
# The hosts a loopback writer may have asked for; "" is no Host header at all, which no browser sends.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", ""}
# Reachable without reading rights: the login page and its calls, and liveness for monitors.
PUBLIC = {"/login", "/api/login", "/api/logout", "/healthz", "/embed/login.js", "/embed/admin.css"}


WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}  # any other (TRACE, CONNECT …) is MethodGuard's 405


def is_write(method: str, path: str) -> bool:
    if path.startswith("/api/collections") and method in WRITE_METHODS:
        return True
    return path.startswith("/api/jobs/") and method in WRITE_METHODS | {"GET", "HEAD"}


def is_state_changing(method: str, path: str) -> bool:
    """A request that changes something: a write but a GET, a login or a logout."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return False
    return is_write(method, path) or path in ("/api/login", "/api/logout")


def local_writer(scope) -> bool:
    """Without admin_token, may this request write? Only a client on the loopback address that asked for a
    loopback host and came through no unlisted proxy."""
    return _client(scope) in LOOPBACK and not is_proxied(scope) and host_name(scope) in LOOPBACK_HOSTS


class Guard:
    """The tokens, the sessions signed with them, and the strikes per client address."""

    def __init__(self, read_token: str, admin_token: str, audit=None, sessions_path: Path | None = None):
        """`sessions_path`: where logouts are kept across restarts (None: in memory only)."""
        self.tokens = {"admin": admin_token, "reader": read_token}
        self.audit = audit
        self.sessions = Sessions(self.tokens, sessions_path)
        self._strikes: dict[str, deque] = {}
        self._blocked: dict[str, float] = {}
        self._logins: dict[str, deque] = {}

    @property
    def admin_token_set(self) -> bool:
        return bool(self.tokens["admin"])

    @property
    def read_token_set(self) -> bool:
        return bool(self.tokens["reader"])

    def _match(self, token: str) -> str | None:
        """The role a presented token grants (admin also reads); every configured token compared."""
        found = None
        for role in ("reader", "admin"):
            secret = self.tokens[role]
            if secret and hmac.compare_digest(token.encode(), secret.encode()):
                found = role
        return found

    def check_token(self, client: str, token: str) -> str:
        """The role of `token`; Unauthorized (a strike) when it grants none, TooManyAttempts while blocked."""
        self.refuse_if_blocked(client)
        role = self._match(token)
        if role is None:
            self._strike(client)
            raise Unauthorized(
                "令牌不正确。/ Wrong token: send `Authorization: Bearer <token>` with the read_token or admin_token "
                "the server was started with."
            )
        self._strikes.pop(client, None)
        return role

    def count_login(self, client: str) -> None:
        """Count a login from `client`; TooManyAttempts when it is past LOGINS this minute."""
        now = time.monotonic()
        logins = self._logins.setdefault(client, deque())
        while logins and logins[0] <= now - LOGIN_WINDOW:
            logins.popleft()
        if len(logins) >= LOGINS:
            wait = int(logins[0] + LOGIN_WINDOW - now) + 1
            raise TooManyAttempts(
                f"登录太频繁，请 {wait} 秒后再试。/ Too many logins from {client}; try again in {wait} s.", wait
            )
        logins.append(now)
        if len(self._logins) > 10_000:  # bounded memory: forget the addresses quiet for a minute
            for old in [c for c, q in self._logins.items() if not q or q[-1] <= now - LOGIN_WINDOW]:
                self._logins.pop(old, None)

    def refuse_if_blocked(self, client: str) -> None:
        until = self._blocked.get(client, 0.0)
        now = time.monotonic()
        if until > now:
            wait = int(until - now) + 1
            raise TooManyAttempts(
                f"错误的令牌太多，请 {wait} 秒后再试。/ Too many wrong tokens from {client}; try again in {wait} s.",
                wait,
            )

    def _strike(self, client: str) -> None:
        now = time.monotonic()
        strikes = self._strikes.setdefault(client, deque())
        strikes.append(now)
        while strikes and strikes[0] < now - STRIKE_WINDOW:
            strikes.popleft()
        if len(strikes) >= STRIKES:
            self._blocked[client] = now + min(2 ** (len(strikes) - STRIKES + 1), MAX_WAIT)
        if len(self._strikes) > 10_000:  # bounded memory: forget the quietest addresses
            for old in sorted(self._strikes, key=lambda c: self._strikes[c][-1])[:5_000]:
                self._strikes.pop(old, None)
                self._blocked.pop(old, None)

    # -- sessions ---------------------------------------------------------------------------
    def session_role(self, value: str) -> str | None:
        return self.sessions.role(value)

    def cookie(self, role: str, secure: bool) -> str:
        flags = "; Secure" if secure else ""
        value = self.sessions.new(role)
        return f"{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_SECONDS}{flags}"

    def logout(self, scope) -> bool:
        """End the request's session on the server; False when it carried none that was live."""
        _, session = _credentials(scope)
        return self.sessions.revoke(session) if session else False

    @staticmethod
    def clear_cookie() -> str:
        return f"{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"


def _client(scope) -> str:
    return (scope.get("client") or ("?", 0))[0]


def _credentials(scope) -> tuple[str | None, str | None]:
    """(bearer token, session cookie) of a request."""
    bearer = session = None
    for key, value in scope.get("headers", []):
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            bearer = token.strip() if scheme.lower() == "bearer" else ""
        elif key == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header from any client: no session, not a 500
                continue
            if COOKIE in jar:
                session = jar[COOKIE].value
    return bearer, session


def _login_location(scope) -> str:
    """A relative link to the login page that comes back here (right under any root_path)."""
    path = route_path(scope)
    query = scope.get("query_string", b"").decode("latin-1")
    back = path.lstrip("/") + (f"?{query}" if query else "")
    return "../" * (path.count("/") - 1) + "login" + (f"?next={quote(back, safe='')}" if back else "")


async def _redirect(send, location: str) -> None:
    headers = [(b"location", location.encode("latin-1")), (b"content-length", b"0"), *CLOSE]
    await send({"type": "http.response.start", "status": 303, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


class AccessControl:
    def __init__(self, app, guard: Guard):
        self.app = app
        self.guard = guard

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method, client = route_path(scope), scope["method"], _client(scope)
        headers = dict(scope.get("headers", []))
        if method == "OPTIONS" and b"access-control-request-method" in headers:
            return await self.app(scope, receive, send)  # a CORS preflight carries no credentials
        write, changing = is_write(method, path), is_state_changing(method, path)
        try:
            sent_by = browser_origin(scope) if changing else None
            if sent_by == "cross":  # before any token: a forged request is no strike against its victim
                raise _cross_origin(scope)
            # A token is checked only where one is required: reading is open without read_token, and
            # clients such as the openai SDK always send some key (`Bearer unused`), which must not count.
            needed = self.guard.admin_token_set if write else self.guard.read_token_set
            role = self._role(scope, client) if needed else self._role_if_any(scope)
            if write:
                role = self._writer(role, scope, changing and sent_by is None)
            elif self.guard.read_token_set and role is None and path not in PUBLIC:
                page = not (is_api(path) or path.startswith("/gradio_api") or path.startswith("/v1/"))
                if method in ("GET", "HEAD") and page:  # a program's route answers 401, never a redirect
                    return await _redirect(send, _login_location(scope))
                raise Unauthorized(
                    "需要登录：请带上 `Authorization: Bearer <read_token>`，或在 login 页登录。/ Reading needs the "
                    "read token: send `Authorization: Bearer <token>`, or log in on the login page."
                )
        except (Unauthorized, Forbidden) as exc:
            extra = [(b"www-authenticate", b"Bearer")] if exc.http_status == 401 else []
            if isinstance(exc, TooManyAttempts):
                extra = [(b"retry-after", str(exc.retry_after).encode())]
            return await send_error(send, exc.http_status, exc.code, exc.message, extra + CLOSE)
        scope.setdefault("state", {})["qa_role"] = role
        await self.app(scope, receive, send)

    def _role(self, scope, client: str) -> str | None:
        bearer, session = _credentials(scope)
        if bearer is not None:
            return self.guard.check_token(client, bearer)
        if session:
            return self.guard.session_role(session)
        return None

    def _role_if_any(self, scope) -> str | None:
        """The role shown to a request that needs none (e.g. the admin page asking who it is): a wrong
        or foreign token is no error and no strike here."""
        bearer, session = _credentials(scope)
        if bearer:
            return self.guard._match(bearer)
        return self.guard.session_role(session) if session else None

    def _writer(self, role: str | None, scope, unmarked: bool) -> str:
        """The writer's role. `unmarked`: a state-changing request without Origin and Sec-Fetch-Site."""
        if self.guard.admin_token_set:
            if role != "admin":
                raise Unauthorized(
                    "需要管理令牌。/ Writing needs the admin token: send `Authorization: Bearer <admin_token>`, or "
                    "log in on the admin tab."
                )
            if unmarked and _credentials(scope)[0] is None:
                # A session cookie is what a browser adds by itself; a browser also says where the
                # request comes from. A cookie without Origin or Sec-Fetch-Site is not trusted to write.
                raise CrossOrigin(
                    "写请求没有 Origin 头，会话 Cookie 不足以写入。/ A write with a session cookie must carry an "
                    "Origin (or Sec-Fetch-Site) header of this server; a program should send "
                    "`Authorization: Bearer <admin_token>` instead."
                )
            return role
        if not local_writer(scope):
            raise Forbidden(
                "未设置管理令牌，只能在服务器本机写入。/ No admin_token is set, so writing is allowed only from the "
                "server itself (loopback, at http://127.0.0.1 or http://localhost, not through a reverse proxy). "
                "Start the server with QA_ADMIN_TOKEN=<a long random string> to write from other machines."
            )
        return "admin"


def _cross_origin(scope) -> CrossOrigin:
    origin = dict(scope.get("headers", [])).get(b"origin", b"").decode("latin-1")[:200]
    site = dict(scope.get("headers", [])).get(b"sec-fetch-site", b"").decode("latin-1")[:40]
    sender = f"Origin {origin!r}" if origin else f"Sec-Fetch-Site {site!r}"
    own = own_origin(scope) or "(no Host header)"
    return CrossOrigin(
        f"拒绝来自其他网页的写请求。/ A state-changing request from another page ({sender}) is refused: only "
        f"pages of this server ({own}) may write or log in. Behind a reverse proxy, list it in trusted_proxies "
        "and have it send X-Forwarded-Host and X-Forwarded-Proto."
    )
