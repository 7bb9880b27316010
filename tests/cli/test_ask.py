"""`aether ask` prints what the agent streams: thoughts and calls on lines of their own, the
answer on its own line."""

from __future__ import annotations

import aether_core.agent as agent_pkg
from aether_core.agent.events import AnswerDelta, Done, ThoughtDelta
from aether_core.cli import build_parser


class _TwoAnswers:
    """A turn of two requests, as agent/requests.py streams it: the second answer opens with
    the space that joins it to the first."""

    def run(self, prompt, images=(), files=(), approver=None):
        yield ThoughtDelta(1, "Got the result.")
        yield AnswerDelta("That's 4.")
        yield ThoughtDelta(2, "Got the result.")
        yield AnswerDelta(" ")
        yield AnswerDelta("It's noon in Rome.")
        yield Done(2, 10, 1.0, 0.1, "That's 4. It's noon in Rome.")


def test_the_second_of_two_answers_starts_its_own_line_without_the_joining_space(
    monkeypatch, capsys
) -> None:
    monkeypatch.setattr(agent_pkg, "build_agent", lambda *a, **k: _TwoAnswers())
    args = build_parser().parse_args(["ask", "what's 2+2 and the time in Rome?", "--no-memory"])
    args.func(args)
    lines = capsys.readouterr().out.splitlines()
    assert "That's 4." in lines and "It's noon in Rome." in lines
