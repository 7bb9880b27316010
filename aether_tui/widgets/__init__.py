"""Widgets of the TUI; each has its own .tcss file next to it, loaded by the app's CSS_PATH."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).parent
WIDGET_CSS: list[Path] = [
    _HERE / name
    for name in (
        "chat.tcss",
        "image.tcss",
        "thoughts.tcss",
        "tool_log.tcss",
        "memory.tcss",
        "prompt.tcss",
        "status.tcss",
    )
]
