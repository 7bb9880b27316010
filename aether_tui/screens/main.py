"""The main screen: header, chat / thoughts / tools / memory panes, input, footer.

Wide and tall terminals show the chat beside a column of the other panes (``SIDE_PANES``, one
row each: a new pane is a widget and a row here); below the breakpoint (``TABS_BELOW``) the same
widgets collapse into tabs. Nothing is re-mounted when the layout changes: the screen only
switches CSS classes (``-tabs``, ``-tab-chat``/``-tab-side``, ``-active`` and ``-hidden`` on a
pane), so the panes keep their content. The screen is a view: the app calls its methods and handles the
messages its widgets post.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Tab, Tabs

from ..widgets.chat import ChatView
from ..widgets.memory import MemoryPane
from ..widgets.prompt import PromptInput
from ..widgets.status import AttachmentBar, Banner, InfoBar, StatusLine
from ..widgets.thoughts import ThoughtsView
from ..widgets.tool_log import ToolLog


@dataclass(frozen=True)
class Pane:
    """A pane beside the chat: its widget (mounted with ``id=name``) and the key that toggles it
    (its tooltip is the help screen's line and the command palette's title)."""

    name: str
    title: str
    widget: type[Widget]
    keys: str
    tooltip: str


SIDE_PANES: tuple[Pane, ...] = (
    Pane(
        "thoughts",
        "Thoughts",
        ThoughtsView,
        "f2,ctrl+t",
        "Show or hide the thought trace (tabs: switch to it)",
    ),
    Pane("tools", "Tools", ToolLog, "f3", "Show or hide the tool log (tabs: switch to it)"),
    Pane("memory", "Memory", MemoryPane, "f4", "Show or hide the memory pane (tabs: switch to it)"),
)
PANES = ("chat", *(p.name for p in SIDE_PANES))
PANE_TITLES = {"chat": "Chat", **{p.name: p.title for p in SIDE_PANES}}
TABS_BELOW = (110, 28)  # (columns, rows): smaller terminals get tabs instead of side panes


class MainScreen(Screen):
    CSS_PATH = "main.tcss"
    AUTO_FOCUS = "#prompt"

    # The tooltips are the help screen's lines and the command palette's titles.
    BINDINGS = [
        Binding("f1", "app.help", "Help", tooltip="Every key and command"),
        Binding("escape", "app.cancel_turn", "Cancel", tooltip="Cancel the running turn"),
        Binding(
            "ctrl+c",
            "app.ctrl_c",
            "Cancel / copy",
            show=False,
            priority=True,
            tooltip="Cancel the running turn; with none, copy the selected text",
        ),
        *(
            Binding(p.keys, f"app.toggle_pane('{p.name}')", p.title, tooltip=p.tooltip)
            for p in SIDE_PANES
        ),
        Binding("f5", "app.chats", "Chats", tooltip="Saved conversations"),
        # priority: the input (a TextArea) binds F6/F7 to line/all selection
        Binding(
            "f6",
            "app.copy_last_answer",
            "Copy answer",
            show=False,
            priority=True,
            tooltip="Copy the last answer to the clipboard",
        ),
        Binding(
            "f7",
            "app.focus_input",
            "Input",
            show=False,
            priority=True,
            tooltip="Focus the message input",
        ),
    ]

    def __init__(self, enter_sends: bool | None = None) -> None:
        super().__init__()
        self.enter_sends = enter_sends
        self.hidden: set[str] = set()
        self.active_tab = "chat"

    def compose(self) -> ComposeResult:
        if self.enter_sends is None:
            settings = getattr(self.app, "settings", None)
            self.enter_sends = bool(getattr(settings, "enter_sends", True))
        yield InfoBar(id="info")
        yield Banner(id="banner")
        yield Tabs(*(Tab(PANE_TITLES[p], id=f"tab-{p}") for p in PANES), id="pane-tabs")
        with Horizontal(id="panes"):
            with Vertical(id="chat-pane", classes="pane") as chat:
                chat.border_title = "Chat"
                yield ChatView(id="chat")
            with Vertical(id="side"):
                for pane in SIDE_PANES:
                    with Vertical(id=f"{pane.name}-pane", classes="pane side-pane") as v:
                        v.border_title = pane.title
                        yield pane.widget(id=pane.name)
        yield AttachmentBar(id="attachments")
        prompt = PromptInput(enter_sends=self.enter_sends, id="prompt")
        prompt.border_subtitle = self.key_hint()
        yield prompt
        with Horizontal(id="footer-bar"):
            yield Footer()
            yield StatusLine(id="status")

    def key_hint(self) -> str:
        if self.enter_sends:
            return "Enter send · Shift+Enter/Ctrl+J newline · / commands"
        return "Shift+Enter/Ctrl+J send · Enter newline · / commands"

    # ------------------------------------------------------------------ widgets
    @property
    def chat(self) -> ChatView:
        return self.query_one("#chat", ChatView)

    @property
    def thoughts(self) -> ThoughtsView:
        return self.query_one("#thoughts", ThoughtsView)

    @property
    def tools(self) -> ToolLog:
        return self.query_one("#tools", ToolLog)

    @property
    def memory(self) -> MemoryPane:
        return self.query_one("#memory", MemoryPane)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one("#prompt", PromptInput)

    @property
    def info(self) -> InfoBar:
        return self.query_one("#info", InfoBar)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    @property
    def banner(self) -> Banner:
        return self.query_one("#banner", Banner)

    @property
    def attachments(self) -> AttachmentBar:
        return self.query_one("#attachments", AttachmentBar)

    # ------------------------------------------------------------------ layout
    @property
    def tabbed(self) -> bool:
        return self.has_class("-tabs")

    class Ready(Message):
        """The screen's widgets exist: the app may start (resume a chat, build the agent)."""

    def on_mount(self) -> None:
        self._update_layout(self.app.size.width, self.app.size.height)
        self._set_tab("chat")
        self.post_message(self.Ready())

    def on_resize(self, event: events.Resize) -> None:
        self._update_layout(event.size.width, event.size.height)

    def _update_layout(self, width: int, height: int) -> None:
        self.set_class(width < TABS_BELOW[0] or height < TABS_BELOW[1], "-tabs")

    def _set_tab(self, name: str) -> None:
        self.active_tab = name
        self.set_class(name == "chat", "-tab-chat")
        self.set_class(name != "chat", "-tab-side")
        for p in SIDE_PANES:
            self.query_one(f"#{p.name}-pane").set_class(p.name == name, "-active")
        tabs = self.query_one("#pane-tabs", Tabs)
        if tabs.active != f"tab-{name}":
            tabs.active = f"tab-{name}"

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is not None and event.tab.id:
            self._set_tab(event.tab.id.removeprefix("tab-"))

    def show_pane(self, name: str) -> None:
        """Bring a pane into view (switch tab, or un-hide it in the side column)."""
        if self.tabbed:
            self._set_tab(name)
        elif name in self.hidden:
            self.toggle_pane(name)

    def toggle_pane(self, name: str) -> None:
        """In side-by-side mode hide/show the pane; in tab mode switch to it (or back to chat)."""
        if self.tabbed:
            self._set_tab("chat" if self.active_tab == name else name)
            return
        if name == "chat":
            return
        if name in self.hidden:
            self.hidden.discard(name)
        else:
            self.hidden.add(name)
        self.query_one(f"#{name}-pane").set_class(name in self.hidden, "-hidden")
        self.set_class(self.hidden >= {p.name for p in SIDE_PANES}, "-hide-side")

    def pane_visible(self, name: str) -> bool:
        if self.tabbed:
            return self.active_tab == name
        return name == "chat" or name not in self.hidden

    def set_waiting_hint(self, text: str | None) -> None:
        """A hint in the input's border (model loading, turn running)."""
        prompt = self.prompt
        prompt.border_title = Text(text) if text else None
        prompt.set_class(bool(text), "-waiting")
