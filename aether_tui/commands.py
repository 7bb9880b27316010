"""Slash commands: the table (one source for /help, completion and the command palette), the
parser, the completion suggester, and the command-palette provider.

The app executes commands (``AetherApp.execute_slash``); this module only knows their names,
arguments and help text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.suggester import Suggester


@dataclass(frozen=True)
class SlashCommand:
    name: str
    args: str
    help: str
    complete: str = ""  # "path": complete file paths; "choices": complete from ``choices``
    choices: tuple[str, ...] = ()

    @property
    def usage(self) -> str:
        return f"/{self.name} {self.args}".rstrip()


COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand(
        "image", "PATH|URL", "attach an image to the next message (/image clear: drop)", "path"
    ),
    SlashCommand("attach", "PATH", "attach any file to the next message, as bytes", "path"),
    SlashCommand("help", "", "every key and command (also F1)"),
    SlashCommand("clear", "", "clear the screen (the model keeps the conversation)"),
    SlashCommand("new", "", "start a new conversation (the current one stays saved)"),
    SlashCommand("chats", "", "list, search, rename, delete and resume saved conversations"),
    SlashCommand("save", "[TITLE]", "save the conversation now (and set its title)"),
    SlashCommand("load", "[ID]", "resume a saved conversation (no ID: pick from the list)"),
    SlashCommand(
        "model", "DIR", "switch checkpoint (the model is rebuilt in the background)", "path"
    ),
    SlashCommand("memory", "[QUERY]", "show memory, or search it"),
    SlashCommand("forget", "ID", "forget a memory entry"),
    SlashCommand(
        "approve",
        "TOOL|all|none|ask",
        "auto-approve a tool, or all tools, none (deny all), or ask again",
        "choices",
        ("all", "none", "ask"),
    ),
    SlashCommand("temp", "X", "set the sampling temperature (0 = greedy)"),
    SlashCommand("export", "[PATH]", "export the conversation to Markdown"),
    SlashCommand("quit", "", "quit (also Ctrl+Q)"),
)
BY_NAME = {c.name: c for c in COMMANDS}


def parse(text: str) -> tuple[str, str] | None:
    """``("name", "arg")`` for a slash command line, None for a message.

    ``//text`` is a message starting with ``/`` (the first slash is removed by the caller).
    """
    stripped = text.strip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return None
    head, _, rest = stripped[1:].partition(" ")
    if not head or "\n" in head:
        return None
    return head.lower(), rest.strip()


def _complete_path(partial_path: str, limit: int = 500) -> str | None:
    """The first existing path extending ``partial_path`` (directories end with ``/``)."""
    expanded = os.path.expanduser(partial_path) if partial_path.startswith("~") else partial_path
    directory, prefix = os.path.split(expanded)
    try:
        with os.scandir(directory or ".") as it:
            names = []
            for i, entry in enumerate(it):
                if i >= limit:
                    break
                if entry.name.startswith(prefix) and (
                    prefix.startswith(".") or not entry.name.startswith(".")
                ):
                    names.append((entry.name, entry.is_dir()))
    except OSError:
        return None
    if not names:
        return None
    name, is_dir = sorted(names)[0]
    if name == prefix and not is_dir:
        return None
    done = name[len(prefix) :] + ("/" if is_dir else "")
    return partial_path + done if done else None


def complete(value: str) -> str | None:
    """The completed line for ``value`` (a slash command being typed), or None."""
    if not value.startswith("/") or "\n" in value:
        return None
    head, space, arg = value[1:].partition(" ")
    if not space:
        matches = [c.name for c in COMMANDS if c.name.startswith(head.lower())]
        if not matches or (len(matches) == 1 and matches[0] == head):
            return None
        return "/" + matches[0]
    cmd = BY_NAME.get(head.lower())
    if cmd is None:
        return None
    if cmd.complete == "choices":
        for choice in cmd.choices:
            if choice.startswith(arg) and choice != arg:
                return f"/{head} {choice}"
        return None
    if cmd.complete == "path" and arg and not arg.startswith(("http://", "https://")):
        done = _complete_path(arg)
        return f"/{head} {done}" if done else None
    return None


class SlashSuggester(Suggester):
    """Completion for slash commands (names, tool choices, file paths), for Input widgets."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return complete(value)


@dataclass(frozen=True)
class PaletteEntry:
    title: str
    help: str
    kind: str  # "slash": run the line, "prefill": put it in the input, "action": run the action
    payload: str


PALETTE: tuple[PaletteEntry, ...] = (
    PaletteEntry("New conversation", "Start a new conversation (/new)", "slash", "/new"),
    PaletteEntry(
        "Saved conversations", "List, search and resume chats (/chats)", "slash", "/chats"
    ),
    PaletteEntry("Save conversation", "Save now (/save)", "slash", "/save"),
    PaletteEntry(
        "Resume last conversation", "Load the most recent chat (/load)", "slash", "/load latest"
    ),
    PaletteEntry(
        "Export to Markdown", "Write the conversation to a .md file (/export)", "slash", "/export"
    ),
    PaletteEntry("Clear screen", "Clear the panes (/clear)", "slash", "/clear"),
    PaletteEntry("Help", "Every key and command (F1, /help)", "slash", "/help"),
    PaletteEntry(
        "Toggle thoughts",
        "Show or hide the thought trace (F2)",
        "action",
        "app.toggle_pane('thoughts')",
    ),
    PaletteEntry(
        "Toggle tool log", "Show or hide the tool log (F3)", "action", "app.toggle_pane('tools')"
    ),
    PaletteEntry(
        "Toggle memory", "Show or hide the memory pane (F4)", "action", "app.toggle_pane('memory')"
    ),
    PaletteEntry(
        "Copy last answer",
        "Copy the last answer to the clipboard (F6)",
        "action",
        "app.copy_last_answer",
    ),
    PaletteEntry("Cancel generation", "Stop the running turn (Esc)", "action", "app.cancel_turn"),
    PaletteEntry(
        "Approve all tools", "Run tools without asking (/approve all)", "slash", "/approve all"
    ),
    PaletteEntry(
        "Ask before tools", "Ask before each tool call (/approve ask)", "slash", "/approve ask"
    ),
    PaletteEntry("Deny all tools", "Never run tools (/approve none)", "slash", "/approve none"),
    PaletteEntry(
        "Attach image…", "Attach an image to the next message (/image)", "prefill", "/image "
    ),
    PaletteEntry(
        "Attach file…", "Attach a file to the next message (/attach)", "prefill", "/attach "
    ),
    PaletteEntry("Switch model…", "Load another checkpoint (/model)", "prefill", "/model "),
    PaletteEntry("Search memory…", "Search the memory (/memory)", "prefill", "/memory "),
    PaletteEntry("Forget memory…", "Forget a memory entry (/forget)", "prefill", "/forget "),
    PaletteEntry("Set temperature…", "Sampling temperature (/temp)", "prefill", "/temp "),
    PaletteEntry("Quit", "Quit Aether (/quit, Ctrl+Q)", "slash", "/quit"),
)


class AetherCommands(Provider):
    """The command palette (Ctrl+P) lists the same actions as the slash commands."""

    def _run(self, entry: PaletteEntry) -> None:
        app = self.app
        if entry.kind == "action":
            app.call_later(app.run_action, entry.payload)
        elif entry.kind == "prefill":
            app.prefill_input(entry.payload)  # type: ignore[attr-defined]
        else:
            app.call_later(app.execute_slash, entry.payload)  # type: ignore[attr-defined]

    async def discover(self) -> Hits:
        for entry in PALETTE:
            yield DiscoveryHit(entry.title, partial(self._run, entry), help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in PALETTE:
            score = max(matcher.match(entry.title), matcher.match(entry.payload) * 0.9)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(entry.title),
                    partial(self._run, entry),
                    help=entry.help,
                )


def path_from_paste(text: str) -> Path | None:
    """A dropped/pasted file path (quotes, ``file://`` and escaped spaces handled), if it exists."""
    s = text.strip()
    if not s or "\n" in s:
        return None
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        s = s[1:-1]
    if s.startswith("file://"):
        from urllib.parse import unquote, urlparse

        s = unquote(urlparse(s).path)
    s = s.replace("\\ ", " ")
    p = Path(os.path.expanduser(s))
    try:
        return p if p.is_file() else None
    except OSError:
        return None


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".ppm"}


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES
