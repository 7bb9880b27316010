"""F1 / /help: every key and every slash command, generated from the bindings (their tooltips),
the input's key table and the command table, so it never goes stale."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from ..commands import COMMANDS
from ..keys import binding_rows, key_label
from ..widgets.memory import MemoryTable
from ..widgets.prompt import PromptInput
from .approval import ApprovalScreen
from .main import MainScreen


def key_rows() -> list[tuple[str, str]]:
    """Every key of the main screen, from the bindings and the input's key table."""
    quit_ = next(b for b in App.BINDINGS if isinstance(b, Binding) and b.action == "quit")
    rows = [(key_label(k), w) for k, w in PromptInput.KEYS]
    rows += binding_rows(MainScreen.BINDINGS)
    rows += [
        ("Tab / Shift+Tab", "move between panes; arrows scroll or move in tables"),
        *[(keys, f"{what} (memory pane)") for keys, what in binding_rows(MemoryTable.BINDINGS)],
        (key_label(App.COMMAND_PALETTE_BINDING), "command palette: every action by name"),
        (key_label(quit_.key), quit_.description.lower()),
    ]
    return rows


def help_markdown() -> str:
    lines = ["# Aether — keys and commands", "", "## Keys", "", "| key | what |", "|---|---|"]
    lines += [f"| `{k}` | {w} |" for k, w in key_rows()]
    lines += ["", "## Tool approval", "", "| key | what |", "|---|---|"]
    lines += [f"| `{k}` | {w} |" for k, w in binding_rows(ApprovalScreen.BINDINGS)]
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
