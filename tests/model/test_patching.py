"""Patchers on crafted inputs: expected boundaries, segments and specials, the CLI."""

from __future__ import annotations

import pytest

from aether_core import segments as seg
from aether_core.cli import main
from aether_core.model.patching import (
    PATCHERS,
    Patcher,
    PatchState,
    boundaries,
    entropy_patches,
    fixed_patches,
    monotonic_patches,
    patch_lengths,
    space_patches,
    split_patches,
)
from aether_core.vocab import Tok, is_special


def texts(tokens: list[int], starts: list[bool]) -> list[bytes]:
    return [bytes(p) for p in split_patches(tokens, starts)]


def test_space_patches_words_with_leading_space() -> None:
    toks = list(b"Hello, world. Hi there")
    assert texts(toks, space_patches(toks)) == [b"Hello,", b" world.", b" Hi ", b"there"]


def test_space_patches_keep_utf8_characters_and_runs_of_spaces() -> None:
    toks = list("café  noël".encode())
    assert texts(toks, space_patches(toks)) == ["café ".encode(), " noël".encode()]


def test_max_patch_caps_every_patcher() -> None:
    toks = list(b"a" * 40)
    assert boundaries(space_patches(toks, max_patch=16)) == [0, 16, 32]
    assert boundaries(fixed_patches(toks, size=16, max_patch=16)) == [0, 16, 32]
    assert boundaries(entropy_patches(toks, [0.0] * 40, 2.0, max_patch=16)) == [0, 16, 32]
    assert max(patch_lengths(space_patches(list(b"x" * 100), max_patch=7))) == 7


def test_fixed_patches_restart_at_specials() -> None:
    toks = [*b"abc", int(Tok.USER), *b"defghij"]
    # special alone; the token after it starts a fresh run of 4
    assert boundaries(fixed_patches(toks, size=4)) == [0, 3, 4, 8]


def test_entropy_global_threshold() -> None:
    toks = list(b"abcdef")
    ent = [0.0, 1.0, 3.0, 0.5, 2.5, 2.6]
    assert boundaries(entropy_patches(toks, ent, threshold=2.0)) == [0, 2, 4, 5]


def test_entropy_monotonic() -> None:
    toks = list(b"abcdef")
    ent = [0.0, 1.0, 3.0, 0.5, 2.5, 2.6]  # rises: +1, +2, -2.5, +2, +0.1
    assert boundaries(monotonic_patches(toks, ent, threshold=1.0)) == [0, 2, 4]


def test_entropy_patcher_needs_entropies() -> None:
    with pytest.raises(ValueError, match="needs entropies"):
        Patcher("entropy").starts([1, 2, 3])
    with pytest.raises(ValueError, match="patcher must be"):
        Patcher("bpe")


def conversation() -> list[int]:
    return seg.encode(
        [
            seg.Message("user", (seg.Text(b"hi there"), seg.Image(bytes(range(20))))),
            seg.Message("assistant", (seg.ToolCall.make("calc", {"expr": "1 + 2"}),)),
            seg.Message("tool", (seg.ToolResult.make(True, "3"),)),
        ]
    )


def test_segments_and_specials_with_space_patcher() -> None:
    toks = conversation()
    got = split_patches(toks, space_patches(toks, image_patch=8))
    B, U, A, T, E = (int(Tok.BOS), int(Tok.USER), int(Tok.ASSISTANT), int(Tok.TOOL), int(Tok.EOS))
    call = seg.ToolCall.make("calc", {"expr": "1 + 2"}).data
    call_patches = split_patches(list(call), space_patches(list(call)))
    assert got == [
        [B],
        [U],
        list(b"hi "),
        list(b"there"),
        [int(Tok.IMG_START)],
        [20],
        list(range(8)),
        list(range(8, 16)),
        list(range(16, 20)),
        [int(Tok.IMG_END)],
        [E],
        [A],
        [int(Tok.CALL_START)],
        [int(Tok.STREAM)],
        *call_patches,
        [int(Tok.CALL_END)],
        [E],
        [T],
        [int(Tok.RESULT_START)],
        [4],
        list(b"ok\n"),
        list(b"3"),
        [int(Tok.RESULT_END)],
        [E],
    ]


def test_image_codes_ignore_the_text_rule() -> None:
    codes = b" a b c d e f g h i j k l m n o p"  # space-like bytes would cut text every 2
    toks = seg.encode_item(seg.Image(codes))
    got = texts(toks[2:-1], space_patches(toks, image_patch=8)[2:-1])  # after START, length
    assert got == [codes[:8], codes[8:16], codes[16:24], codes[24:]]


def test_varint_length_bytes_stay_together_and_payload_starts_fresh() -> None:
    toks = seg.encode_item(seg.Image(bytes(200)))  # length 200 = varint [0xC8, 0x01]
    assert toks[1:3] == [0xC8, 0x01]
    b = boundaries(space_patches(toks, image_patch=8))
    assert b[:4] == [0, 1, 3, 11]


@pytest.mark.parametrize("kind", PATCHERS)
def test_specials_are_single_token_patches_so_payloads_never_mix_with_text(kind: str) -> None:
    toks = conversation() * 2
    ent = [float((i * 7) % 5) for i in range(len(toks))]
    starts = Patcher(kind, patch_size=3, max_patch=8, threshold=2.5, image_patch=4).starts(
        toks, ent
    )
    for patch in split_patches(toks, starts):
        assert len(patch) <= 8
        if any(is_special(t) for t in patch):
            assert len(patch) == 1, patch


def test_step_by_step_equals_whole_sequence() -> None:
    toks = conversation()
    p = Patcher("entropy_monotonic", threshold=0.5, max_patch=6, image_patch=4)
    ent = [((i * 13) % 7) / 3 for i in range(len(toks))]
    state, flags = PatchState(), []
    for t, e in zip(toks, ent, strict=True):
        f, state = p.step(state, t, e)
        flags.append(f)
    assert flags == p.starts(toks, ent)


def test_cli_space_patching(tmp_path, capsys) -> None:
    f = tmp_path / "t.txt"
    f.write_bytes(b"Hello, world. Hi there")
    assert main(["patch", str(f), "--patcher", "space", "--plain"]) == 0
    out = capsys.readouterr().out
    assert "Hello,| world.| Hi |there" in out
    assert "22 bytes -> 4 patches" in out and "average patch length 5.50" in out


def test_cli_entropy_needs_a_model(tmp_path, capsys) -> None:
    f = tmp_path / "t.txt"
    f.write_bytes(b"abc")
    assert main(["patch", str(f), "--patcher", "entropy"]) == 2
    assert "needs --checkpoint" in capsys.readouterr().err
