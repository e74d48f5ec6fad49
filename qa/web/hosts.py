"""The names this server answers to: a request for any other Host is refused (DNS rebinding).

In:  an ASGI scope, after origin.Forwarded (which put a trusted proxy's X-Forwarded-Host in its state).
Out: the request passed on, or 421 Misdirected Request in the one error shape.

Why: a page of evil.example can rebind its name to 127.0.0.1 (or a LAN address) after it loaded; the
browser then sends its requests to qa with `Host: evil.example:<port>` and, the origin being its own,
reads the answers. Writes were already refused (auth.local_writer, the Origin check); reads were not.
A browser always names the host it thinks it talks to, so a Host that is none of the server's own names
is a rebinding page's (or a misdirected request's). Own names:

    an IP address    any IPv4 or [IPv6] literal: no DNS is involved, so it cannot be rebound; this keeps
                     the bind address, the machine's interface addresses on a wildcard bind, and a Docker
                     host's address in front of a mapped port working without listing them;
    loopback names   localhost (and *.localhost, which browsers resolve to loopback themselves);
    the machine      its host name (socket.gethostname(), with and without a domain), on a wildcard bind
                     (0.0.0.0, ::) or a non-loopback bind address;
    the connection   the local name the request arrived on (ASGI `server`): in-process clients;
    allowed_hosts    the setting's names, e.g. the DNS name people use on the intranet;
    a trusted proxy  whatever host it forwards (X-Forwarded-Host, or its Host) is the proxy's decision.

No Host header at all (HTTP/1.0) is no browser's and passes.
"""

from __future__ import annotations

import ipaddress
import socket

from .origin import host_name
from .security import send_error

__all__ = ["HostCheck", "own_names", "is_own_host"]

WILDCARD = {"0.0.0.0", "::", ""}
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def own_names(bind: str, allowed: list[str]) -> set[str]:
    """The names (lower case, no port) this server answers to besides IP literals and localhost."""
    names = {h.lower().strip("[]") for h in allowed}
    bind = bind.strip().strip("[]").lower()
    names.add(bind)
    if bind in WILDCARD or not _is_loopback(bind):
        machine = socket.gethostname().lower()  # local: no DNS lookup (getfqdn could reach the network)
        names |= {machine, machine.split(".")[0]}
    names.discard("")
    return names


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in LOOPBACK_NAMES


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_own_host(host: str, names: set[str], server: str | None = None) -> bool:
    """Is `host` (a Host header's name, no port, lower case) one of this server's own names?"""
    bare = host.strip("[]").rstrip(".")
    if not bare or _is_ip(bare) or bare in names:
        return True
    if bare in LOOPBACK_NAMES or bare.endswith(".localhost"):
        return True
    return server is not None and bare == server.strip("[]").lower()


class HostCheck:
    def __init__(self, app, bind: str, allowed: list[str]):
        self.app = app
        self.names = own_names(bind, allowed)
        self.any = "*" in self.names  # allowed_hosts = * switches the check off (documented, not the default)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or self.any:
            return await self.app(scope, receive, send)
        state = scope.get("state", {})
        if state.get("qa_host") is not None or state.get("qa_trusted_proxy"):
            return await self.app(scope, receive, send)  # a trusted proxy chose the host
        host = host_name(scope)
        server = (scope.get("server") or (None, 0))[0]
        if is_own_host(host, self.names, server):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})
        shown = host[:100]
        await send_error(
            send,
            421,
            "misdirected_request",
            f"此服务器不接受主机名 {shown!r}。/ This server does not answer to the host name {shown!r} (a page "
            "that rebinds its name to this server is refused). Open it by its address, localhost or its host "
            "name, or list the name in allowed_hosts (QA_ALLOWED_HOSTS).",
            [(b"connection", b"close")],
        )
