"""Slash commands: one table (``COMMANDS``) holding each command's name, arguments, help, palette
entries and handler. ``/help``, completion and the command palette are generated from it; the
app only parses a line and calls the handler.

A handler is ``async def handler(app, arg)``: it uses the app's public methods and state.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.suggester import Suggester

from aether_core.agent.approval import APPROVAL_SPECS
from aether_core.decoding import MAX_TEMPERATURE, SAMPLER_HELP, SAMPLERS
from aether_core.fsutil import atomic_write_text, data_dir

from .attachments import is_url
from .store import title_for
from .transcript import to_markdown

if TYPE_CHECKING:
    from .app import AetherApp

Handler = Callable[["AetherApp", str], Awaitable[None]]


@dataclass(frozen=True)
class Preset:
    """A palette entry that runs the command with a fixed argument."""

    title: str
    arg: str
    help: str


@dataclass(frozen=True)
class SlashCommand:
    name: str
    args: str
    help: str
    run: Handler
    title: str = ""  # the palette entry ("" for none; presets may still add some)
    prefill: bool = False  # the palette puts "/name " in the input instead of running it
    complete: str = ""  # "path": complete file paths; "choices": complete from ``choices``
    choices: tuple[str, ...] = ()
    presets: tuple[Preset, ...] = ()

    @property
    def usage(self) -> str:
        return f"/{self.name} {self.args}".rstrip()


# ---------------------------------------------------------------------------------- handlers
async def _image(app: AetherApp, arg: str) -> None:
    if not arg:
        shown = ", ".join(app.attached.images) or "none"
        app.notify(f"Usage: /image PATH|URL (attached: {shown})")
    elif arg == "clear":
        app.attached.clear()
    else:
        app.attached.add_image(arg)


async def _attach(app: AetherApp, arg: str) -> None:
    if not arg:
        app.notify("Usage: /attach PATH")
    elif arg == "clear":
        app.attached.clear()
    else:
        app.attached.add_file(arg)


async def _help(app: AetherApp, arg: str) -> None:
    app.action_help()


async def _clear(app: AetherApp, arg: str) -> None:
    await app.clear_panes()


async def _new(app: AetherApp, arg: str) -> None:
    if not app.busy():
        await app.new_chat()


async def _chats(app: AetherApp, arg: str) -> None:
    app.action_chats()


async def _save(app: AetherApp, arg: str) -> None:
    if not app.conversation():
        app.notify("Nothing to save yet.", severity="warning")
        return
    chat_id = app.autosave(title=arg or None)
    if chat_id is not None:
        app.notify(f"Saved as #{chat_id}.")


async def _load(app: AetherApp, arg: str) -> None:
    if not arg:
        app.action_chats()
        return
    if arg == "latest":
        chat_id = app.store.latest()
        if chat_id is None:
            app.notify("No saved conversations.", severity="warning")
            return
    else:
        try:
            chat_id = int(arg.lstrip("#"))
        except ValueError:
            app.notify("Usage: /load [ID]", severity="error")
            return
    await app.load_chat(chat_id)


async def _model(app: AetherApp, arg: str) -> None:
    if not arg:
        now = app.agent.info.checkpoint if app.agent is not None else None
        app.notify(f"Usage: /model DIR (now: {now or 'default'})")
        return
    if app.busy():
        return
    path = Path(arg).expanduser()
    if not path.exists():
        app.notify(f"No such checkpoint: {arg}", severity="error")
        return
    if app.agent is not None:
        app.pending_conversation = list(app.agent.conversation)
    await app.main.chat.add_notice(f"Switching model to {path}…")
    app.build_agent(str(path))


async def _memory(app: AetherApp, arg: str) -> None:
    app.main.show_pane("memory")
    app.refresh_memory(arg)


async def _forget(app: AetherApp, arg: str) -> None:
    if not arg:
        app.notify("Usage: /forget ID", severity="error")
        return
    app.forget_memory(arg)


APPROVAL_MEANING = {
    "all": "all tools run without asking",
    "none": "all tools are denied",
    "ask": "asking before each tool",
}


async def _approve(app: AetherApp, arg: str) -> None:
    if not arg:
        app.notify("Usage: /approve TOOL|all|none|ask", severity="error")
        return
    agent = app.agent
    if agent is None:
        app.notify("The model is still loading.", severity="warning")
        return
    choices = app.approvals.choices
    if arg in APPROVAL_SPECS:
        choices.set_spec(agent, arg)
        what = APPROVAL_MEANING[arg]
    else:
        tools = [t.strip() for t in arg.split(",") if t.strip()]
        known = set(agent.tools.names())
        unknown = [t for t in tools if t not in known]
        if unknown:
            app.notify(
                f"Unknown tool {', '.join(unknown)} (tools: {', '.join(sorted(known))})",
                severity="error",
            )
            return
        for tool in tools:
            choices.set_mode(agent, tool, "auto")
        what = f"{', '.join(tools)} runs without asking"
    app.notify(f"Approval: {what}.")


async def _temp(app: AetherApp, arg: str) -> None:
    try:
        value = float(arg)
        if not 0.0 <= value <= MAX_TEMPERATURE:
            raise ValueError
    except ValueError:
        app.notify(
            f"Usage: /temp X with 0 ≤ X ≤ {MAX_TEMPERATURE:g} (0 = greedy)", severity="error"
        )
        return
    _set_sampling(app, "temperature", value)
    app.notify(f"Temperature {value:g}.")


async def _sampler(app: AetherApp, arg: str) -> None:
    if arg not in SAMPLERS:
        now = app.settings.sampling.sampler
        app.notify(f"Usage: /sampler {'|'.join(SAMPLERS)} (now {now})", severity="error")
        return
    _set_sampling(app, "sampler", arg)
    note = " (it changes nothing at temperature 0: /temp X)" if arg != "plain" else ""
    app.notify(f"Sampler {arg}.{note}")


def _set_sampling(app: AetherApp, key: str, value: object) -> None:
    """One sampling knob, in the settings (saved) and on the running agent."""
    setattr(app.settings.sampling, key, value)
    if app.agent is not None:
        setattr(app.agent.sampling, key, value)
    app.save_settings()


async def _export(app: AetherApp, arg: str) -> None:
    conversation = app.conversation()
    if not conversation:
        app.notify("Nothing to export yet.", severity="warning")
        return
    record = app.store.get(app.chat_id) if app.chat_id is not None else None
    title = (record.title if record else None) or title_for(conversation)
    if arg:
        path = Path(arg).expanduser()
    else:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = data_dir() / "exports" / f"chat-{app.chat_id or 'new'}-{stamp}.md"
    try:
        atomic_write_text(path, to_markdown(conversation, title))
    except OSError as e:
        app.notify(f"Export failed: {e}", severity="error")
        return
    app.notify(f"Exported to {path}")


async def _quit(app: AetherApp, arg: str) -> None:
    await app.action_quit()


# ---------------------------------------------------------------------------------- the table
COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand(
        "image", "PATH|URL", "attach an image to the next message (/image clear: drop)", _image,
        "Attach image…", prefill=True, complete="path",
    ),
    SlashCommand(
        "attach", "PATH", "attach any file to the next message, as bytes", _attach,
        "Attach file…", prefill=True, complete="path",
    ),
    SlashCommand("help", "", "every key and command (also F1)", _help, "Help"),
    SlashCommand(
        "clear", "", "clear the screen (the model keeps the conversation)", _clear, "Clear screen"
    ),
    SlashCommand(
        "new", "", "start a new conversation (the current one stays saved)", _new,
        "New conversation",
    ),
    SlashCommand(
        "chats", "", "list, search, rename, delete and resume saved conversations", _chats,
        "Saved conversations",
    ),
    SlashCommand(
        "save", "[TITLE]", "save the conversation now (and set its title)", _save,
        "Save conversation",
    ),
    SlashCommand(
        "load", "[ID]", "resume a saved conversation (no ID: pick from the list)", _load,
        presets=(Preset("Resume last conversation", "latest", "load the most recent chat"),),
    ),
    SlashCommand(
        "model", "DIR", "switch checkpoint (the model is rebuilt in the background)", _model,
        "Switch model…", prefill=True, complete="path",
    ),
    SlashCommand(
        "memory", "[QUERY]", "show memory, or search it", _memory, "Search memory…", prefill=True
    ),
    SlashCommand("forget", "ID", "forget a memory entry", _forget, "Forget memory…", prefill=True),
    SlashCommand(
        "approve", "TOOL|" + "|".join(sorted(APPROVAL_SPECS)),
        "auto-approve a tool, or all tools, none (deny all), or ask again", _approve,
        complete="choices", choices=tuple(sorted(APPROVAL_SPECS)),
        presets=(
            Preset("Approve all tools", "all", "run tools without asking"),
            Preset("Ask before tools", "ask", "ask before each tool call"),
            Preset("Deny all tools", "none", "never run tools"),
        ),
    ),
    SlashCommand(
        "temp", "X", "set the sampling temperature (0 = greedy)", _temp, "Set temperature…",
        prefill=True,
    ),
    SlashCommand(
        "sampler", "|".join(SAMPLERS),
        "how bytes are drawn at temperature > 0 (plain or entropy-adaptive)", _sampler,
        complete="choices", choices=SAMPLERS,
        presets=tuple(
            Preset(f"Sampler: {name}", name, SAMPLER_HELP[name]) for name in SAMPLERS
        ),
    ),
    SlashCommand(
        "export", "[PATH]", "export the conversation to Markdown", _export, "Export to Markdown"
    ),
    SlashCommand("quit", "", "quit (also Ctrl+Q)", _quit, "Quit"),
)  # fmt: skip
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
    if cmd.complete == "path" and arg and not is_url(arg):
        done = _complete_path(arg)
        return f"/{head} {done}" if done else None
    return None


class SlashSuggester(Suggester):
    """Completion for slash commands (names, tool choices, file paths), for Input widgets."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return complete(value)
