"""Access control for every route: who may read, who may write, and slowing down wrong tokens.

    reading   open, unless `read_token` is set: then a bearer token (read or admin) or a login
              session is needed — the API answers 401, a page redirects to `login`
    writing   (POST/DELETE under /api/collections, GET /api/jobs/*) needs `admin_token` (bearer or
              session); with none set, only clients on the loopback address may write (403 otherwise)
    sessions  `POST api/login {"token"}` sets an HttpOnly, SameSite=Strict cookie `qa_session`:
              role.expiry.HMAC(token of that role): the token itself never leaves the server, and a
              changed token ends every session made with the old one
    strikes   a wrong token counts against the client address; from the 5th within 15 minutes the
              address is refused (429, Retry-After) for 2, 4, 8 … up to 300 seconds

Tokens are compared with hmac.compare_digest, never logged, never put into a page or a URL. A plain
ASGI middleware (AccessControl), so the Gradio page and its /gradio_api/* calls are covered too; it
answers before the body is read, and closes the connection when it refuses.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import deque
from http.cookies import SimpleCookie
from urllib.parse import quote

from qa.errors import Forbidden, TooManyAttempts, Unauthorized

from .security import CLOSE, is_api, route_path, send_error

__all__ = ["Guard", "AccessControl", "COOKIE", "is_write", "LOOPBACK"]

COOKIE = "qa_session"
SESSION_SECONDS = 12 * 3600
STRIKES, STRIKE_WINDOW, MAX_WAIT = 5, 15 * 60, 300
LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
# Reachable without reading rights: the login page and its calls, and liveness for monitors.
PUBLIC = {"/login", "/api/login", "/api/logout", "/healthz", "/embed/login.js", "/embed/admin.css"}


def is_write(method: str, path: str) -> bool:
    if path.startswith("/api/collections") and method not in ("GET", "HEAD", "OPTIONS"):
        return True
    return path.startswith("/api/jobs/")


class Guard:
    """The tokens, the sessions signed with them, and the strikes per client address."""

    def __init__(self, read_token: str, admin_token: str, audit=None):
        self.tokens = {"admin": admin_token, "reader": read_token}
        self.audit = audit
        self._strikes: dict[str, deque] = {}
        self._blocked: dict[str, float] = {}

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
    def _sign(self, role: str, expires: int) -> str:
        key = self.tokens[role].encode()
        return hmac.new(key, f"{role}.{expires}".encode(), hashlib.sha256).hexdigest()

    def session(self, role: str) -> str:
        expires = int(time.time()) + SESSION_SECONDS
        return f"{role}.{expires}.{self._sign(role, expires)}"

    def session_role(self, value: str) -> str | None:
        role, _, rest = value.partition(".")
        expires, _, signature = rest.partition(".")
        if role not in self.tokens or not self.tokens[role] or not expires.isdigit() or int(expires) < time.time():
            return None
        return role if hmac.compare_digest(signature, self._sign(role, int(expires))) else None

    def cookie(self, role: str, secure: bool) -> str:
        flags = "; Secure" if secure else ""
        return f"{COOKIE}={self.session(role)}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_SECONDS}{flags}"

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
        write = is_write(method, path)
        try:
            # A token is checked only where one is required: reading is open without read_token, and
            # clients such as the openai SDK always send some key (`Bearer unused`), which must not count.
            needed = self.guard.admin_token_set if write else self.guard.read_token_set
            role = self._role(scope, client) if needed else self._role_if_any(scope)
            if write:
                role = self._writer(role, client)
            elif self.guard.read_token_set and role is None and path not in PUBLIC:
                if method in ("GET", "HEAD") and not is_api(path) and not path.startswith("/gradio_api"):
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

    def _writer(self, role: str | None, client: str) -> str:
        if self.guard.admin_token_set:
            if role != "admin":
                raise Unauthorized(
                    "需要管理令牌。/ Writing needs the admin token: send `Authorization: Bearer <admin_token>`, or "
                    "log in on the admin tab."
                )
            return role
        if client not in LOOPBACK:
            raise Forbidden(
                "未设置管理令牌，只能在服务器本机写入。/ No admin_token is set, so writing is allowed only from the "
                "server itself (loopback). Start the server with QA_ADMIN_TOKEN=<a long random string> to write "
                "from other machines."
            )
        return "admin"
