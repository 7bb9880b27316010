"""Raw HTTP against a real server: malformed and oversized requests get 4xx OpenAI-style error
objects (never a 500 or a traceback), a full server answers 429 with Retry-After, and a client
that disconnects cancels its turn."""

from __future__ import annotations

import http.client
import json
import time
from datetime import UTC, datetime

import pytest

from aether_core.cli import main
from aether_core.serve.config import ServeConfig, ServeConfigError
from aether_core.tools import CalcTool, EchoTool, TimeTool, ToolRegistry

from .conftest import start_server

LIMITS = ServeConfig(batch=1, max_queue=0, max_messages=4, max_request_bytes=4096)
USER = [{"role": "user", "content": "hi"}]


SLOW_S = 3.0  # the clock tool's answer takes this long, so a turn asking the time is still running


def slow_now() -> datetime:
    time.sleep(SLOW_S)
    return datetime.now(UTC)


@pytest.fixture(scope="module")
def server(out_dir):
    tools = ToolRegistry([CalcTool(), TimeTool(now=slow_now), EchoTool()])
    yield from start_server(LIMITS, out_dir, tools=tools)


def request(server, method: str, path: str, body: bytes | str | None = None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    if isinstance(body, str):
        body = body.encode()
    conn.request(
        method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})}
    )
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp, data


def error_of(resp, data: bytes, status: int) -> dict:
    assert resp.status == status, data
    assert b"Traceback" not in data
    err = json.loads(data)["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["message"]
    return err


def leave_and_check_cancelled(server, conn, before: dict) -> None:
    """Drop the connection mid-turn; the server must cancel that turn within seconds."""
    conn.sock.close()
    conn.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        health = json.loads(request(server, "GET", "/health")[1])
        if health["turns"] == 0:
            break
        time.sleep(0.05)
    assert health["turns"] == 0 and health["cancelled"] == before["cancelled"] + 1


def chat(server, payload) -> tuple:
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return request(server, "POST", "/v1/chat/completions", body)


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        ('{"model": "aether", "messages": [', None),  # not JSON
        ("[1, 2]", None),  # not an object
        ({"model": "aether"}, "messages"),
        ({"model": "aether", "messages": []}, "messages"),
        ({"model": "aether", "messages": [{"role": "wizard", "content": "x"}]}, "messages.0.role"),
        ({"model": "aether", "messages": USER, "temperature": "hot"}, "temperature"),
        ({"model": "aether", "messages": USER, "temperature": 9}, "temperature"),
        ({"model": "aether", "messages": USER, "n": 2}, "n"),
        ({"model": "aether", "messages": USER, "max_tokens": 0}, "max_tokens"),
        ({"model": "aether", "messages": USER, "stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"model": "aether", "messages": USER, "stop": ""}, "stop"),
        ({"model": "aether", "messages": USER * 5}, "messages"),
        (
            {"model": "aether", "messages": [{"role": "user", "content": [{"type": "audio"}]}]},
            None,
        ),
        (
            {
                "model": "aether",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}
                        ],
                    }
                ],
            },
            "messages.0.content",
        ),
    ],
)
def test_malformed_requests_are_400(server, payload, param) -> None:
    err = error_of(*chat(server, payload), 400)
    assert err["type"] == "invalid_request_error"
    if param is not None:
        assert err["param"] == param


def test_oversized_body_is_413(server) -> None:
    err = error_of(
        *chat(server, {"model": "aether", "messages": [{"role": "user", "content": "x" * 5000}]}),
        413,
    )
    assert err["code"] == "request_too_large"


def test_unknown_route_and_method(server) -> None:
    assert error_of(*request(server, "GET", "/v1/nothing"), 404)["code"] == "not_found"
    error_of(*request(server, "GET", "/v1/chat/completions"), 405)


def test_health(server) -> None:
    resp, data = request(server, "GET", "/health")
    assert resp.status == 200 and json.loads(data)["status"] == "ok"


def test_full_server_answers_429_and_a_disconnect_cancels_the_turn(server) -> None:
    # hold the only row with a streamed turn, reading just its first chunk
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    body = {
        "model": "aether",
        "messages": [{"role": "user", "content": "what time is it?"}],
        "stream": True,
        "max_tokens": 2000,
    }
    conn.request(
        "POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"}
    )
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("content-type").startswith("text/event-stream")
    assert resp.readline().startswith(b"data: ")
    before = json.loads(request(server, "GET", "/health")[1])
    assert before["turns"] == 1
    busy, data = chat(server, {"model": "aether", "messages": USER})
    err = error_of(busy, data, 429)
    assert err["code"] == "rate_limit_exceeded" and busy.getheader("Retry-After") == "2"
    leave_and_check_cancelled(server, conn, before)


def test_non_loopback_bind_needs_an_api_key(capsys) -> None:
    with pytest.raises(ServeConfigError, match="api-key"):
        ServeConfig(host="0.0.0.0")
    assert ServeConfig(host="0.0.0.0", api_key="k").host == "0.0.0.0"
    assert ServeConfig(host="::1").host == "::1"
    assert main(["serve", "--host", "192.168.1.5"]) == 2
    assert "refusing to bind" in capsys.readouterr().err


def test_a_client_leaving_a_non_streamed_turn_cancels_it(server) -> None:
    before = json.loads(request(server, "GET", "/health")[1])
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    body = {"model": "aether", "messages": [{"role": "user", "content": "what time is it?"}]}
    conn.request(
        "POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"}
    )
    deadline = time.monotonic() + 20
    while json.loads(request(server, "GET", "/health")[1])["turns"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    leave_and_check_cancelled(server, conn, before)
