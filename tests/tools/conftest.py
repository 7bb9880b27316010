"""Loopback HTTP servers and a fake resolver: the tool tests never touch the network."""

from __future__ import annotations

import gzip
import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

Route = Callable[[http.server.BaseHTTPRequestHandler], None]


def send(
    h: http.server.BaseHTTPRequestHandler,
    body: bytes,
    ctype: str | None = "text/html; charset=utf-8",
    status: int = 200,
    headers: dict[str, str] | None = None,
    length: bool = True,
) -> None:
    h.send_response(status)
    if ctype:
        h.send_header("Content-Type", ctype)
    if length:
        h.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(body)


@dataclass
class Server:
    """A loopback server whose routes a test fills in; records the requests it saw."""

    httpd: http.server.ThreadingHTTPServer
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def _start() -> Server:
    holder: dict[str, Server] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            server = holder["s"]
            server.seen.append((self.path, self.headers.get("Host", "")))
            route = server.routes.get(self.path.split("?", 1)[0])
            if route is None:
                send(self, b"not found", "text/plain", status=404)
                return
            try:
                route(self)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    server = Server(httpd)
    holder["s"] = server
    threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server


@pytest.fixture
def server() -> Iterator[Server]:
    s = _start()
    yield s
    s.stop.set()
    s.httpd.shutdown()
    s.httpd.server_close()


@pytest.fixture
def server2() -> Iterator[Server]:
    s = _start()
    yield s
    s.stop.set()
    s.httpd.shutdown()
    s.httpd.server_close()


def trickle(stop: threading.Event, interval: float = 0.05, n: int = 200) -> Route:
    """Headers at once, then one byte per ``interval``: defeats per-read timeouts."""

    def route(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", str(n))
        h.end_headers()
        for _ in range(n):
            if stop.wait(interval):
                return
            h.wfile.write(b"x")
            h.wfile.flush()

    return route


def stall(stop: threading.Event, seconds: float = 3.0) -> Route:
    """Say nothing at all for ``seconds``."""

    def route(h: http.server.BaseHTTPRequestHandler) -> None:
        stop.wait(seconds)

    return route


def gzipped(data: bytes) -> Route:
    blob = gzip.compress(data)

    def route(h: http.server.BaseHTTPRequestHandler) -> None:
        send(h, blob, "text/plain", headers={"Content-Encoding": "gzip"})

    return route


class FakeDNS:
    """Replaces ``socket.getaddrinfo`` for chosen names; others go to the real resolver."""

    def __init__(self, real: Callable[..., list]) -> None:
        self.real = real
        self.answers: dict[str, list[list[str]]] = {}  # host -> successive answers
        self.calls: list[str] = []

    def set(self, host: str, *answers: list[str]) -> None:
        """Each call for ``host`` pops the next answer; the last one repeats."""
        self.answers[host] = list(answers)

    def __call__(self, host: str, port: object, *args: object, **kwargs: object) -> list:
        self.calls.append(host)
        seq = self.answers.get(host)
        if seq is None:
            return self.real(host, port, *args, **kwargs)
        ips = seq.pop(0) if len(seq) > 1 else seq[0]
        out = []
        for ip in ips:
            if ":" in ip:
                out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, int(port), 0, 0)))
            else:
                out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port))))
        return out


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    fake = FakeDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake
