"""F1 / /help: every key and every slash command, generated from the binding and command tables
so it never goes stale."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from ..commands import COMMANDS

KEYS: tuple[tuple[str, str], ...] = (
    ("Enter", "send the message (swappable with enter_sends = false in settings)"),
    ("Shift+Enter / Ctrl+J", "new line in the message"),
    ("Up / Down", "message history (on the first / last line)"),
    ("Tab / Right", "accept the completion shown after a slash command"),
    ("Esc / Ctrl+C", "cancel the running turn"),
    ("F1", "this help"),
    ("F2 / Ctrl+T", "show or hide the thought trace (tabs: switch to it)"),
    ("F3", "show or hide the tool log (tabs: switch to it)"),
    ("F4", "show or hide the memory pane (tabs: switch to it)"),
    ("F5", "saved conversations"),
    ("F6", "copy the last answer to the clipboard"),
    ("F7", "focus the message input"),
    ("Tab / Shift+Tab", "move between panes; arrows scroll or move in tables"),
    ("x / Delete", "forget the highlighted memory entry (memory pane)"),
    ("Ctrl+C", "copy selected text (when nothing is running)"),
    ("Ctrl+P", "command palette: every action by name"),
    ("Ctrl+Q", "quit"),
)

APPROVAL_KEYS: tuple[tuple[str, str], ...] = (
    ("y", "approve this call"),
    ("a", "always approve this tool until the app closes"),
    ("n", "deny this call"),
    ("d", "always deny this tool until the app closes"),
    ("e", "edit the arguments (JSON), then Ctrl+S to approve"),
    ("t", "deny and tell the model what to do instead"),
    ("Esc", "deny"),
)


def help_markdown() -> str:
    lines = ["# Aether — keys and commands", "", "## Keys", "", "| key | what |", "|---|---|"]
    lines += [f"| `{k}` | {w} |" for k, w in KEYS]
    lines += ["", "## Tool approval", "", "| key | what |", "|---|---|"]
    lines += [f"| `{k}` | {w} |" for k, w in APPROVAL_KEYS]
    lines += ["", "## Commands", "", "| command | what |", "|---|---|"]
    lines += [f"| `{c.usage.replace('|', '&#124;')}` | {c.help} |" for c in COMMANDS]
    from ..settings import default_settings_path
    from ..store import default_db_path

    lines += [
        "",
        "Start a message with `//` to send text beginning with `/`. Dropping an image file on "
        "the input (or pasting its path) attaches it.",
        "",
        f"Settings: `{default_settings_path()}` · conversations: `{default_db_path()}`",
    ]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"

    BINDINGS = [
        Binding("escape,f1,q", "close", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog") as d:
            d.border_title = "Help"
            d.border_subtitle = "Esc close"
            yield Markdown(help_markdown(), id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-dialog").focus()

    def action_close(self) -> None:
        self.dismiss(None)
