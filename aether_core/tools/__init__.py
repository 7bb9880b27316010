"""Sandboxed tools for the agent: web search, SSRF-safe browsing, calculator, clock, echo.

Build everything with ``default_registry()`` and run calls through ``ToolSandbox``.
"""

from __future__ import annotations

from dataclasses import dataclass

from aether_core.tools.base import (
    ArgSpec,
    Tool,
    ToolArgError,
    ToolError,
    ToolRegistry,
    UnknownToolError,
)
from aether_core.tools.browse import BrowsePageTool
from aether_core.tools.calc import CalcTool
from aether_core.tools.clock import TimeTool
from aether_core.tools.echo import EchoTool
from aether_core.tools.fetch import FetchResult, safe_fetch
from aether_core.tools.netguard import FetchError, NetPolicy
from aether_core.tools.sandbox import ToolCallHandle, ToolOutcome, ToolSandbox
from aether_core.tools.web_search import SearchBackend, WebSearchTool

__all__ = [
    "ArgSpec",
    "BrowsePageTool",
    "CalcTool",
    "EchoTool",
    "FetchError",
    "FetchResult",
    "NetPolicy",
    "SearchBackend",
    "TimeTool",
    "Tool",
    "ToolArgError",
    "ToolCallHandle",
    "ToolError",
    "ToolOutcome",
    "ToolRegistry",
    "ToolSandbox",
    "ToolsConfig",
    "UnknownToolError",
    "WebSearchTool",
    "default_registry",
    "make_sandbox",
    "safe_fetch",
]


@dataclass(frozen=True)
class ToolsConfig:
    """Limits for tool calls; the defaults suit an interactive agent on a laptop."""

    timeout_s: float = 20.0  # per tool call (sandbox)
    output_cap_bytes: int = 8000  # tool output handed back to the model
    max_hung: int = 8  # timed-out calls still running before new calls are refused
    max_threads: int = 32  # concurrent tool threads, abandoned ones included
    browse_max_bytes: int = 2_000_000  # raw page size
    browse_max_chars: int = 6000  # extracted text handed back
    fetch_deadline_s: float = 15.0  # whole fetch, redirects included
    search_timeout_s: float = 10.0


def default_registry(
    config: ToolsConfig | None = None,
    search_backend: SearchBackend | None = None,
    net_policy: NetPolicy | None = None,
) -> ToolRegistry:
    """The five built-in tools. ``net_policy`` replaces the one derived from ``config``."""
    config = config or ToolsConfig()
    policy = net_policy or NetPolicy(
        max_bytes=config.browse_max_bytes, deadline_s=config.fetch_deadline_s
    )
    return ToolRegistry(
        [
            WebSearchTool(search_backend, timeout_s=config.search_timeout_s),
            BrowsePageTool(policy, max_chars=config.browse_max_chars),
            CalcTool(),
            TimeTool(),
            EchoTool(),
        ]
    )


def make_sandbox(config: ToolsConfig | None = None) -> ToolSandbox:
    """A ``ToolSandbox`` with ``config``'s limits."""
    config = config or ToolsConfig()
    return ToolSandbox(
        timeout_s=config.timeout_s,
        output_cap_bytes=config.output_cap_bytes,
        max_hung=config.max_hung,
        max_threads=config.max_threads,
    )
