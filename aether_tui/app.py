"""``aether-tui``: the Textual face of the Aether agent.

A pure view over the agent's event API. The app owns the long-lived state (the agent, settings,
chat store, pending attachments, the approval queue) and reacts to messages: the user's input, the
turn bridge's events, the memory pane's requests. The screens and widgets only display what they
are told (messages up, method calls down).

Start-up never imports torch: ``aether_core.agent`` is imported by the agent factory inside a
thread worker, so the UI paints at once with a "loading model…" state; messages typed meanwhile
are queued and sent when the model is ready.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from textual import work
from textual.actions import SkipAction
from textual.app import App
from textual.message import Message as TMessage
from textual.timer import Timer

from aether_core.fsutil import atomic_write_text, data_dir
from aether_core.segments import (
    File,
    Image,
    Message,
    SegmentError,
    Text,
    Thought,
    ToolCall,
    ToolResult,
)

from .bridge import (
    AgentEventPosted,
    ApprovalAsked,
    DeltaBatch,
    TurnBridge,
    TurnFinished,
    deny_decision,
    resolve,
)
from .commands import COMMANDS, AetherCommands, is_image_path, parse
from .screens.approval import ApprovalScreen
from .screens.chats import ChatsScreen
from .screens.help import HelpScreen
from .screens.main import MainScreen
from .settings import Settings
from .store import ChatStore, title_for
from .transcript import to_markdown
from .widgets import WIDGET_CSS
from .widgets.image import ChatImage
from .widgets.memory import MemoryPane
from .widgets.prompt import PromptInput

AgentFactory = Callable[..., Any]  # (checkpoint: str | None = None) -> agent


class BuildAgentFactory:
    """The real factory: ``aether_core.agent.build_agent`` with the settings and CLI overrides.

    Imported lazily (torch, model load) and always called from a thread worker.
    """

    def __init__(
        self,
        settings: Settings,
        checkpoint: str | None = None,
        device: str | None = None,
        approve: str | None = None,
    ) -> None:
        self.settings = settings
        self.checkpoint = checkpoint
        self.device = device
        self.approve = approve

    def __call__(self, checkpoint: str | None = None) -> Any:
        from aether_core.agent import build_agent

        return build_agent(
            checkpoint=checkpoint or self.checkpoint or self.settings.checkpoint or None,
            device=self.device or self.settings.device or "auto",
            approve=self.approve or self.settings.approval.default or "ask",
            sampling=self.settings.sampling.config(),
        )


class AgentReady(TMessage):
    def __init__(self, agent: Any, generation: int) -> None:
        super().__init__()
        self.agent = agent
        self.generation = generation


class AgentFailed(TMessage):
    def __init__(self, error: str, generation: int) -> None:
        super().__init__()
        self.error = error
        self.generation = generation


def _is_url(s: str) -> bool:
    return s.startswith(("http://", "https://"))


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
        self.agent: Any = None
        self.agent_error: str | None = None
        self.bridge: TurnBridge | None = None
        self.chat_id: int | None = None
        self.images: list[str] = []
        self.files: list[str] = []
        self.queued: deque[tuple[str, list[str], list[str]]] = deque()
        self.approvals: deque[ApprovalAsked] = deque()
        self.approval_open: tuple[ApprovalScreen, ApprovalAsked] | None = None
        self.remembered: dict[str, bool] = {}  # tool -> approved, until the app closes
        self.approval_spec: str | None = None  # /approve all|none|ask, kept across /model
        self.tool_modes: dict[str, str] = {}  # /approve TOOL, kept across /model
        self.pending_conversation: list[Message] | None = None
        self._generation = 0  # bumps on every (re)build so stale builds are ignored
        self._turn_bytes = 0
        self._turn_started = 0.0
        self._turn_over = False
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
        self._build_agent(None)

    def _theme_changed(self, theme: Any) -> None:
        name = getattr(theme, "name", str(theme))
        if name != self.settings.theme:
            self.settings.theme = name
            self._save_settings()

    def _save_settings(self) -> None:
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
    def _build_agent(self, checkpoint: str | None) -> None:
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
        sampling = getattr(agent, "sampling", None)
        for key, value in vars(self.settings.sampling).items():
            if sampling is not None and hasattr(sampling, key):
                setattr(sampling, key, value)
        if self.approval_spec is not None:
            agent.approval = type(agent.approval).from_spec(self.approval_spec)
        for tool, mode in self.tool_modes.items():
            agent.approval.set_mode(tool, mode)
        for tool, approved in self.remembered.items():
            agent.approval.remember(tool, approved)
        if self.pending_conversation is not None:
            agent.load_conversation(list(self.pending_conversation))
            self.pending_conversation = None
        info = agent.info
        self.main.info.set_model(info)
        self.main.banner.show(bool(getattr(info, "random_weights", False)))
        self.main.status.set_state("ready", "idle")
        self.main.set_waiting_hint(None)
        self.refresh_bindings()
        self.refresh_memory()
        if not self.main.chat.children and not getattr(info, "random_weights", False):
            await self.main.chat.add_notice(greeting(info, agent), "info")
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
        self._attach_image(message.path)

    async def send_message(self, text: str) -> bool:
        """Show the user's turn and run it (or queue it while the model loads)."""
        if self.generating:
            self.notify("A turn is running: wait, or press Esc to cancel it.", severity="warning")
            self.main.prompt.prefill(text)
            return False
        if not text.strip() and not (self.images or self.files):
            return False
        images, files = self.images, self.files
        self.images, self.files = [], []
        self._show_attachments()
        chat = self.main.chat
        await chat.add_user(text, [f"{Path(f).name} ({_size(f)})" for f in files])
        for img in images:
            widget = await chat.add_image(None, img, "user")
            if not _is_url(img):
                self._load_image(widget, img)
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
        main = self.main
        await main.thoughts.new_turn()
        main.tools.new_turn()
        main.memory.clear_recalled()
        self._turn_bytes = 0
        self._turn_started = time.monotonic()
        self._turn_over = False
        self.bridge = TurnBridge(self, self.agent)
        main.status.set_state("● generating…", "busy")
        if self._tick_timer is not None:
            self._tick_timer.resume()
        self.refresh_bindings()
        self.bridge.start(text, images, files)

    def _tick(self) -> None:
        """Live bytes/s in the status line while a turn runs."""
        if not self.generating or self._turn_over:
            return
        if self.approval_open is not None:
            self.main.status.set_state("⏸ waiting for your approval", "busy")
            return
        elapsed = max(1e-6, time.monotonic() - self._turn_started)
        self.main.status.set_state(
            f"● generating · {self._turn_bytes / elapsed:.0f} B/s · {elapsed:.0f}s", "busy"
        )

    @work(thread=True, group="images", exit_on_error=False)
    def _load_image(self, widget: ChatImage, path: str) -> None:
        """Decode a user image off the UI thread (large photos take a while)."""
        try:
            from PIL import Image as PILImage

            with PILImage.open(path) as im:
                im.load()
                img = im.convert("RGB") if im.mode not in ("RGB", "RGBA") else im.copy()
            if img.width > 256:
                img.thumbnail((256, 256))
            self.call_from_thread(widget.set_image, img)
        except Exception as e:  # noqa: BLE001
            self.call_from_thread(widget.set_image, None, f"(cannot show: {e})")

    # ------------------------------------------------------------------ agent events
    async def on_agent_event_posted(self, message: AgentEventPosted) -> None:
        if message.bridge is self.bridge:  # else: a turn already finished or replaced
            await self._handle_event(message.event)

    async def on_delta_batch(self, message: DeltaBatch) -> None:
        if message.bridge is self.bridge:
            for event in message.take():
                await self._handle_event(event)

    async def _handle_event(self, ev: Any) -> None:
        """Show one agent event; dispatched by class name (no agent import needed)."""
        kind = type(ev).__name__
        main = self.main
        if kind == "ThoughtDelta":
            self._turn_bytes += len(ev.text.encode())
            await main.thoughts.add_delta(ev.step, ev.text)
        elif kind == "AnswerDelta":
            self._turn_bytes += len(ev.text.encode())
            await main.chat.append_answer(ev.text)
        elif kind == "MemoryRecalled":
            main.memory.set_recalled(ev.entries)
        elif kind == "ToolCallRequested":
            main.tools.add_call(ev.call_id, ev.tool, ev.args, ev.step)
        elif kind == "ApprovalNeeded":
            main.tools.add_call(ev.call_id, ev.tool, ev.args)
            main.tools.set_status(ev.call_id, "approval", ev.tool)
        elif kind == "ToolStarted":
            main.tools.set_status(ev.call_id, "running", ev.tool)
        elif kind == "ToolResultEvent":
            main.tools.set_result(ev.call_id, ev.tool, ev.status, ev.output, ev.duration_s)
        elif kind == "ImageProduced":
            widget = await main.chat.add_image(ev.image, ev.path, "produced")
            if ev.image is None and ev.path:
                self._load_image(widget, ev.path)
        elif kind == "FileProduced":
            await main.chat.add_notice(f"📄 saved {ev.path} ({ev.kind}, {ev.size} bytes)")
        elif kind == "ErrorEvent":
            await main.chat.add_notice(ev.message, "error")
        elif kind == "Done":
            await self._turn_done(ev)

    async def _turn_done(self, done: Any) -> None:
        self._turn_over = True  # the status line now shows the turn's stats, not live ones
        if self._tick_timer is not None:
            self._tick_timer.pause()
        main = self.main
        await main.chat.end_answer(final=done.answer or None)
        if done.cancelled:
            await main.chat.add_notice("Turn cancelled.", "warning")
        main.status.set_state(
            f"{'✗ cancelled' if done.cancelled else '✓ done'} · {done.steps} steps · "
            f"{done.bytes_generated} B · {done.bytes_per_s:.1f} B/s · {done.wall_s:.1f}s",
            "idle",
        )
        self._autosave()
        self.refresh_memory()

    async def on_turn_finished(self, message: TurnFinished) -> None:
        if message.bridge is not self.bridge:
            return
        self.bridge = None
        if self._tick_timer is not None:
            self._tick_timer.pause()
        self._close_approvals(message.bridge)
        if message.error:
            await self.main.chat.end_answer()
            await self.main.chat.add_notice(f"The turn failed: {message.error}", "error")
            self.main.status.set_state("turn failed", "error")
            self._autosave()
        elif not message.saw_done:
            await self.main.chat.end_answer()
            self._autosave()
        self.refresh_bindings()
        await self._send_queued()

    # ------------------------------------------------------------------ approval
    async def on_approval_asked(self, message: ApprovalAsked) -> None:
        if message.bridge is not self.bridge or message.bridge.cancelled.is_set():
            resolve(message.reply, deny_decision())
            return
        self.approvals.append(message)
        self._next_approval()

    def _next_approval(self) -> None:
        if self.approval_open is not None:
            self.approval_open[0].set_waiting(len(self.approvals))
            return
        while self.approvals:
            asked = self.approvals.popleft()
            if asked.reply.done():
                continue
            screen = ApprovalScreen(
                asked.request, waiting=len(self.approvals), reason=self.main.thoughts.last_thought
            )
            self.approval_open = (screen, asked)
            self.main.status.set_state("⏸ waiting for your approval", "busy")
            self.push_screen(screen, callback=partial(self._approval_done, asked))
            return

    def _approval_done(self, asked: ApprovalAsked, decision: Any) -> None:
        self.approval_open = None
        if decision is None:
            decision = deny_decision()
        if decision.remember:
            self.remembered[asked.request.tool] = decision.approved
        if decision.args is not None:
            self.main.tools.set_args(asked.request.call_id, decision.args)
        resolve(asked.reply, decision)
        self._next_approval()

    def _close_approvals(self, bridge: TurnBridge) -> None:
        """Deny and close everything ``bridge`` was waiting for (cancel or end of turn)."""
        for asked in list(self.approvals):
            if asked.bridge is bridge:
                self.approvals.remove(asked)
                resolve(asked.reply, deny_decision())
        if self.approval_open is not None and self.approval_open[1].bridge is bridge:
            screen, _ = self.approval_open
            screen.dismiss(deny_decision())

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
            self._close_approvals(self.bridge)
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

    # ------------------------------------------------------------------ persistence
    def _conversation(self) -> list[Message]:
        if self.agent is not None:
            return list(self.agent.conversation)
        return list(self.pending_conversation or [])

    def _autosave(self, title: str | None = None) -> int | None:
        conversation = self._conversation()
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
        if self.generating:
            self.notify("A turn is running: Esc to cancel it first.", severity="warning")
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
            self._autosave()
        await self._clear_panes()
        await self.render_messages(messages)
        self.chat_id = chat_id
        self.main.info.chat_text = f"#{chat_id} {record.title}"
        if self.agent is not None:
            self.agent.load_conversation(messages)
        else:
            self.pending_conversation = messages
        return True

    async def _clear_panes(self) -> None:
        main = self.main
        await main.chat.clear()
        await main.thoughts.clear()
        main.tools.clear()

    async def render_messages(self, messages: list[Message]) -> None:
        """Draw a stored conversation (thoughts and tool calls go to their panes)."""
        main = self.main
        step = 0
        call = 0
        last_call: tuple[str, str] | None = None
        for m in messages:
            if m.role == "user":
                await main.thoughts.new_turn()
                main.tools.new_turn()
                step = 0
                attachments = []
                for item in m.items:
                    if isinstance(item, Image):
                        attachments.append(f"image ({len(item.data)} VQ codes)")
                    elif isinstance(item, File):
                        attachments.append(f"{item.name} ({item.kind}, {len(item.data)} bytes)")
                await main.chat.add_user(m.plain_text, attachments)
            elif m.role == "assistant":
                answer = []
                for item in m.items:
                    if isinstance(item, Thought):
                        step += 1
                        await main.thoughts.add_delta(step, item.text)
                    elif isinstance(item, ToolCall):
                        call += 1
                        try:
                            tool, args = item.parse()
                        except SegmentError:
                            tool, args = "?", {"raw": item.text}
                        last_call = (f"r{call}", tool)
                        main.tools.add_call(f"r{call}", tool, args, step or None)
                    elif isinstance(item, Text):
                        answer.append(item.text)
                    elif isinstance(item, Image):
                        await main.chat.add_notice(
                            f"[generated image: {len(item.data)} VQ codes, not redrawn on resume]"
                        )
                if "".join(answer).strip():
                    await main.chat.add_answer("".join(answer))
            elif m.role == "tool":
                for item in m.of(ToolResult):
                    if last_call is not None:
                        out = item.output.decode("utf-8", "replace")
                        status = "ok" if item.ok else "error"
                        main.tools.set_result(last_call[0], last_call[1], status, out, None)

    def _chat_chosen(self, chat_id: int | None) -> None:
        if chat_id is not None:
            self.call_later(self.load_chat, chat_id)

    # ------------------------------------------------------------------ memory
    def refresh_memory(self, query: str = "") -> None:
        if self.agent is None or getattr(self.agent, "memory", None) is None:
            self.main.memory.set_status("memory: off (no memory store)")
            return
        self._memory_worker(query)

    @work(thread=True, group="memory", exclusive=True, exit_on_error=False)
    def _memory_worker(self, query: str) -> None:
        memory = self.agent.memory if self.agent is not None else None
        if memory is None:
            return
        try:
            if query:
                hits = memory.search(query, 20)
                entries, scores = [e for e, _ in hits], [float(s) for _, s in hits]
            else:
                entries, scores = list(memory.list()), None
        except Exception as e:  # noqa: BLE001
            self.call_from_thread(self.main.memory.set_status, f"memory error: {e}")
            return
        self.call_from_thread(self.main.memory.show, entries, scores, query)

    @work(thread=True, group="memory-forget", exit_on_error=False)
    def _forget_worker(self, entry_id: str) -> None:
        memory = self.agent.memory if self.agent is not None else None
        ok = bool(memory is not None and memory.forget(entry_id))
        self.call_from_thread(self._forgot, entry_id, ok)

    def _forgot(self, entry_id: str, ok: bool) -> None:
        if ok:
            self.main.memory.remove(entry_id)
            self.notify(f"Forgot memory {entry_id}.")
        else:
            self.notify(f"No memory entry {entry_id}.", severity="warning")

    def on_memory_pane_search_requested(self, message: MemoryPane.SearchRequested) -> None:
        self.refresh_memory(message.query)

    def on_memory_pane_forget_requested(self, message: MemoryPane.ForgetRequested) -> None:
        self.forget_memory(message.entry_id)

    def on_memory_pane_refresh_requested(self, message: MemoryPane.RefreshRequested) -> None:
        self.refresh_memory(self.main.memory.query_text)

    def forget_memory(self, entry_id: str) -> None:
        if self.agent is None or getattr(self.agent, "memory", None) is None:
            self.notify("Memory is not available.", severity="warning")
            return
        self._forget_worker(entry_id)

    # ------------------------------------------------------------------ attachments
    def _show_attachments(self) -> None:
        self.main.attachments.show_attachments(self.images, self.files)

    def _attach_image(self, ref: str) -> bool:
        if not _is_url(ref):
            path = Path(ref).expanduser()
            if not path.is_file():
                self.notify(f"No such image file: {ref}", severity="error")
                return False
            if not is_image_path(path):
                self.notify(f"{path.name} does not look like an image; attaching anyway.")
            ref = str(path)
        self.images.append(ref)
        self._show_attachments()
        return True

    # ------------------------------------------------------------------ slash commands
    async def execute_slash(self, line: str) -> None:
        parsed = parse(line)
        if parsed is None:
            return
        name, arg = parsed
        handler = getattr(self, f"_cmd_{name}", None)
        if handler is None:
            names = ", ".join("/" + c.name for c in COMMANDS)
            self.notify(f"Unknown command /{name}. Commands: {names}", severity="error")
            return
        await handler(arg)

    def _busy(self) -> bool:
        if self.generating:
            self.notify("A turn is running: Esc to cancel it first.", severity="warning")
            return True
        return False

    async def _cmd_image(self, arg: str) -> None:
        if not arg:
            shown = ", ".join(self.images) or "none"
            self.notify(f"Usage: /image PATH|URL (attached: {shown})")
        elif arg == "clear":
            self.images, self.files = [], []
            self._show_attachments()
        else:
            self._attach_image(arg)

    async def _cmd_attach(self, arg: str) -> None:
        if not arg:
            self.notify("Usage: /attach PATH")
            return
        if arg == "clear":
            await self._cmd_image("clear")
            return
        path = Path(arg).expanduser()
        if not path.is_file():
            self.notify(f"No such file: {arg}", severity="error")
            return
        self.files.append(str(path))
        self._show_attachments()

    async def _cmd_help(self, arg: str) -> None:
        self.action_help()

    async def _cmd_clear(self, arg: str) -> None:
        await self._clear_panes()

    async def _cmd_new(self, arg: str) -> None:
        if self._busy():
            return
        self._autosave()
        if self.agent is not None:
            self.agent.reset()
        self.pending_conversation = None
        self.chat_id = None
        self.main.info.chat_text = "new chat"
        await self._clear_panes()
        await self.main.chat.add_notice("New conversation.")

    async def _cmd_chats(self, arg: str) -> None:
        self.action_chats()

    async def _cmd_save(self, arg: str) -> None:
        if not self._conversation():
            self.notify("Nothing to save yet.", severity="warning")
            return
        chat_id = self._autosave(title=arg or None)
        if chat_id is not None:
            self.notify(f"Saved as #{chat_id}.")

    async def _cmd_load(self, arg: str) -> None:
        if not arg:
            self.action_chats()
            return
        if arg == "latest":
            chat_id = self.store.latest()
            if chat_id is None:
                self.notify("No saved conversations.", severity="warning")
                return
        else:
            try:
                chat_id = int(arg.lstrip("#"))
            except ValueError:
                self.notify("Usage: /load [ID]", severity="error")
                return
        await self.load_chat(chat_id)

    async def _cmd_model(self, arg: str) -> None:
        if not arg:
            info = getattr(self.agent, "info", None)
            self.notify(
                f"Usage: /model DIR (now: {getattr(info, 'checkpoint', None) or 'default'})"
            )
            return
        if self._busy():
            return
        path = Path(arg).expanduser()
        if not path.exists():
            self.notify(f"No such checkpoint: {arg}", severity="error")
            return
        if self.agent is not None:
            self.pending_conversation = list(self.agent.conversation)
        await self.main.chat.add_notice(f"Switching model to {path}…")
        self._build_agent(str(path))

    async def _cmd_memory(self, arg: str) -> None:
        self.main.show_pane("memory")
        self.refresh_memory(arg)

    async def _cmd_forget(self, arg: str) -> None:
        if not arg:
            self.notify("Usage: /forget ID", severity="error")
            return
        self.forget_memory(arg)

    async def _cmd_approve(self, arg: str) -> None:
        if not arg:
            self.notify("Usage: /approve TOOL|all|none|ask", severity="error")
            return
        if self.agent is None:
            self.notify("The model is still loading.", severity="warning")
            return
        policy = self.agent.approval
        if arg in ("all", "none", "ask"):
            self.agent.approval = type(policy).from_spec(arg)
            self.approval_spec = arg
            self.tool_modes.clear()
            self.remembered.clear()
            what = {
                "all": "all tools run without asking",
                "none": "all tools are denied",
                "ask": "asking before each tool",
            }[arg]
        else:
            tools = [t.strip() for t in arg.split(",") if t.strip()]
            registry = getattr(self.agent, "tools", None)
            known = set(registry.names()) if hasattr(registry, "names") else None
            unknown = [t for t in tools if known is not None and t not in known]
            if unknown:
                self.notify(
                    f"Unknown tool {', '.join(unknown)} (tools: {', '.join(sorted(known or ()))})",
                    severity="error",
                )
                return
            for tool in tools:
                policy.set_mode(tool, "auto")
                self.tool_modes[tool] = "auto"
            what = f"{', '.join(tools)} runs without asking"
        self.notify(f"Approval: {what}.")

    async def _cmd_temp(self, arg: str) -> None:
        try:
            value = float(arg)
            if not 0.0 <= value <= 10.0:
                raise ValueError
        except ValueError:
            self.notify("Usage: /temp X with 0 ≤ X ≤ 10 (0 = greedy)", severity="error")
            return
        self.settings.sampling.temperature = value
        if self.agent is not None:
            self.agent.sampling.temperature = value
        self._save_settings()
        self.notify(f"Temperature {value:g}.")

    async def _cmd_export(self, arg: str) -> None:
        conversation = self._conversation()
        if not conversation:
            self.notify("Nothing to export yet.", severity="warning")
            return
        title = None
        if self.chat_id is not None:
            record = self.store.get(self.chat_id)
            title = record.title if record else None
        title = title or title_for(conversation)
        if arg:
            path = Path(arg).expanduser()
        else:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            path = data_dir() / "exports" / f"chat-{self.chat_id or 'new'}-{stamp}.md"
        try:
            atomic_write_text(path, to_markdown(conversation, title))
        except OSError as e:
            self.notify(f"Export failed: {e}", severity="error")
            return
        self.notify(f"Exported to {path}")

    async def _cmd_quit(self, arg: str) -> None:
        await self.action_quit()


def _size(path: str) -> str:
    try:
        n = Path(path).stat().st_size
    except OSError:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aether-tui", description="Aether: a local bytes-first multimodal agent (TUI)."
    )
    p.add_argument("--checkpoint", metavar="DIR", help="model checkpoint directory")
    p.add_argument("--device", metavar="D", help="auto, cpu, cuda, mps (default: settings/auto)")
    p.add_argument(
        "--resume",
        nargs="?",
        const="latest",
        metavar="ID",
        help="resume a saved conversation (no ID: the most recent)",
    )
    p.add_argument("--approve", metavar="SPEC", help='tool approval: ask, all, none or "calc,echo"')
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    resume: int | str | None = args.resume
    if resume not in (None, "latest"):
        try:
            resume = int(str(resume).lstrip("#"))
        except ValueError:
            print(f"aether-tui: --resume takes a chat id, not {resume!r}", file=sys.stderr)
            return 2
    settings = Settings.load()
    if settings.path is not None and not settings.path.exists() and not settings.warnings:
        try:
            settings.save()  # a file to edit, with every setting and its default
        except OSError:
            pass
    factory = BuildAgentFactory(settings, args.checkpoint, args.device, args.approve)
    app = AetherApp(agent_factory=factory, settings=settings, resume=resume)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())


def greeting(info: object, agent: object) -> str:
    """The first line of an empty chat once a trained model is loaded: what it is, what it does."""
    tools = getattr(getattr(agent, "tools", None), "names", lambda: [])()
    params = getattr(info, "params", 0)
    size = f" · {params / 1e6:.1f}M params" if params else ""
    return (
        f"Hi, I'm Aether ({getattr(info, 'name', 'model')}{size}, running locally on "
        f"{getattr(info, 'device', 'cpu')}). I can do arithmetic, tell the date and time anywhere, "
        "search the web, read a page, repeat text, describe or draw simple shapes, and remember "
        f"what you tell me. Tools: {', '.join(tools) or 'none'}. F1 lists the keys."
    )
