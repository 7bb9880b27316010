"""Header (model name, parameters, device, dtype), the random-weights banner, the pending
attachments line and the status line beside the footer (live bytes/s while generating)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static


def format_params(n: int) -> str:
    """12_345_678 -> "12.3M"."""
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


def describe_model(info: Any) -> str:
    return f"{info.name} · {format_params(int(info.params))} params · {info.device} · {info.dtype}"


class InfoBar(Horizontal):
    """The header: app name, model description (or loading state) and the current chat."""

    model_text: reactive[str] = reactive("loading model…")
    chat_text: reactive[str] = reactive("new chat")

    def compose(self):
        yield Static(Text("◆ Aether"), id="info-app")
        yield Static(Text(self.model_text), id="info-model")
        yield Static(Text(self.chat_text), id="info-chat")

    def watch_model_text(self, value: str) -> None:
        if self.is_mounted:
            self.query_one("#info-model", Static).update(Text(value))

    def watch_chat_text(self, value: str) -> None:
        if self.is_mounted:
            self.query_one("#info-chat", Static).update(Text(value))

    def set_model(self, info: Any | None, state: str | None = None) -> None:
        self.set_class(info is None, "-loading")
        self.model_text = state if info is None else describe_model(info)


class Banner(Static):
    """Shown when the agent runs with random weights: how to get or train a model."""

    TEXT = (
        "No trained checkpoint found: the model has random weights, so its answers are noise. "
        "Train one with `aether train lm ...` (see README), then start with "
        "`aether-tui --checkpoint DIR` or `/model DIR`. Everything else works, so explore away."
    )

    def show(self, visible: bool = True) -> None:
        self.update(Text("⚠ " + self.TEXT))
        self.set_class(visible, "-visible")


class AttachmentBar(Static):
    """Files attached to the next message."""

    def show_attachments(self, images: list[str], files: list[str]) -> None:
        parts = [f"🖼 {p}" for p in images] + [f"📎 {p}" for p in files]
        self.set_class(bool(parts), "-visible")
        if parts:
            self.update(Text("attached: " + "  ".join(parts) + "   (/image clear to drop)"))
        else:
            self.update("")


class StatusLine(Static):
    """State of the agent: loading, ready, generating with live bytes/s, last turn's stats."""

    def set_state(self, text: str, kind: str = "idle") -> None:
        for k in ("idle", "busy", "error", "loading"):
            self.set_class(k == kind, f"-{k}")
        self.update(Text(text))
