"""Pilot tests of the TUI against the scripted fake agent."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import Future

from aether_core.agent.events import (
    AnswerDelta,
    ApprovalRequest,
    MemoryRecalled,
    StepStarted,
    ThoughtDelta,
)
from aether_tui.bridge import ApprovalAsked
from aether_tui.screens.approval import ApprovalScreen
from aether_tui.screens.chats import ChatsScreen
from aether_tui.screens.help import HelpScreen
from aether_tui.settings import Settings
from aether_tui.widgets.chat import AssistantMessage, ChatNotice, UserMessage
from aether_tui.widgets.status import Banner
from tests.tui.fakes import Delay, FakeFactory, FakeInfo, FakeMemory, MemoryEntry, Tool
from tests.tui.helpers import ready, send, settle, type_text, wait_until


def tool_script(*tools: Tool, answer: str = "done") -> list:
    return [StepStarted(1), ThoughtDelta(1, "I need a tool."), *tools, AnswerDelta(answer)]


# ---------------------------------------------------------------------- basics
async def test_send_message_streams_answer(make_app):
    app, factory = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "hello")
        chat = app.main.chat
        users = list(chat.query(UserMessage))
        answers = list(chat.query(AssistantMessage))
        assert [u.text for u in users] == ["hello"]
        assert len(answers) == 1
        assert answers[0].source == "You said: **hello**"
        assert answers[0].finished
        # markdown was rendered: the bold markers are not in the rendered text
        assert answers[0].markdown.source == "You said: **hello**"
        assert factory.agent.runs == [{"text": "hello", "images": [], "files": []}]
        assert "done" in str(app.main.status.render())
        assert app.main.prompt.text == ""


async def test_thought_and_tool_call_appear_in_panes(make_app):
    script = tool_script(Tool("calc", {"expr": "6*7"}, output="42", duration=0.01))
    app, factory = make_app(FakeFactory(script=script, approve="all"))
    async with app.run_test(size=(140, 45)) as pilot:
        await ready(pilot)
        await send(pilot, "compute")
        steps = app.main.thoughts.steps()
        assert [(s.step, s.text) for s in steps] == [(1, "I need a tool.")]
        assert steps[0].border_title == "Step 1"
        tools = app.main.tools
        row = tools.row("c1")
        assert row is not None and row.status == "ok" and row.output == "42"
        assert tools.table.row_count == 1
        cells = [str(c) for c in tools.table.get_row_at(0)]
        assert cells[1] == "calc" and '"expr":"6*7"' in cells[2] and cells[3] == "ok"
        assert cells[4] == "0.01s"
        detail = str(tools.query_one("#tool-detail").render())
        assert "42" in detail and "calc" in detail
        assert factory.agent.executed == [("calc", {"expr": "6*7"})]


async def test_loading_state_queues_first_message(make_app):
    factory = FakeFactory(delay=10.0)
    app, _ = make_app(factory)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.agent is None
        assert "loading" in app.main.info.model_text
        await type_text(pilot, "early bird")
        await pilot.press("enter")
        assert len(app.queued) == 1
        assert [u.text for u in app.main.chat.query(UserMessage)] == ["early bird"]
        factory.release.set()  # the model finishes loading
        await wait_until(pilot, lambda: bool(factory.agents) and factory.agent.runs != [])
        await wait_until(pilot, lambda: not app.generating and not app.queued)
        await settle(pilot)
        assert factory.agent.runs[0]["text"] == "early bird"
        assert app.main.chat.last_answer_text == "You said: **early bird**"
        assert "aether-fake" in app.main.info.model_text


async def test_random_weights_banner(make_app):
    app, _ = make_app(FakeFactory(info=FakeInfo(random_weights=True)))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        banner = app.main.query_one(Banner)
        assert banner.has_class("-visible")
        assert "aether train lm" in str(banner.render())


async def test_import_does_not_load_torch():
    code = "import sys, aether_tui.app; sys.exit(1 if 'torch' in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()


# ---------------------------------------------------------------------- approval
async def _open_modal(pilot):
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ApprovalScreen))
    return pilot.app.screen


async def test_approval_modal_shows_request(make_app):
    app, factory = make_app(FakeFactory(script=tool_script(Tool("calc", {"expr": "1+1"}))))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "go", wait=False)
        modal = await _open_modal(pilot)
        assert modal.request.tool == "calc"
        # no reason in the request: the last thought is shown instead
        assert "I need a tool." in str(modal.query_one("#approval-reason").render())
        assert '"expr": "1+1"' in modal.query_one("#approval-args").content.code
        assert app.main.tools.row("c1").status == "approval"
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.generating)


async def _decide(make_app, keys: list[str], check) -> None:
    """Run a turn with one tool call, answer the modal with ``keys``, then ``check(app, agent)``."""
    tool = Tool("calc", {"expr": "1+1"}, reason="adding", output="2")
    app, factory = make_app(FakeFactory(script=tool_script(tool)))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "go", wait=False)
        modal = await _open_modal(pilot)
        assert "adding" in str(modal.query_one("#approval-reason").render())
        await pilot.press(*keys)
        await wait_until(pilot, lambda: not app.generating)
        await settle(pilot)
        assert not isinstance(app.screen, ApprovalScreen)
        assert len(factory.agent.decisions) == 1
        check(app, factory.agent)


async def test_approval_y_approves_once(make_app):
    def check(app, agent):
        d = agent.decisions[0]
        assert (d.approved, d.remember, d.args, d.message) == (True, False, None, None)
        assert agent.executed == [("calc", {"expr": "1+1"})]
        assert app.main.tools.row("c1").status == "ok"
        assert agent.approval.mode("calc") == "ask"

    await _decide(make_app, ["y"], check)


async def test_approval_a_always_approves(make_app):
    def check(app, agent):
        d = agent.decisions[0]
        assert (d.approved, d.remember) == (True, True)
        assert agent.approval.mode("calc") == "auto"
        assert app.remembered == {"calc": True}

    await _decide(make_app, ["a"], check)


async def test_approval_n_denies_once(make_app):
    def check(app, agent):
        d = agent.decisions[0]
        assert (d.approved, d.remember, d.message) == (False, False, None)
        assert agent.executed == []
        assert app.main.tools.row("c1").status == "denied"

    await _decide(make_app, ["n"], check)


async def test_approval_d_always_denies(make_app):
    def check(app, agent):
        d = agent.decisions[0]
        assert (d.approved, d.remember) == (False, True)
        assert agent.approval.mode("calc") == "deny"
        assert app.remembered == {"calc": False}

    await _decide(make_app, ["d"], check)


async def test_approval_escape_denies(make_app):
    def check(app, agent):
        d = agent.decisions[0]
        assert (d.approved, d.remember, d.args, d.message) == (False, False, None, None)
        assert agent.executed == []

    await _decide(make_app, ["escape"], check)


async def test_approval_t_denies_with_message(make_app):
    def check(app, agent):
        d = agent.decisions[0]
        assert (d.approved, d.remember, d.message) == (False, False, "use echo")
        assert app.main.tools.row("c1").output == "use echo"

    await _decide(make_app, ["t", *"use echo", "enter"], check)


async def test_approval_e_edits_arguments(make_app):
    tool = Tool("calc", {"expr": "1+1"}, output="4")
    app, factory = make_app(FakeFactory(script=tool_script(tool)))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "go", wait=False)
        modal = await _open_modal(pilot)
        await pilot.press("e")
        editor = modal.query_one("#approval-editor")
        assert modal.mode == "edit" and editor.has_focus
        editor.load_text('{"expr": ')  # invalid JSON: an error, the modal stays open
        await pilot.press("ctrl+s")
        error = modal.query_one("#approval-error")
        assert error.has_class("-visible") and "Invalid JSON" in str(error.render())
        assert app.screen is modal
        editor.load_text("[1, 2]")  # valid JSON, but not an object
        await pilot.press("ctrl+s")
        assert app.screen is modal and "object" in str(error.render())
        editor.load_text('{"expr": "2+2"}')
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not app.generating)
        d = factory.agent.decisions[0]
        assert (d.approved, d.args) == (True, {"expr": "2+2"})
        assert factory.agent.executed == [("calc", {"expr": "2+2"})]
        assert app.main.tools.row("c1").args == {"expr": "2+2"}


async def test_approval_edit_escape_returns_to_view(make_app):
    app, factory = make_app(FakeFactory(script=tool_script(Tool("calc", {"expr": "1"}))))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "go", wait=False)
        modal = await _open_modal(pilot)
        await pilot.press("e", "escape")  # leave edit mode, modal still open
        assert modal.mode == "view" and app.screen is modal
        await pilot.press("t", "escape")  # same for tell mode
        assert modal.mode == "view" and app.screen is modal
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.generating)
        assert factory.agent.decisions[0].approved


async def test_approval_requests_are_queued_one_at_a_time(make_app):
    app, factory = make_app(FakeFactory(script=[Delay(10)]))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "go", wait=False)
        await wait_until(pilot, lambda: app.bridge is not None)
        replies = [Future(), Future()]
        for i, reply in enumerate(replies):
            req = ApprovalRequest(f"q{i}", f"tool{i}", {"i": i}, "why")
            app.post_message(ApprovalAsked(req, reply, app.bridge))
        first = await _open_modal(pilot)
        assert first.request.tool == "tool0"
        assert first.query_one("#approval-dialog").border_subtitle == "1 more waiting"
        await pilot.press("y")
        await wait_until(
            pilot, lambda: isinstance(app.screen, ApprovalScreen) and app.screen is not first
        )
        assert app.screen.request.tool == "tool1"
        assert replies[0].result().approved is True
        assert not replies[1].done()
        await pilot.press("n")
        await wait_until(pilot, lambda: replies[1].done())
        assert replies[1].result().approved is False
        await pilot.press("escape")  # cancel the (still sleeping) turn
        await wait_until(pilot, lambda: not app.generating)


# ---------------------------------------------------------------------- cancellation
async def test_cancel_during_generation(make_app):
    script = [StepStarted(1), AnswerDelta("partial "), Delay(30), AnswerDelta("never")]
    app, factory = make_app(FakeFactory(script=script))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "go", wait=False)
        await wait_until(pilot, lambda: app.main.chat.current_answer is not None)
        assert app.generating
        started = time.monotonic()
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.generating, timeout=3)
        assert time.monotonic() - started < 2
        await settle(pilot)
        assert factory.agent.cancels == 1
        notices = [n.text for n in app.main.chat.query(ChatNotice)]
        assert "Turn cancelled." in notices
        assert app.main.chat.last_answer_text == "partial "
        assert "cancelled" in str(app.main.status.render())
        # the UI still works: another turn runs normally
        factory.agent.script = [AnswerDelta("again")]
        await send(pilot, "next")
        assert app.main.chat.last_answer_text == "again"


async def test_cancel_during_tool_with_ctrl_c(make_app):
    script = tool_script(Tool("slow", {}, duration=30))
    app, factory = make_app(FakeFactory(script=script, approve="all"))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "go", wait=False)
        await wait_until(pilot, lambda: (r := app.main.tools.row("c1")) and r.status == "running")
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: not app.generating, timeout=3)
        await settle(pilot)
        assert app.main.tools.row("c1").status == "cancelled"
        assert factory.agent.cancels == 1


async def test_cancel_while_approval_is_open(make_app):
    app, factory = make_app(FakeFactory(script=tool_script(Tool("calc", {}))))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "go", wait=False)
        await _open_modal(pilot)
        app.action_cancel_turn()  # e.g. from the command palette
        await wait_until(pilot, lambda: not app.generating, timeout=3)
        await settle(pilot)
        assert not isinstance(app.screen, ApprovalScreen)
        assert factory.agent.decisions[0].approved is False
        assert factory.agent.executed == []


async def test_escape_does_nothing_when_idle(make_app):
    app, factory = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert app.check_action("cancel_turn", ()) is False
        await pilot.press("escape")
        assert factory.agent.cancels == 0


# ---------------------------------------------------------------------- memory
async def test_memory_pane_recall_search_forget(make_app):
    memory = FakeMemory(
        [
            MemoryEntry("m1", "the user likes cats"),
            MemoryEntry("m2", "Aether is bytes-first", "fact"),
            MemoryEntry("m3", "cats are called Pixel"),
        ]
    )
    script = [MemoryRecalled((("m2", "Aether is bytes-first", 0.875),)), AnswerDelta("ok")]
    app, factory = make_app(FakeFactory(script=script, memory=memory))
    async with app.run_test(size=(140, 45)) as pilot:
        await ready(pilot)
        await settle(pilot)
        pane = app.main.memory
        assert pane.table.row_count == 3
        await send(pilot, "recall")
        # the recalled entry is first and highlighted
        first = pane.table.get_row_at(0)
        assert str(first[1]) == "m2" and "★" in str(first[0]) and "0.88" in str(first[0])
        assert "reverse" in str(first[3].style)
        # search
        search = pane.query_one("#memory-search")
        search.focus()
        await pilot.press(*"cats", "enter")
        await settle(pilot)
        ids = [str(pane.table.get_row_at(i)[1]) for i in range(pane.table.row_count)]
        assert set(ids) == {"m1", "m3"}
        assert "match" in str(pane.query_one("#memory-status").render())
        # forget the highlighted row with x
        pane.table.focus()
        pane.table.move_cursor(row=ids.index("m1"))
        await pilot.press("x")
        await settle(pilot)
        assert memory.forgotten == ["m1"]
        ids = [str(pane.table.get_row_at(i)[1]) for i in range(pane.table.row_count)]
        assert "m1" not in ids
        # /forget and /memory commands
        await send(pilot, "/forget m3", wait=False)
        await settle(pilot)
        assert memory.forgotten == ["m1", "m3"]
        await send(pilot, "/memory", wait=False)
        await settle(pilot)
        assert pane.table.row_count == 1


# ---------------------------------------------------------------------- input
async def test_history_and_newline_keys(make_app):
    app, factory = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "first")
        await send(pilot, "second")
        prompt = app.main.prompt
        prompt.focus()
        await pilot.press("up")
        assert prompt.text == "second"
        await pilot.press("up")
        assert prompt.text == "first"
        await pilot.press("down")
        assert prompt.text == "second"
        await pilot.press("down")
        assert prompt.text == ""
        await pilot.press(*"a", "ctrl+j", "b")
        assert prompt.text == "a\nb"
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(factory.agent.runs) == 3)
        assert factory.agent.runs[-1]["text"] == "a\nb"
        await wait_until(pilot, lambda: not app.generating)


async def test_enter_sends_can_be_swapped(make_app):
    settings = Settings(enter_sends=False)
    app, factory = make_app(settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        prompt = app.main.prompt
        prompt.focus()
        await pilot.press("a", "enter", "b")
        assert prompt.text == "a\nb"
        await pilot.press("ctrl+j")
        await wait_until(pilot, lambda: bool(factory.agent.runs))
        assert factory.agent.runs[0]["text"] == "a\nb"
        await wait_until(pilot, lambda: not app.generating)


async def test_slash_completion_suggestion(make_app):
    app, _ = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        prompt = app.main.prompt
        prompt.focus()
        await pilot.press(*"/cha")
        assert prompt.suggestion == "ts"
        await pilot.press("tab")
        assert prompt.text == "/chats"
        prompt.clear()
        await pilot.press(*"/approve a")
        assert prompt.suggestion == "ll"


async def test_unknown_command_is_not_sent(make_app):
    app, factory = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "/bogus", wait=False)
        await settle(pilot)
        assert factory.agent.runs == []
        await send(pilot, "//not a command")
        assert factory.agent.runs[0]["text"] == "/not a command"


async def test_commands_temp_approve_new_help(make_app, tmp_path):
    settings = Settings(path=tmp_path / "tui.toml")
    app, factory = make_app(settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        agent = factory.agent
        await send(pilot, "/temp 0.3", wait=False)
        assert agent.sampling.temperature == 0.3
        assert Settings.load(tmp_path / "tui.toml").sampling.temperature == 0.3
        await send(pilot, "/approve calc", wait=False)
        assert agent.approval.mode("calc") == "auto"
        await send(pilot, "/approve none", wait=False)
        assert agent.approval.mode("anything") == "deny"
        await send(pilot, "hi")
        await send(pilot, "/new", wait=False)
        await settle(pilot)
        assert agent.resets == 1 and app.chat_id is None
        assert not list(app.main.chat.query(UserMessage))
        await send(pilot, "/help", wait=False)
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_copy_last_answer(make_app):
    app, _ = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "copy me")
        await pilot.press("f6")
        assert app.clipboard == "You said: **copy me**"


async def test_toggle_thoughts_and_panes(make_app):
    app, _ = make_app()
    async with app.run_test(size=(140, 45)) as pilot:
        await ready(pilot)
        main = app.main
        assert not main.tabbed
        pane = main.query_one("#thoughts-pane")
        assert pane.display and main.query_one("#tools-pane").display
        await pilot.press("f2")
        await pilot.pause()
        assert main.query_one("#thoughts-pane").styles.display == "none"
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert main.query_one("#thoughts-pane").styles.display == "block"
        for key in ("f2", "f3", "f4"):
            await pilot.press(key)
        await pilot.pause()
        assert main.query_one("#side").styles.display == "none"
        assert main.query_one("#chat-pane").region.width > 130


async def test_small_terminal_uses_tabs(make_app):
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        main = app.main
        assert main.tabbed
        tabs = main.query_one("#pane-tabs")
        assert tabs.display and tabs.region.height > 0
        chat, side = main.query_one("#chat-pane"), main.query_one("#side")
        assert chat.region.width >= 78 and side.styles.display == "none"
        await send(pilot, "hello")
        await pilot.press("f2")  # switch to the thoughts tab
        await pilot.pause()
        assert main.active_tab == "thoughts"
        assert chat.styles.display == "none"
        thoughts = main.query_one("#thoughts-pane")
        assert thoughts.region.width >= 78 and thoughts.region.height > 5
        assert main.query_one("#tools-pane").styles.display == "none"
        await pilot.press("f2")  # again: back to the chat
        await pilot.pause()
        assert main.active_tab == "chat" and chat.styles.display == "block"
        await pilot.press("f4")
        await pilot.pause()
        assert main.query_one("#memory-pane").region.height > 5
        # everything still fits: input and footer are on screen
        assert main.prompt.region.bottom <= 23
        await pilot.resize_terminal(140, 45)
        await pilot.pause()
        assert not main.tabbed and main.query_one("#thoughts-pane").region.width > 0


async def test_command_palette_lists_actions(make_app):
    app, factory = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "hi")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"New conversation")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: factory.agent.resets == 1)


async def test_model_switch_rebuilds_agent_and_keeps_conversation(make_app, tmp_path):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    app, factory = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "before")
        old = factory.agent
        await send(pilot, f"/model {ckpt}", wait=False)
        await wait_until(pilot, lambda: app.agent is not None and app.agent is not old)
        assert factory.calls == [None, str(ckpt)]
        assert app.agent.loaded == [old.conversation]
        assert "ckpt" in app.main.info.model_text


async def test_chats_screen_resumes(make_app, store):
    app, factory = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "first chat")
        first_id = app.chat_id
        await send(pilot, "/new", wait=False)
        await send(pilot, "second chat")
        assert app.chat_id != first_id
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatsScreen))
        screen = app.screen
        assert screen.table.row_count == 2
        screen.table.move_cursor(row=1)  # most recent first: row 1 is the first chat
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.chat_id == first_id)
        await settle(pilot)
        assert [u.text for u in app.main.chat.query(UserMessage)] == ["first chat"]
        assert factory.agent.loaded[-1] == store.load_messages(first_id)
