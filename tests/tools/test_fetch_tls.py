"""HTTPS on a pinned IP: the certificate is still verified against the URL's host name (SNI)."""

from __future__ import annotations

import datetime
import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from aether_core.tools import fetch as fetch_mod
from aether_core.tools.fetch import safe_fetch
from aether_core.tools.netguard import FetchError, NetPolicy
from tests.tools.conftest import FakeDNS, send

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def _self_signed(tmp: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    cert, key = _self_signed(tmp_path, "site.test")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            send(self, self.headers.get("Host", "").encode(), "text/plain")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.handle_error = lambda *a: None  # type: ignore[method-assign]  # failed handshakes
    threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    yield httpd.server_address[1], cert
    httpd.shutdown()
    httpd.server_close()


def _trust(monkeypatch: pytest.MonkeyPatch, cert: Path | None) -> None:
    ctx = ssl.create_default_context(cafile=str(cert)) if cert else ssl.create_default_context()
    monkeypatch.setattr(fetch_mod, "_ssl_context", ctx)


def test_https_to_pinned_ip_verifies_the_host_name(
    tls_server: tuple[int, Path], fake_dns: FakeDNS, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, cert = tls_server
    _trust(monkeypatch, cert)
    fake_dns.set("site.test", ["127.0.0.1"])
    fake_dns.set("other.test", ["127.0.0.1"])
    policy = NetPolicy(allow_hosts={"site.test", "other.test"}, deadline_s=2.0)
    result = safe_fetch(f"https://site.test:{port}/", policy)
    assert result.body == f"site.test:{port}".encode()
    with pytest.raises(FetchError, match="fetch failed.*(mismatch|match)"):
        safe_fetch(f"https://other.test:{port}/", policy)  # certificate is for site.test


def test_untrusted_certificate_is_refused(
    tls_server: tuple[int, Path], fake_dns: FakeDNS, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, _cert = tls_server
    _trust(monkeypatch, None)
    fake_dns.set("site.test", ["127.0.0.1"])
    policy = NetPolicy(allow_hosts={"site.test"}, deadline_s=2.0)
    with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
        safe_fetch(f"https://site.test:{port}/", policy)
