"""Approval policy: modes, --approve specs, the ask callback and remembered decisions."""

from __future__ import annotations

import pytest

from aether_core.agent.approval import ApprovalPolicy, ApprovalSpecError
from aether_core.agent.events import ApprovalDecision, ApprovalRequest
from aether_core.errors import AetherError

TOOLS = ["web_search", "browse_page", "calc", "time", "echo"]


def req(tool: str) -> ApprovalRequest:
    return ApprovalRequest(call_id="c1", tool=tool, args={"q": 1}, reason="because")


class Asker:
    def __init__(self, *decisions: ApprovalDecision) -> None:
        self.decisions = list(decisions)
        self.asked: list[ApprovalRequest] = []

    def __call__(self, request: ApprovalRequest) -> ApprovalDecision:
        self.asked.append(request)
        return self.decisions.pop(0)


def test_defaults() -> None:
    policy = ApprovalPolicy()
    assert [policy.mode_for(t) for t in TOOLS] == ["ask", "ask", "auto", "auto", "auto"]
    assert policy.mode_for("new_tool") == "ask"
    asker = Asker()
    assert policy.decide(req("calc"), asker).approved
    assert asker.asked == []


def test_ask_uses_callback() -> None:
    policy = ApprovalPolicy()
    edited = ApprovalDecision(approved=True, args={"query": "edited"})
    asker = Asker(edited, ApprovalDecision(approved=False, message="use calc"))
    assert policy.decide(req("web_search"), asker) is edited
    denied = policy.decide(req("web_search"), asker)
    assert not denied.approved and denied.message == "use calc"
    assert [r.tool for r in asker.asked] == ["web_search", "web_search"]


def test_no_callback_denies() -> None:
    decision = ApprovalPolicy().decide(req("browse_page"), None)
    assert not decision.approved and decision.message == "no one to approve"


def test_remember_from_decision() -> None:
    policy = ApprovalPolicy()
    asker = Asker(ApprovalDecision(approved=True, remember=True))
    assert policy.decide(req("web_search"), asker).approved
    assert policy.decide(req("web_search"), asker).approved  # not asked again
    assert len(asker.asked) == 1
    assert policy.remembered("web_search") is True
    assert policy.decide(req("browse_page"), None).approved is False  # other tools unaffected


def test_remember_deny_and_forget() -> None:
    policy = ApprovalPolicy()
    policy.remember("browse_page", False)
    decision = policy.decide(req("browse_page"), Asker())
    assert not decision.approved and "denied" in (decision.message or "")
    policy.forget("browse_page")
    assert policy.decide(req("browse_page"), Asker(ApprovalDecision(approved=True))).approved
    policy.remember("web_search", True)
    policy.forget()
    assert policy.remembered("web_search") is None


def test_deny_mode_beats_remembered() -> None:
    policy = ApprovalPolicy({"web_search": "deny"})
    policy.remember("web_search", True)
    decision = policy.decide(req("web_search"), Asker())
    assert not decision.approved and "disabled" in (decision.message or "")


def test_spec_ask() -> None:
    policy = ApprovalPolicy.from_spec("ask")
    assert [policy.mode_for(t) for t in TOOLS] == ["ask", "ask", "auto", "auto", "auto"]


def test_spec_all() -> None:
    policy = ApprovalPolicy.from_spec("ALL")
    assert {policy.mode_for(t) for t in [*TOOLS, "other"]} == {"auto"}
    assert policy.decide(req("browse_page"), None).approved


def test_spec_none() -> None:
    policy = ApprovalPolicy.from_spec("none")
    assert {policy.mode_for(t) for t in [*TOOLS, "other"]} == {"deny"}
    assert not policy.decide(req("calc"), Asker()).approved


def test_spec_list() -> None:
    policy = ApprovalPolicy.from_spec(" web_search , calc ", known_tools=TOOLS)
    assert policy.mode_for("web_search") == "auto"
    assert policy.mode_for("browse_page") == "ask"
    assert policy.mode_for("time") == "auto"


@pytest.mark.parametrize("spec", ["", " , ", "web_serch"])
def test_bad_specs(spec: str) -> None:
    with pytest.raises(ApprovalSpecError) as info:
        ApprovalPolicy.from_spec(spec, known_tools=TOOLS)
    assert isinstance(info.value, AetherError)


def test_set_mode_validates() -> None:
    policy = ApprovalPolicy()
    policy.set_mode("calc", "ask")
    assert policy.mode_for("calc") == "ask"
    with pytest.raises(ApprovalSpecError):
        policy.set_mode("calc", "maybe")  # type: ignore[arg-type]
    with pytest.raises(ApprovalSpecError):
        ApprovalPolicy({"calc": "sometimes"})  # type: ignore[dict-item]
