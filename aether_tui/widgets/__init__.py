"""Widgets of the TUI; each has its own .tcss file next to it, all loaded by the app's CSS_PATH."""

from __future__ import annotations

from pathlib import Path

WIDGET_CSS: list[Path] = sorted(Path(__file__).parent.glob("*.tcss"))
