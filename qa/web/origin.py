"""Where a request comes from: the real client behind trusted proxies, the server's own origin, and
whether a browser sent the request from that origin.

In:  an ASGI scope (its peer address, Host, Forwarded/X-Forwarded-* and Origin/Sec-Fetch-Site headers).
Out: the scope rewritten (client, scheme) and marked (scope["state"]), and a verdict per request.

    Forwarded      ASGI middleware, outermost. From a peer in `trusted_proxies` (addresses or networks),
                   X-Forwarded-For gives the client (the rightmost address that is not a trusted proxy,
                   uvicorn's ProxyHeadersMiddleware), X-Forwarded-Proto the scheme and X-Forwarded-Host
                   the host of the server's own origin (the last value of each: the one the nearest, trusted,
                   proxy set). From any other peer those headers are dropped, so nothing inside (Gradio's
                   URLs included) reads them, and the request is marked `proxied`: whatever its address,
                   it is never taken for a client on the loopback address.
    own_origin     scheme://host[:port] of this server as the browser sees it.
    browser_origin "same" when Origin (or, without one, Sec-Fetch-Site) says the request was sent from a
                   page of this server; "cross" when it says another; None when the request carries neither
                   (not a browser: every current browser sends Origin with a cross-origin POST or DELETE,
                   and Sec-Fetch-Site with every request to https or to a loopback address).
"""

from __future__ import annotations

import ipaddress

from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from qa.errors import InputError

__all__ = ["Forwarded", "check_proxies", "own_origin", "browser_origin", "is_proxied", "host_name"]

# Headers only a proxy sets. Their presence from an unlisted peer means a proxy we do not trust (or a
# client pretending to be behind one).
PROXY_HEADERS = {b"forwarded", b"x-forwarded-for", b"x-forwarded-host", b"x-forwarded-proto", b"x-forwarded-port",
                 b"x-forwarded-prefix", b"x-real-ip"}  # fmt: skip
DEFAULT_PORTS = {"http": "80", "https": "443"}


def check_proxies(entries: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The trusted_proxies setting as networks; InputError naming an entry that is no address or network."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise InputError(
                f"trusted_proxies 中的 {entry!r} 不是 IP 地址或网段。/ {entry!r} in trusted_proxies is not an IP "
                "address or network: list the reverse proxies' addresses, e.g. 127.0.0.1 or 10.0.0.0/24, "
                "separated by spaces."
            ) from None
    return networks


def _last(value: bytes) -> str:
    return value.decode("latin-1").split(",")[-1].strip()


def _valid_host(host: str) -> bool:
    """A Host value that can be compared with an Origin: a name, IPv4 or [IPv6], an optional port."""
    if not host or len(host) > 255 or any(c in host for c in "/\\@?#% \t"):
        return False
    return host.count(":") <= 1 or (host.startswith("[") and "]" in host)


class Forwarded:
    def __init__(self, app, trusted: list[str]):
        self.networks = check_proxies(trusted)
        self.app = app
        # uvicorn's own logic picks the client out of X-Forwarded-For and the scheme out of X-Forwarded-Proto.
        self.rewrite = ProxyHeadersMiddleware(app, trusted_hosts=[str(n) for n in self.networks])

    def _trusted(self, peer: str) -> bool:
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        peer = (scope.get("client") or ("", 0))[0]
        headers = scope.get("headers", [])
        carried = [(k, v) for k, v in headers if k in PROXY_HEADERS]
        state = scope.setdefault("state", {})
        state["qa_peer"] = peer
        if self.networks and self._trusted(peer):
            state["qa_trusted_proxy"] = True  # the host it asks for is its decision (hosts.HostCheck)
        if not carried:
            return await self.app(scope, receive, send)
        if not self._trusted(peer):
            state["qa_proxied"] = True
            scope["headers"] = [(k, v) for k, v in headers if k not in PROXY_HEADERS]
            return await self.app(scope, receive, send)
        kept = [(k, v) for k, v in headers if k not in (b"x-forwarded-host", b"x-forwarded-proto")]
        for name in (b"x-forwarded-host", b"x-forwarded-proto"):
            values = [v for k, v in headers if k == name]
            if values:  # one value, the nearest proxy's, so that Gradio (which reads the first) agrees with us
                kept.append((name, _last(b",".join(values)).encode("latin-1")))
        scope["headers"] = kept
        forwarded_host = dict(kept).get(b"x-forwarded-host")
        if forwarded_host is not None:
            state["qa_host"] = forwarded_host.decode("latin-1")
        await self.rewrite(scope, receive, send)


def is_proxied(scope) -> bool:
    """The request came through a proxy not listed in trusted_proxies (it carried proxy headers)."""
    return bool(scope.get("state", {}).get("qa_proxied"))


def _strip_default_port(scheme: str, host: str) -> str:
    port = DEFAULT_PORTS.get(scheme)
    return host[: -len(port) - 1] if port and host.endswith(":" + port) else host


def _host(scope) -> str:
    """The host[:port] the client asked for (a trusted proxy's X-Forwarded-Host, else Host), lowercased."""
    host = scope.get("state", {}).get("qa_host")
    if host is None:
        host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
    return host.strip().lower()


def host_name(scope) -> str:
    """The host the client asked for, without its port."""
    host = _host(scope)
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0]


def own_origin(scope) -> str | None:
    """scheme://host[:port] of this server as the client addressed it; None without a usable Host."""
    host = _host(scope)
    scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme", "http"))
    if not _valid_host(host) or scheme not in DEFAULT_PORTS:
        return None
    return f"{scheme}://{_strip_default_port(scheme, host)}"


def _normal_origin(origin: str) -> str:
    scheme, sep, host = origin.strip().lower().partition("://")
    return f"{scheme}://{_strip_default_port(scheme, host)}" if sep else origin.strip().lower()


def browser_origin(scope) -> str | None:
    """ "same", "cross", or None (neither Origin nor Sec-Fetch-Site: not sent by a browser)."""
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin")
    if origin is not None:
        own = own_origin(scope)
        return "same" if own is not None and _normal_origin(origin.decode("latin-1")) == own else "cross"
    site = headers.get(b"sec-fetch-site")
    if site is not None:
        # same-site is not enough: a page on another port, or on a sibling subdomain, is same-site.
        return "same" if site.decode("latin-1").strip().lower() == "same-origin" else "cross"
    return None
