"""SSRF guard: which URLs and addresses the agent may reach, decided after DNS resolution.

The rule is "refuse if ANY resolved address is internal". ``fetch.safe_fetch`` then dials exactly
the addresses checked here, so a DNS answer that changes between check and connect (rebinding)
cannot redirect the request.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from aether_core.errors import AetherError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class FetchError(AetherError):
    """A fetch was refused or failed; the message is one line meant for the user and model."""


DEFAULT_BLOCKED_CIDRS: tuple[str, ...] = (
    "0.0.0.0/8",  # "this network"
    "10.0.0.0/8",  # private
    "100.64.0.0/10",  # carrier-grade NAT
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local, cloud metadata (169.254.169.254)
    "172.16.0.0/12",  # private
    "192.0.0.0/24",  # IETF protocol assignments
    "192.0.2.0/24",  # TEST-NET-1
    "192.88.99.0/24",  # 6to4 relay anycast
    "192.168.0.0/16",  # private
    "198.18.0.0/15",  # benchmarking
    "198.51.100.0/24",  # TEST-NET-2
    "203.0.113.0/24",  # TEST-NET-3
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved
    "255.255.255.255/32",  # broadcast
    "::/128",  # unspecified
    "::1/128",  # loopback
    "::ffff:0:0/96",  # IPv4-mapped: unwrapped first and judged by the embedded IPv4
    "64:ff9b::/96",  # NAT64
    "64:ff9b:1::/48",  # local-use NAT64
    "100::/64",  # discard-only
    "2001:db8::/32",  # documentation
    "fc00::/7",  # unique local
    "fe80::/10",  # link-local
    "fec0::/10",  # site-local (deprecated)
    "ff00::/8",  # multicast
)

DEFAULT_CONTENT_TYPES: tuple[str, ...] = (
    "text/*",
    "application/xhtml+xml",
    "application/xml",
    "application/json",
    "image/*",
)


@dataclass(frozen=True)
class NetPolicy:
    """What ``safe_fetch`` may reach and how much it may read.

    ``allow_hosts`` / ``allow_cidrs`` bypass the block list: for tests reaching their own
    loopback server, never for normal use. ``allowed_content_types`` bounds what any caller's
    ``accept`` may ask for (``type/*`` wildcards allowed).
    """

    blocked_cidrs: tuple[str, ...] = DEFAULT_BLOCKED_CIDRS
    allow_hosts: frozenset[str] = frozenset()
    allow_cidrs: tuple[str, ...] = ()
    max_redirects: int = 5
    max_bytes: int = 2_000_000
    deadline_s: float = 15.0
    connect_timeout_s: float = 5.0
    allowed_content_types: tuple[str, ...] = DEFAULT_CONTENT_TYPES
    user_agent: str = "Aether/0.1 (local agent)"
    _blocked: tuple[IPNetwork, ...] = field(init=False, repr=False, compare=False)
    _allowed: tuple[IPNetwork, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hosts = frozenset(_normalize_host(h) for h in self.allow_hosts)
        object.__setattr__(self, "allow_hosts", hosts)
        object.__setattr__(self, "blocked_cidrs", tuple(self.blocked_cidrs))
        object.__setattr__(self, "allow_cidrs", tuple(self.allow_cidrs))
        blocked = tuple(ipaddress.ip_network(c, strict=False) for c in self.blocked_cidrs)
        allowed = tuple(ipaddress.ip_network(c, strict=False) for c in self.allow_cidrs)
        object.__setattr__(self, "_blocked", blocked)
        object.__setattr__(self, "_allowed", allowed)
        if self.max_redirects < 0 or self.max_bytes <= 0 or self.deadline_s <= 0:
            raise ValueError("max_redirects >= 0, max_bytes > 0 and deadline_s > 0 are required")

    def host_allowed(self, host: str) -> bool:
        return _normalize_host(host) in self.allow_hosts

    def ip_allowlisted(self, ip: IPAddress) -> bool:
        return _in_any(ip, self._allowed)


@dataclass(frozen=True)
class Target:
    """A URL split into what the fetcher needs; ``host`` is lowercase ASCII (IDNA), no brackets."""

    url: str
    scheme: str
    host: str
    port: int
    target: str  # path + query, percent-encoded, as sent on the request line
    host_header: str


_CTRL = re.compile(r"[\x00-\x1f\x7f]")
_HOST_OK = re.compile(r"^[a-z0-9._-]+$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _normalize_host(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host.rstrip(".")


def parse_url(url: str) -> Target:
    """Validate scheme, credentials, host and port; refuse anything ambiguous."""
    if not isinstance(url, str) or not url.strip():
        raise FetchError("empty URL")
    url = url.strip()
    if _CTRL.search(url):
        raise FetchError("URL contains control characters")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise FetchError(f"invalid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise FetchError(f"unsupported URL scheme {scheme or '(none)'!r}; only http and https")
    if "@" in parts.netloc:
        raise FetchError("credentials in URLs are not allowed")
    raw_host = parts.hostname or ""
    if not raw_host:
        raise FetchError("URL has no host")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise FetchError("invalid port in URL") from None
    if not 0 < port < 65536:
        raise FetchError("invalid port in URL")
    host = _ascii_host(raw_host)
    target = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        target += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    is_v6 = ":" in host
    shown = f"[{host}]" if is_v6 else host
    host_header = shown if port == _DEFAULT_PORTS[scheme] else f"{shown}:{port}"
    return Target(url, scheme, host, port, target, host_header)


def _ascii_host(raw: str) -> str:
    """Lowercase, IDNA-encode and sanity-check a host; IPv6 literals pass through validated."""
    host = raw.strip().lower()
    if ":" in host:  # IPv6 literal (urlsplit already removed the brackets)
        if "%" in host:
            raise FetchError("IPv6 zone identifiers are not allowed")
        try:
            ipaddress.IPv6Address(host)
            return host
        except ValueError:
            raise FetchError(f"invalid IPv6 address {raw!r}") from None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise FetchError(f"invalid host name {raw!r}") from None
    if not _HOST_OK.match(host) or ".." in host or len(host) > 253:
        raise FetchError(f"invalid host name {raw!r}")
    return host.rstrip(".") or host


def _in_any(ip: IPAddress, nets: Iterable[IPNetwork]) -> bool:
    return any(ip.version == n.version and ip in n for n in nets)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    value = int(ip)
    if value >> 32 == 0 and value > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
        return ipaddress.IPv4Address(value)
    high = value >> 32
    if high == 0xFFFF0000 or (high >> 64) == 0x0064FF9B:  # ::ffff:0:a.b.c.d, 64:ff9b::a.b.c.d
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def blocked_reason(ip: IPAddress, policy: NetPolicy) -> str | None:
    """Why ``ip`` is off limits under ``policy``, or None when it may be dialed."""
    if policy.ip_allowlisted(ip):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            why = blocked_reason(inner, policy)
            if why:
                return f"embeds {inner}: {why}"
            if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is just IPv4: judged by the IPv4
                return None
    return _blocked_flags(ip, policy)


def _blocked_flags(ip: IPAddress, policy: NetPolicy) -> str | None:
    if _in_any(ip, policy._blocked):
        return "blocked range"
    for flag in (
        "is_loopback",
        "is_private",
        "is_link_local",
        "is_multicast",
        "is_reserved",
        "is_unspecified",
    ):
        if getattr(ip, flag):
            return flag[3:].replace("_", "-")
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "site-local"
    if not ip.is_global:
        return "not global"
    return None


def resolve(host: str, port: int, timeout_s: float) -> list[tuple[int, tuple]]:
    """``getaddrinfo`` in a daemon thread so a hung resolver cannot outlive the deadline."""
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["ok"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as exc:  # noqa: BLE001 - reported below
            box["err"] = exc

    thread = threading.Thread(target=work, name="aether-resolve", daemon=True)
    thread.start()
    thread.join(max(0.0, timeout_s))
    if thread.is_alive():
        raise FetchError(f"deadline exceeded resolving {host}")
    if "err" in box:
        raise FetchError(f"cannot resolve host {host}")
    infos = box["ok"]
    out: list[tuple[int, tuple]] = []
    seen: set[tuple] = set()
    for family, _type, _proto, _canon, sockaddr in infos:  # type: ignore[union-attr]
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        key = (family, sockaddr[0])
        if key not in seen:
            seen.add(key)
            out.append((family, sockaddr))
    if not out:
        raise FetchError(f"cannot resolve host {host}")
    return out


def check_host(
    host: str, port: int, policy: NetPolicy, timeout_s: float
) -> list[tuple[int, tuple]]:
    """Resolve ``host`` and return the (family, sockaddr) pairs to dial, all of them checked.

    Refuses ``localhost``/``*.localhost`` by name and any host with ANY internal address, unless
    the host (or each address) is allowlisted.
    """
    allowed_host = policy.host_allowed(host)
    bare = host.rstrip(".")
    if not allowed_host and (bare == "localhost" or bare.endswith(".localhost")):
        raise FetchError(f"blocked host {host}")
    addrs = resolve(host, port, timeout_s)
    if allowed_host:
        return addrs
    for _family, sockaddr in addrs:
        try:
            ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        except ValueError:
            raise FetchError(f"unparseable address {sockaddr[0]} for host {host}") from None
        why = blocked_reason(ip, policy)
        if why:
            raise FetchError(f"blocked address {sockaddr[0]} for host {host} ({why})")
    return addrs
