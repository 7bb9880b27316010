"""AetherAgent: one user turn as a sequence of think/act steps over the byte-token stream.

Each step the policy writes a thought, then a tool call or the answer (under ``StepGrammar``).
Calls go through the approval policy and the tool sandbox; results come back as TOOL_RESULT
segments. Everything the UI needs arrives as events from ``run()``; ``cancel()`` may be called
from any thread and leaves the conversation consistent (only whole steps are kept).
"""

from __future__ import annotations

import codecs
import itertools
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import dialogue
from ..errors import AetherError
from ..files import MAX_FILE_BYTES
from ..sampling import SamplingConfig
from ..segments import Image, Message, SegmentError, Text, Thought, ToolCall
from ..vocab import Tok
from .call_grammar import tool_arg_types
from .constrain import Phase, StepGrammar
from .context import ContextOverflow, fit_context, step_reserve
from .copying import RATE as COPY_RATE
from .copying import CopyPrior, copy_sources
from .drawing import held_thought, read_request
from .events import (
    AnswerDelta,
    ApprovalDecision,
    ApprovalNeeded,
    ApprovalRequest,
    Done,
    ErrorEvent,
    Event,
    MemoryRecalled,
    StepStarted,
    ThoughtDelta,
    ToolCallRequested,
    ToolResultEvent,
    ToolStarted,
)
from .limits import MAX_ANSWER_BYTES, MAX_STEPS, MAX_THOUGHT_BYTES
from .media import Media, file_from_payload
from .requests import Routed, TwoRequests
from .routing import Routing, no_answer, renamed, repeated
from .seeing import MAX_HELD_ANSWER, asked_thought, held_caption

Approver = Callable[[ApprovalRequest], ApprovalDecision]
# phases that show a step is not a tool call (a part's route stops there)
_NOT_A_CALL = frozenset({Phase.ANSWER, Phase.IMG_LEN, Phase.FILE_LEN, Phase.DONE})


@dataclass
class AgentConfig:
    max_steps: int = MAX_STEPS
    system_prompt: str = dialogue.SYSTEM_PROMPT
    max_thought_bytes: int = MAX_THOUGHT_BYTES
    max_answer_bytes: int = MAX_ANSWER_BYTES
    max_file_bytes: int = MAX_FILE_BYTES  # user-attached files (bigger: a clear error)
    memory_k: int = 3
    memory_min_score: float = 0.1
    # a memory scoring under this share of the best one's is about something else: a small model
    # quoted "my favourite movie is Paddington" (0.24) for "which colour I like best" (0.42)
    memory_share: float = 0.65
    # a fact recalled at least this close to the question is one the model answers from: it
    # thought "Not in my memory." for "what's my fave food" with "my fav food is sushi" (0.56).
    # On generated questions the fact scores this much 67% of the time, the best of facts about
    # something else 0.7% (training-half memory prompts)
    memory_sure: float = 0.4
    store_summaries: bool = True
    tool_timeout_s: float | None = None  # None: the sandbox's own limit
    out_dir: Path | None = None
    copy_prior: float = COPY_RATE  # weight per matched byte of the copy prior; 0: off
    split_requests: bool = True  # two requests in one message: a sub-turn each (requests.py)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)  # defaults: decoding.py


class _Cancelled(Exception):
    pass


class AetherAgent(TwoRequests, Media, Routing):
    def __init__(
        self,
        policy: Any,
        tools: Any,
        *,
        approval: Any,
        sandbox: Any = None,
        memory: Any = None,
        vq: Any = None,
        config: AgentConfig | None = None,
        redactor: Any = None,
        net_policy: Any = None,
    ) -> None:
        from ..redact import Redactor
        from ..tools.sandbox import ToolSandbox

        self.policy = policy
        self.tools = tools
        self.approval = approval
        self.sandbox = sandbox or ToolSandbox()
        self.memory = memory
        self.vq = vq
        self.config = config or AgentConfig()
        self.sampling = self.config.sampling
        self.redactor = redactor or Redactor()
        self.net_policy = net_policy
        self._conversation: list[Message] = [dialogue.system_message(self.config.system_prompt)]
        self._pixels: dict[bytes, Any] = {}  # VQ codes -> pixel tensor the ViT sees
        self._recall = 0.0  # the best score of the facts recalled into this turn
        self._cancel = threading.Event()
        self._running = threading.Lock()
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ public surface
    @property
    def info(self) -> Any:
        return self.policy.info

    @property
    def conversation(self) -> list[Message]:
        return list(self._conversation)

    def reset(self) -> None:
        self._conversation = [dialogue.system_message(self.config.system_prompt)]

    def load_conversation(self, messages: Sequence[Message]) -> None:
        msgs = list(messages)
        if not msgs or msgs[0].role != "system":
            msgs.insert(0, dialogue.system_message(self.config.system_prompt))
        self._conversation = msgs

    def cancel(self) -> None:
        self._cancel.set()

    def fork(self, config: AgentConfig | None = None, policy: Any = None) -> AetherAgent:
        """A new agent with its own conversation on this one's policy (model), tools, approval,
        sandbox, memory and image codec: one per client when a server shares one model."""
        return AetherAgent(
            policy or self.policy,
            self.tools,
            approval=self.approval,
            sandbox=self.sandbox,
            memory=self.memory,
            vq=self.vq,
            config=config or self.config,
            redactor=self.redactor,
            net_policy=self.net_policy,
        )

    def run(
        self,
        text: str,
        *,
        images: Sequence[str | bytes] = (),
        files: Sequence[str] = (),
        approver: Approver | None = None,
    ) -> Iterator[Event]:
        """Run one user turn; yields events and always ends with ``Done``. ``images`` are paths,
        http(s) URLs or the bytes of image files."""
        if not self._running.acquire(blocking=False):
            raise AetherError("a turn is already running on this agent")
        try:
            self._cancel.clear()
            yield from self._run(text, images, files, approver)
        finally:
            self._running.release()

    # ------------------------------------------------------------------ the turn
    def _run(
        self,
        text: str,
        images: Sequence[str | bytes],
        files: Sequence[str],
        approver: Approver | None,
    ) -> Iterator[Event]:
        t0 = time.perf_counter()
        stats = {"steps": 0, "bytes": 0, "gen_s": 0.0}
        answer: list[str] = []
        try:
            user = yield from self._user_message(text, images, files)
        except AetherError as e:
            yield ErrorEvent(str(e))
            yield self._done(stats, t0, "", cancelled=False)
            return
        turn: list[Message] = [user]
        cancelled = False
        try:
            split = self.config.split_requests and not (images or files)
            parts = self._parts(text, user, stats) if split else None
            if parts is None:
                yield from self._steps(turn, stats, answer, approver)
            else:
                yield from self._run_parts(parts, turn, stats, answer, approver)
        except _Cancelled:
            cancelled = True
            if turn[-1].role == "assistant" and turn[-1].of(ToolCall):
                turn.append(dialogue.tool_message(False, dialogue.CANCELLED))
        except AetherError as e:
            yield ErrorEvent(str(e))
        self._conversation.extend(turn)
        self._remember(text, "".join(answer), cancelled)
        yield self._done(stats, t0, "".join(answer), cancelled)

    def _steps(
        self,
        turn: list[Message],
        stats: dict,
        answer: list[str],
        approver: Approver | None,
        first: Routed | None = None,
    ) -> Iterator[Event]:
        """Think/act steps until the answer (or the step limit), appended to ``turn``. ``first``:
        the first step, already decoded (a part's route). A call its tool makes nothing of
        (``Tool.understands``) is not made: the step is decided again without that tool. A call the
        turn has already made is not made again either: the step is decided again as the answer,
        after the result's status thought ("Got the result.")."""
        without: set[str] = set()
        answering: list[Thought] = []  # the status thought an answer is held to
        for n in range(self.config.max_steps):
            stats["steps"] += 1
            step = stats["steps"]
            yield StepStarted(step)
            if n == 0 and first is not None:
                msg, grammar = first
                yield ThoughtDelta(step, msg.thought_text)
            elif (spoken := self._spoken(turn)) is not None:  # another call, or this answer
                routed = yield from no_answer(
                    self._step(step, turn, stats, [], calls_only=True, without=without)
                )
                if routed is None:
                    yield from self._say(spoken, turn, answer)
                    return
                msg, grammar = routed
            else:
                for thought in answering:
                    yield ThoughtDelta(step, thought.data.decode())
                msg, grammar = yield from self._step(
                    step, turn, stats, answer, without=without, held=answering
                )
            if grammar.ended_with == Phase.CALL and (
                wrong := self._misrouted(msg, turn[0].plain_text)
            ):
                without.add(wrong)
                continue
            if grammar.ended_with == Phase.CALL and repeated(msg, turn):
                without.update(self.tools.names())  # its result is in the context: answer
                status = dialogue.status_thought(turn[-1])
                answering = [Thought(status.encode())] if status else []
                continue
            if without and grammar.ended_with == Phase.CALL:
                msg = renamed(msg)
            turn.append(msg)
            if grammar.ended_with != Phase.CALL:
                yield from self._emit_outputs(msg)
                return
            result = yield from self._call_tool(step, msg, approver)
            turn.append(result)
        yield ErrorEvent(f"step limit ({self.config.max_steps}) reached without an answer")

    def _done(self, stats: dict, t0: float, answer: str, cancelled: bool) -> Done:
        gen = stats["gen_s"]
        return Done(
            steps=stats["steps"],
            bytes_generated=stats["bytes"],
            bytes_per_s=stats["bytes"] / gen if gen > 0 else 0.0,
            wall_s=time.perf_counter() - t0,
            answer=answer,
            cancelled=cancelled,
        )

    def _user_message(
        self, text: str, images: Sequence[str | bytes], files: Sequence[str]
    ) -> Iterator[Event]:
        codes = [self.image_codes(src) for src in images]
        segs = [self._load_file(path) for path in files]
        memories: list[str] = []
        self._recall = 0.0
        if self.memory is not None and text.strip():
            from ..memory import extract_fact

            hits = [
                (e, s)
                for e, s in self.memory.search(text, k=self.config.memory_k * 2)
                if s >= self.config.memory_min_score and e.kind == "fact"
            ][: self.config.memory_k]
            hits = [(e, s) for e, s in hits if s >= self.config.memory_share * hits[0][1]]
            if hits:
                yield MemoryRecalled(tuple((e.id, e.text, float(s)) for e, s in hits))
            memories = [e.text for e, _ in hits]
            self._recall = max((s for _, s in hits), default=0.0)
            fact = extract_fact(text)
            if fact:
                self.memory.add(self.redactor.redact(fact), kind="fact")
        return dialogue.user_message(text, memories=memories, images=codes, files=segs)

    # ------------------------------------------------------------------ one step
    def _step(
        self,
        step: int,
        turn: list[Message],
        stats: dict,
        answer: list[str],
        calls_only: bool = False,
        without: Collection[str] = (),
        held: Sequence[Thought | Text] = (),
    ) -> Iterator[Event]:
        """Decode one assistant step after ``turn``, streaming its thought and answer as events;
        returns (message, grammar). ``calls_only``: stop as soon as the step is not a tool call
        and return None (a part's route, requests.py). ``without``: tools the step may not
        call. ``held``: the step's start (its thought, and an answer's first words), written for
        the model, which goes on from there. A thought that disagrees with what the agent knows
        is held to it and the step decoded again: a drawing's to the user's words
        (agent/drawing.py), a picture question's to what it asks (agent/seeing.py), "Not in my
        memory." to a fact recalled close to the question. An answer about the picture the user
        shows is held to what the vision head reads in it (agent/seeing.py), and shown once it
        agrees."""
        from ..segments import encode, encode_item

        budget = getattr(self.policy.info, "max_context", 4096)
        full = self.config.max_thought_bytes + self.config.max_answer_bytes // 4 + 160
        codes = self.vq.cfg.n_codes if self.vq is not None else 0  # one drawing's VQ codes
        conversation = self._conversation + turn
        try:
            context, _ = fit_context(
                conversation, budget, reserve=step_reserve(budget, full, codes)
            )
        except ContextOverflow:
            # a turn of several calls can leave no room for a picture's codes: a step in words
            # still fits (the grammar then offers no drawing), which beats ending the turn
            context, _ = fit_context(conversation, budget, reserve=step_reserve(budget, full, 0))
        tokens = encode(context) + [int(Tok.ASSISTANT)]
        good = dialogue.good_results(turn)  # two or more: two requests, one answer for both
        types = {
            name: args for name, args in tool_arg_types(self.tools).items() if name not in without
        }
        grammar = StepGrammar(
            types,
            allow_image=self.vq is not None,
            max_thought=self.config.max_thought_bytes,
            max_answer=self.config.max_answer_bytes,
            room=budget - len(tokens) - 1,  # what the policy may generate after the context
            status=dialogue.status_thought(turn[-1]),
            cover=good if len(good) > 1 else (),
            **({"image_codes": codes} if codes else {}),
        )
        if one := self._one_result(turn):  # the answer quotes it as the training data's do
            grammar.openings = tuple(o.encode() for o in one[0].openings(one[1], one[2]))
        if self.config.copy_prior > 0:
            grammar.copy = CopyPrior(copy_sources(turn), self.config.copy_prior)
            grammar.answer_copy = CopyPrior(
                copy_sources(turn, user=False),
                self.config.copy_prior,
                first=True,
                words=True,
                pauses=True,
            )
        forced = [t for item in held for t in encode_item(item)]
        for tok in forced:
            grammar.advance(tok)
        asked = None if calls_only or held else turn[0].plain_text
        drawing = read_request(asked) if asked and self.vq is not None else None
        shown = None if calls_only else self._shown(turn)  # the picture the user shows
        rethink: list[str] = []  # the thought the step is held to (it is decoded again)

        def should_stop() -> bool:
            if self._cancel.is_set() or (calls_only and grammar.phase in _NOT_A_CALL):
                return True
            if asked is None or rethink or grammar.phase != Phase.AFTER_THOUGHT:
                return False
            said = bytes(grammar.thought).decode(errors="replace")
            fix = held_thought(said, drawing)
            if fix is None and shown is not None:
                fix = asked_thought(said, asked)
            if fix is None and said == dialogue.THOUGHT_UNKNOWN:  # a fact close to it recalled
                fix = dialogue.THOUGHT_RECALL if self._recall >= self.config.memory_sure else None
            rethink.extend([fix] if fix else [])
            return bool(fix)

        thought, codes, filebuf = bytearray(), bytearray(), bytearray()
        items: list = [item for item in held if isinstance(item, Thought)]
        body = bytearray(b"".join(item.data for item in held if isinstance(item, Text)))
        start = len(body)  # the answer's held start
        pending: list[str] = []  # the answer about a picture: shown once it is held
        utf_thought = codecs.getincrementaldecoder("utf-8")("replace")
        utf_answer = codecs.getincrementaldecoder("utf-8")("replace")
        from ..redact import StreamRedactor

        redact = StreamRedactor(self.redactor, max_hold=64)  # streams even without spaces
        pending.extend([s] if (s := redact.feed(utf_answer.decode(bytes(body)))) else [])
        gen = self.policy.generate(
            tokens + forced,
            images=self._images_for(context),
            sampling=self.sampling,
            max_new=budget,
            stop_tokens=(Tok.EOS, Tok.CALL_END),
            constraint=grammar,
            should_stop=should_stop,
        )
        t = time.perf_counter()
        prev = grammar.phase  # the phase each token was written in
        for tok in gen:
            stats["bytes"] += 1
            if tok < 256:
                if prev == Phase.THOUGHT:
                    thought.append(tok)
                    if s := utf_thought.decode(bytes([tok])):
                        yield ThoughtDelta(step, s)
                elif prev == Phase.CALL:
                    body.append(tok)
                elif prev == Phase.IMG:
                    codes.append(tok)
                elif prev == Phase.FILE:
                    filebuf.append(tok)
                elif prev in (Phase.AFTER_THOUGHT, Phase.ANSWER):
                    body.append(tok)
                    if s := redact.feed(utf_answer.decode(bytes([tok]))):
                        pending.append(s)
                        if shown is None:
                            yield from _shown_now(pending, answer)
            elif tok == Tok.THOUGHT_END:
                items.append(Thought(bytes(thought)))
            elif tok == Tok.IMG_END:
                items.append(Image(bytes(codes)))
                codes = bytearray()
            elif tok == Tok.FILE_END:
                items.append(file_from_payload(bytes(filebuf)))
                filebuf = bytearray()
            elif tok in (Tok.IMG_START, Tok.FILE_START) and body:
                items.append(Text(bytes(body)))
                body = bytearray()
            prev = grammar.phase
        stats["gen_s"] += time.perf_counter() - t
        if self._cancel.is_set():
            raise _Cancelled
        if rethink:  # the thought shown so far, then the one the step is decoded after
            yield ThoughtDelta(step, f"{HELD_MARK}{rethink[0]}")
            again = [Thought(rethink[0].encode())]
            return (yield from self._step(step, turn, stats, answer, without=without, held=again))
        if calls_only and grammar.ended_with != Phase.CALL:
            return None  # not a call: the caller only asked for one
        if not grammar.done:
            raise AetherError("the model stopped before finishing its step (context full?)")
        if tail := redact.flush() + utf_answer.decode(b"", final=True):
            pending.append(tail)
        if shown is not None and grammar.ended_with != Phase.CALL:
            said = next(
                (i.data.decode(errors="replace") for i in items if isinstance(i, Thought)), ""
            )
            fix = held_caption(said, bytes(body).decode(errors="replace"), self.policy.see(shown))
            if fix is not None and start < len(fix.encode()) <= MAX_HELD_ANSWER:
                again = [Thought(said.encode()), Text(fix.encode())]
                return (
                    yield from self._step(step, turn, stats, answer, without=without, held=again)
                )
        yield from _shown_now(pending, answer)
        if grammar.ended_with == Phase.CALL:
            items.append(ToolCall(bytes(body)))
        elif body:
            items.append(Text(bytes(body)))
        return Message("assistant", tuple(items)), grammar

    # ------------------------------------------------------------------ tools
    def _call_tool(self, step: int, msg: Message, approver: Approver | None) -> Iterator[Event]:
        call = msg.of(ToolCall)[-1]
        call_id = f"c{next(self._ids)}"
        try:
            name, args = call.parse()
        except SegmentError as e:
            yield ToolResultEvent(call_id, "?", False, str(e), 0.0, "error")
            return dialogue.tool_message(False, str(e))
        yield ToolCallRequested(step, call_id, name, args)
        thoughts = msg.of(Thought)
        request = ApprovalRequest(call_id, name, args, thoughts[-1].text if thoughts else "")
        if self.approval.mode_for(name) == "ask" and self.approval.remembered(name) is None:
            yield ApprovalNeeded(call_id, name, args, request.reason)
        decision = self.approval.decide(request, approver)
        if self._cancel.is_set():
            raise _Cancelled
        if not decision.approved:
            text = dialogue.DENIED + (f": {decision.message}" if decision.message else "")
            yield ToolResultEvent(call_id, name, False, text, 0.0, "denied")
            return dialogue.tool_message(False, text)
        if decision.args is not None:
            args = decision.args
        try:
            tool = self.tools.get(name)
            args = tool.validate_args(args)
        except AetherError as e:
            yield ToolResultEvent(call_id, name, False, str(e), 0.0, "error")
            return dialogue.tool_message(False, str(e))
        yield ToolStarted(call_id, name)
        outcome = self.sandbox.submit(tool, args, timeout=self.config.tool_timeout_s).result(
            self._cancel
        )
        if outcome.status == "cancelled" or self._cancel.is_set():
            yield ToolResultEvent(
                call_id, name, False, "cancelled", outcome.duration_s, "cancelled"
            )
            raise _Cancelled
        output = self.redactor.redact(outcome.output)
        yield ToolResultEvent(call_id, name, outcome.ok, output, outcome.duration_s, outcome.status)
        return dialogue.tool_message(outcome.ok, output)

    # ------------------------------------------------------------------ memory
    def _remember(self, text: str, answer: str, cancelled: bool) -> None:
        if (
            self.memory is None
            or cancelled
            or not self.config.store_summaries
            or not answer.strip()
        ):
            return
        summary = f"User asked: {text.strip()[:120]} | Aether answered: {answer.strip()[:120]}"
        try:
            self.memory.add(self.redactor.redact(summary), kind="summary")
        except AetherError:
            pass  # a full or broken store must not fail the turn


def _shown_now(pending: list[str], answer: list[str]) -> Iterator[Event]:
    """The answer's text held back so far, shown (and emptied from ``pending``)."""
    for s in pending:
        answer.append(s)
        yield AnswerDelta(s)
    pending.clear()


HELD_MARK = "\n→ "  # before a thought the agent holds a step to (ThoughtDelta)
