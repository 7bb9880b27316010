"""The sandbox: timeouts, crashes, cancellation, starvation and output caps."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from aether_core.tools import ArgSpec, Tool, ToolSandbox
from aether_core.tools.echo import EchoTool
from aether_core.tools.sandbox import cap_output


class Hang(Tool):
    """Blocks until released (so threads end when the test does)."""

    name = "hang"
    description = "hangs"
    schema: dict[str, ArgSpec] = {}

    def __init__(self, release: threading.Event) -> None:
        self.release = release
        self.started = threading.Event()

    def run(self, **args: Any) -> str:
        self.started.set()
        self.release.wait(10)
        return "finally"


class Crash(Tool):
    name = "crash"
    description = "raises"
    schema: dict[str, ArgSpec] = {}

    def run(self, **args: Any) -> str:
        raise ValueError("boom\nsecond line")


class Big(Tool):
    name = "big"
    description = "large output"
    schema = {"n": ArgSpec("integer")}

    def run(self, n: int) -> str:  # type: ignore[override]
        return "é" * n


class Number(Tool):
    name = "number"
    description = "returns a non-string"
    schema: dict[str, ArgSpec] = {}

    def run(self, **args: Any) -> Any:
        return 42


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def test_ok_call() -> None:
    out = ToolSandbox().call(EchoTool(), {"text": "hi"})
    assert (out.ok, out.output, out.status) == (True, "hi", "ok")
    assert out.duration_s < 1


def test_non_string_result_is_stringified() -> None:
    assert ToolSandbox().call(Number()).output == "42"


def test_hanging_tool_times_out(release: threading.Event) -> None:
    start = time.monotonic()
    out = ToolSandbox().call(Hang(release), timeout=0.1)
    assert (out.ok, out.status) == (False, "timeout")
    assert "timed out after 0.1s" in out.output
    assert time.monotonic() - start < 0.5


def test_crash_becomes_error_result() -> None:
    out = ToolSandbox().call(Crash())
    assert (out.ok, out.status) == (False, "error")
    assert out.output == "ValueError: boom second line"


def test_bad_args_become_error_result() -> None:
    out = ToolSandbox().call(EchoTool(), {"txt": "x"})
    assert out.status == "error" and out.output.startswith("ToolArgError: echo: unknown argument")


def test_cancel_returns_promptly(release: threading.Event) -> None:
    tool = Hang(release)
    cancel = threading.Event()
    handle = ToolSandbox().submit(tool, timeout=10)
    assert tool.started.wait(1)
    threading.Timer(0.05, cancel.set).start()
    start = time.monotonic()
    out = handle.result(cancel)
    assert (out.ok, out.status) == (False, "cancelled")
    assert time.monotonic() - start < 0.3
    assert handle.result() is out  # idempotent; a late finish does not change it
    release.set()
    handle.thread.join(1)  # type: ignore[union-attr]
    assert handle.result().status == "cancelled"


def test_hung_calls_do_not_starve_later_calls(release: threading.Event) -> None:
    sandbox = ToolSandbox(max_hung=20)
    handles = [sandbox.submit(Hang(release), timeout=0.05) for _ in range(12)]
    assert all(h.result().status == "timeout" for h in handles)
    assert sandbox.hung_count() == 12
    start = time.monotonic()
    out = sandbox.call(EchoTool(), {"text": "still alive"})
    assert out.output == "still alive" and time.monotonic() - start < 0.3


def test_too_many_hung_calls_is_an_error_not_a_deadlock(release: threading.Event) -> None:
    sandbox = ToolSandbox(max_hung=2)
    for _ in range(2):
        assert sandbox.call(Hang(release), timeout=0.05).status == "timeout"
    start = time.monotonic()
    out = sandbox.call(EchoTool(), {"text": "x"})
    assert out.status == "error" and "SandboxFull" in out.output
    assert time.monotonic() - start < 0.1
    release.set()
    deadline = time.monotonic() + 2
    while sandbox.hung_count() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sandbox.call(EchoTool(), {"text": "x"}).output == "x"


def test_thread_cap(release: threading.Event) -> None:
    sandbox = ToolSandbox(max_threads=2)
    handles = [sandbox.submit(Hang(release), timeout=5) for _ in range(2)]
    assert "already running" in sandbox.call(EchoTool(), {"text": "x"}).output
    release.set()
    assert all(h.result().output == "finally" for h in handles)


def test_output_cap() -> None:
    out = ToolSandbox(output_cap_bytes=100).call(Big(), {"n": 500})
    assert out.ok
    kept, marker = out.output.split("…")
    assert kept == "é" * 50 and marker == "[truncated 900 bytes]"


def test_cap_output_keeps_short_text_and_splits_on_characters() -> None:
    assert cap_output("short", 10) == "short"
    assert cap_output("ééé", 3) == "é…[truncated 4 bytes]"
