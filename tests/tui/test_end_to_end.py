"""The real app with a real (tiny, random-weight) model on CPU: type, get an answer, quit."""

from __future__ import annotations

from aether_core.agent import build_agent
from aether_core.config import ModelConfig, ViTConfig
from aether_tui.widgets.chat import AssistantMessage
from tests.tui.helpers import ready, send, wait_until

TINY = ModelConfig(
    dim=32,
    n_layers=1,
    n_heads=2,
    max_seq_len=1024,
    vision=ViTConfig(dim=16, n_layers=1, n_heads=2, n_queries=4),
)


async def test_real_tiny_model_answers_then_quit(make_app, tmp_path):
    def factory(checkpoint: str | None = None):
        agent = build_agent(model_config=TINY, memory_path=str(tmp_path / "mem"), seed=0)
        agent.config.max_answer_bytes = 40
        agent.config.max_thought_bytes = 20
        return agent

    app, _ = make_app(factory)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert "random-init" in app.main.info.model_text
        await send(pilot, "hello there")
        await wait_until(
            pilot,
            lambda: any(a.finished for a in app.main.chat.query(AssistantMessage)),
            timeout=60,
        )
        [answer] = list(app.main.chat.query(AssistantMessage))
        assert answer.finished
        roles = [m.role for m in app.agent.conversation]
        assert roles[:2] == ["system", "user"] and roles[-1] in ("assistant", "tool")
        await pilot.press("ctrl+q")
    assert app.return_code in (0, None)
