"""Redactor: each secret shape, clean text untouched, bad patterns; StreamRedactor equivalence."""

from __future__ import annotations

import random

import pytest

from aether_core.errors import AetherError
from aether_core.redact import DEFAULT_PATTERNS, RedactError, Redactor, StreamRedactor

R = "[REDACTED]"
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "-----END RSA PRIVATE KEY-----"
)
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)

# (text, expected): the whole secret, or only the value of an assignment, is replaced.
CASES = {
    "pem": (f"key:\n{PEM}\ndone", f"key:\n{R}\ndone"),
    "pem-openssh-no-end": (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAA==\n\nThat's it!",
        f"{R}\n\nThat's it!",
    ),
    "pem-json-escaped": (
        '{"data": "-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n-----END PRIVATE KEY-----\\n"}',
        '{"data": "' + R + '\\n"}',
    ),
    "pem-json-private-key": (  # the key name catches it too; overlapping matches merge
        '{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n-----END PRIVATE KEY-----\\n"}',
        '{"private_key": "' + R + '"}',
    ),
    "aws": ("id AKIAIOSFODNN7EXAMPLE ok", f"id {R} ok"),
    "aws-session": ("ASIAY34FZKBOKMUTVV7A", R),
    "github-classic": ("token ghp_" + "a1B2" * 9 + ".", f"token {R}."),
    "github-oauth": ("gho_" + "Z" * 36, R),
    "github-fine-grained": ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", R),
    "openai": ("OPENAI=sk-" + "x" * 48, f"OPENAI={R}"),
    "openai-project": ("use sk-proj-" + "Ab1_" * 10 + " now", f"use {R} now"),
    "slack": ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", R),
    "google": ("AIzaSyD-" + "k" * 31 + " in url", f"{R} in url"),
    "stripe-live": ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", R),
    "stripe-restricted": ("rk_live_" + "abcdefghijklmnop", R),
    "jwt": (f"Cookie: session={JWT}; path=/", f"Cookie: session={R}; path=/"),
    "bearer": ("Authorization: Bearer abcdefghijklmnop123456", f"Authorization: Bearer {R}"),
    "password-eq": ("password=hunter22", f"password={R}"),
    "password-spaces": ("db_password = 'correct horse'", f"db_password = '{R}'"),
    "api-key-colon": ("api_key: abcd1234efgh", f"api_key: {R}"),
    "yaml-secret": ("client_secret: s3cr3tValue", f"client_secret: {R}"),
    "json-key": ('{"apiKey": "zzz-123-yyy"}', '{"apiKey": "' + R + '"}'),
    "env-aws-secret": (
        "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        f"export AWS_SECRET_ACCESS_KEY={R}",
    ),
    "url-password": (
        "https://alice:s3cret@db.example.com/x",
        f"https://alice:{R}@db.example.com/x",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_secret_shape(case: str) -> None:
    text, expected = CASES[case]
    assert Redactor().redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The quick brown fox jumps over the lazy dog.",
        "max_tokens = 512, tokenizer: bytes, num_tokens=5",
        "pip install scikit-learn; import sklearn; sk-learn is not a key",
        "Set your password in the settings page.",
        "password: abc",  # too short to be a real value
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
        "AKIA is a prefix, AKIA123 is too short",
        "def f(x):\n    return {'a': 1}  # ghp_ prefix alone\n",
        "eyJ alone is fine, and so is a.b.c",
        "Bearer of good news: short",
        "https://example.com:8080/path?q=1",
        "Unicode: café, naïve, 日本語, emoji 🎉",
        "",
    ],
)
def test_normal_text_passes_untouched(text: str) -> None:
    assert Redactor().redact(text) == text


def test_custom_patterns_replacement_and_secret_groups() -> None:
    r = Redactor(["internal-[0-9]{4}", r"pin=(?P<secret>\d+)"], replacement="***")
    assert r.redact("id internal-1234, pin=9876") == "id ***, pin=***"
    assert r.redact("AKIAIOSFODNN7EXAMPLE") == "AKIAIOSFODNN7EXAMPLE"  # defaults replaced
    extra = Redactor(extra_patterns=["internal-[0-9]{4}"])
    assert extra.redact("internal-1234 AKIAIOSFODNN7EXAMPLE") == f"{R} {R}"
    assert len(extra.patterns) == len(DEFAULT_PATTERNS) + 1
    assert Redactor([]).redact("password=hunter22") == "password=hunter22"


def test_overlapping_matches_merge() -> None:
    r = Redactor(["abcd", "cdef"])
    assert r.redact("xabcdefx") == f"x{R}x"
    assert Redactor().redact(f"token: Bearer {JWT}") == f"token: Bearer {R}"


@pytest.mark.parametrize("bad", ["(unclosed", "[z-a]", "a*", "(?P<x>"])
def test_bad_pattern_is_a_clear_error(bad: str) -> None:
    with pytest.raises(RedactError) as ei:
        Redactor([bad])
    assert isinstance(ei.value, AetherError) and "\n" not in str(ei.value)


def test_redaction_is_fast_on_hostile_input() -> None:
    import time

    r = Redactor()
    start = time.perf_counter()
    for text in ["a." * 20000, "ab_" * 15000, "eyJaaaaa." * 5000, "-----BEGIN RSA " * 3000]:
        r.redact(text)
    assert time.perf_counter() - start < 2.0


# ----------------------------------------------------------------------------------- streaming
SECRETS = [text for text, _ in CASES.values()] + [PEM, JWT, "password = hunter22"]
WORDS = ["the", "quick", "brown", "fox", "password", "key", "max_tokens", "=", ":", "Bearer", "ok."]
SEPS = [" ", "", "\n", " ", ". ", "\t", "\n\n"]


def _stream(sr: StreamRedactor, text: str, rng: random.Random) -> str:
    out, i = [], 0
    while i < len(text):
        n = rng.choice([1, 1, 2, 3, 5, 8, 13, 40])
        out.append(sr.feed(text[i : i + n]))
        i += n
    out.append(sr.flush())
    return "".join(out)


def _random_text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 25)):
        parts.append(rng.choice(SECRETS) if rng.random() < 0.25 else rng.choice(WORDS))
        parts.append(rng.choice(SEPS))
    return "".join(parts)


@pytest.mark.parametrize("seed", range(8))
def test_stream_equals_whole_text_on_random_chunkings(seed: int) -> None:
    rng = random.Random(seed)
    r = Redactor()
    for _ in range(60):
        text = _random_text(rng)
        assert _stream(StreamRedactor(r), text, rng) == r.redact(text), text


def test_stream_emits_early_and_holds_little() -> None:
    sr = StreamRedactor()
    shown = sr.feed("Hello there, how are ")
    assert shown == "Hello there, how are " and sr.held == 0
    assert sr.feed("you") == "" and sr.held == 3  # a word may still become a token
    assert sr.feed(" today? My key is AKIAIOSFO") == "you today? My key is "
    assert sr.feed("DNN7EXAMPLE and") == f"{R} "
    assert sr.feed(" password = ") == "and "  # the key waits for its value
    assert sr.feed("hunter22 ") == ""  # a match followed only by spaces may still grow
    assert sr.feed("ok") == f"password = {R} "
    assert sr.flush() == "ok"


def test_stream_holds_a_private_key_block_until_its_end() -> None:
    sr = StreamRedactor()
    out = [sr.feed(line + "\n") for line in PEM.split("\n")]
    assert all(o == "" for o in out[:-1])
    assert "".join(out) + sr.flush() == f"{R}\n"


def test_stream_hold_is_bounded_and_long_secrets_stay_hidden() -> None:
    sr = StreamRedactor(max_hold=64)
    text = "x" * 1000  # no boundary at all: still streamed, 64 chars behind
    out = "".join(sr.feed(text[i : i + 10]) for i in range(0, 1000, 10))
    assert len(out) >= 1000 - 64 - 10 and sr.held <= 74
    assert out + sr.flush() == text
    long_key = "key sk-proj-" + "Ab12" * 50 + " done"
    quoted = 'my password: "' + "correct horse battery staple " * 4 + '" ok'
    for text in (long_key, quoted):
        for step in (1, 7):
            sr = StreamRedactor(max_hold=64)
            shown = "".join(sr.feed(text[i : i + step]) for i in range(0, len(text), step))
            shown += sr.flush()
            assert "Ab12Ab12" not in shown and "horse" not in shown, shown
            assert shown.count(R) == 1 and shown.endswith((" done", '" ok'))


def test_stream_does_not_wait_for_spaces_in_cjk_text() -> None:
    sr = StreamRedactor()
    assert sr.feed("日本語") == "日本語" and sr.feed("のテキスト") == "のテキスト"
    assert sr.feed("と abc") == "と " and sr.flush() == "abc"
    sr = StreamRedactor()
    shown = "".join(sr.feed(c) for c in "パスワードは password=pässwörter です") + sr.flush()
    assert shown == f"パスワードは password={R} です"


def test_stream_with_custom_key_then_value_pattern() -> None:
    r = Redactor([r"pin[ ]+(?P<secret>\d{4,})"])
    rng = random.Random(0)
    for _ in range(50):
        text = "my pin 123456 and pin  99887 end"
        assert _stream(StreamRedactor(r), text, rng) == "my pin [REDACTED] and pin  [REDACTED] end"
