"""A real uvicorn on loopback over the shipped model (greedy, one torch thread), one per module."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")


@dataclass
class Running:
    url: str  # http://127.0.0.1:PORT
    port: int
    app: object
    agent: object


def start_server(config, out_dir, tools=None) -> Iterator[Running]:
    import torch
    import uvicorn

    from aether_core.decoding import SamplingConfig
    from aether_core.serve.app import create_app
    from aether_core.serve.server import build_server_agent, close, model_id

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    agent = build_server_agent(
        config, sampling=SamplingConfig(seed=0), out_dir=out_dir, tools=tools
    )
    app = create_app(agent, config, model_id(agent, config))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the server did not start"
    try:
        yield Running(f"http://127.0.0.1:{port}", port, app, agent)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        close(agent)
        torch.set_num_threads(before)


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("serve-out")
