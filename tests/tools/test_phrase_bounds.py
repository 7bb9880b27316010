"""Where a search query or a place sits in a message (tools/phrase_bounds.py)."""

from __future__ import annotations

import re

import pytest

from aether_core.tools.phrase_bounds import PLACE, QUERY, echoed


def queries(message: str, bounds=QUERY) -> set[str]:
    """Every span of ``message`` from a word's start to a word's end (never over "?" or "!",
    as the query's stop bytes) that ``bounds`` lets be the argument."""
    starts = [m.start() for m in re.finditer(r"\w[\w']*", message)]
    ends = [m.end() for m in re.finditer(r"\w[\w']*", message)]
    return {
        message[i:e]
        for i in starts
        for e in ends
        if e > i
        and not set(message[i:e]) & set("?!")
        and bounds.fits(message[:i], message[i:e], message[e:])
    }


@pytest.mark.parametrize(
    ("message", "want"),
    [
        ("Can you pls search THE SILK ROAD for me", {"THE SILK ROAD"}),
        ("can you find capital of Finland online?", {"capital of Finland"}),
        ("Web search capybara facts", {"capybara facts"}),
        ("CAN U GOOGLE Cheap Flights To Milan PLS.", {"Cheap Flights To Milan"}),
        ("is Hill-Harris a good company to work for? google it",
         {"is Hill-Harris a good company to work for"}),
        ("what's the weather in St. Louis today", {"what's the weather in St. Louis today"}),
        ("look red pandas up online", {"red pandas", "red pandas up"}),
        # a remark on why the user asks is no query, nor is what follows a lone "for"
        ("is Deoband safe for tourists? asking for a friend", {"is Deoband safe for tourists"}),
        ("can you look for cheap flights to rome", {"cheap flights to rome"}),
    ],
)  # fmt: skip
def test_the_words_around_a_request_are_never_part_of_its_query(message, want) -> None:
    assert queries(message) == want


def test_a_question_may_be_asked_whole_or_from_its_question_word() -> None:
    assert queries("do you know who wrote Dracula?") == {"do you know who wrote Dracula",
                                                        "who wrote Dracula"}  # fmt: skip
    got = queries("before I forget, tell me where is Rancharia?")
    assert "where is Rancharia" in got and not any("tell" in q for q in got)
    got = queries("I've always wondered: what is there to do in Montcada i Reixac")
    assert "what is there to do in Montcada i Reixac" in got
    assert not any(q.endswith("Montcada") or "wondered:" in q for q in got)  # no half names


def test_the_request_and_the_words_that_speak_to_the_assistant_are_left_out() -> None:
    got = queries("what can you find online about Tacos Recipe??")
    assert "Tacos Recipe" in got and not any("you" in q or q.startswith("online") for q in got)
    assert queries("how can you tell if an egg is bad") >= {"how can you tell if an egg is bad"}
    assert "Hindi for beginners" in queries(
        "ok, what can you find online abkut Hindi for beginners"
    )
    assert not queries("google it") and not queries("pls, thanks")  # nothing to search for
    assert queries("could you quickly chec online fo Photosynthesis") == {"Photosynthesis"}
    assert queries("could you get me info on the stock market") == {"the stock market"}
    assert queries("find me info o dutch for beginners") == {"dutch for beginners"}  # "on"
    assert queries("search information theory") == {"information theory"}


def test_a_query_may_end_before_a_joining_word_or_at_its_own_end() -> None:
    got = queries("search the news for Apple and tell me the time")
    assert {"the news for Apple", "Apple"} <= got
    assert "apocalypse now" in queries("search apocalypse now")  # a trailing word may be its own
    got = queries("google the time difference between Korogwe and Kanzaki please")
    assert "the time difference between Korogwe and Kanzaki" in got
    assert not any(q.endswith("Korogwe") for q in got)  # "between" awaits its "and"


def test_the_news_asked_for_stays_in_the_query() -> None:
    got = queries("Googl latest news about photosynthesis")
    assert "latest news about photosynthesis" in got and "photosynthesis" not in got
    assert "photosynthesis" in queries("google facts about photosynthesis")


def test_a_colon_ends_a_clause_unless_a_number_names_what_follows() -> None:
    got = queries("I've always wondered: what is there to do in Montcada")
    assert not any("wondered:" in q for q in got)
    got = queries("what's the plot of 2001: a space odyssey?")
    assert "what's the plot of 2001: a space odyssey" in got
    # a title's colon is no place to start or end: not "a space odyssey", not "… of 2001"
    assert not {"a space odyssey", "what's the plot of 2001"} & set(got)
    got = queries("Question 3: who wrote Dracula?")  # a number that labels what follows
    assert "who wrote Dracula" in got


@pytest.mark.parametrize(
    ("message", "want"),
    [
        ("time Queen Creek", {"Queen Creek"}),
        ("tell me asia/jerusalem time.", {"asia/jerusalem"}),
        ("what is the date in Loma Linda right now?", {"Loma Linda"}),
        ("Tell me beijing time", {"beijing"}),
        ("what's the time in new york city pls", {"new york city"}),
        ("what time is it in St. Louis?", {"St. Louis"}),
        ("time in Paris, Texas", {"Paris", "Paris, Texas", "Texas"}),
    ],
)
def test_a_place_for_the_clock_leaves_out_the_question_around_it(message, want) -> None:
    assert queries(message, PLACE) == want


@pytest.mark.parametrize(
    ("message", "text"),
    [
        ("repeat after me please — the quick brown fox", "the quick brown fox"),
        ("can you just repeat this exactly - I love Mondays!!", "I love Mondays!!"),
        ("could you say it back word for word? Meet at 3pm.", "Meet at 3pm."),
        ("type exactly this back to me, caps and all: zebra CROSSING", "zebra CROSSING"),
        ("be a parrot and say: hi there", "hi there"),  # the request set off by a colon
        ("repeat after me: I say no", "I say no"),  # the text's own "say" is no request
        ("say 'hello world' back to me", "hello world' back to me"),  # the quote ends it
        ("mic check, echo back: ABC-123", "ABC-123"),  # a hyphen inside a word separates none
    ],
)
def test_echoed_text_begins_after_the_request_and_its_qualifying_words(message, text) -> None:
    assert [message[i:] for i in echoed(message)] == [text]


def test_echoed_text_without_a_separator_may_begin_at_any_qualifying_word() -> None:
    message = "just echo back in five minutes"  # "back" may be the text's or the request's
    starts = [message[i:] for i in echoed(message)]
    assert starts == ["back in five minutes", "in five minutes", "five minutes", "minutes"]
    message = "repeat baack Ship it"  # or a typo'd one: up to three words past the last
    assert [message[i:] for i in echoed(message)] == ["baack Ship it", "Ship it", "it"]
    message = "say it is raining"  # a pronoun qualifies only before a separator
    assert [message[i:] for i in echoed(message)][0] == "it is raining"
    message = "repeat word fro word: Let's go"  # unknown words before a colon: after it
    assert [message[i:] for i in echoed(message)] == ["Let's go"]
    assert echoed("hello world, repeat it!") == ()  # the text came first: no bound
    assert echoed("repeat") == ()
