"""The tool call inside an assistant step: ``{"tool": NAME, "args": {...}}`` written in the
canonical layout of ``ToolCall.make``, byte by byte. Names come from the registered tools and
every argument is typed by the tool's schema (``ArgType``, from ``tool_arg_types``), so what the
model writes always parses and validates. ``StepGrammar`` (constrain.py) runs one for the call
phase of a step."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from ..errors import AetherError

DIGITS = frozenset(b"0123456789")
# string bytes: printable ASCII except quote and backslash, plus UTF-8 lead/continuation bytes
_STR_ASCII = frozenset(b for b in range(0x20, 0x7F) if b not in (0x22, 0x5C))
# The sets allowed() hands out most often, built once: a frozenset keeps its hash, so the mask
# cache (StepGrammar.allowed) finds them without hashing 257 members every byte.
_STR_BODY = _STR_ASCII | frozenset(range(0xC2, 0xF5)) | {0x5C}  # a string's next byte
_STR_BODY_OR_END = _STR_BODY | {ord('"')}
_CONT_RANGE = range(0x80, 0xC0)
_CONT = frozenset(_CONT_RANGE)  # a UTF-8 continuation byte


class GrammarError(AetherError):
    """A token that the step grammar does not allow at this point."""


@dataclass(frozen=True)
class ArgType:
    """What the grammar needs from a tool's argument schema."""

    type: str  # "string" | "integer" | "number" | "boolean"
    required: bool = False
    enum: tuple[str, ...] = ()
    max_length: int = 400
    copy: bool = True  # usually quoted from the conversation: the copy prior may help write it
    copy_stop: bytes = b""  # bytes a quoted value never runs into (e.g. whitespace in a URL)
    copy_numbers: bool = False  # only the numbers in it are quoted (a calc expression)
    copy_phrase: bool = False  # a phrase picked out of a sentence: the model says where it ends
    pick_span: bool = False  # a span of the sources, the likeliest one as a whole (choices())
    # the tool's reading of a phrase (Tool.reading for this argument), None: it reads none
    reads: Callable[[bytes], str | None] | None = field(default=None, compare=False)
    # which picked spans can be the value (ArgSpec.fits): fits(before, span, after)
    fits: Callable[[str, str, str], bool] | None = field(default=None, compare=False)
    # where in the user's words a value may begin (ArgSpec.begins)
    begins: Callable[[str], tuple[int, ...]] | None = field(default=None, compare=False)


def _utf8_lead(b: int) -> tuple[int, range]:
    """(continuation bytes a UTF-8 lead byte needs, allowed range of the first of them)."""
    if b < 0x80:
        return 0, range(0)
    if 0xC2 <= b <= 0xDF:
        return 1, range(0x80, 0xC0)
    first = {
        0xE0: range(0xA0, 0xC0),
        0xED: range(0x80, 0xA0),
        0xF0: range(0x90, 0xC0),
        0xF4: range(0x80, 0x90),
    }.get(b, range(0x80, 0xC0))
    return (2 if b <= 0xEF else 3), first


class CallGrammar:
    """Incremental automaton over the bytes of one canonical tool-call JSON object."""

    def __init__(self, tools: Mapping[str, Mapping[str, ArgType]]) -> None:
        if not tools:
            raise ValueError("no tools to call")
        self.tools = {k: dict(v) for k, v in tools.items()}
        self.out = bytearray()
        self.pending = bytearray(b'{"tool": "')
        self.state = "lit"
        self.after_lit = "name"
        self.word = bytearray()  # the name / key / literal being chosen
        self.tool: str | None = None
        self.used: list[str] = []
        self.key: str | None = None
        self.slen = 0  # string length so far
        self.utf8 = 0  # continuation bytes still due
        self.utf8_next = _CONT_RANGE  # allowed range of the next continuation byte
        self.num = bytearray()
        self.value = bytearray()  # the string argument being written
        self.done = False

    # ------------------------------------------------------------------ helpers
    def _schema(self) -> dict[str, ArgType]:
        return self.tools[self.tool] if self.tool else {}

    def _remaining(self) -> list[str]:
        return [k for k in self._schema() if k not in self.used]

    def _required_left(self) -> bool:
        return any(a.required for k, a in self._schema().items() if k not in self.used)

    def _choices(self) -> list[bytes]:
        if self.state == "name":
            return [n.encode() for n in self.tools]
        if self.state == "key":
            return [k.encode() for k in self._remaining()]
        arg = self._schema()[self.key]  # enum or boolean literal
        return [e.encode() for e in arg.enum] if arg.enum else [b"true", b"false"]

    def _after_value(self) -> set[int]:
        allowed = set()
        if self._remaining():
            allowed.add(ord(","))
        if not self._required_left():
            allowed.add(ord("}"))
        return allowed

    def _lit(self, text: bytes, then: str) -> None:
        self.pending, self.state, self.after_lit = bytearray(text), "lit", then

    def _start_value(self) -> None:
        arg = self._schema()[self.key]
        self.used.append(self.key)
        if arg.type == "string" and not arg.enum:
            self._lit(b'"', "str")
            self.slen, self.value = 0, bytearray()
        elif arg.type == "string":
            self._lit(b'"', "choice_str")
            self.word = bytearray()
        elif arg.type == "boolean":
            self.state, self.word = "choice", bytearray()
        else:
            self.state, self.num = "num", bytearray()

    # ------------------------------------------------------------------ automaton
    def allowed(self) -> AbstractSet[int]:
        s = self.state
        if self.done:
            return set()
        if s == "lit":
            return {self.pending[0]}
        if s in ("name", "key", "choice", "choice_str"):
            w = bytes(self.word)
            opts = [c for c in self._choices() if c.startswith(w)]
            nxt = {c[len(w)] for c in opts if len(c) > len(w)}
            if w in opts:
                nxt |= {ord('"')} if s != "choice" else self._after_value()
            return nxt
        if s == "args":  # right after '{' of args: a key or (if nothing required) '}'
            allowed = {ord('"')} if self._remaining() else set()
            return allowed | ({ord("}")} if not self._required_left() else set())
        if s == "after":
            return self._after_value()
        if s == "str":
            if self.utf8:
                return _CONT if self.utf8_next == _CONT_RANGE else frozenset(self.utf8_next)
            arg = self._schema()[self.key]
            if self.slen >= arg.max_length:
                return {ord('"')}
            return _STR_BODY_OR_END if self.slen else _STR_BODY  # no empty strings
        if s == "esc":
            return set(b'"\\/bnrt')
        if s == "num":
            return self._num_allowed()
        raise AssertionError(s)

    def _num_allowed(self) -> set[int]:
        n = bytes(self.num)
        is_int = self._schema()[self.key].type == "integer"
        digits = n.lstrip(b"-")
        if not n:
            return set(DIGITS) | {ord("-")}
        if n == b"-":
            return set(DIGITS)
        allowed: set[int] = set()
        int_part = digits.split(b".")[0]
        if b"." in digits:
            if digits.endswith(b"."):
                return set(DIGITS)
            if len(digits) < 24:
                allowed |= DIGITS
        else:
            if int_part != b"0" and len(int_part) < 15:
                allowed |= DIGITS
            if not is_int:
                allowed.add(ord("."))
        return allowed | self._after_value()

    def advance(self, b: int) -> None:
        if b not in self.allowed():
            raise GrammarError(
                f"byte {bytes([b])!r} not allowed in a tool call after {bytes(self.out)!r}"
            )
        self.out.append(b)
        s = self.state
        if s == "lit":
            self.pending.pop(0)
            if not self.pending:
                self._enter(self.after_lit)
        elif s in ("name", "key", "choice_str"):
            if b == ord('"'):
                w = self.word.decode()
                if s == "name":
                    self.tool = w
                    self._lit(b', "args": {', "args")
                elif s == "key":
                    self.key = w
                    self._lit(b": ", "value")
                else:
                    self.state = "after"
            else:
                self.word.append(b)
        elif s == "choice":
            if b in (ord(","), ord("}")) and bytes(self.word) in self._choices():
                self._close_or_next(b)
            else:
                self.word.append(b)
        elif s == "args":
            self._close_or_next(b)
        elif s == "after":
            self._close_or_next(b)
        elif s == "str":
            if b != ord('"') or self.utf8:
                self.value.append(b)
            if self.utf8:
                self.utf8 -= 1
                self.utf8_next = _CONT_RANGE
            elif b == ord('"'):
                self.state = "after"
            elif b == 0x5C:
                self.state = "esc"
            else:
                self.utf8, self.utf8_next = _utf8_lead(b)
                self.slen += 1
        elif s == "esc":
            self.value.append(b)
            self.state = "str"
            self.slen += 1
        elif s == "num":
            if b in (ord(","), ord("}")):
                self._close_or_next(b)
            else:
                self.num.append(b)

    @property
    def copy_arg(self) -> ArgType | None:
        """The string argument being written, where the copy prior applies (else None)."""
        if self.state not in ("str", "esc"):
            return None
        arg = self._schema()[self.key]
        return arg if arg.copy or arg.copy_numbers else None

    def _enter(self, state: str) -> None:
        if state == "value":
            self._start_value()
        elif state == "end":
            self.done = True
        else:
            self.state = state
            self.word = bytearray()

    def _close_or_next(self, b: int) -> None:
        if b == ord("}"):
            self._lit(b"}", "end")  # closes the outer object
        elif b == ord(","):
            self._lit(b' "', "key")
        else:  # '"' opening the first key
            self.state, self.word = "key", bytearray()


def tool_arg_types(registry: Any) -> dict[str, dict[str, ArgType]]:
    """Grammar view of a ToolRegistry: name -> {arg: ArgType} from each tool's schema."""
    out: dict[str, dict[str, ArgType]] = {}
    for tool in registry:
        out[tool.name] = {
            name: ArgType(
                spec.type,
                bool(spec.required),
                tuple(getattr(spec, "enum", None) or ()),
                int(getattr(spec, "max_length", None) or 400),
                bool(getattr(spec, "copy", True)),
                bytes(getattr(spec, "copy_stop", b"")),
                bool(getattr(spec, "copy_numbers", False)),
                bool(getattr(spec, "copy_phrase", False)),
                bool(getattr(spec, "pick_span", False)),
                _reader(tool, name) if getattr(spec, "reads", False) else None,
                getattr(spec, "fits", None),
                getattr(spec, "begins", None),
            )
            for name, spec in tool.schema.items()
        }
    return out


def _reader(tool: Any, arg: str) -> Callable[[bytes], str | None]:
    """``tool.reading`` of argument ``arg`` for a phrase in bytes (None: not UTF-8 text)."""

    def read(phrase: bytes) -> str | None:
        try:
            return tool.reading(arg, phrase.decode())
        except UnicodeDecodeError:
            return None

    return read
