"""Byte-level grammar for one assistant step, so even a random model writes a well-formed step.

The step is ``THOUGHT_START STREAM text THOUGHT_END`` then either a tool call
``CALL_START STREAM {"tool": NAME, "args": {...}} CALL_END`` or the answer (text, optionally an
image ``IMG_START <len> 128 codes IMG_END`` or a file ``FILE_START STREAM bytes FILE_END``) and
``EOS``. Inside the call, ``CallGrammar`` (call_grammar.py) keeps the JSON canonical and every
argument typed by the tool's schema, so the result always parses and validates. ``allowed()``
gives the mask; ``advance()`` moves on (and raises ``GrammarError`` on a token the mask would have
refused, which is how scripted output is checked).

An answer after two or more good results (two requests in one message) may not end before it
has quoted each of them (``COVER_BYTES`` of it), unless it starts to repeat itself: a small model
otherwise answers the first request and stops.

The thought of a step that follows a tool result may say only that result's status
(``dialogue.STATUS_THOUGHTS``): the agent knows how the call went, and a small model that thinks
"The tool failed." after a good page apologises for it in the answer.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from enum import StrEnum

import torch

from ..dialogue import STATUS_THOUGHTS, THOUGHT_STORE
from ..sampling import Choice, token_logprobs
from ..segments import encode_varint
from ..vocab import VOCAB_SIZE, Tok
from .call_grammar import DIGITS, ArgType, CallGrammar, GrammarError
from .copying import CopyPrior
from .limits import MAX_ANSWER_BYTES, MAX_THOUGHT_BYTES

BYTES = frozenset(range(256))
MAX_SPAN = 256  # the longest span offered (bytes)
# first bytes of a value the model writes itself where it may also pick a span (a calc
# expression: "24*60*60", "(3+4)*2", "sqrt(2)", "-5+3")
FREE_STARTS = DIGITS | frozenset(b"(-.") | frozenset(range(ord("a"), ord("z") + 1))
_STORE = THOUGHT_STORE.encode()
# built once, as call_grammar's string sets are: the mask cache finds a frozenset by its kept hash
_BYTES_OR = {t: BYTES | {int(t)} for t in (Tok.THOUGHT_END, Tok.FILE_END, Tok.EOS)}
_ONLY = {int(t): frozenset({int(t)}) for t in Tok}


COVER_BYTES = 6  # bytes in a row an answer shares with a result to count as quoting it
REPEAT_BYTES = 12  # an answer that writes this many bytes again gives up quoting the rest


def _quotes(answer: bytes, result: bytes) -> bool:
    """Whether ``answer`` ends in a quote from ``result`` (all of a short one)."""
    n = min(COVER_BYTES, len(result))
    return len(answer) >= n and answer[-n:] in result


def _repeats(answer: bytes) -> bool:
    """Whether ``answer`` ends in ``REPEAT_BYTES`` it has already written."""
    n = REPEAT_BYTES
    return len(answer) >= 2 * n and answer[-n:] in answer[:-n]


def status_blocks(status: str | None) -> frozenset[bytes]:
    """Thought openings that may not be written after a result whose status thought is
    ``status``: each other status thought as far as the byte where it parts from ``status``
    ("T" after a good result, "The t" after a denied call). Blocked any later, a small model sure
    of the wrong status writes it misspelt ("The tood failed."). None (the step follows the
    user): nothing is blocked."""
    if status is None:
        return frozenset()
    want = status.encode()
    out = set()
    for other in (t.encode() for t in STATUS_THOUGHTS if t != status):
        at = next((i for i, (a, b) in enumerate(zip(other, want, strict=False)) if a != b), 0)
        out.add(other[: at + 1])
    return frozenset(out)


def read_phrases(
    spans: Sequence[tuple[bytes, tuple[int, ...]]],
    reads: Callable[[bytes], str | None],
    source: bytes,
) -> list[bytes]:
    """The phrases of ``spans`` (text, word ends) that the tool reads (``reads`` gives its
    reading), less each one inside a longer phrase that reads otherwise ("9 squared" of "9
    squared plus 1" would drop part of the sum) and each one around a shorter phrase that
    reads the same: "what do you get for eighteen divided by eighty-five" holds words that are
    no part of the sum, and a small model, given that call, answered with them. A phrase keeps
    the closing brackets after its last word and the opening ones before its first where the
    user wrote them ("(82 - 276) + 340": spans start at a word) in ``source``, the text the
    spans are of."""
    found: dict[bytes, str] = {}
    for text, ends in spans:
        for e in ends:
            phrase = text[:e] + b")" * (len(text[e:]) - len(text[e:].lstrip(b")")))
            phrase = b"(" * max(0, phrase.count(b")") - phrase.count(b"(")) + phrase
            if phrase in found or phrase not in source:
                continue  # seen, or brackets the user did not write
            if (reading := reads(phrase)) is not None:
                found[phrase] = reading
    return [
        p
        for p, r in found.items()
        if not any(len(q) > len(p) and p in q and s != r for q, s in found.items())
        and not any(len(q) < len(p) and q in p and s == r for q, s in found.items())
    ]


class Phase(StrEnum):
    """Where an assistant step's token stream is; ``StepGrammar.phase`` moves through these in
    order (a step ends with a call, an image, a file or plain answer text), and the agent routes
    each byte by the phase it was written in."""

    START = "start"
    THOUGHT_LEN = "thought_len"
    THOUGHT = "thought"
    AFTER_THOUGHT = "after_thought"
    CALL_LEN = "call_len"
    CALL = "call"
    CALL_END = "call_end"
    IMG_LEN = "img_len"
    IMG = "img"
    IMG_END = "img_end"
    FILE_LEN = "file_len"
    FILE = "file"
    ANSWER = "answer"
    DONE = "done"


class StepGrammar:
    """The whole assistant step: thought, then a call or an answer. Tracks where the stream is, so
    the agent can route bytes to thought/answer events as they arrive."""

    def __init__(
        self,
        tools: Mapping[str, Mapping[str, ArgType]],
        *,
        allow_image: bool = True,
        allow_file: bool = True,
        max_thought: int = MAX_THOUGHT_BYTES,
        max_answer: int = MAX_ANSWER_BYTES,
        image_codes: int = 128,
        max_file: int = 4096,
        device: torch.device | str = "cpu",
        force_call: bool = False,
        room: int | None = None,
        status: str | None = None,
        cover: Sequence[bytes] = (),
    ) -> None:
        self.tools = tools
        self.uncovered = [r.strip() for r in cover if r.strip()]  # results not yet quoted
        self.blocked = status_blocks(status)  # thought openings the step may not write
        self.thought = bytearray()
        self.force_call = force_call  # the step must end in a tool call (tests, tool-only evals)
        # tokens the whole step may take (what the context has left): the thought ends early
        # enough for a drawing to fit, a drawing is offered only where it fits, and an answer
        # or a file ends where the room does, so a step always finishes
        self.room = room
        self.written = 0
        self.allow_image, self.allow_file = allow_image, allow_file
        self.max_thought, self.max_answer, self.max_file = max_thought, max_answer, max_file
        self.image_len = list(encode_varint(image_codes))
        self.image_codes = image_codes
        self.phase = Phase.START
        self.count = 0
        self.call: CallGrammar | None = None
        self.ended_with: Phase | None = None  # CALL or ANSWER: the phase the step ended in
        self.answer = bytearray()  # the answer text written so far
        self.openings: tuple[bytes, ...] = ()  # the answer begins with one of these (Tool.openings)
        self.copy: CopyPrior | None = None  # for string args; set by the agent (agent/copying.py)
        self.answer_copy: CopyPrior | None = None  # for the answer: tool outputs, memories
        self._device = device
        self._masks: dict[frozenset[int], torch.Tensor] = {}
        # the phrases a tool reads of the spans that fit an argument, once a step (_fitting_reads)
        self._reads: dict[tuple, list[bytes]] = {}

    @property
    def done(self) -> bool:
        return self.phase == Phase.DONE

    def _left(self) -> int:
        """Tokens the step may still write (a large number without a room)."""
        return (1 << 30) if self.room is None else self.room - self.written

    def _image_size(self) -> int:
        """IMG_START, its length, the codes, IMG_END and the EOS after."""
        return len(self.image_len) + self.image_codes + 3

    def allowed_set(self) -> AbstractSet[int]:
        p = self.phase
        if p == Phase.START:
            return _ONLY[Tok.THOUGHT_START]
        if p in (Phase.THOUGHT_LEN, Phase.CALL_LEN, Phase.FILE_LEN):
            return _ONLY[Tok.STREAM]
        if p == Phase.THOUGHT:
            # THOUGHT_END, then an image and EOS must still fit where the step can hold one at
            # all (else a one-byte answer and EOS)
            drawable = self.allow_image and self._left() + self.count >= 1 + self._image_size()
            after = 1 + (self._image_size() if drawable else 2)
            full = self.count >= self.max_thought or self._left() <= after
            if full:
                return _ONLY[Tok.THOUGHT_END]
            so_far = bytes(self.thought)
            bad = {
                b[-1] for b in self.blocked if len(b) == len(so_far) + 1 and b.startswith(so_far)
            }
            return _BYTES_OR[Tok.THOUGHT_END] - bad if bad else _BYTES_OR[Tok.THOUGHT_END]
        if p == Phase.AFTER_THOUGHT:
            if self.force_call:
                return {Tok.CALL_START}
            opening = self._opening()
            ends = set() if self.uncovered or opening else {Tok.EOS}
            calls = {Tok.CALL_START} if self.tools else set()  # none left: the step answers
            allowed = calls | set(opening or BYTES) | ends
            if self.allow_image and self._left() >= self._image_size():
                allowed.add(Tok.IMG_START)
            return allowed | ({Tok.FILE_START} if self.allow_file else set())
        if p == Phase.CALL:
            return self.call.allowed()
        if p == Phase.CALL_END:
            return _ONLY[Tok.CALL_END]
        if p == Phase.IMG_LEN:
            return {self.image_len[self.count]}
        if p == Phase.IMG:
            return BYTES
        if p == Phase.IMG_END:
            return _ONLY[Tok.IMG_END]
        if p == Phase.FILE:  # FILE_END, then EOS
            full = self.count >= self.max_file or self._left() <= 2
            return _ONLY[Tok.FILE_END] if full else _BYTES_OR[Tok.FILE_END]
        if p == Phase.ANSWER:
            full = self.count >= self.max_answer or self._left() <= 1
            if full:
                return _ONLY[Tok.EOS]
            if opening := self._opening():
                return opening
            return BYTES if self.uncovered else _BYTES_OR[Tok.EOS]
        return set()

    def _opening(self) -> frozenset[int] | None:
        """The bytes that go on with one of ``openings`` while the answer has begun none of
        them yet; None once it has (or there are none)."""
        if not self.openings or len(self.answer) >= max(map(len, self.openings)):
            return None  # none, or one is whole: the grammar kept the answer on them till then
        said = bytes(self.answer)
        if any(said.startswith(o) for o in self.openings):
            return None
        return frozenset(o[len(said)] for o in self.openings if o.startswith(said)) or None

    def allows(self, tok: int) -> bool:
        """Whether ``tok`` may come next (what ``allowed()``'s mask says, without the mask)."""
        return tok in self.allowed_set()

    def allowed(self) -> torch.Tensor:
        got = self.allowed_set()
        key = got if isinstance(got, frozenset) else frozenset(got)
        mask = self._masks.get(key)
        if mask is None:
            mask = torch.zeros(VOCAB_SIZE, dtype=torch.bool)
            mask[list(key)] = True
            mask = mask.to(self._device)
            if len(self._masks) < 512:
                self._masks[key] = mask
        return mask

    def advance(self, tok: int) -> None:
        if tok not in self.allowed_set():
            raise GrammarError(f"token {tok} not allowed in assistant step phase {self.phase!r}")
        self.written += 1
        p = self.phase
        if p == Phase.START:
            self.phase = Phase.THOUGHT_LEN
        elif p == Phase.THOUGHT_LEN:
            self.phase, self.count = Phase.THOUGHT, 0
        elif p == Phase.THOUGHT:
            if tok == Tok.THOUGHT_END:
                self.phase, self.count = Phase.AFTER_THOUGHT, 0
            else:
                self.count += 1
                self.thought.append(tok)
        elif p == Phase.AFTER_THOUGHT:
            if tok == Tok.CALL_START:
                self.phase = Phase.CALL_LEN
            elif tok == Tok.IMG_START:
                self.phase, self.count = Phase.IMG_LEN, 0
            elif tok == Tok.FILE_START:
                self.phase = Phase.FILE_LEN
            elif tok == Tok.EOS:
                self._finish(Phase.ANSWER)
            else:
                self.phase, self.count = Phase.ANSWER, 1
        elif p == Phase.CALL_LEN:
            self.phase, self.call = (
                Phase.CALL,
                CallGrammar({k: dict(v) for k, v in self.tools.items()}),
            )
        elif p == Phase.CALL:
            named = self.call.tool
            self.call.advance(tok)
            if self.call.tool != named:  # the tool is named: the arguments it must be given
                self.call.tools[self.call.tool] = self._arg_types(self.call.tool)
            if self.call.done:
                self.phase = Phase.CALL_END
        elif p == Phase.CALL_END:
            self._finish(Phase.CALL)
        elif p == Phase.IMG_LEN:
            self.count += 1
            if self.count == len(self.image_len):
                self.phase, self.count = Phase.IMG, 0
        elif p == Phase.IMG:
            self.count += 1
            if self.count == self.image_codes:
                self.phase = Phase.IMG_END
        elif p == Phase.IMG_END:
            self.phase, self.count = Phase.ANSWER, 0
        elif p == Phase.FILE_LEN:
            self.phase, self.count = Phase.FILE, 0
        elif p == Phase.FILE:
            if tok == Tok.FILE_END:
                self.phase, self.count = Phase.ANSWER, 0
            else:
                self.count += 1
        elif p == Phase.ANSWER:
            if tok == Tok.EOS:
                self._finish(Phase.ANSWER)
            else:
                self.count += 1
        if self.phase == Phase.ANSWER and tok < 256:
            self.answer.append(tok)
            if self.uncovered:
                self.uncovered = [r for r in self.uncovered if not _quotes(self.answer, r)]
                if _repeats(self.answer):  # it cannot quote the rest: let it end
                    self.uncovered = []

    def greedy(self) -> bool:
        """A tool call is an action, not prose: its name and arguments are written as the likeliest
        bytes (and span) whatever the temperature, because a sampled span is a draw among
        near-equal scores (MODEL_CARD.md, Decoding)."""
        return self.phase == Phase.CALL

    def choices(self) -> list[Choice] | None:
        """At the opening quote of a ``pick_span`` argument: every span of the sources that starts
        at a word and ends at one, for the session to score as a whole. Written byte by byte, a
        small model commits to a start before it has seen the phrase ("common errors" for
        "c pointers common errors") and to an end before the next word ("running" of "running
        toilet"); scored whole, the span the model finds likeliest wins (MODEL_CARD.md,
        Decoding).

        An argument the model may also write itself (``copy`` off: a calc expression is the
        user's phrase, "15% of 80", or one of its own, "24*60*60") offers that too: the value
        greedy decoding would write, to its closing quote, scored per token like the spans. Scored
        by its first byte alone, as it once was, it won whenever a phrase started with a digit
        ("7" scores near 0 and "7 percent of 1200" below it), so the phrase was never picked.

        Where the tool reads phrases of the user's words itself (``ArgType.reads``: calc), only
        those it reads are offered: the model's own expression drops words ("9+1" for "9 squared
        plus 1", "15+64" for "15 percent tip on 64 dollars") that the tool's reading keeps. The
        model still writes its own where no phrase reads ("3 apples and buy 5 more": "3+5").

        Where the tool bounds its spans (``ArgType.fits``: a search query starts and ends where
        the user's clause does, not inside "for me" or "can you"), only the spans that fit are
        offered, or all of them where none does; a tool that reads phrases gets those of the
        fitting spans it reads, else those of the spans that would fit wherever they start
        ("michigan" of "time and date im michigan": a typo hides the "in" a place starts
        after)."""
        call = self.call
        if self.phase != Phase.CALL or call is None or call.state != "str" or call.value:
            return None
        arg = call.copy_arg
        if arg is None or not arg.pick_span or self.copy is None or call.out[-1:] != b'"':
            return None
        quote = ord('"')
        most = min(arg.max_length, MAX_SPAN)
        fitting = self.copy.spans(arg.copy_stop, most, arg.fits) if arg.fits else None
        if arg.reads is not None and (read := self._read_spans(arg, most, fitting)):
            return [Choice(tuple(p), (len(p),), quote) for p in read]
        spans = fitting or self.copy.spans(arg.copy_stop, most)
        offered = [Choice(tuple(t), e, quote) for t, e in spans]
        allowed = call.allowed()
        if not arg.copy and (starts := FREE_STARTS & allowed):
            offered.append(Choice((), (), quote, frozenset(starts)))
        return [Choice((), (0,), quote), *offered] if quote in allowed else offered

    def _read_spans(
        self, arg: ArgType, most: int, fitting: list[tuple[bytes, tuple[int, ...]]] | None
    ) -> list[bytes]:
        """The phrases the tool reads (``choices``): of the spans that fit (``fitting``, None
        where the tool bounds none: all spans), else of those that would fit wherever they
        start. Not of any span: the gazetteer reads "split" of "split the bill" as Split,
        Croatia."""
        assert self.copy is not None and arg.reads is not None
        if fitting is not None:
            read = self._fitting_reads(arg, most)
        else:
            read = read_phrases(self.copy.spans(arg.copy_stop, most), arg.reads, self.copy.source)
        if read or (fits := arg.fits) is None:
            return read
        loose = self.copy.spans(arg.copy_stop, most, lambda _, span, after: fits("", span, after))
        return read_phrases(loose, arg.reads, self.copy.source)

    def _fitting_reads(self, arg: ArgType, most: int) -> list[bytes]:
        """The phrases the tool reads (``arg.reads``) of the spans that fit ``arg``: worked out
        once a step, for the call that must be given them (``_arg_types``) and for the choice
        point of its value (``_read_spans``)."""
        assert self.copy is not None and arg.reads is not None and arg.fits is not None
        key = (arg.reads, arg.fits, arg.copy_stop, most)
        if (read := self._reads.get(key)) is None:
            spans = self.copy.spans(arg.copy_stop, most, arg.fits)
            read = self._reads[key] = read_phrases(spans, arg.reads, self.copy.source)
        return read

    def _arg_types(self, tool: str) -> dict[str, ArgType]:
        """``tool``'s arguments for the call being written, an optional one it reads made
        required where a span of the user's words that fits it reads ("Dhaka" of "Dhaka - what
        date is it there?"): left out, the clock answered with the local time."""
        args = dict(self.tools[tool])
        if self.copy is None:
            return args
        for name, arg in args.items():
            if arg.required or arg.reads is None or arg.fits is None or not arg.pick_span:
                continue
            if self._fitting_reads(arg, min(arg.max_length, MAX_SPAN)):
                args[name] = dataclasses.replace(arg, required=True)
        return args

    def fork(self) -> StepGrammar:
        """An independent copy of where the step stands (priors and mask cache shared), to try a
        continuation without committing to it (a choice point's own continuation)."""
        twin = copy.copy(self)
        twin.call = copy.deepcopy(self.call)
        twin.answer = bytearray(self.answer)
        twin.thought = bytearray(self.thought)
        return twin

    def reweight(self, logits: torch.Tensor) -> torch.Tensor:
        """The copy priors mixed in: ``self.copy`` inside string args, ``self.answer_copy`` in
        the answer."""
        if self.phase == Phase.CALL and self.call is not None and (arg := self.call.copy_arg):
            return self._arg_logits(logits, arg, bytes(self.call.value))
        if self.phase == Phase.ANSWER and self.answer_copy is not None and not self._storing():
            prior, prefix = self.answer_copy, bytes(self.answer)
            logits = prior.mix_digits(logits, prefix)  # "2169" -> "21690"
            return prior.mix(logits, prefix, b"", int(Tok.EOS)) if prefix else logits
        return logits

    def _storing(self) -> bool:
        """The step stores what the user said: its answer is theirs, not a recalled memory's
        ("Noted: your cat is called Ada" for "my cat is called Miso", with "my sister is called
        Ada" recalled)."""
        return self.thought == _STORE

    def _arg_logits(self, logits: torch.Tensor, arg: ArgType, value: bytes) -> torch.Tensor:
        """The copy prior on the next byte of string argument ``arg``, ``value`` written so far."""
        prior, stop, end = self.copy, arg.copy_stop, ord('"')
        if prior is None:
            return logits
        if not arg.copy:  # only the number being written is quoted: "900" -> "9000"
            return prior.mix_digits(logits, value)
        if arg.copy_phrase and prior.word_ends(value):  # go on or stop: the model decides
            return logits
        logits = prior.mix_span(logits, value, stop, end, arg.begins)
        return prior.mix(logits, value, stop, end) if value else logits

    def choice_logprobs(
        self, rows: torch.Tensor, tokens: Sequence[int], close: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Scores for a span offered by ``choices``: row t holds the model's logits after t of
        its bytes; weighed as decoding would weigh them (copy prior in), the log-probabilities
        of byte t and of closing the string after t bytes. Scored by the model alone, a long
        span loses to a short one byte by byte, though the prior would have copied it."""
        arg = self.call.copy_arg if self.call is not None else None
        if arg is None:
            raise GrammarError("no string argument is being written")
        weighed = [self._arg_logits(row, arg, bytes(tokens[:t])) for t, row in enumerate(rows)]
        return token_logprobs(torch.stack(weighed), tokens, close)

    def _finish(self, how: Phase) -> None:
        self.phase, self.ended_with = Phase.DONE, how
