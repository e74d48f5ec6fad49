"""A small reverse proxy of the standard library, set up as nginx usually is in front of an app:

    proxy_set_header Host              $proxy_host;                  (the upstream's address)
    proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;   (the client's list + the peer)
    proxy_set_header X-Forwarded-Host  $http_host;                   (what the client asked for)
    proxy_set_header X-Forwarded-Proto https;                        (TLS ends at the proxy)

It listens on a free loopback port and connects to the upstream from 127.0.0.1. One request per
connection (Connection: close both ways); bodies are read whole (the tests send small ones).
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["ReverseProxy"]

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host"}


class ReverseProxy:
    def __init__(self, upstream_port: int, proto: str = "https"):
        self.upstream_port = upstream_port
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet: the test output is the tests'
                pass

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                chain = self.headers.get("X-Forwarded-For")
                peer = self.client_address[0]
                headers["X-Forwarded-For"] = f"{chain}, {peer}" if chain else peer
                headers["X-Forwarded-Host"] = self.headers.get("Host", "")
                headers["X-Forwarded-Proto"] = proto
                headers["Host"] = f"127.0.0.1:{proxy.upstream_port}"
                headers["Connection"] = "close"
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body or None, headers=headers)
                    response = upstream.getresponse()
                    data = response.read()
                    self.send_response(response.status)
                    for k, v in response.getheaders():
                        if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    upstream.close()
                self.close_connection = True

            do_GET = do_POST = do_DELETE = do_PUT = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ReverseProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
