"""qa.web.hosts and qa.web.admission on their own: the server's own names (each rule where it must fire and
where it must not), and the API's waiting room. Against a real server: test_floods_and_hosts.py."""

from __future__ import annotations

import asyncio
import socket

from qa.web.admission import Admission
from qa.web.hosts import is_own_host, own_names


def test_a_loopback_bind_answers_to_loopback_names_and_addresses_only():
    names = own_names("127.0.0.1", [])
    for host in ("127.0.0.1", "localhost", "[::1]", "app.localhost", "10.1.2.3", "[fe80::1]"):
        assert is_own_host(host, names), host
    for host in ("evil.example", "127.0.0.1.nip.io", "localhost.evil.example", socket.gethostname()):
        assert not is_own_host(host, names), host


def test_a_wildcard_bind_also_answers_to_the_machines_name():
    machine = socket.gethostname().lower()
    for bind in ("0.0.0.0", "::", "[::]"):
        names = own_names(bind, [])
        assert is_own_host(machine, names) and is_own_host(machine.split(".")[0], names)
        assert not is_own_host(f"{machine}.evil.example", names)


def test_allowed_hosts_add_names_and_a_star_is_every_name():
    names = own_names("127.0.0.1", ["QA.Intranet.Example"])
    assert is_own_host("qa.intranet.example", names) and is_own_host("qa.intranet.example.", names)
    assert not is_own_host("intranet.example", names)
    assert "*" in own_names("127.0.0.1", ["*"])


def test_the_connections_own_name_is_its_own():
    assert is_own_host("testserver", set(), server="testserver")
    assert not is_own_host("testserver", set(), server="127.0.0.1")


def test_past_the_waiting_room_the_api_answers_503_with_retry_after_at_once():
    """One place at work, one waiting: of four concurrent questions two are answered, two refused at once."""
    release = asyncio.Event()

    async def slow(scope, receive, send):  # a question that takes until `release`
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def ask(app, path="/api/ask") -> tuple[int, dict]:
        sent = []

        async def send(message):
            sent.append(message)

        await app({"type": "http", "method": "POST", "path": path, "headers": []}, None, send)
        return sent[0]["status"], dict(sent[0]["headers"])

    async def run():
        app = Admission(slow, concurrent=1, waiting=1, retry_after=2)
        tasks = [asyncio.create_task(ask(app)) for _ in range(4)]
        await asyncio.sleep(0.05)
        refused = [t for t in tasks if t.done()]
        assert len(refused) == 2 and all(t.result() == (503, {**t.result()[1], b"retry-after": b"2"}) for t in refused)
        assert app.busy == 1
        health = asyncio.create_task(ask(app, "/healthz"))  # not API work: never waits in line
        release.set()
        results = [await t for t in tasks]
        assert sorted(s for s, _ in results) == [200, 200, 503, 503] and (await health)[0] == 200

    asyncio.run(run())
