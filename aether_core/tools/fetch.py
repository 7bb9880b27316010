"""``safe_fetch``: GET a public URL with SSRF checks on every hop, a byte cap and a hard deadline.

Why not ``requests``: it resolves the host again when connecting (DNS rebinding) and reads proxy
settings from the environment. Here each hop is parsed and resolved once (``netguard``), the socket
is dialed to exactly the checked address, TLS verifies the certificate against the URL's host name
(SNI), and ``http.client`` speaks HTTP over it; no environment variable is consulted.
"""

from __future__ import annotations

import codecs
import http.client
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin

from aether_core.tools.netguard import FetchError, NetPolicy, Target, check_host, parse_url

__all__ = ["FetchError", "FetchResult", "HTML_TYPES", "IMAGE_TYPES", "decode_text", "safe_fetch"]

HTML_TYPES: tuple[str, ...] = ("text/html", "application/xhtml+xml", "text/plain")
IMAGE_TYPES: tuple[str, ...] = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 65536


@dataclass(frozen=True)
class FetchResult:
    """A successful fetch. ``content_type`` is the bare media type; ``charset`` its parameter."""

    url: str
    final_url: str
    status: int
    content_type: str
    body: bytes = field(repr=False)
    charset: str | None = None

    def text(self, default: str = "utf-8") -> str:
        """The body decoded with the declared charset, else ``default``, else UTF-8; a charset
        that is unknown, not a text encoding (``base64``) or strict-only (``idna``) is skipped."""
        return decode_text(self.body, self.charset, default)


def decode_text(body: bytes, *charsets: str | None) -> str:
    """``body`` decoded (bad bytes replaced) with the first usable text encoding of ``charsets``."""
    for name in (*charsets, "utf-8"):
        if not name:
            continue
        try:
            if not codecs.lookup(name)._is_text_encoding:  # type: ignore[attr-defined]
                continue
            return body.decode(name, errors="replace")
        except (LookupError, UnicodeError, ValueError, TypeError):
            continue
    return body.decode("utf-8", errors="replace")


class _Deadline:
    """Total wall-clock budget for the whole fetch, redirects included."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def check(self) -> None:
        if self.expired():
            raise FetchError(f"deadline exceeded ({self.seconds:g}s)")


def _open_socket(family: int, sockaddr: tuple, timeout: float) -> socket.socket:
    """Dial one already-checked address (tests patch this to observe the pinned IP)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


_ssl_context: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    """Verifying context (certifi's CA bundle when present, else the system's)."""
    global _ssl_context
    if _ssl_context is None:
        try:
            import certifi

            _ssl_context = ssl.create_default_context(cafile=certifi.where())
        except ImportError:
            _ssl_context = ssl.create_default_context()
    return _ssl_context


def safe_fetch(
    url: str,
    policy: NetPolicy | None = None,
    accept: Sequence[str] = HTML_TYPES,
    *,
    raise_for_status: bool = True,
) -> FetchResult:
    """GET ``url`` under ``policy`` and return the body, or raise ``FetchError`` (one line).

    ``accept`` lists acceptable media types (``type/*`` allowed); the response must also match
    ``policy.allowed_content_types``. Redirects are followed by hand, each hop re-checked.
    """
    policy = policy or NetPolicy()
    deadline = _Deadline(policy.deadline_s)
    accept = tuple(a.strip().lower() for a in accept)
    current = url
    for _hop in range(policy.max_redirects + 1):
        target = parse_url(current)
        deadline.check()
        addrs = check_host(target.host, target.port, policy, deadline.remaining())
        outcome = _one_hop(target, addrs, policy, accept, deadline, raise_for_status)
        if isinstance(outcome, str):  # a redirect's next URL
            current = outcome
            continue
        status, ctype, charset, body = outcome
        return FetchResult(url, target.url, status, ctype, body, charset)
    raise FetchError(f"too many redirects (more than {policy.max_redirects})")


def _one_hop(
    target: Target,
    addrs: list[tuple[int, tuple]],
    policy: NetPolicy,
    accept: tuple[str, ...],
    deadline: _Deadline,
    raise_for_status: bool,
) -> str | tuple[int, str, str | None, bytes]:
    """One request on a pinned connection: the redirect URL, or (status, type, charset, body)."""
    sock: socket.socket | None = None
    conn: http.client.HTTPConnection | None = None
    resp: http.client.HTTPResponse | None = None
    timer: threading.Timer | None = None
    try:
        sock = _connect(target, addrs, policy, deadline)
        timer = threading.Timer(max(0.0, deadline.remaining()), _shutdown, args=(sock,))
        timer.daemon = True
        timer.start()
        conn = http.client.HTTPConnection(target.host, target.port, timeout=deadline.remaining())
        conn.sock = sock  # already connected (and TLS-wrapped): no second resolution
        conn.request(
            "GET",
            target.target,
            headers={
                "Host": target.host_header,
                "User-Agent": policy.user_agent,
                "Accept": ", ".join(accept) or "*/*",
                "Accept-Encoding": "identity",
                "Connection": "close",
            },
        )
        resp = conn.getresponse()
        if resp.status in _REDIRECTS:
            location = (resp.getheader("Location") or "").strip()
            if not location:
                raise FetchError(f"redirect without a Location from {target.host}")
            return urljoin(target.url, location)
        if raise_for_status and resp.status >= 400:
            raise FetchError(f"HTTP {resp.status} {resp.reason} from {target.host}".strip())
        ctype, charset = _media_type(resp.getheader("Content-Type"))
        if not ctype:
            raise FetchError("response has no content type")
        if not _matches(ctype, accept) or not _matches(ctype, policy.allowed_content_types):
            raise FetchError(f"unsupported content type {ctype}")
        body = _read_body(resp, sock, policy, deadline)
        return resp.status, ctype, charset, body
    except FetchError:
        if deadline.expired():
            raise FetchError(f"deadline exceeded ({deadline.seconds:g}s)") from None
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if deadline.expired():
            raise FetchError(f"deadline exceeded ({deadline.seconds:g}s)") from None
        raise FetchError(f"fetch failed for {target.host}: {_one_line(exc)}") from None
    finally:
        if timer is not None:
            timer.cancel()
        if resp is not None:
            resp.close()
        if conn is not None:
            conn.close()
        elif sock is not None:
            sock.close()


def _connect(
    target: Target, addrs: list[tuple[int, tuple]], policy: NetPolicy, deadline: _Deadline
) -> socket.socket:
    """Dial the checked addresses in order; wrap in TLS verified against the URL's host name."""
    last: Exception | None = None
    for family, sockaddr in addrs:
        deadline.check()
        timeout = max(0.001, min(policy.connect_timeout_s, deadline.remaining()))
        try:
            sock = _open_socket(family, sockaddr, timeout)
        except OSError as exc:
            last = exc
            continue
        if target.scheme == "https":
            try:
                sock.settimeout(max(0.001, deadline.remaining()))
                sock = _tls_context().wrap_socket(sock, server_hostname=target.host)
            except BaseException:
                sock.close()
                raise
        return sock
    deadline.check()
    raise FetchError(
        f"cannot connect to {target.host}: {_one_line(last) if last else 'no address'}"
    )


def _shutdown(sock: socket.socket) -> None:
    """Watchdog: unblock a read stuck past the deadline (close alone does not wake ``recv``)."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _read_body(
    resp: http.client.HTTPResponse, sock: socket.socket, policy: NetPolicy, deadline: _Deadline
) -> bytes:
    """Stream the body with the byte cap applied to raw and decoded sizes, checking the deadline."""
    cap = policy.max_bytes
    too_big = f"response exceeds {cap} bytes"
    length = resp.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > cap:
        raise FetchError(too_big)
    decode = _decoder(resp.getheader("Content-Encoding"), cap, too_big)
    out = bytearray()
    raw = 0
    while True:
        deadline.check()
        sock.settimeout(max(0.001, deadline.remaining()))
        chunk = resp.read1(_CHUNK)
        if not chunk:
            break
        raw += len(chunk)
        if raw > cap:
            raise FetchError(too_big)
        out += decode(chunk, cap - len(out))
        if len(out) > cap:
            raise FetchError(too_big)
    deadline.check()
    return bytes(out)


def _decoder(encoding: str | None, cap: int, too_big: str) -> Callable[[bytes, int], bytes]:
    """Identity, or a gzip/deflate decompressor that refuses to inflate past ``cap``."""
    enc = (encoding or "identity").strip().lower()
    if enc in ("", "identity"):
        return lambda chunk, room: chunk
    if enc not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"unsupported content encoding {enc}")
    d = zlib.decompressobj(16 + zlib.MAX_WBITS if "gzip" in enc else zlib.MAX_WBITS)

    def decode(chunk: bytes, room: int) -> bytes:
        try:
            data = d.decompress(chunk, max(1, room + 1))
        except zlib.error as exc:
            raise FetchError(f"bad {enc} data: {exc}") from None
        if len(data) > room or d.unconsumed_tail:
            raise FetchError(too_big)
        return data

    return decode


def _media_type(header: str | None) -> tuple[str, str | None]:
    """``text/html; charset=UTF-8`` → ``("text/html", "utf-8")``."""
    if not header:
        return "", None
    main, *params = header.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower() or None
    return main.strip().lower(), charset


def _matches(ctype: str, patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        if pattern in (ctype, "*/*") or (pattern.endswith("/*") and ctype.startswith(pattern[:-1])):
            return True
    return False


def _one_line(exc: BaseException) -> str:
    msg = " ".join(str(exc).split())
    return msg or type(exc).__name__
