"""Output redaction: scrub obvious secrets from answers and tool results before display or memory.

A :class:`Redactor` holds a list of regular expressions. A match is replaced by the replacement
string; when a pattern has named groups starting with ``secret`` (``secret``, ``secret2`` ...),
only the groups that took part in the match are replaced, so ``password = hunter2`` becomes
``password = [REDACTED]`` and the key stays readable. Matches of all patterns are found on the
original text and overlapping ones are merged, so the order of patterns does not matter.

:class:`StreamRedactor` does the same on a stream of text deltas (model output as it is
generated). It emits text only up to a point no future delta can pull into a secret, holding back
a bounded tail; see its docstring for the trade-off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .errors import AetherError

REPLACEMENT = "[REDACTED]"


class RedactError(AetherError, ValueError):
    """A redaction pattern that cannot be used (bad regex, or one that matches nothing at all)."""


# Key names whose value is a secret in ``key = value`` / ``key: value`` / ``"key": "value"``.
# Bare "token" is left out on purpose: "max_tokens = 512" is everywhere in ML code.
_KEY = (
    r"(?<![A-Za-z0-9])"  # "db_password" matches at "password": "_" is not in the class
    r"(?:password|passwd|passphrase|pwd|secret|client[_-]?secret|secret[_-]?key"
    r"|secret[_-]?access[_-]?key|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|(?:access|auth|refresh|api|bearer|id|session|secret|github|gh|gitlab|slack|hf|npm|pypi"
    r"|discord|telegram|bot)[_-]?token)"
    r"(?![A-Za-z0-9_])"
)
_PEM_NAME = r"(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?"
_PEM_HEAD = rf"-----BEGIN {_PEM_NAME}-----"
_PEM_BODY = r"[A-Za-z0-9+/=\s:,.()\\-]"  # base64, headers, real or JSON-escaped newlines
_PEM_INNER = rf"(?:(?!-----(?:BEGIN|END) ){_PEM_BODY})"  # never runs into another block
_PEM_NL = r"(?:[ \t]*(?:\r?\n|\\r\\n|\\n))+"
_PEM_LINE = (
    r"[ \t]*(?:[A-Za-z0-9+/=]+|(?:Proc-Type|DEK-Info|Comment):[^\n\\]*)"
    r"(?=[ \t]*(?:\r?\n|\\r\\n|\\n|\Z))"
)

#: The default secret shapes. Each is a plain regex string so callers can extend the list.
#: A private key block runs to its END line; without one, over the base64 lines that follow.
PEM_PRIVATE_KEY = (
    rf"{_PEM_HEAD}(?:{_PEM_INNER}*?-----END {_PEM_NAME}-----|(?:{_PEM_NL}{_PEM_LINE})*)"
)
AWS_ACCESS_KEY_ID = r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])"
GITHUB_TOKEN = r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"
OPENAI_KEY = r"(?<![A-Za-z0-9_-])sk-(?:[A-Za-z0-9]+-)?[A-Za-z0-9_-]{20,}"
SLACK_TOKEN = r"(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,}"
GOOGLE_API_KEY = r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"
STRIPE_KEY = r"(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"
HF_TOKEN = r"(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,}"
JWT = r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"
BEARER = r"(?<![A-Za-z0-9])[Bb]earer[ \t]+(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)"
URL_PASSWORD = r"(?<=://)[^/\s:@]+:(?P<secret>[^/\s@]+)@"
ASSIGNMENT = (
    rf"(?i){_KEY}[\"']?[ \t]*[:=][ \t]*"
    r"(?:\"(?P<secret>[^\"\n]{1,200})\"|'(?P<secret2>[^'\n]{1,200})'"
    r"|(?P<secret3>[^\s\"'`,;]{4,}))"
)

DEFAULT_PATTERNS: tuple[str, ...] = (
    PEM_PRIVATE_KEY,
    AWS_ACCESS_KEY_ID,
    GITHUB_TOKEN,
    OPENAI_KEY,
    SLACK_TOKEN,
    GOOGLE_API_KEY,
    STRIPE_KEY,
    HF_TOKEN,
    JWT,
    BEARER,
    URL_PASSWORD,
    ASSIGNMENT,
)

# Prefixes of default patterns that contain whitespace, so a stream could be cut inside one:
# while the text before a cut ends with such a prefix, the cut moves to the prefix's start.
# Each comes with the longest text it can match (None: unbounded), so only that tail is searched.
_PENDING: dict[str, tuple[str, int | None]] = {
    PEM_PRIVATE_KEY: (
        rf"-----BEGIN(?: [A-Z0-9 ]*)?$|{_PEM_HEAD}{_PEM_INNER}*"
        r"(?:-{0,5}|-----END[A-Z0-9 ]*)$",
        None,
    ),
    BEARER: (r"(?<![A-Za-z0-9])[Bb]earer[ \t]*$", 80),
    ASSIGNMENT: (
        rf"(?i){_KEY}[\"']?[ \t]*"
        r"(?:[:=][ \t]*(?:\"[^\"\n]{0,200}|'[^'\n]{0,200}|[^\s\"'`,;]{1,200})?)?$",
        320,  # key, separator and a 200-character value
    ),
}


# Lower-case substrings at least one of which every match of a default pattern contains; text
# without any of them skips that pattern (Python's re is slow at trying an alternation everywhere).
_HINTS: dict[str, tuple[str, ...]] = {
    PEM_PRIVATE_KEY: ("-----begin",),
    AWS_ACCESS_KEY_ID: ("akia", "asia"),
    GITHUB_TOKEN: ("gh", "github_pat_"),
    OPENAI_KEY: ("sk-",),
    SLACK_TOKEN: ("xox",),
    GOOGLE_API_KEY: ("aiza",),
    STRIPE_KEY: ("_live_", "_test_"),
    HF_TOKEN: ("hf_",),
    JWT: ("eyj",),
    BEARER: ("bearer",),
    URL_PASSWORD: ("://",),
    ASSIGNMENT: ("pass", "pwd", "secret", "key", "token"),
}


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


class Redactor:
    """Replace secrets matched by a list of regexes; ``patterns=None`` means :data:`DEFAULT_PATTERNS`.

    ``extra_patterns`` are added to whichever list is used (handy for a config file's additions).
    """

    def __init__(
        self,
        patterns: Sequence[str] | None = None,
        replacement: str = REPLACEMENT,
        *,
        extra_patterns: Sequence[str] = (),
    ) -> None:
        self.patterns: tuple[str, ...] = tuple(
            DEFAULT_PATTERNS if patterns is None else patterns
        ) + tuple(extra_patterns)
        self.replacement = replacement
        self._compiled: list[tuple[re.Pattern[str], list[str], tuple[str, ...]]] = []
        self._pending: list[tuple[re.Pattern[str], int | None]] = []
        for p in self.patterns:
            if not isinstance(p, str):
                raise RedactError(f"redaction pattern must be a string, not {type(p).__name__}")
            try:
                rx = re.compile(p)
            except re.error as e:
                raise RedactError(f"bad redaction pattern {p!r}: {e}") from None
            if rx.search("") is not None:
                raise RedactError(f"redaction pattern {p!r} matches empty text")
            groups = [g for g in rx.groupindex if g.startswith("secret")]
            self._compiled.append((rx, groups, _HINTS.get(p, ())))
            if p in _PENDING:
                rx_p, window = _PENDING[p]
                self._pending.append((re.compile(rx_p), window))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Sorted, non-overlapping ``(start, end)`` ranges of ``text`` to replace."""
        found: list[tuple[int, int]] = []
        lower = text.lower()
        for rx, groups, hints in self._compiled:
            if hints and not any(h in lower for h in hints):
                continue
            for m in rx.finditer(text):
                if groups:
                    found += [m.span(g) for g in groups if m.start(g) != -1]
                else:
                    found.append(m.span())
        return _merge((s, e) for s, e in found if e > s)

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced."""
        return self._apply(text, self.spans(text))

    def _apply(
        self,
        text: str,
        spans: list[tuple[int, int]],
        lo: int = 0,
        hi: int | None = None,
        *,
        continued: bool = False,
    ) -> str:
        """Redacted ``text[lo:hi]``; a span crossing ``lo`` or ``hi`` is replaced by its inner part
        (with no marker for a span crossing ``lo`` when ``continued``: one was already shown)."""
        hi = len(text) if hi is None else hi
        out: list[str] = []
        pos = lo
        for s, e in spans:
            if e <= lo or s >= hi:
                continue
            marker = "" if continued and s < lo else self.replacement
            s, e = max(s, lo), min(e, hi)
            out += [text[pos:s], marker]
            pos = e
        out.append(text[pos:hi])
        return "".join(out)

    def pending_start(self, text: str) -> int | None:
        """Start of a trailing, whitespace-containing prefix of a default secret shape, if any."""
        starts = []
        for rx, window in self._pending:
            lo = max(0, len(text) - window) if window else 0  # a prefix is at most this long
            if m := rx.search(text, lo):
                starts.append(m.start())
        return min(starts) if starts else None


def _last_boundary(buf: str) -> int:
    """Index just after the last whitespace or non-ASCII character (0 if none).

    Default secrets are ASCII runs, so text in scripts written without spaces (CJK) streams
    character by character, while an ASCII run waits until it is complete.
    """
    for i in range(len(buf) - 1, -1, -1):
        c = buf[i]
        if c > "\x7f" or c.isspace():
            return i + 1
    return 0


class StreamRedactor:
    """Redact text arriving as deltas; ``feed`` returns what is safe to show, ``flush`` the rest.

    Text is emitted up to the last boundary (whitespace, or a non-ASCII character: secrets are
    ASCII runs, so CJK text streams at once) that is not inside a match, not before a match that
    may still grow (one followed only by whitespace so far), and not after a prefix of a default
    secret that may contain such boundaries (``password = "``, ``-----BEGIN RSA ``, an
    unfinished private-key block). The last ``context`` (at least 64) emitted characters are
    kept so a key-then-value pattern whose key was already shown still redacts its value.

    Trade-off: what is held is capped at ``max_hold`` characters, so the UI never stalls for
    long. With the default patterns and secrets shorter than ``max_hold`` (8192: any real token
    or RSA-4096 key) the output equals ``redact(whole_text)`` however the text is chunked. When
    the cap forces text out of a match, or out of a prefix that may still become one (an open
    quoted value, an unfinished key block), that text is shown as one ``[REDACTED]`` and the rest
    of the secret adds no further marker; this errs towards hiding a little too much. A pattern
    that needs more than ``max_hold`` characters before it matches at all can show its head, and
    a custom pattern whose match spans a boundary before its secret part may be split there.
    """

    def __init__(
        self, redactor: Redactor | None = None, *, max_hold: int = 8192, context: int = 256
    ) -> None:
        self.redactor = redactor or Redactor()
        self.max_hold = max(1, max_hold)
        self.context = max(64, context)  # left context for key-then-value patterns
        self._ctx = ""  # tail of the raw text already emitted
        self._buf = ""  # raw text not yet emitted
        self._open = False  # the last piece ended inside a secret, already shown as [REDACTED]

    def feed(self, delta: str) -> str:
        """Add ``delta``; return the redacted text that can be shown now (maybe empty)."""
        if not delta:
            return ""
        self._buf += delta
        return self._step(final=False)

    def flush(self) -> str:
        """Emit everything still held (end of the stream) and reset."""
        out = self._step(final=True)
        self._ctx, self._open = "", False
        return out

    @property
    def held(self) -> int:
        """Characters currently held back."""
        return len(self._buf)

    def _step(self, final: bool) -> str:
        # Positions below are indexes into text = context + buffer; the buffer starts at off.
        text = self._ctx + self._buf
        off = len(self._ctx)
        spans = self.redactor.spans(text)
        end, forced, pending = len(text), False, None
        if not final:
            end, forced, pending = self._safe_end(text, off, spans)
        if end <= off:
            return ""
        if pending is not None:  # forced out of a secret that has not matched yet: hide it
            spans = _merge([*spans, (pending, end)])
        out = self.redactor._apply(text, spans, off, end, continued=self._open)
        self._open = forced and any(s < end <= e for s, e in spans)
        self._buf = text[end:]
        keep = end - self.context
        if forced:
            # Keep a secret that is still open (and a key before it) in the context, so its
            # continuation keeps matching after its head has scrolled out of the window.
            starts = [s for s, e in spans if s < end and not text[e:].strip()]
            if pending is not None:
                starts.append(pending)
            if starts:
                keep = min(keep, max(0, min(starts) - 32))
        if end - keep <= 16 * self.max_hold:
            self._ctx = text[max(0, keep) : end]
        else:  # bounded: the head (key and start of the secret) plus the recent tail
            self._ctx = text[keep : keep + 96] + text[end - self.context : end]
        return out

    def _safe_end(
        self, text: str, off: int, spans: list[tuple[int, int]]
    ) -> tuple[int, bool, int | None]:
        """(end of what may be emitted, whether the hold limit forced it, pending secret start)."""
        end = off + _last_boundary(self._buf)
        while end > off:
            new = end
            pend = self.redactor.pending_start(text[:new])
            if pend is not None:
                new = max(pend, off)
            for s, e in spans:
                if s < new and (e > new or not text[e:].strip()):
                    new = max(s, off)
            if new == end:
                break
            end = new
        if len(text) - end <= self.max_hold:
            return end, False, None
        end = len(text) - self.max_hold  # forced; but never inside a match that is complete
        for s, e in spans:
            if s < end < e and text[e:].strip():
                end = e
        return end, True, self.redactor.pending_start(text[:end])
