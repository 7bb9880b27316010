"""The help screen, the command palette and completion are generated from one command table and
the bindings: every command and every key shows up, once."""

from __future__ import annotations

import pytest
from textual.binding import Binding

from aether_tui.commands import BY_NAME, COMMANDS, complete
from aether_tui.keys import key_label
from aether_tui.palette import palette_entries
from aether_tui.screens.approval import ApprovalScreen
from aether_tui.screens.help import help_markdown
from aether_tui.screens.main import SIDE_PANES, MainScreen


@pytest.mark.parametrize(
    ("keys", "label"),
    [("f2,ctrl+t", "F2 / Ctrl+T"), ("escape", "Esc"), ("delete,x", "Delete / x"),
     ("shift+enter,ctrl+j", "Shift+Enter / Ctrl+J"), ("ctrl+s", "Ctrl+S"), ("y", "y")],
)  # fmt: skip
def test_key_label(keys: str, label: str) -> None:
    assert key_label(keys) == label


def test_help_lists_every_binding_and_command() -> None:
    text = help_markdown()
    for screen in (MainScreen, ApprovalScreen):
        for b in screen.BINDINGS:
            assert isinstance(b, Binding) and b.tooltip, b  # the tooltip is the help line
            assert f"| `{key_label(b.key)}` |" in text
    for c in COMMANDS:
        assert f"| `{c.usage.replace('|', '&#124;')}` | {c.help} |" in text


def test_palette_is_generated_from_commands_and_bindings() -> None:
    entries = palette_entries()
    titles = [e.title for e in entries]
    assert len(titles) == len(set(titles))
    by_title = {e.title: e for e in entries}
    assert (by_title["New conversation"].kind, by_title["New conversation"].payload) == (
        "slash",
        "/new",
    )
    assert by_title["Switch model…"].payload == "/model "  # an argument is needed: prefilled
    assert by_title["Approve all tools"].payload == "/approve all"
    for pane in SIDE_PANES:  # each pane's toggle, by its binding's tooltip
        assert by_title[pane.tooltip].payload == f"app.toggle_pane('{pane.name}')"
    actions = {e.payload for e in entries if e.kind == "action"}
    assert "app.help" not in actions and "app.ctrl_c" not in actions  # /help covers F1
    assert {c.name for c in COMMANDS if c.title or c.presets} == set(BY_NAME)


def test_completion_comes_from_the_table() -> None:
    assert complete("/he") == "/help"
    assert complete("/approve n") == "/approve none"
    assert complete("/bogus x") is None
