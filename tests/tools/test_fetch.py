"""SSRF guard and fetcher: every refusal case, pinning, redirects, caps, deadline, proxies."""

from __future__ import annotations

import ipaddress
import socket
import time

import pytest

from aether_core.errors import AetherError
from aether_core.tools import fetch as fetch_mod
from aether_core.tools.fetch import IMAGE_TYPES, safe_fetch
from aether_core.tools.netguard import (
    DEFAULT_BLOCKED_CIDRS,
    FetchError,
    NetPolicy,
    blocked_reason,
    parse_url,
)
from tests.tools.conftest import FakeDNS, Server, gzipped, send, stall, trickle

# Short deadline: if a check ever failed open, the test would fail fast instead of hanging.
STRICT = NetPolicy(deadline_s=0.5, connect_timeout_s=0.2)


def local(**kw: object) -> NetPolicy:
    """Policy that may reach the test's own loopback server."""
    kw.setdefault("allow_hosts", {"127.0.0.1"})
    kw.setdefault("deadline_s", 2.0)
    return NetPolicy(**kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8080/admin",
        "http://[::1]/",
        "http://10.1.2.3/",
        "http://172.16.5.4/",
        "http://172.31.255.255/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[::127.0.0.1]/",
        "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
        "http://[64:ff9b::7f00:1]/",  # NAT64 wrapping 127.0.0.1
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[::]/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://2130706433/",  # decimal 127.0.0.1
        "http://0x7f000001/",  # hex
        "http://0177.0.0.1/",  # octal
        "http://127.1/",  # short form
        "https://127.0.0.1/",
    ],
)
def test_internal_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="blocked address"):
        safe_fetch(url, STRICT)


@pytest.mark.parametrize(
    "url",
    ["http://localhost/", "http://LOCALHOST:80/", "http://localhost./", "http://a.localhost/"],
)
def test_localhost_names_are_refused_before_resolution(url: str, fake_dns: FakeDNS) -> None:
    with pytest.raises(FetchError, match="blocked host"):
        safe_fetch(url, STRICT)
    assert fake_dns.calls == []


def test_blocked_message_is_one_clear_line() -> None:
    with pytest.raises(FetchError) as info:
        safe_fetch("http://2130706433/", STRICT)
    assert str(info.value).startswith("blocked address 127.0.0.1 for host 2130706433")
    assert isinstance(info.value, AetherError)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/", "gopher://example.com/", "data:text/plain,hi"],
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match="unsupported URL scheme"):
        safe_fetch(url, STRICT)


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pass@example.com/",
        "http://example.com@127.0.0.1/",
        "http://@127.0.0.1/",
    ],
)
def test_userinfo_is_refused(url: str) -> None:
    with pytest.raises(FetchError, match="credentials"):
        safe_fetch(url, STRICT)


@pytest.mark.parametrize(
    "url", ["", "http:///path", "http://exa mple.com/", "http://a\\b.com/", "http://x.com:99999/"]
)
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(FetchError):
        parse_url(url)


def test_control_characters_are_refused() -> None:
    with pytest.raises(FetchError, match="control"):
        parse_url("http://example.com/\r\nX-Injected: 1")


def test_hostname_resolving_to_private_address_is_refused(fake_dns: FakeDNS) -> None:
    fake_dns.set("intranet.test", ["10.0.0.5"])
    with pytest.raises(FetchError, match="blocked address 10.0.0.5 for host intranet.test"):
        safe_fetch("http://intranet.test/", STRICT)


def test_any_private_answer_refuses_the_host(fake_dns: FakeDNS) -> None:
    fake_dns.set("mixed.test", ["93.184.216.34", "192.168.0.10"])
    with pytest.raises(FetchError, match="192.168.0.10"):
        safe_fetch("http://mixed.test/", STRICT)


def test_connection_is_pinned_to_the_checked_ip(
    fake_dns: FakeDNS, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: first answer public, later answers loopback. Only one lookup may happen,
    and the socket must be dialed to the address that was checked."""
    fake_dns.set("rebind.test", ["93.184.216.34"], ["127.0.0.1"])
    dialed: list[tuple] = []

    def fake_open(family: int, sockaddr: tuple, timeout: float) -> socket.socket:
        dialed.append(sockaddr)
        raise ConnectionRefusedError("refused by test")

    monkeypatch.setattr(fetch_mod, "_open_socket", fake_open)
    with pytest.raises(FetchError, match="cannot connect"):
        safe_fetch("http://rebind.test/", STRICT)
    assert fake_dns.calls.count("rebind.test") == 1
    assert [a[0] for a in dialed] == ["93.184.216.34"]


def test_pinned_request_keeps_host_header(server: Server, fake_dns: FakeDNS) -> None:
    """The request goes to the resolved IP while the Host header names the site."""
    fake_dns.set("site.test", ["127.0.0.1"])
    server.routes["/hello"] = lambda h: send(h, b"hi", "text/plain")
    result = safe_fetch(
        f"http://site.test:{server.port}/hello?q=1", local(allow_hosts={"site.test"})
    )
    assert result.body == b"hi"
    assert server.seen == [("/hello?q=1", f"site.test:{server.port}")]
    assert fake_dns.calls.count("site.test") == 1


def test_allowlisted_fetch_works(server: Server) -> None:
    server.routes["/page"] = lambda h: send(h, b"<p>ok</p>", "text/html; charset=ISO-8859-1")
    result = safe_fetch(server.url("/page"), local())
    assert (result.status, result.content_type, result.charset) == (200, "text/html", "iso-8859-1")
    assert result.body == b"<p>ok</p>"
    assert result.final_url == result.url == server.url("/page")
    assert result.text() == "<p>ok</p>"


def test_allow_cidrs_also_reach_loopback(server: Server) -> None:
    server.routes["/"] = lambda h: send(h, b"ok", "text/plain")
    assert (
        safe_fetch(server.url("/"), local(allow_hosts=(), allow_cidrs=("127.0.0.0/8",))).body
        == b"ok"
    )


def test_redirects_are_followed_within_the_policy(server: Server) -> None:
    server.routes["/a"] = lambda h: send(h, b"", None, 302, {"Location": "/b"})
    server.routes["/b"] = lambda h: send(h, b"", None, 301, {"Location": server.url("/c")})
    server.routes["/c"] = lambda h: send(h, b"final", "text/plain")
    result = safe_fetch(server.url("/a"), local())
    assert result.body == b"final"
    assert result.final_url == server.url("/c")


@pytest.mark.parametrize(
    "location",
    ["http://localhost:{port}/x", "http://10.0.0.1/", "http://169.254.169.254/", "http://[::1]/"],
)
def test_redirect_to_blocked_host_is_refused_at_the_hop(server: Server, location: str) -> None:
    target = location.format(port=server.port)
    server.routes["/go"] = lambda h: send(h, b"", None, 302, {"Location": target})
    with pytest.raises(FetchError, match="blocked"):
        safe_fetch(server.url("/go"), local(deadline_s=0.5))
    assert [p for p, _ in server.seen] == ["/go"]


def test_redirect_from_allowlisted_name_to_loopback_ip_is_refused(
    server: Server, fake_dns: FakeDNS
) -> None:
    """Allowlisting a name does not allowlist the raw address a redirect points at."""
    fake_dns.set("site.test", ["127.0.0.1"])
    server.routes["/go"] = lambda h: send(h, b"", None, 307, {"Location": server.url("/secret")})
    server.routes["/secret"] = lambda h: send(h, b"secret", "text/plain")
    with pytest.raises(FetchError, match="blocked address 127.0.0.1"):
        safe_fetch(f"http://site.test:{server.port}/go", local(allow_hosts={"site.test"}))
    assert [p for p, _ in server.seen] == ["/go"]


def test_redirect_to_other_scheme_is_refused(server: Server) -> None:
    server.routes["/go"] = lambda h: send(h, b"", None, 302, {"Location": "file:///etc/passwd"})
    with pytest.raises(FetchError, match="unsupported URL scheme"):
        safe_fetch(server.url("/go"), local())


def test_too_many_redirects(server: Server) -> None:
    server.routes["/loop"] = lambda h: send(h, b"", None, 302, {"Location": "/loop"})
    with pytest.raises(FetchError, match="too many redirects"):
        safe_fetch(server.url("/loop"), local(max_redirects=5))
    assert len(server.seen) == 6  # the first request plus five redirects


def test_byte_cap_with_content_length(server: Server) -> None:
    server.routes["/big"] = lambda h: send(h, b"x" * 5000, "text/plain")
    with pytest.raises(FetchError, match="response exceeds 1000 bytes"):
        safe_fetch(server.url("/big"), local(max_bytes=1000))


def test_byte_cap_while_streaming(server: Server) -> None:
    def no_length(h: object) -> None:
        send(h, b"x" * 50_000, "text/plain", headers={"Connection": "close"}, length=False)  # type: ignore[arg-type]
        h.close_connection = True  # type: ignore[attr-defined]

    server.routes["/stream"] = no_length
    with pytest.raises(FetchError, match="response exceeds 1000 bytes"):
        safe_fetch(server.url("/stream"), local(max_bytes=1000))


def test_byte_cap_applies_to_decompressed_size(server: Server) -> None:
    server.routes["/bomb"] = gzipped(b"\0" * 200_000)
    with pytest.raises(FetchError, match="response exceeds 1000 bytes"):
        safe_fetch(server.url("/bomb"), local(max_bytes=1000))
    server.routes["/small"] = gzipped(b"hello")
    assert safe_fetch(server.url("/small"), local(max_bytes=1000)).body == b"hello"


def test_deadline_against_a_trickling_server(server: Server) -> None:
    server.routes["/slow"] = trickle(server.stop)
    start = time.monotonic()
    with pytest.raises(FetchError, match="deadline exceeded"):
        safe_fetch(server.url("/slow"), local(deadline_s=0.3))
    assert time.monotonic() - start < 1.0


def test_deadline_against_a_silent_server(server: Server) -> None:
    server.routes["/silent"] = stall(server.stop)
    start = time.monotonic()
    with pytest.raises(FetchError, match="deadline exceeded"):
        safe_fetch(server.url("/silent"), local(deadline_s=0.3))
    assert time.monotonic() - start < 1.0


def test_content_type_is_checked(server: Server) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
    server.routes["/img"] = lambda h: send(h, png, "image/png")
    with pytest.raises(FetchError, match="unsupported content type image/png"):
        safe_fetch(server.url("/img"), local())
    result = safe_fetch(server.url("/img"), local(), accept=IMAGE_TYPES)
    assert result.body == png and result.content_type == "image/png"


def test_policy_bounds_content_types(server: Server) -> None:
    server.routes["/bin"] = lambda h: send(h, b"\0", "application/octet-stream")
    with pytest.raises(FetchError, match="unsupported content type application/octet-stream"):
        safe_fetch(server.url("/bin"), local(), accept=("*/*",))


def test_missing_content_type_is_refused(server: Server) -> None:
    server.routes["/none"] = lambda h: send(h, b"?", None)
    with pytest.raises(FetchError, match="no content type"):
        safe_fetch(server.url("/none"), local())


def test_http_errors_raise(server: Server) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        safe_fetch(server.url("/missing"), local())
    assert safe_fetch(server.url("/missing"), local(), raise_for_status=False).status == 404


def test_proxy_environment_is_ignored(
    server: Server, server2: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = server2.url("/")
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(var, proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server.routes["/direct"] = lambda h: send(h, b"direct", "text/plain")
    assert safe_fetch(server.url("/direct"), local()).body == b"direct"
    assert server2.seen == []


def test_connection_refused_is_a_fetch_error() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(FetchError, match="cannot connect"):
        safe_fetch(f"http://127.0.0.1:{port}/", local(deadline_s=0.5))


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.255.255.255",
        "100.127.0.1",
        "192.0.0.8",
        "192.0.2.1",
        "198.18.0.1",
        "198.51.100.7",
        "203.0.113.9",
        "240.0.0.1",
        "::1",
        "fd12:3456::1",
        "ff02::1",
        "2001:db8::1",
        "64:ff9b::a00:1",
        "::ffff:169.254.169.254",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo wrapping 127.0.0.1
    ],
)
def test_blocked_reason_flags_internal_addresses(ip: str) -> None:
    assert blocked_reason(ipaddress.ip_address(ip), NetPolicy()) is not None


@pytest.mark.parametrize(
    "ip", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(ip: str) -> None:
    assert blocked_reason(ipaddress.ip_address(ip), NetPolicy()) is None


def test_default_block_list_covers_the_required_ranges() -> None:
    required = {
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
        "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b::/96",
        "2001:db8::/32", "::ffff:0:0/96",
    }  # fmt: skip
    assert required <= set(DEFAULT_BLOCKED_CIDRS)
