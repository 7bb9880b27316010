"""The Aether TUI app: a pure view over the agent's event API.

The app owns the long-lived state (the agent, settings, chat store, the turn, the approval
queue) and reacts to messages: the user's input, the turn bridge's events, the memory pane's
requests. The pieces live beside it: ``cli`` (arguments, ``main``), ``agent`` (the ``Agent``
protocol and factory), ``messages``, ``bridge`` (one turn in a worker), ``turn`` (its events on
screen), ``approvals``, ``attachments``, ``replay`` (a stored chat on screen), ``memory_view``,
``commands`` (the slash commands and their handlers), ``palette``; screens and widgets only
display what they are told.

Start-up never imports torch: the agent factory runs inside a thread worker, so the UI paints at
once with a "loading model…" state; messages typed meanwhile are queued and sent when the model
is ready.
"""

from __future__ import annotations

from collections import deque
from functools import partial
from pathlib import Path

from textual import work
from textual.actions import SkipAction
from textual.app import App
from textual.theme import Theme
from textual.timer import Timer

from aether_core.agent.events import ApprovalDecision, Done, Event
from aether_core.humanize import human_size
from aether_core.segments import Message, SegmentError

from .agent import Agent, AgentFactory, BuildAgentFactory, greeting
from .approvals import ApprovalChoices, ApprovalQueue
from .attachments import Attachments, is_url
from .bridge import TurnBridge, deny_decision, resolve
from .commands import BY_NAME, COMMANDS, parse
from .memory_view import MemoryView
from .messages import (
    AgentEventPosted,
    AgentFailed,
    AgentReady,
    ApprovalAsked,
    DeltaBatch,
    TurnFinished,
)
from .palette import AetherCommands
from .replay import replay
from .screens.approval import ApprovalScreen
from .screens.chats import ChatsScreen
from .screens.help import HelpScreen
from .screens.main import MainScreen
from .settings import Settings
from .store import ChatStore
from .turn import TurnView
from .widgets import WIDGET_CSS
from .widgets.memory import MemoryPane
from .widgets.prompt import PromptInput

BUSY = "A turn is running: Esc to cancel it first."


def _file_size(path: str) -> str:
    try:
        return human_size(Path(path).stat().st_size)
    except OSError:
        return "?"


class AetherApp(App):
    """The Aether TUI. ``agent_factory`` builds the agent (called in a thread worker, optionally
    with ``checkpoint=DIR`` for ``/model``); tests inject a fake one."""

    TITLE = "Aether"
    CSS_PATH = ["app.tcss", *WIDGET_CSS]
    COMMANDS = App.COMMANDS | {AetherCommands}
    COMMAND_PALETTE_DISPLAY = "^p"
    MODES = {"main": MainScreen}  # a mode (not get_default_screen) so the screen's CSS loads
    DEFAULT_MODE = "main"

    def __init__(
        self,
        agent_factory: AgentFactory | None = None,
        settings: Settings | None = None,
        store: ChatStore | None = None,
        resume: int | str | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings if settings is not None else Settings.load()
        self._owns_store = store is None
        self.store = store if store is not None else ChatStore()
        self.agent_factory: AgentFactory = agent_factory or BuildAgentFactory(self.settings)
        self.resume = resume
        self.agent: Agent | None = None
        self.agent_error: str | None = None
        self.bridge: TurnBridge | None = None
        self.turn: TurnView | None = None
        self.chat_id: int | None = None
        self.attached = Attachments(lambda: self.main.attachments, self.notify)
        self.queued: deque[tuple[str, list[str], list[str]]] = deque()
        self.approvals = ApprovalQueue(self._open_approval, ApprovalChoices())
        self.memory_view = MemoryView(self, lambda: self.main.memory, lambda: self.agent)
        self.pending_conversation: list[Message] | None = None
        self._generation = 0  # bumps on every (re)build so stale builds are ignored
        self._tick_timer: Timer | None = None
        self._main: MainScreen | None = None

    # ------------------------------------------------------------------ set-up
    @property
    def main(self) -> MainScreen:
        """The main screen (bottom of the stack; modals are pushed above it)."""
        if self._main is None:
            self._main = next(s for s in self.screen_stack if isinstance(s, MainScreen))
        return self._main

    @property
    def generating(self) -> bool:
        return self.bridge is not None

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    async def on_main_screen_ready(self, message: MainScreen.Ready) -> None:
        """Start-up, once the main screen exists: resume a chat, then build the agent."""
        for warning in [*self.settings.warnings, *filter(None, [self.store.warning])]:
            self.notify(warning, severity="warning", timeout=8)
        self._tick_timer = self.set_interval(0.5, self._tick, pause=True)
        if self.resume is not None:
            await self._resume(self.resume)
        self.build_agent(None)

    def _theme_changed(self, theme: Theme) -> None:
        name = theme.name
        if name != self.settings.theme:
            self.settings.theme = name
            self.save_settings()

    def save_settings(self) -> None:
        if self.settings.path is None:
            return
        try:
            self.settings.save()
        except OSError as e:
            self.notify(f"could not save settings: {e}", severity="error")

    async def _resume(self, which: int | str) -> None:
        chat_id = self.store.latest() if which in ("latest", "", None) else int(which)
        if chat_id is None:
            self.notify("No saved conversation to resume yet.", severity="warning")
            return
        await self.load_chat(chat_id)

    # ------------------------------------------------------------------ agent lifecycle
    def build_agent(self, checkpoint: str | None) -> None:
        """Build the agent in a thread worker; the UI stays usable meanwhile."""
        self._generation += 1
        self.agent = None
        self.agent_error = None
        self.main.info.set_model(None, "loading model…")
        self.main.status.set_state("loading model…", "loading")
        self.main.set_waiting_hint("model loading: messages you send now are queued")
        self.refresh_bindings()
        self._load_worker(checkpoint, self._generation)

    @work(thread=True, group="load", exclusive=True, exit_on_error=False)
    def _load_worker(self, checkpoint: str | None, generation: int) -> None:
        try:
            agent = (
                self.agent_factory(checkpoint=checkpoint) if checkpoint else self.agent_factory()
            )
        except BaseException as e:  # noqa: BLE001 - any failure must reach the UI
            self.post_message(AgentFailed(f"{type(e).__name__}: {e}", generation))
            return
        self.post_message(AgentReady(agent, generation))

    async def on_agent_ready(self, message: AgentReady) -> None:
        if message.generation != self._generation:
            return
        agent = self.agent = message.agent
        for key, value in vars(self.settings.sampling).items():
            if hasattr(agent.sampling, key):
                setattr(agent.sampling, key, value)
        self.approvals.choices.apply(agent)
        if self.pending_conversation is not None:
            agent.load_conversation(list(self.pending_conversation))
            self.pending_conversation = None
        info = agent.info
        self.main.info.set_model(info)
        self.main.banner.show(info.random_weights)
        self.main.status.set_state("ready", "idle")
        self.main.set_waiting_hint(None)
        self.refresh_bindings()
        self.refresh_memory()
        if not self.main.chat.children and not info.random_weights:
            await self.main.chat.add_notice(greeting(agent), "info")
        await self._send_queued()

    async def on_agent_failed(self, message: AgentFailed) -> None:
        if message.generation != self._generation:
            return
        self.agent_error = message.error
        self.main.info.set_model(None, "no model")
        self.main.status.set_state("model failed to load", "error")
        self.main.set_waiting_hint("no model: fix the error, then /model DIR")
        await self.main.chat.add_notice(f"Could not load the model: {message.error}", "error")

    # ------------------------------------------------------------------ sending
    async def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        text = message.text
        if parse(text) is not None:
            await self.execute_slash(text)
            return
        if text.strip().startswith("//"):
            text = text.strip()[1:]
        await self.send_message(text)

    async def on_prompt_input_attachment_pasted(
        self, message: PromptInput.AttachmentPasted
    ) -> None:
        self.attached.add_image(message.path)

    async def send_message(self, text: str) -> bool:
        """Show the user's turn and run it (or queue it while the model loads)."""
        if self.generating:
            self.notify("A turn is running: wait, or press Esc to cancel it.", severity="warning")
            self.main.prompt.prefill(text)
            return False
        if not text.strip() and not self.attached:
            return False
        images, files = self.attached.take()
        chat = self.main.chat
        await chat.add_user(text, [f"{Path(f).name} ({_file_size(f)})" for f in files])
        for img in images:
            widget = await chat.add_image(None, img, "user")
            if not is_url(img):
                widget.load(img)
        if self.agent is None:
            self.queued.append((text, images, files))
            self.main.status.set_state(f"{len(self.queued)} queued: model loading…", "loading")
            self.refresh_bindings()
            return True
        await self._start_turn(text, images, files)
        return True

    async def _send_queued(self) -> None:
        if self.queued and self.agent is not None and not self.generating:
            text, images, files = self.queued.popleft()
            await self._start_turn(text, images, files)

    async def _start_turn(self, text: str, images: list[str], files: list[str]) -> None:
        assert self.agent is not None
        main = self.main
        await main.thoughts.new_turn()
        main.tools.new_turn()
        main.memory.clear_recalled()
        self.turn = TurnView(main)
        self.bridge = TurnBridge(self, self.agent)
        main.status.set_state("● generating…", "busy")
        if self._tick_timer is not None:
            self._tick_timer.resume()
        self.refresh_bindings()
        self.bridge.start(text, images, files)

    def _tick(self) -> None:
        """Live bytes/s in the status line while a turn runs."""
        if not self.generating or self.turn is None or self.turn.over:
            return
        if self.approvals.open is not None:
            self.main.status.set_state("⏸ waiting for your approval", "busy")
        else:
            self.main.status.set_state(self.turn.live_status(), "busy")

    # ------------------------------------------------------------------ agent events
    async def on_agent_event_posted(self, message: AgentEventPosted) -> None:
        if message.bridge is self.bridge:  # else: a turn already finished or replaced
            await self._show(message.event)

    async def on_delta_batch(self, message: DeltaBatch) -> None:
        if message.bridge is self.bridge:
            for event in message.take():
                await self._show(event)

    async def _show(self, event: Event) -> None:
        if self.turn is None:
            return
        await self.turn.show(event)
        if isinstance(event, Done):
            if self._tick_timer is not None:
                self._tick_timer.pause()
            self.autosave()
            self.refresh_memory()

    async def on_turn_finished(self, message: TurnFinished) -> None:
        if message.bridge is not self.bridge:
            return
        self.bridge = None
        if self._tick_timer is not None:
            self._tick_timer.pause()
        self.approvals.close(message.bridge)
        if message.error:
            await self.main.chat.end_answer()
            await self.main.chat.add_notice(f"The turn failed: {message.error}", "error")
            self.main.status.set_state("turn failed", "error")
            self.autosave()
        elif not message.saw_done:
            await self.main.chat.end_answer()
            self.autosave()
        self.refresh_bindings()
        await self._send_queued()

    # ------------------------------------------------------------------ approval
    async def on_approval_asked(self, message: ApprovalAsked) -> None:
        if message.bridge is not self.bridge or message.bridge.cancelled.is_set():
            resolve(message.reply, deny_decision())
            return
        self.approvals.add(message)

    def _open_approval(self, asked: ApprovalAsked, waiting: int) -> ApprovalScreen:
        screen = ApprovalScreen(
            asked.request, waiting=waiting, reason=self.main.thoughts.last_thought
        )
        self.main.status.set_state("⏸ waiting for your approval", "busy")
        self.push_screen(screen, callback=partial(self._approval_done, asked))
        return screen

    def _approval_done(self, asked: ApprovalAsked, decision: ApprovalDecision | None) -> None:
        decision = decision or deny_decision()
        if decision.args is not None:
            self.main.tools.set_args(asked.request.call_id, decision.args)
        self.approvals.decided(asked, decision)

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_turn":
            return self.generating or bool(self.queued)
        return True

    def action_ctrl_c(self) -> None:
        """Ctrl+C: cancel the running turn; otherwise copy the selection (chat text or input)."""
        if self.generating or self.queued:
            self.action_cancel_turn()
            return
        selected = self.screen.get_selected_text()
        if selected:
            self.copy_to_clipboard(selected)
            self.notify(f"Copied {len(selected)} characters.")
            return
        raise SkipAction()  # let the focused widget (the input) copy its own selection

    def action_cancel_turn(self) -> None:
        if self.bridge is not None:
            self.bridge.cancel()
            self.approvals.close(self.bridge)
            self.main.status.set_state("cancelling…", "busy")
        elif self.queued:
            self.queued.clear()
            self.main.status.set_state("queued messages dropped", "loading")
            self.refresh_bindings()

    def action_toggle_pane(self, name: str) -> None:
        self.main.toggle_pane(name)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_chats(self) -> None:
        if not isinstance(self.screen, ChatsScreen):
            self.push_screen(ChatsScreen(self.store, self.chat_id), callback=self._chat_chosen)

    def action_focus_input(self) -> None:
        self.main.prompt.focus()

    def action_copy_last_answer(self) -> None:
        text = self.main.chat.last_answer_text
        if not text:
            self.notify("No answer to copy yet.", severity="warning")
            return
        self.copy_to_clipboard(text)
        self.notify(f"Copied the last answer ({len(text)} characters).")

    def prefill_input(self, text: str) -> None:
        self.main.prompt.prefill(text)

    async def action_quit(self) -> None:
        if self.bridge is not None:
            self.bridge.cancel()
        self.exit()

    def on_unmount(self) -> None:
        if self.bridge is not None:
            self.bridge.cancel()
        if self._owns_store:
            self.store.close()

    # ------------------------------------------------------------------ slash commands
    async def execute_slash(self, line: str) -> None:
        parsed = parse(line)
        if parsed is None:
            return
        name, arg = parsed
        command = BY_NAME.get(name)
        if command is None:
            names = ", ".join("/" + c.name for c in COMMANDS)
            self.notify(f"Unknown command /{name}. Commands: {names}", severity="error")
            return
        await command.run(self, arg)

    def busy(self) -> bool:
        """True (and says so) while a turn runs: commands that change the chat must wait."""
        if self.generating:
            self.notify(BUSY, severity="warning")
            return True
        return False

    # ------------------------------------------------------------------ conversations
    def conversation(self) -> list[Message]:
        if self.agent is not None:
            return list(self.agent.conversation)
        return list(self.pending_conversation or [])

    def autosave(self, title: str | None = None) -> int | None:
        conversation = self.conversation()
        if not conversation:
            return None
        try:
            self.chat_id = self.store.save(self.chat_id, conversation, title=title)
        except Exception as e:  # noqa: BLE001 - never lose the UI over a save
            self.notify(f"could not save the conversation: {e}", severity="error")
            return None
        record = self.store.get(self.chat_id)
        self.main.info.chat_text = f"#{self.chat_id} {record.title if record else ''}"
        return self.chat_id

    async def load_chat(self, chat_id: int) -> bool:
        """Resume a stored conversation: render it and give it to the agent."""
        if self.busy():
            return False
        try:
            record = self.store.get(chat_id)
            if record is None:
                self.notify(f"No conversation #{chat_id}.", severity="error")
                return False
            messages = record.messages
        except SegmentError as e:
            self.notify(f"Conversation #{chat_id} is damaged: {e}", severity="error")
            return False
        if self.chat_id is not None and self.chat_id != chat_id:
            self.autosave()
        await self.clear_panes()
        await replay(self.main, messages)
        self.chat_id = chat_id
        self.main.info.chat_text = f"#{chat_id} {record.title}"
        if self.agent is not None:
            self.agent.load_conversation(messages)
        else:
            self.pending_conversation = messages
        return True

    async def new_chat(self) -> None:
        """Save the current conversation and start an empty one."""
        self.autosave()
        if self.agent is not None:
            self.agent.reset()
        self.pending_conversation = None
        self.chat_id = None
        self.main.info.chat_text = "new chat"
        await self.clear_panes()
        await self.main.chat.add_notice("New conversation.")

    async def clear_panes(self) -> None:
        main = self.main
        await main.chat.clear()
        await main.thoughts.clear()
        main.tools.clear()

    def _chat_chosen(self, chat_id: int | None) -> None:
        if chat_id is not None:
            self.call_later(self.load_chat, chat_id)

    # ------------------------------------------------------------------ memory
    def refresh_memory(self, query: str = "") -> None:
        self.memory_view.refresh(query)

    def forget_memory(self, entry_id: str) -> None:
        self.memory_view.forget(entry_id)

    def on_memory_pane_search_requested(self, message: MemoryPane.SearchRequested) -> None:
        self.refresh_memory(message.query)

    def on_memory_pane_forget_requested(self, message: MemoryPane.ForgetRequested) -> None:
        self.forget_memory(message.entry_id)

    def on_memory_pane_refresh_requested(self, message: MemoryPane.RefreshRequested) -> None:
        self.refresh_memory(self.main.memory.query_text)
