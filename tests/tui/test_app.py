"""Pilot tests of the TUI against the scripted fake agent."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import Future

from aether_core.agent.events import (
    AnswerDelta,
    ApprovalRequest,
    StepStarted,
    ThoughtDelta,
)
from aether_core.agent.policy import ModelInfo
from aether_core.memory import VectorMemory
from aether_tui.messages import ApprovalAsked
from aether_tui.screens.approval import ApprovalScreen
from aether_tui.screens.chats import ChatsScreen
from aether_tui.screens.help import HelpScreen
from aether_tui.settings import Settings
from aether_tui.widgets.chat import AssistantMessage, ChatNotice, UserMessage
from aether_tui.widgets.status import Banner
from tests.tui.fakes import Delay, FakeFactory, Tool
from tests.tui.helpers import ready, send, settle, type_text, wait_until
from tests.tui.real import RealFactory, answer, call, tool_then_answer


def tool_script(*tools: Tool, answer: str = "done") -> list:
    return [StepStarted(1), ThoughtDelta(1, "I need a tool."), *tools, AnswerDelta(answer)]


# ---------------------------------------------------------------------- basics
async def test_send_message_streams_answer(make_app):
    app, factory = make_app(RealFactory())
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
        assert [(t.step, t.text) for t in app.main.thoughts.steps()] == [(1, "Echo it.")]
        assert "done" in str(app.main.status.render())
        assert "aether-scripted · 12.3M params · cpu · float32" in app.main.info.model_text
        assert app.main.prompt.text == ""


async def test_thought_and_tool_call_appear_in_panes(make_app):
    app, factory = make_app(RealFactory(tool_then_answer("calc", {"expression": "6*7"}, "42")))
    async with app.run_test(size=(140, 45)) as pilot:
        await ready(pilot)
        await send(pilot, "compute")
        steps = app.main.thoughts.steps()
        assert [(s.step, s.text) for s in steps] == [(1, "I need a tool."), (2, "Now answer.")]
        assert steps[0].border_title == "Step 1"
        tools = app.main.tools
        (row,) = tools.calls.values()  # calc runs without asking (approval default: auto)
        assert (row.tool, row.status, row.output) == ("calc", "ok", "42")
        assert tools.table.row_count == 1
        cells = [str(c) for c in tools.table.get_row_at(0)]
        assert cells[1] == "calc" and '"expression":"6*7"' in cells[2] and cells[3] == "ok"
        assert cells[4].endswith("s")
        detail = str(tools.query_one("#tool-detail").render())
        assert "42" in detail and "calc" in detail
        assert app.main.chat.last_answer_text == "42"


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
    info = ModelInfo("random-init", 1000, "cpu", "float32", random_weights=True)
    app, _ = make_app(RealFactory(info=info))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        banner = app.main.query_one(Banner)
        assert banner.has_class("-visible")
        assert "aether train lm" in str(banner.render())
        assert not list(app.main.chat.query(ChatNotice))  # no greeting from an untrained model


async def test_trained_model_greets_in_an_empty_chat(make_app):
    app, _ = make_app(RealFactory())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        (notice,) = list(app.main.chat.query(ChatNotice))
        assert notice.text.startswith("Hi, I'm Aether (aether-scripted · 12.3M params")
        assert "echo" in notice.text  # the loaded agent's tools are named


async def test_import_does_not_load_torch():
    code = "import sys, aether_tui.app; sys.exit(1 if 'torch' in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()


# ---------------------------------------------------------------------- approval
async def _open_modal(pilot):
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ApprovalScreen))
    return pilot.app.screen


def by_tool_named_in_message(conversation):
    """Call the tool named in the user's message ("note" or "slow"), then answer."""
    last = conversation[-1]
    if last.role == "user":
        name = last.plain_text.split()[-1]
        return call(name, {"text": "x"} if name == "note" else {"seconds": 0})
    return answer("done")


# (tool, keys, expected decision fields, whether the tool ran, tool log status, tool output)
APPROVAL_KEYS = [
    ("note", ["y"], dict(approved=True, remember=False, args=None, message=None), "ok", "noted: x"),
    ("note", ["n"], dict(approved=False, remember=False, args=None, message=None), "denied", None),
    ("note", ["escape"], dict(approved=False, remember=False, message=None), "denied", None),
    (
        "note",
        ["t", *"use echo", "enter"],
        dict(approved=False, remember=False, message="use echo"),
        "denied",
        "denied by user: use echo",
    ),
    ("note", ["a"], dict(approved=True, remember=True, args=None, message=None), "ok", "noted: x"),
    ("slow", ["d"], dict(approved=False, remember=True, args=None, message=None), "denied", None),
]


async def test_approval_keys(make_app):
    """One turn per key (y, n, Esc, t, a, d) against the real agent, in one app session."""
    factory = RealFactory(by_tool_named_in_message)
    app, _ = make_app(factory)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        agent = factory.agent
        for i, (tool, keys, expected, status, output) in enumerate(APPROVAL_KEYS):
            await send(pilot, f"turn {i} {tool}", wait=False)
            modal = await _open_modal(pilot)
            assert modal.request.tool == tool
            assert "I need a tool." in str(modal.query_one("#approval-reason").render())
            await pilot.press(*keys)
            await wait_until(pilot, lambda: not app.generating)
            await settle(pilot)
            assert not isinstance(app.screen, ApprovalScreen), keys
            assert len(agent.decisions) == i + 1, keys
            d = agent.decisions[i]
            assert {k: getattr(d, k) for k in expected} == expected, keys
            (row,) = [r for r in app.main.tools.calls.values() if r.key.startswith(f"{i + 1}:")]
            assert row.status == status, keys
            if output is not None:
                assert row.output == output, keys
            assert app.main.chat.last_answer_text == "done"
        # "always" and "never" stick for their tools until the app closes
        assert agent.approval.remembered("note") is True
        assert agent.approval.remembered("slow") is False
        assert app.approvals.choices.remembered == {"note": True, "slow": False}
        await send(pilot, "again note")  # no modal this time
        assert len(agent.decisions) == len(APPROVAL_KEYS)
        assert list(app.main.tools.calls.values())[-1].output == "noted: x"


async def test_approval_e_edits_arguments(make_app):
    def script(conversation):
        if conversation[-1].role == "user":
            return call("note", {"text": "1+1"})
        return answer("done")

    app, factory = make_app(RealFactory(script))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "go", wait=False)
        modal = await _open_modal(pilot)
        assert modal.request.tool == "note"
        assert "I need a tool." in str(modal.query_one("#approval-reason").render())
        assert '"text": "1+1"' in modal.query_one("#approval-args").content.code
        (row,) = app.main.tools.calls.values()
        assert row.status == "approval"
        assert "approval" in str(app.main.status.render())
        await pilot.press("e", "escape")  # leave edit mode: the modal stays open
        assert modal.mode == "view" and app.screen is modal
        await pilot.press("t", "escape")  # same for tell mode
        assert modal.mode == "view" and app.screen is modal
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
        editor.load_text('{"text": "2+2"}')
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not app.generating)
        d = factory.agent.decisions[0]
        assert (d.approved, d.remember, d.args) == (True, False, {"text": "2+2"})
        assert row.args == {"text": "2+2"}
        assert row.output == "noted: 2+2"  # the tool ran with the edited arguments


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
    long = "word " * 400
    factory = RealFactory(lambda conv: answer(long), delay_s=0.005)
    app, _ = make_app(factory)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await send(pilot, "go", wait=False)
        await wait_until(
            pilot,
            lambda: (
                app.main.chat.current_answer is not None
                and len(app.main.chat.current_answer.source) > 10
            ),
        )
        assert app.generating
        started = time.monotonic()
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.generating, timeout=3)
        assert time.monotonic() - started < 2
        await settle(pilot)
        notices = [n.text for n in app.main.chat.query(ChatNotice)]
        assert "Turn cancelled." in notices
        partial = app.main.chat.last_answer_text
        assert partial and len(partial) < len(long)
        assert "cancelled" in str(app.main.status.render())
        # the conversation stayed consistent and the UI still works: another turn runs
        factory.agent.policy.script = lambda conv: answer("again")
        factory.agent.policy.delay_s = 0
        await send(pilot, "next")
        assert app.main.chat.last_answer_text == "again"


async def test_cancel_during_tool_with_ctrl_c(make_app):
    factory = RealFactory(tool_then_answer("slow", {"seconds": 30}), approve="all")
    app, _ = make_app(factory)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await send(pilot, "go", wait=False)
        await wait_until(
            pilot, lambda: any(r.status == "running" for r in app.main.tools.calls.values())
        )
        assert factory.slow.started.wait(2)
        started = time.monotonic()
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: not app.generating, timeout=3)
        assert time.monotonic() - started < 2
        await settle(pilot)
        (row,) = app.main.tools.calls.values()
        assert row.status == "cancelled"
        assert factory.agent.conversation[-1].role == "tool"  # consistent: the call got a result


async def test_cancel_while_approval_is_open(make_app):
    factory = RealFactory(tool_then_answer("note", {"text": "x"}))
    app, _ = make_app(factory)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await send(pilot, "go", wait=False)
        await _open_modal(pilot)
        app.action_cancel_turn()  # e.g. from the command palette
        await wait_until(pilot, lambda: not app.generating, timeout=3)
        await settle(pilot)
        assert not isinstance(app.screen, ApprovalScreen)
        assert factory.agent.decisions[0].approved is False
        (row,) = app.main.tools.calls.values()
        assert row.status in ("approval", "denied")  # never ran
        assert "Turn cancelled." in [n.text for n in app.main.chat.query(ChatNotice)]


async def test_escape_does_nothing_when_idle(make_app):
    app, factory = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert app.check_action("cancel_turn", ()) is False
        await pilot.press("escape")
        assert not factory.agent._cancel.is_set()


# ---------------------------------------------------------------------- memory
async def test_memory_pane_recall_search_forget(make_app):
    memory = VectorMemory(None)
    cats = memory.add("the user likes cats", kind="fact")
    byte = memory.add("Aether is bytes-first", kind="fact")
    pixel = memory.add("cats are called Pixel", kind="fact")
    app, factory = make_app(RealFactory(memory=memory))
    async with app.run_test(size=(140, 45)) as pilot:
        await ready(pilot)
        await settle(pilot)
        pane = app.main.memory
        assert pane.table.row_count == 3

        def ids() -> list[str]:
            return [str(pane.table.get_row_at(i)[1]) for i in range(pane.table.row_count)]

        await send(pilot, "the user likes cats")
        # the recalled entries come first, highlighted, with their scores
        assert set(pane.recalled) >= {cats.id}
        first = pane.table.get_row_at(0)
        assert str(first[1]) == cats.id and str(first[0]).startswith("★1.00")
        assert "reverse" in str(first[3].style)
        assert byte.id not in pane.recalled
        # search
        search = pane.query_one("#memory-search")
        search.focus()
        await pilot.press(*"Pixel", "enter")
        await settle(pilot)
        assert ids()[0] == pixel.id
        assert "match" in str(pane.query_one("#memory-status").render())
        # forget the highlighted row with x
        search.value = ""
        search.focus()
        await pilot.press("enter")  # empty search: list everything
        await settle(pilot)
        pane.table.focus()
        pane.table.move_cursor(row=ids().index(byte.id))
        await pilot.press("x")
        await settle(pilot)
        assert memory.get(byte.id) is None
        assert byte.id not in ids()
        # /forget and /memory commands
        await send(pilot, f"/forget {pixel.id}", wait=False)
        await settle(pilot)
        assert memory.get(pixel.id) is None
        await send(pilot, "/memory", wait=False)
        await settle(pilot)
        assert pixel.id not in ids() and cats.id in ids()


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
    settings.sampling.temperature = 0.2
    settings.sampling.top_k = 7
    app, factory = make_app(settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        agent = factory.agent
        # settings reach the agent when it is ready
        assert (agent.sampling.temperature, agent.sampling.top_k) == (0.2, 7)
        # a theme change (palette, ctrl+p) is saved
        app.theme = "nord"
        await pilot.pause()
        assert Settings.load(tmp_path / "tui.toml").theme == "nord"
        await send(pilot, "/temp 0.3", wait=False)
        assert agent.sampling.temperature == 0.3
        assert Settings.load(tmp_path / "tui.toml").sampling.temperature == 0.3
        await send(pilot, "/approve note", wait=False)
        assert agent.approval.mode_for("note") == "auto"
        await send(pilot, "/approve bogus", wait=False)  # unknown tool: refused
        assert (
            agent.approval.mode_for("bogus") == "ask"
            and "bogus" not in app.approvals.choices.tool_modes
        )
        await send(pilot, "/approve none", wait=False)
        assert app.agent.approval.mode_for("anything") == "deny"
        await send(pilot, "/approve ask", wait=False)
        assert app.agent.approval.mode_for("note") == "ask"
        await send(pilot, "/temp hot", wait=False)
        assert agent.sampling.temperature == 0.3
        await send(pilot, "/sampler entropy", wait=False)
        assert agent.sampling.sampler == "entropy"
        assert Settings.load(tmp_path / "tui.toml").sampling.sampler == "entropy"
        await send(pilot, "/sampler wild", wait=False)  # unknown: refused, nothing changes
        assert agent.sampling.sampler == "entropy"
        # /attach: any file goes to the agent as bytes
        data = tmp_path / "notes.txt"
        data.write_text("some notes")
        await send(pilot, f"/attach {data}", wait=False)
        assert app.attached.files == [str(data)]
        await send(pilot, "hi")
        assert agent.runs[-1]["files"] == [str(data)]
        (user,) = app.main.chat.query(UserMessage)
        assert "notes.txt (10 B)" in str(user.render())
        from aether_core.segments import File

        assert agent.conversation[1].of(File)[0].data == b"some notes"
        assert len(agent.conversation) == 3
        await send(pilot, "/new", wait=False)
        await settle(pilot)
        assert [m.role for m in agent.conversation] == ["system"] and app.chat_id is None
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
        await wait_until(pilot, lambda: len(factory.agent.conversation) == 1)  # /new ran


async def test_model_switch_rebuilds_agent_and_keeps_conversation(make_app, tmp_path):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    app, factory = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await send(pilot, "before")
        await send(pilot, "/approve note", wait=False)
        old = factory.agent
        await send(pilot, f"/model {ckpt}", wait=False)
        await wait_until(pilot, lambda: app.agent is not None and app.agent is not old)
        assert factory.calls == [None, str(ckpt)]
        assert app.agent.conversation == old.conversation
        assert app.agent.approval.mode_for("note") == "auto"  # session choices carry over
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
        # rename the most recent chat (row 0), then delete it (x twice)
        await pilot.press("r", "ctrl+u", *"Renamed", "enter")
        assert store.get(app.chat_id).title == "Renamed"
        await pilot.press("x")
        assert screen.table.row_count == 2  # asks for confirmation first
        await pilot.press("x")
        assert screen.table.row_count == 1 and store.get(app.chat_id) is None
        # search, then resume the remaining (first) chat with Enter
        await pilot.press("slash", *"first", "enter")
        assert screen.table.row_count == 1
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.chat_id == first_id)
        await settle(pilot)
        assert [u.text for u in app.main.chat.query(UserMessage)] == ["first chat"]
        assert factory.agent.conversation == store.load_messages(first_id)


async def test_control_characters_never_reach_the_terminal(make_app):
    script = [
        StepStarted(1),
        ThoughtDelta(1, "bell\x07 esc\x1b[2J"),
        AnswerDelta("clear\x1b[2J screen\x08!"),
    ]
    app, _ = make_app(FakeFactory(script=script))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await send(pilot, "x\x1by")
        answer_text = app.main.chat.last_answer_text
        assert "\x1b" not in answer_text and "\x08" not in answer_text
        assert answer_text == "clear\ufffd[2J screen\ufffd!"
        assert "\x07" not in app.main.thoughts.last_thought
        (user,) = app.main.chat.query(UserMessage)
        assert "\x1b" not in str(user.render())
