"""A drawing request read from the user's words, and a drawing step's thought held to it."""

from __future__ import annotations

import pytest

from aether_core.agent.drawing import DrawRequest, held_thought, read_request


@pytest.mark.parametrize(
    ("text", "shape", "colour", "background", "size"),
    [
        ("draw a red circle", "circle", "red", None, None),
        ("Sketch a pink square over a black background", "square", "pink", "black", None),
        ("paint a tiny brown triangle on purple", "triangle", "brown", "purple", "small"),
        ("on a blue backdrop, draw me a huge white circle", "circle", "white", "blue", "big"),
        ("make a green picture with a grey square in it", "square", "gray", "green", None),
        ("a triangle coloured orange please", "triangle", "orange", None, None),
        ("draw a circle and make the background yellow", "circle", None, "yellow", None),
        ("draw a circle on blue", "circle", None, "blue", None),  # no colour for the circle
    ],
)
def test_a_drawing_request_is_read_from_the_users_words(
    text, shape, colour, background, size
) -> None:
    got = read_request(text)
    assert got is not None
    assert (got.shape, got.colour, got.background, got.size) == (shape, colour, background, size)


def test_words_that_name_no_shape_or_several_are_no_request() -> None:
    assert read_request("draw something blue") is None
    assert read_request("draw a red circle and a blue square") is None


def test_a_thought_is_held_to_the_colour_and_shape_the_user_named() -> None:
    request = read_request("Sketch a pink square over a black background")
    assert held_thought("Draw a black background.", request) == "Draw a pink square."
    assert held_thought("Draw a black square on black.", request) == "Draw a pink square on black."
    assert held_thought("Draw a pink square on black.", request) is None  # it agrees
    big = read_request("LARGE white square, please")
    assert held_thought("Draw a big pink square.", big) == "Draw a big white square."


def test_what_the_words_do_not_say_stays_the_thoughts() -> None:
    loose = read_request("draw a circle on blue")  # the circle's colour is not said
    assert held_thought("Draw a red circle on blue.", loose) is None
    assert held_thought("Draw a circle.", loose) is None  # nothing to draw it in
    plain = read_request("render a green square against blue")
    assert held_thought("Draw a green square.", plain) is None  # no background it left out
    assert held_thought("Describe the image.", plain) is None  # no drawing's thought
    assert held_thought("Draw a red square.", None) is None
    assert DrawRequest("circle").said == frozenset()
