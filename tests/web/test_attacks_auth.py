"""Attacks on who may write, driven against a real `qa serve` (issue 27, parts 2, 5, 6 and the 429s).

Each attack is sent as an attacker would: forged Origin and Sec-Fetch-Site headers, a page of another
port in a real headless Chromium, forged X-Forwarded-For, a saved cookie after logout, a reverse proxy
of the standard library in front (tests/web/reverse_proxy.py). Every request has its own socket
timeout (TIMEOUT), so an attack that hangs fails instead of stalling the run. Clients connect from
several loopback addresses (127.0.0.2, .3 …: Linux routes all of 127/8 to lo), which qa counts as
different clients, so that one test's strikes never block another's.

Each test was run on the code before the fix and failed there (the docstrings say how).
"""

from __future__ import annotations

import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.collections.conftest import Server, copy_seed_index, seed_server
from tests.web.reverse_proxy import ReverseProxy

ADMIN = "attack-admin-token-5b1e"
EMBED = "http://embed.example.test"  # a configured embed origin: it may read, never write
PUBLIC = "qa.example.test"  # the name the reverse proxy serves qa under
TIMEOUT = 30
TEXT = "据《攻击测试》记载，青溪县的观澜水库建于二〇二六年。\n".encode()


def call(port, method, path, *, headers=None, body=None, files=None, source="127.0.0.2", host=None):
    """(status, lower-case headers, JSON body) of one request from `source`, on a new connection."""
    sent = dict(headers or {})
    if host is not None:
        sent["Host"] = host
    data = None
    if files is not None:
        boundary = "attack-boundary-91c2"
        data = (
            b"".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
                "Content-Type: text/plain\r\n\r\n".encode()
                + content
                + b"\r\n"
                for name, content in files
            )
            + f"--{boundary}--\r\n".encode()
        )
        sent["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
        sent["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT, source_address=(source, 0))
    try:
        conn.request(method, path, body=data, headers=sent)
        r = conn.getresponse()
        raw = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, json.loads(raw) if raw else None
    finally:
        conn.close()


def code(body) -> str:
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]["code"]


def audit(server: Server) -> list[dict]:
    path = server.index_dir / "audit.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def names(server: Server) -> list[str]:
    status, _, body = call(server.port, "GET", "/api/collections")
    assert status == 200, body
    return [c["name"] for c in body["collections"]]


def login(server: Server, source="127.0.0.2") -> str:
    """A fresh admin session cookie (`qa_session=…`), logged in from a page of the server itself."""
    own = {"Origin": server.url}
    status, headers, body = call(server.port, "POST", "/api/login", headers=own, body={"token": ADMIN}, source=source)
    assert status == 200 and body == {"role": "admin"}, body
    return headers["set-cookie"].split(";")[0]


@pytest.fixture(scope="module")
def admin_server(service, tmp_path_factory):
    """admin_token set, no read token, an embed origin, no trusted proxies (the defaults)."""
    yield from seed_server(
        service, tmp_path_factory.mktemp("attacks-admin"), {"QA_ADMIN_TOKEN": ADMIN, "QA_EMBED_ORIGINS": EMBED}
    )


@pytest.fixture(scope="module")
def open_server(service, tmp_path_factory):
    """No admin_token: writing only from the server's own machine."""
    yield from seed_server(
        service, tmp_path_factory.mktemp("attacks-open"), {"QA_ADMIN_TOKEN": "", "QA_EMBED_ORIGINS": EMBED}
    )


def forged_senders(server: Server, other_port: int) -> dict[str, dict]:
    """The headers a browser sends with a request that a page not of this server made."""
    return {
        "another port (same-site)": {"Origin": f"http://127.0.0.1:{other_port}"},
        "another site": {"Origin": "http://attacker.example"},
        "opaque origin": {"Origin": "null"},
        "the embed origin": {"Origin": EMBED},
        "other scheme": {"Origin": server.url.replace("http://", "https://")},
        "Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": "cross-site"},
        "Sec-Fetch-Site same-site": {"Sec-Fetch-Site": "same-site"},
    }


# -- forged writes with the admin's session (CSRF) -----------------------------------------------------


def test_pages_of_other_origins_cannot_write_with_the_admins_session(admin_server):
    """Before the fix every forged upload, create and drop below was accepted (202/201/200)."""
    cookie = login(admin_server)
    for label, sender in forged_senders(admin_server, admin_server.port + 1).items():
        headers = {**sender, "Cookie": cookie}
        target = f"/api/collections/forged-{len(label)}/documents"
        status, _, body = call(admin_server.port, "POST", target, headers=headers, files=[("a.txt", TEXT)])
        assert (status, code(body)) == (403, "cross_origin"), label
        status, _, body = call(admin_server.port, "POST", "/api/collections", headers=headers, body={"name": "forged"})
        assert (status, code(body)) == (403, "cross_origin"), label
        status, _, body = call(admin_server.port, "DELETE", "/api/collections/seeds", headers=headers)
        assert (status, code(body)) == (403, "cross_origin"), label
    # a cookie alone, with neither header, is no program's way to write (programs send the bearer token)
    status, _, body = call(
        admin_server.port, "POST", "/api/collections", headers={"Cookie": cookie}, body={"name": "x"}
    )
    assert (status, code(body)) == (403, "cross_origin")
    assert names(admin_server) == ["seeds"]
    refused = [
        r for r in audit(admin_server) if r["result"] == "refused: 403 cross_origin" and "/api/log" not in r["action"]
    ]
    assert len(refused) == 3 * 7 + 1 and {r["client"] for r in refused} == {"127.0.0.2"}

    # must not fire: the server's own pages (Origin, or Sec-Fetch-Site same-origin) and a program's bearer token
    own = {"Origin": admin_server.url, "Cookie": cookie}
    assert call(admin_server.port, "POST", "/api/collections", headers=own, body={"name": "own-page"})[0] == 201
    same = {"Sec-Fetch-Site": "same-origin", "Cookie": cookie}
    assert call(admin_server.port, "POST", "/api/collections", headers=same, body={"name": "own-fetch"})[0] == 201
    bearer = {"Authorization": f"Bearer {ADMIN}"}
    assert call(admin_server.port, "POST", "/api/collections", headers=bearer, body={"name": "by-curl"})[0] == 201
    assert call(admin_server.port, "DELETE", "/api/collections/own-fetch", headers=own)[0] == 200


def test_login_and_logout_from_another_origin_are_refused(admin_server):
    """Before the fix a page of another origin could log the browser in (200 and a cookie)."""
    for sender in ({"Origin": "http://attacker.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": EMBED}):
        status, headers, body = call(admin_server.port, "POST", "/api/login", headers=sender, body={"token": ADMIN})
        assert (status, code(body)) == (403, "cross_origin") and "set-cookie" not in headers
        status, headers, body = call(admin_server.port, "POST", "/api/logout", headers=sender)
        assert (status, code(body)) == (403, "cross_origin")
    status, _, body = call(admin_server.port, "POST", "/api/login", body={"token": ADMIN})  # a program: allowed
    assert (status, body) == (200, {"role": "admin"})


def test_a_429_from_login_says_when_to_come_back(admin_server):
    """Before the fix the login route's 429 had no Retry-After (only the middleware's had)."""
    own = {"Origin": admin_server.url}
    answers = [
        call(admin_server.port, "POST", "/api/login", headers=own, body={"token": f"guess{i}"}, source="127.0.0.3")
        for i in range(6)
    ]
    assert [a[0] for a in answers[:4]] == [401] * 4
    status, headers, body = answers[5]
    assert (status, code(body)) == (429, "too_many_attempts") and int(headers["retry-after"]) >= 1


def test_a_forged_x_forwarded_for_is_not_the_client(admin_server):
    """Before the fix uvicorn believed X-Forwarded-For from 127.0.0.1: the audit log named 203.0.113.5."""
    forged = {"X-Forwarded-For": "203.0.113.5", "Authorization": "Bearer wrong"}
    status, _, body = call(
        admin_server.port, "POST", "/api/collections", headers=forged, body={"name": "x"}, source="127.0.0.1"
    )
    assert (status, code(body)) == (401, "unauthorized")
    row = audit(admin_server)[-1]
    assert (row["action"], row["client"], row["result"]) == (
        "POST /api/collections",
        "127.0.0.1",
        "refused: 401 unauthorized",
    )


def test_thirty_wrong_logins_with_varied_x_forwarded_for_are_slowed_down(admin_server):
    """Before the fix each forged address was a new client: 30 × 401, never a 429."""
    answers = []
    for i in range(30):
        forged = {"X-Forwarded-For": f"198.51.100.{i}", "X-Real-IP": f"198.51.100.{i}", "Origin": admin_server.url}
        answers.append(
            call(admin_server.port, "POST", "/api/login", headers=forged, body={"token": f"g{i}"}, source="127.0.0.1")
        )
    statuses = [a[0] for a in answers]
    # the 5th strike blocks the address for 2 s, then 4, 8 …: a handful of 401s at most in 30 tries
    assert statuses[0] == 401 and 429 in statuses[:6] and statuses.count(401) <= 8, statuses
    assert all(int(h["retry-after"]) >= 1 for s, h, _ in answers if s == 429)


def test_logout_ends_the_session_on_the_server_even_after_a_restart(admin_server):
    """Before the fix a saved cookie went on writing after logout (up to 12 h)."""
    kept, other = login(admin_server), login(admin_server)
    own = {"Origin": admin_server.url}
    status, _, _ = call(
        admin_server.port, "POST", "/api/collections", headers={**own, "Cookie": kept}, body={"name": "before"}
    )
    assert status == 201
    status, headers, body = call(admin_server.port, "POST", "/api/logout", headers={**own, "Cookie": kept})
    assert (status, body) == (200, {"role": None}) and "Max-Age=0" in headers["set-cookie"]

    def writes(cookie: str, name: str) -> int:
        sender = {"Origin": admin_server.url, "Cookie": cookie}  # the port changes with the restart
        return call(admin_server.port, "POST", "/api/collections", headers=sender, body={"name": name})[0]

    assert writes(kept, "after-logout") == 401  # the copy of the cookie a thief kept is dead
    admin_server.stop()
    admin_server.start()
    assert writes(kept, "after-restart") == 401  # … and stays dead after a restart
    assert writes(other, "other-session") == 201  # a logout ends one session, not every one
    assert (admin_server.index_dir / "revoked_sessions.json").exists()
    assert ADMIN not in (admin_server.index_dir / "revoked_sessions.json").read_text()


# -- no admin token: only the server's own machine writes, and only its own pages ----------------------


def test_without_admin_token_a_forged_request_from_the_servers_machine_cannot_write(open_server):
    """Before the fix the loopback address was enough: every forged upload below got 202."""
    port = open_server.port
    attacks = {
        **forged_senders(open_server, port + 1),
        "DNS rebinding": {"Host": f"rebind.example:{port}", "Origin": f"http://rebind.example:{port}"},
        "X-Forwarded-For 127.0.0.1": {"X-Forwarded-For": "127.0.0.1"},
        "Forwarded": {"Forwarded": "for=198.51.100.7;proto=http"},
        "X-Forwarded-Host": {"X-Forwarded-Host": "attacker.example", "Origin": "http://attacker.example"},
    }
    for i, (label, sender) in enumerate(attacks.items()):
        status, _, body = call(
            port,
            "POST",
            f"/api/collections/forged{i}/documents",
            headers=sender,
            files=[("a.txt", TEXT)],
            source="127.0.0.1",
        )
        if label == "DNS rebinding":  # refused before any write rule: not one of the server's names (issue 36)
            assert status == 421 and code(body) == "misdirected_request", (label, status, body)
            continue
        assert status == 403 and code(body) in ("cross_origin", "forbidden"), (label, status, body)
    assert names(open_server) == ["seeds"]

    # must not fire: the server's own page, and a program (curl) on the server's machine
    for name, sender in (
        ("own-page", {"Origin": f"http://127.0.0.1:{port}"}),
        ("curl", {}),
        ("localhost", {"Host": f"localhost:{port}", "Origin": f"http://localhost:{port}"}),
    ):
        status, _, body = call(
            port, "POST", "/api/collections", headers=sender, body={"name": name}, source="127.0.0.1"
        )
        assert status == 201, (name, body)
    status, _, body = call(port, "POST", "/api/collections/own-page/documents", files=[("a.txt", TEXT)], source="127.0.0.1",
                           headers={"Sec-Fetch-Site": "same-origin"})  # fmt: skip
    assert status == 202, body
    assert open_server.wait_job(body["job"]["id"], timeout=300)["state"] == "done"


def test_a_local_proxy_not_listed_in_trusted_proxies_does_not_make_its_clients_loopback(open_server):
    """Before the fix uvicorn believed the proxy's X-Forwarded-For (127.0.0.1): every client behind it wrote."""
    with ReverseProxy(open_server.port) as proxy:  # curl on the server's machine, through the proxy
        status, _, body = call(proxy.port, "POST", "/api/collections", body={"name": "via-proxy"}, source="127.0.0.1")
    assert (status, code(body)) == (403, "forbidden"), body
    assert "via-proxy" not in names(open_server)
    status, _, body = call(
        open_server.port, "GET", "/api/admin/status", headers={"Forwarded": "for=127.0.0.1"}, source="127.0.0.1"
    )
    assert status == 200 and body["can_write"] is False


# -- behind a reverse proxy listed in trusted_proxies ---------------------------------------------------


def test_behind_a_trusted_reverse_proxy_the_client_and_the_origin_are_the_proxys_word(service, tmp_path):
    """Before the fix there was no trusted_proxies: a write from the proxied public origin's page passed
    only because no Origin was checked, and one from any other page passed too."""
    folder = copy_seed_index(service, tmp_path / "index")
    server = Server(folder, {"QA_ADMIN_TOKEN": ADMIN, "QA_TRUSTED_PROXIES": "127.0.0.1"}).start()
    try:
        with ReverseProxy(server.port) as proxy:

            def via(method, path, source, origin=None, token=ADMIN, **kw):
                headers = {"Authorization": f"Bearer {token}", "Host": PUBLIC}
                if origin:
                    headers["Origin"] = origin
                return call(proxy.port, method, path, headers=headers, source=source, **kw)

            assert via("POST", "/api/collections", "127.0.0.5", f"https://{PUBLIC}", body={"name": "public"})[0] == 201
            status, _, body = via("POST", "/api/collections", "127.0.0.5", server.url, body={"name": "upstream"})
            assert (status, code(body)) == (403, "cross_origin")  # the own origin is the public one, not the upstream's

            status, _, _ = via("POST", "/api/collections", "127.0.0.5", token="wrong", body={"name": "x"})
            assert status == 401 and audit(server)[-1]["client"] == "127.0.0.5"  # the real client, from the proxy
            statuses = [via("GET", "/api/jobs/none", "127.0.0.5", token=f"g{i}")[0] for i in range(6)]
            assert statuses[:3] == [401] * 3 and statuses[5] == 429, statuses
            assert via("GET", "/api/jobs/none", "127.0.0.6", token="g")[0] == 401  # another client is not blocked

        # straight to the server from an address not listed: its proxy headers are not believed
        forged = {"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": PUBLIC, "X-Forwarded-Proto": "https"}
        headers = {**forged, "Origin": f"https://{PUBLIC}", "Authorization": f"Bearer {ADMIN}"}
        status, _, body = call(
            server.port, "POST", "/api/collections", headers=headers, body={"name": "y"}, source="127.0.0.2"
        )
        assert (status, code(body)) == (403, "cross_origin")
        assert audit(server)[-1]["client"] == "127.0.0.2"
        assert "y" not in names(server) and "public" in names(server)
    finally:
        server.stop()


# -- a real browser: a page on another port tries to upload ---------------------------------------------

ATTACK_PAGE = """<!doctype html><meta charset=utf-8><title>attack</title>
<iframe name=sink></iframe>
<form id=f method=post enctype=multipart/form-data target=sink action="{qa}/api/collections/csrf-form/documents">
<input type=file name=files id=files></form>
<script>
const file = new File(["据《攻击》记载，观澜水库建于二〇二六年。"], "a.txt", {{type: "text/plain"}});
const box = new DataTransfer(); box.items.add(file);
document.getElementById("files").files = box.files;
document.getElementById("f").submit();
const data = new FormData(); data.append("files", file);
fetch("{qa}/api/collections/csrf-fetch/documents", {{method: "POST", body: data, mode: "no-cors", credentials: "include"}})
  .then(() => document.title = "sent", () => document.title = "sent");
</script>"""


class AttackSite:
    """A page on another port of this machine (same-site to qa, another origin), from a stdlib server."""

    def __init__(self, qa_url: str):
        page = ATTACK_PAGE.format(qa=qa_url).encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def browser():
    from tests.web.chromium import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    pw.stop()


def _open_attack_page(browser, server: Server, session: str | None) -> None:
    """Open the attack page in a browser holding `session` (qa's cookie, as its login sets it)."""
    site = AttackSite(server.url)
    context = browser.new_context()
    try:
        if session:
            value = session.split("=", 1)[1]
            cookie = {"name": "qa_session", "value": value, "url": server.url, "httpOnly": True, "sameSite": "Strict"}
            context.add_cookies([cookie])
        page = context.new_page()
        page.set_default_timeout(TIMEOUT * 1000)
        before = len(audit(server))
        page.goto(site.url, wait_until="load")
        page.wait_for_function("() => document.title === 'sent'")
        # both requests reached qa and were refused there (not merely lost on the way)
        rows = []
        for _ in range(100):  # the audit log names every write attempt, accepted or refused
            rows = [r for r in audit(server)[before:] if "csrf-" in f"{r['action']} {r['collection']}"]
            if len(rows) >= 2:
                break
            page.wait_for_timeout(100)
        assert sorted(r["action"] for r in rows) == [
            "POST /api/collections/csrf-fetch/documents",
            "POST /api/collections/csrf-form/documents",
        ], rows
        assert {r["result"] for r in rows} == {"refused: 403 cross_origin"}, rows
    finally:
        context.close()
        site.close()
    assert not {"csrf-form", "csrf-fetch"} & set(names(server))


def test_a_page_on_another_port_cannot_upload_through_the_admins_browser(browser, admin_server):
    """Before the fix the browser sent the SameSite=Strict cookie (another port is same-site) and both
    uploads were accepted (202): collections csrf-form and csrf-fetch appeared."""
    _open_attack_page(browser, admin_server, login(admin_server))


def test_a_page_on_another_port_cannot_upload_to_a_server_without_admin_token(browser, open_server):
    """Before the fix the browser was on the loopback address, which was enough: both uploads got 202."""
    _open_attack_page(browser, open_server, None)
