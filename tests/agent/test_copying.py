"""The copy prior: candidates from the longest matching tail, a mixture that grows with the match,
ends of quoted spans, and where the step grammar applies it (string args that are quoted, answers)."""

from __future__ import annotations

import torch

from aether_core import dialogue
from aether_core.agent.call_grammar import tool_arg_types
from aether_core.agent.constrain import StepGrammar
from aether_core.agent.copying import END, MAX_WEIGHT, PAUSE_EVIDENCE, CopyPrior, copy_sources
from aether_core.segments import Memory, Message, Text
from aether_core.tools import default_registry
from aether_core.tools.phrase_bounds import echoed
from aether_core.vocab import VOCAB_SIZE, Tok


def test_candidates_follow_the_longest_matching_tail() -> None:
    prior = CopyPrior([b"please repeat: purple elephants dance", b"tool says purple rain"])
    assert prior.candidates(b"xx purple ") == ({ord("e"), ord("r")}, 8)  # " purple " twice
    assert prior.candidates(b"purple el") == ({ord("e")}, 9)
    assert prior.candidates(b"dance") == ({END}, 5)  # the end of a source
    assert prior.candidates(b"") == (set(), 0) and prior.candidates(b"\x01\x02") == (set(), 0)


def test_with_first_a_source_goes_on_as_it_first_did() -> None:
    results = b"1. Css grid: a guide - https://x.dev\n   Css grid explained simply."
    colon, space = ord(":"), ord(" ")
    assert CopyPrior([results]).candidates(b"Top: Css grid")[0] == {colon, space}
    first = CopyPrior([results], first=True)
    assert first.candidates(b"Top: Css grid")[0] == {colon}  # the top result's title goes on
    assert first.candidates(b"Css grid e")[0] == {ord("x")}  # a longer tail still decides
    two = CopyPrior([results, b"Css grid tips"], first=True)
    assert two.candidates(b"Css grid")[0] == {colon, space}  # the first place in each source


def test_with_words_a_tail_is_evidence_from_a_word_start_only() -> None:
    page = b"Title: A guide to birdwatching\nURL: https://x.org\n\nThe basics fit on one page. Go."
    loose, words = CopyPrior([page], first=True), CopyPrior([page], first=True, words=True)
    assert loose.candidates(b"The page") == ({ord(".")}, 6)  # "e page" of "one page."
    assert words.candidates(b"The page") == ({ord(".")}, 4)  # "page": one word of evidence
    assert words.candidates(b"The pagination") == (set(), 0)  # no word of it starts there
    assert words.candidates(b"Summary: The basics")[0] == {ord(" ")}


def test_a_long_tail_tells_apart_a_title_and_the_sentence_that_repeats_it() -> None:
    topic = b"a hacker news discussion"  # 24 bytes, in the title and the first sentence
    page = b"Title: A guide to " + topic + b"\nURL: https://x.org\n\nThis explains " + topic
    prior = CopyPrior([page + b" step by step."], first=True, words=True)
    assert prior.candidates(b"Summary: A guide to " + topic)[0] == {ord("\n")}
    assert prior.candidates(b"Summary: This explains " + topic)[0] == {ord(" ")}


def test_with_pauses_an_answer_may_stop_after_a_title_or_sentence_as_well_as_go_on() -> None:
    results = "1. Honey bee facts — https://x.org/bees\n   Bees. St. Bee is big.".encode()
    page = b"Title: Bees\nURL: https://x.org\n\nBees dance. They sing."
    prior = CopyPrior([results, page], first=True, words=True, pauses=True)
    stop_or_on = ({END, ord(" ")}, PAUSE_EVIDENCE)  # weak evidence either way
    assert prior.candidates(b"Top result: Honey bee facts") == stop_or_on  # " — "
    assert prior.candidates(b"Summary: Bees dance.") == stop_or_on  # after a full stop
    assert prior.candidates(b"Bees. St.")[0] == {ord(" ")}  # an abbreviation's stop goes on
    assert prior.candidates(b"URL: https://x.org")[0] == {ord("\n")}  # a line break: no pause
    calc = CopyPrior([b"86400 seconds"], first=True, words=True, pauses=True)
    assert calc.candidates(b"That's 86400 seconds") == ({END}, 13)  # all of it: it ends
    assert calc.candidates(b"seconds") == ({END}, PAUSE_EVIDENCE)  # its last word: may go on
    loose = CopyPrior([results], first=True, words=True)
    assert loose.candidates(b"Top result: Honey bee facts")[0] == {ord(" ")}


def test_a_value_that_opens_after_a_quote_mark_ends_at_its_closing_mark() -> None:
    prior = CopyPrior([b"say 'hello world' back, it's fine"])
    assert prior.candidates(b"hello world")[0] == {END}  # opened by "'": closed by it
    assert prior.candidates(b"lo world")[0] == {ord("'")}  # not from the quote: copied on
    assert prior.candidates(b"it")[0] == {ord("'")}  # an apostrophe inside a word goes on
    logits = torch.zeros(VOCAB_SIZE)
    mixed = prior.mix_span(logits, b"hello world", b"", ord('"'))
    assert int(mixed.argmax()) == ord('"')  # the string closes where the quotation does
    spans = {t for t, _ in CopyPrior([b"echo 'red fox' now"]).spans(b"", 96)}
    assert b"red fox" in spans and b"red fox' now" not in spans and b"fox' now" in spans


def test_stop_bytes_and_trailing_punctuation_end_a_value() -> None:
    prior = CopyPrior([b"read https://x.org/a?id=3? thanks, and https://y.org/b now"])
    stop = b" \t\n"
    assert prior.candidates(b"https://x.org/a", stop)[0] == {ord("?")}  # a query string goes on
    assert prior.candidates(b"https://x.org/a?id=3", stop)[0] == {END}  # "? " is punctuation
    assert prior.candidates(b"https://y.org/b", stop)[0] == {END}  # whitespace stops a URL
    assert prior.candidates(b"https://y.org/b")[0] == {ord(" ")}  # without stop bytes: copy on


def test_the_mixture_grows_with_the_match_and_keeps_the_model_in_it() -> None:
    prior = CopyPrior([b"All systems go"], rate=0.12)
    logits = torch.zeros(VOCAB_SIZE)
    logits[ord("x")] = 12.0  # the model is sure of something else
    short = torch.softmax(prior.mix(logits, b"go"), -1)  # k=2: " go" -> END only: no change
    assert torch.allclose(short, torch.softmax(logits, -1))
    p2 = torch.softmax(prior.mix(logits, b"sy"), -1)[ord("s")]  # k=2
    p8 = torch.softmax(prior.mix(logits, b"All syst"), -1)[ord("e")]  # k=8
    assert 0.2 < p2 < 0.3 and p8 > 0.9 and p8 <= MAX_WEIGHT + 1e-3
    mixed = torch.softmax(prior.mix(logits, b"All syst"), -1)
    assert abs(float(mixed.sum()) - 1.0) < 1e-4 and mixed[ord("x")] > 0.04
    ended = torch.softmax(prior.mix(logits, b"systems go", end_token=ord('"')), -1)
    assert ended[ord('"')] > 0.9


def test_sources_are_the_users_words_tool_results_and_memories_answers_skip_the_question() -> None:
    turn = [
        Message("user", (Memory(b"my sister lives in Lyon"), Text(b"where does she live?"))),
        dialogue.tool_step("look", "echo", {"text": "x"}),
        dialogue.tool_message(True, "Lyon, France"),
        dialogue.answer_step("t", "assistant words are not a source"),
    ]
    assert copy_sources(turn) == [
        b"my sister lives in Lyon",
        b"where does she live?",
        b"Lyon, France",
    ]
    assert copy_sources(turn, user=False) == [b"my sister lives in Lyon", b"Lyon, France"]
    failed = [*turn, dialogue.tool_message(False, "SearchError: search failed: timed out")]
    assert copy_sources(failed)[-1] == b"SearchError: search failed: timed out"  # for arguments
    assert copy_sources(failed, user=False) == copy_sources(turn, user=False)  # not for answers


def _grammar(source: bytes) -> StepGrammar:
    g = StepGrammar(tool_arg_types(default_registry()))
    g.copy = g.answer_copy = CopyPrior([source])
    for t in (Tok.THOUGHT_START, Tok.STREAM, *b"ok", Tok.THOUGHT_END):
        g.advance(int(t))
    return g


def _call(g: StepGrammar, text: bytes) -> None:
    g.advance(int(Tok.CALL_START))
    g.advance(int(Tok.STREAM))
    for b in text:
        g.advance(b)


def test_the_grammar_applies_it_to_quoted_args_and_answers_only() -> None:
    logits = torch.zeros(VOCAB_SIZE)
    g = _grammar(b"repeat: Ship it! *wow*")
    _call(g, b'{"tool": "echo", "args": {"text": "Ship it!')
    assert torch.softmax(g.reweight(logits), -1)[ord(" ")] > 0.9
    g = _grammar(b"what is 37*(12+5)?")
    _call(g, b'{"tool": "calc", "args": {"expression": "37*(12')
    assert torch.equal(g.reweight(logits), logits)  # calc expressions are not quoted verbatim,
    g = _grammar(b"what is 9000 minus 4375, or 90 minus 4?")
    _call(g, b'{"tool": "calc", "args": {"expression": "900')
    assert int(g.reweight(logits).argmax()) == ord("0")  # but their numbers are: 900 -> 9000
    _call(g := _grammar(b"what is 9000 minus 4375, or 90 minus 4?"), b'{"tool": "calc", '
          b'"args": {"expression": "90')  # fmt: skip
    assert torch.equal(g.reweight(logits), logits)  # 90 may be complete: the model decides
    _call(
        g := _grammar(b"what is 9000 minus 4375?"), b'{"tool": "calc", "args": {"expression": "43'
    )
    assert int(g.reweight(logits).argmax()) == ord("7")  # numbers start at a boundary
    _call(
        g := _grammar(b"what is 9000 minus 4375?"), b'{"tool": "calc", "args": {"expression": "37'
    )
    assert torch.equal(g.reweight(logits), logits)  # "37" inside "4375" is not a number
    g = _grammar(b"the time in Tokyo?")
    _call(g, b'{"tool": "time", "args": {"timezone": "Tok')
    assert int(g.reweight(logits).argmax()) == ord("y")  # the city is quoted verbatim
    g = _grammar(b"the time in Tokyo?")
    _call(g, b'{"tool": "time", "args": {"timezone": "Asia/')
    probs = torch.softmax(g.reweight(logits), -1)
    assert torch.allclose(probs, torch.softmax(logits, -1))  # nothing quoted here: no push
    g = _grammar(b"my favourite sport is baseball")
    for b in b"Your favourite sport is base":
        g.advance(b)
    assert torch.softmax(g.reweight(logits), -1)[ord("b")] > 0.9
    for b in b"ball":
        g.advance(b)
    assert torch.softmax(g.reweight(logits), -1)[int(Tok.EOS)] > 0.9  # quoted to the end: done
    g = _grammar(b"abc")
    assert g.phase == "after_thought" and torch.equal(g.reweight(logits), logits)


def test_answers_do_not_parrot_the_question() -> None:
    logits = torch.zeros(VOCAB_SIZE)
    g = StepGrammar(tool_arg_types(default_registry()))
    g.copy = CopyPrior([b"what's the answer to 66*5-85?", b"245"])
    g.answer_copy = CopyPrior([b"245"])
    for t in (Tok.THOUGHT_START, Tok.STREAM, *b"ok", Tok.THOUGHT_END):
        g.advance(int(t))
    for b in b"The answer to":
        g.advance(b)
    assert torch.equal(g.reweight(logits), logits)  # the question is not a source for answers
    for b in b" is 24":
        g.advance(b)
    assert int(g.reweight(logits).argmax()) == ord("5")  # the tool output is
    confident = torch.zeros(VOCAB_SIZE)
    confident[ord("6")] = 8.0  # the model is sure of the wrong digit
    assert int(g.reweight(confident).argmax()) == ord("5")  # a number of the sources wins


def test_quoted_args_start_at_a_word_and_follow_it() -> None:
    prior = CopyPrior([b"find me reviews of the new Kindle Paperwhite"])
    logits = torch.zeros(VOCAB_SIZE)
    logits[ord("h")] = 3.0  # a small model's favourite first byte: "he new Kindle"
    first = prior.mix_span(logits, b"", end_token=ord('"'))
    assert int(first.argmax()) != ord("h")
    words = {ord(c) for c in "fmrotnkpFMROTNKP"}
    assert all(first[b] == logits[b] for b in words) and first[ord('"')] == logits[ord('"')]
    assert first[ord("h")] < logits[ord("h")] - 2.5 and first[ord("x")] < 0
    assert int(prior.mix_span(torch.zeros(VOCAB_SIZE), b"K").argmax()) == ord("i")
    assert int(prior.mix_span(torch.zeros(VOCAB_SIZE), b"kindle p").argmax()) == ord(
        "a"
    )  # any case
    end = prior.mix_span(torch.zeros(VOCAB_SIZE), b"Paperwhite", end_token=ord('"'))
    assert int(end.argmax()) == ord('"')  # the span ends with its source
    mid = prior.mix_span(torch.zeros(VOCAB_SIZE), b"ew")  # "ew" starts no word: no push
    assert torch.equal(mid, torch.zeros(VOCAB_SIZE))


def test_a_value_begins_only_where_its_tool_says() -> None:
    prior = CopyPrior(["repeat after me please — The quick brown fox".encode()])
    logits = torch.zeros(VOCAB_SIZE)
    logits[ord("a")] = 10.0  # the model starts at the request's words: "after me please — …"
    first = prior.mix_span(logits, b"", end_token=ord('"'), begins=echoed)
    assert int(first.argmax()) == ord("T")  # as written: not "t", not an empty value
    assert first[ord("t")] < -20 and first[ord('"')] < -20
    logits = torch.zeros(VOCAB_SIZE)
    logits[ord("h")] = 1.0
    assert int(prior.mix_span(logits, b"T", begins=echoed).argmax()) == ord("h")
    unbound = prior.mix_span(torch.zeros(VOCAB_SIZE), b"", begins=lambda _: ())
    assert unbound[ord("a")] == 0.0 and unbound[ord("t")] == 0.0  # none said: any word


def test_a_phrase_arg_leaves_its_end_to_the_model() -> None:
    prior = CopyPrior([b"can u google capital of norway pls"])
    assert prior.word_ends(b"capital of norway") and prior.word_ends(b"Capital")
    assert not prior.word_ends(b"capital of nor") and not prior.word_ends(b"")
    assert not prior.word_ends(b"pital")  # not a span of the sources' words
    logits = torch.zeros(VOCAB_SIZE)
    logits[ord('"')] = 2.0  # the model would close the query here
    g = _grammar(b"can u google capital of norway pls")
    _call(g, b'{"tool": "web_search", "args": {"query": "capital of norway')
    assert int(g.reweight(logits).argmax()) == ord('"')  # not pushed on into " pls"
    g = _grammar(b"can u google capital of norway pls")
    _call(g, b'{"tool": "web_search", "args": {"query": "capital of nor')
    assert int(g.reweight(logits).argmax()) == ord("w")  # inside a word the sources still lead
    g = _grammar(b"repeat after me: capital of norway pls")
    _call(g, b'{"tool": "echo", "args": {"text": "capital of norway')
    assert int(g.reweight(logits).argmax()) == ord(" ")  # echo quotes to the end: pushed on


def test_spans_start_and_end_at_words_and_never_cross_a_stop() -> None:
    prior = CopyPrior([b'google "red fox" caf\xc3\xa9s, c++ tips? ok', b"tool output"])
    spans = {text: [text[:e] for e in ends] for text, ends in prior.spans(b"?", 96)}
    assert spans[b"red fox"] == [b"red", b"red fox"]  # a quote ends a span: it would need \"
    assert spans[b"caf\xc3\xa9s, c++ tips"] == [b"caf\xc3\xa9s", b"caf\xc3\xa9s,", b"caf\xc3\xa9s, c",
                                            b"caf\xc3\xa9s, c++", b"caf\xc3\xa9s, c++ tips"]  # fmt: skip
    assert spans[b"ok"] == [b"ok"] and spans[b"output"] == [b"output"]  # sources stay apart
    assert b"fox" in spans and not any(t[:2] in (b"oo", b"ox", b"ed", b"++") for t in spans)
    short = {t[:e] for t, ends in CopyPrior([b"search penguins of antarctica"]).spans(b"", 12)
             for e in ends}  # fmt: skip
    assert short == {
        b"search",
        b"penguins",
        b"penguins of",
        b"of",
        b"antarctica",
    }  # 12 bytes at most


def test_a_factorial_sign_stays_in_a_span_that_a_bang_otherwise_stops() -> None:
    spans = CopyPrior([b"whats 6! and 4!=24 wow! ok"]).spans(b"?!", 96)
    ends = {t[:e] for t, ends in spans for e in ends}
    assert b"6!" in ends and b"6! and 4" in ends  # "6!": six factorial
    assert not any(b"4!" in e or b"wow!" in e for e in ends)  # "!=" and "wow!" stop it


def test_a_span_may_end_before_the_punctuation_that_ends_its_text() -> None:
    spans = CopyPrior([b"summary of https://x.de/en/bikes/?"]).spans(b" ", 96)
    ends = {t[:e] for t, ends in spans for e in ends}
    assert b"https://x.de/en/bikes/" in ends and b"https://x.de/en/bikes/?" in ends


def test_a_long_message_still_offers_its_spans_but_a_page_does_not() -> None:
    words = b" ".join(b"word%d" % i for i in range(60))  # ~400 bytes: longer than any span
    spans = CopyPrior([words + b". search visa rules for peru please"]).spans(b"", 64)
    phrases = {t[:e] for t, ends in spans for e in ends}
    assert b"visa rules for peru" in phrases and b"word0 word1" in phrases
    assert max(len(p) for p in phrases) <= 64
    assert all(p.split(b" ")[-1] in words.split(b" ") + b"search visa rules for peru please".split()
               or p.endswith(b".") for p in phrases)  # fmt: skip  # never a word cut short
    assert CopyPrior([b"x " * 600]).spans(b"", 64) == []  # a page: too many spans to score


def test_a_pick_span_arg_offers_the_spans_at_its_opening_quote_only() -> None:
    g = _grammar(b"can u google capital of norway pls")
    assert g.choices() is None
    _call(g, b'{"tool": "web_search", "args": {"query": "')
    offered = g.choices()
    assert all(c.tokens for c in offered)  # an empty query is not valid, so not offered
    phrases = {bytes(c.tokens[:e]) for c in offered for e in c.ends if e}
    assert phrases == {b"capital of norway"}  # the query's bounds (tools/phrase_bounds.py)
    assert all(c.close == ord('"') for c in offered)
    g.advance(ord("c"))
    assert g.choices() is None  # once written, never offered again
    g = _grammar(b"repeat after me: capital of norway")
    _call(g, b'{"tool": "echo", "args": {"text": "')
    assert g.choices() is None  # echo quotes, it does not pick


def test_spans_keep_the_ends_that_fit_where_they_are_and_all_of_them_where_none_fits() -> None:
    def fits(before: str, span: str, after: str) -> bool:
        return after in ("", " pls") and (not before or before.endswith("up "))

    prior = CopyPrior([b"look up red fox pls", b"red fox facts"])
    spans = {t[:e] for t, ends in prior.spans(b"", 96, fits) for e in ends}
    assert spans == {b"look up red fox", b"look up red fox pls", b"red fox", b"red fox pls",
                     b"red fox facts"}  # fmt: skip
    g = _grammar(b"can u google pls")
    _call(g, b'{"tool": "web_search", "args": {"query": "')
    phrases = {bytes(c.tokens[:e]) for c in g.choices() for e in c.ends if e}
    assert b"can u google" in phrases and b"pls" in phrases  # no query fits: the model decides


def test_a_span_is_scored_as_decoding_would_weigh_it() -> None:
    g = _grammar(b"can u google capital of norway pls")
    _call(g, b'{"tool": "web_search", "args": {"query": "')
    span = b"capital of norway"
    rows = torch.randn(len(span) + 1, VOCAB_SIZE, generator=torch.Generator().manual_seed(0))
    picked, close = g.choice_logprobs(rows, list(span), ord('"'))
    walk = _grammar(b"can u google capital of norway pls")
    _call(walk, b'{"tool": "web_search", "args": {"query": "')
    for t, b in enumerate([*span, ord('"')]):  # the same grammar, byte by byte
        lp = torch.log_softmax(walk.reweight(rows[t]).float(), -1)
        assert torch.isclose(close[t], lp[ord('"')])
        if t < len(span):
            assert torch.isclose(picked[t], lp[b])
            walk.advance(b)
    plain = torch.log_softmax(rows, -1)
    assert picked[3] > plain[3, span[3]] + 1.0  # inside a word the prior carries the span on
    assert torch.isclose(close[len(span)], plain[len(span), ord('"')])  # at its end: the model's


def test_an_answer_that_stores_a_fact_is_not_pushed_towards_a_recalled_one() -> None:
    def answer_logits(thought: bytes) -> tuple[torch.Tensor, torch.Tensor]:
        g = StepGrammar(tool_arg_types(default_registry()))
        g.answer_copy = CopyPrior([b"my sister is called Ada"], first=True)
        for t in [
            Tok.THOUGHT_START,
            Tok.STREAM,
            *thought,
            Tok.THOUGHT_END,
            *b"Your cat is called ",
        ]:
            g.advance(t)
        flat = torch.zeros(VOCAB_SIZE)
        return flat, g.reweight(flat)

    flat, storing = answer_logits(dialogue.THOUGHT_STORE.encode())
    assert torch.equal(storing, flat)  # the user's "Miso" is the model's to copy
    flat, recalling = answer_logits(b"Answer from memory.")
    assert int(recalling.argmax()) == ord("A")  # a recall quotes the memory
