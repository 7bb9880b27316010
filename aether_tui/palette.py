"""The command palette (Ctrl+P): generated from the slash-command table and the main screen's
key bindings, so it offers the same actions as ``/help`` lists."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from .commands import COMMANDS
from .keys import key_label
from .screens.main import MainScreen

# Ctrl+C is Esc's cancel or a copy of the selection: not an action to pick from a list.
NOT_IN_PALETTE = {"app.ctrl_c"}


@dataclass(frozen=True)
class PaletteEntry:
    title: str
    help: str
    kind: str  # "slash": run the line, "prefill": put it in the input, "action": run the action
    payload: str


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def palette_entries() -> list[PaletteEntry]:
    entries = []
    for c in COMMANDS:
        if c.title:
            kind, line = ("prefill", f"/{c.name} ") if c.prefill else ("slash", f"/{c.name}")
            entries.append(PaletteEntry(c.title, f"{_sentence(c.help)} (/{c.name})", kind, line))
        for p in c.presets:
            line = f"/{c.name} {p.arg}"
            entries.append(PaletteEntry(p.title, f"{_sentence(p.help)} ({line})", "slash", line))
    by_command = {f"app.{c.name}" for c in COMMANDS}  # app.help, app.chats: already listed
    for b in MainScreen.BINDINGS:
        if isinstance(b, Binding) and b.tooltip and b.action not in by_command | NOT_IN_PALETTE:
            entries.append(PaletteEntry(b.tooltip, key_label(b.key), "action", b.action))
    return entries


class AetherCommands(Provider):
    """Every slash command and main-screen action, by name."""

    def _run(self, entry: PaletteEntry) -> None:
        app = self.app
        if entry.kind == "action":
            app.call_later(app.run_action, entry.payload)
        elif entry.kind == "prefill":
            app.prefill_input(entry.payload)  # type: ignore[attr-defined]
        else:
            app.call_later(app.execute_slash, entry.payload)  # type: ignore[attr-defined]

    async def discover(self) -> Hits:
        for entry in palette_entries():
            yield DiscoveryHit(entry.title, partial(self._run, entry), help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in palette_entries():
            score = max(matcher.match(entry.title), matcher.match(entry.payload) * 0.9)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(entry.title),
                    partial(self._run, entry),
                    help=entry.help,
                )
