"""The server's settings: every limit and default of `aether serve` is defined here once."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ..agent.approval import DEFAULT_MODES
from ..errors import AetherError

MB = 1 << 20
# Tools that touch nothing outside the machine: the ones that run without asking by default.
LOCAL_TOOLS = ",".join(t for t, mode in DEFAULT_MODES.items() if mode == "auto")


class ServeConfigError(AetherError):
    """Settings the server refuses to start with."""


@dataclass(frozen=True)
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    api_key: str | None = None  # Bearer token; required to bind anything but loopback
    approve: str = LOCAL_TOOLS  # fixed at start: the agent's tools run server-side
    model_name: str | None = None  # the id clients ask for (default: the checkpoint's name)
    batch: int = 8  # turns running at once, each a row of the shared batch cache
    max_queue: int = 16  # turns waiting for a row; one more is answered 429
    retry_after_s: int = 2  # what a 429 tells the client to wait
    max_request_bytes: int = 16 * MB  # the whole body, images as data URLs included
    max_messages: int = 64
    max_images: int = 4  # per request, all messages together
    max_message_bytes: int = 64 * 1024  # text of one message
    max_tokens: int = 2000  # answer bytes per turn (a request may ask for fewer)
    timeout_s: float = 120.0  # per request, waiting in the queue included
    gather_s: float = 0.003  # how long a decode step waits for rows still sampling

    def __post_init__(self) -> None:
        for name in ("batch", "max_messages", "max_images", "max_tokens", "max_request_bytes"):
            if getattr(self, name) < 1:
                raise ServeConfigError(f"{name} must be at least 1")
        if self.max_queue < 0 or self.timeout_s <= 0 or not 0 <= self.port <= 65535:
            raise ServeConfigError("max_queue >= 0, timeout_s > 0 and a port 0..65535 please")
        if self.api_key is not None and not self.api_key.strip():
            raise ServeConfigError("--api-key must not be empty")
        if not is_loopback(self.host) and not self.api_key:
            raise ServeConfigError(
                f"refusing to bind {self.host} without --api-key: anyone who can reach it could "
                "run the agent (bind 127.0.0.1, or set an API key)"
            )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
