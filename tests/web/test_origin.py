"""qa.web.origin on its own: where a request comes from, each rule with a case where it must fire and
one where it must not. The same rules against a real server: tests/web/test_attacks_auth.py."""

from __future__ import annotations

import asyncio

import pytest

from qa.errors import InputError
from qa.web.origin import Forwarded, browser_origin, check_proxies, is_proxied, own_origin


def scope(headers: dict[str, str], client: str = "127.0.0.1", scheme: str = "http") -> dict:
    encoded = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": encoded,
        "client": (client, 5000),
        "scheme": scheme,
    }


def test_the_same_origin_is_recognised_whatever_the_spelling_of_its_default_port_or_case():
    assert browser_origin(scope({"Host": "qa.example.org", "Origin": "http://QA.example.org:80"})) == "same"
    assert (
        browser_origin(scope({"Host": "qa.example.org:443", "Origin": "https://qa.example.org"}, scheme="https"))
        == "same"
    )
    assert browser_origin(scope({"Host": "[::1]:7860", "Origin": "http://[::1]:7860"})) == "same"


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "qa.example.org", "Origin": "http://qa.example.org:8080"},  # another port
        {"Host": "qa.example.org", "Origin": "https://qa.example.org"},  # another scheme
        {"Host": "qa.example.org", "Origin": "http://sub.qa.example.org"},  # a sibling, same-site
        {"Host": "qa.example.org", "Origin": "null"},  # an opaque origin (sandbox, redirect)
        {"Origin": "http://qa.example.org"},  # no Host: nothing to be the same as
        {"Host": "qa.example.org", "Sec-Fetch-Site": "same-site"},
        {"Host": "qa.example.org", "Sec-Fetch-Site": "cross-site"},
        {"Host": "qa.example.org", "Sec-Fetch-Site": "none"},
        {"Host": "qa.example.org/x", "Origin": "http://qa.example.org/x"},  # not a host
    ],
)
def test_another_origin_is_cross(headers):
    assert browser_origin(scope(headers)) == "cross"


def test_a_request_without_origin_or_sec_fetch_site_is_no_browsers():
    assert browser_origin(scope({"Host": "qa.example.org"})) is None
    assert browser_origin(scope({"Host": "qa.example.org", "Sec-Fetch-Site": "same-origin"})) == "same"


def run(middleware, s: dict) -> dict:
    """The scope the inner app sees."""
    seen = {}

    async def inner(scope, receive, send):
        seen.update(scope)

    asyncio.run(middleware(inner)(s, None, None))
    return seen


def test_a_trusted_proxy_names_the_client_the_scheme_and_the_host():
    forwarded = {"Host": "10.0.0.2:7860", "X-Forwarded-For": "127.0.0.1, 198.51.100.4, 10.0.0.3",
                 "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example, qa.example.org"}  # fmt: skip
    seen = run(lambda app: Forwarded(app, ["10.0.0.0/24"]), scope(forwarded, client="10.0.0.2"))
    # the rightmost address that is not a trusted proxy: what the client wrote on the left is not believed
    assert seen["client"][0] == "198.51.100.4" and seen["scheme"] == "https" and not is_proxied(seen)
    assert own_origin(seen) == "https://qa.example.org"  # the nearest proxy's value: the last one


def test_proxy_headers_from_an_unlisted_peer_are_dropped_and_mark_the_request():
    forwarded = {"Host": "127.0.0.1:7860", "X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": "qa.example.org"}
    for trusted in ([], ["10.0.0.0/24"]):
        seen = run(lambda app, t=trusted: Forwarded(app, t), scope(forwarded, client="127.0.0.1"))
        assert seen["client"][0] == "127.0.0.1" and is_proxied(seen)
        assert not {b"x-forwarded-for", b"x-forwarded-host"} & {k for k, _ in seen["headers"]}  # Gradio never sees them
        assert own_origin(seen) == "http://127.0.0.1:7860"
    plain = run(lambda app: Forwarded(app, []), scope({"Host": "127.0.0.1:7860"}))
    assert not is_proxied(plain) and plain["client"][0] == "127.0.0.1"


@pytest.mark.parametrize("entry", ["*", "localhost", "10.0.0.0/33", "127.0.0.1;rm"])
def test_trusted_proxies_must_be_addresses_or_networks(entry, service):
    from qa.config import Settings
    from qa.web.api import create_app

    with pytest.raises(InputError, match="trusted_proxies"):
        check_proxies([entry])
    with pytest.raises(InputError, match="trusted_proxies"):
        create_app(service, Settings.load({"trusted_proxies": f"127.0.0.1 {entry}"}))
    assert [str(n) for n in check_proxies(["127.0.0.1", "10.0.0.0/8", "::1"])] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    ]
