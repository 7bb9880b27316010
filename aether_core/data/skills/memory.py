"""Remembering and recalling facts about the user (no tool).

Memory works in two conversations. In the first the user states a fact ("remember that my sister
lives in Lyon") and the assistant acknowledges it (the agent stores it; no tool call). In a later
conversation the agent recalls it into the user turn as a MEM segment, next to unrelated
memories, and the assistant answers from it ("Your sister lives in Lyon."). The MEM text is the
fact in the user's own words ("my sister lives in Lyon"): what ``memory.extract_fact`` should
store.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ...dialogue import THOUGHT_RECALL, THOUGHT_STORE, THOUGHT_UNKNOWN
from .. import lexicon as lx
from ..phrasing import held_out, is_command, norm_split, realize, value_split
from .base import Skill, SkillSample


@dataclass(frozen=True)
class FactKind:
    """A kind of fact: its statement in the user's words and in the assistant's, the questions
    that ask for it, and which slot holds the answer. ``key`` slots identify the fact (two facts
    with the same kind and key values cannot both be true)."""

    name: str
    mine: str  # "my {rel} lives in {city}"
    yours: str  # "your {rel} lives in {city}"
    questions: tuple[str, ...]
    value: str
    key: tuple[str, ...] = ()


# Recall questions: each kind's own questions, plus shared frames around the kind's noun phrases
# ("my favourite colour") and wh-clauses ("what my favourite colour is"), so the eval split asks
# with frames and phrases training has seen, in new combinations.
RECALL_NP_FRAMES = (
    "what's {np}?", "what is {np}?", "what was {np} again?", "what's {np} again?",
    "do you know {np}?", "do you remember {np}?", "sorry, what's {np} again?",
    "can you remind me of {np}?", "I forgot {np}", "tell me {np}", "what did I tell you {np} was?",
    "what did I say {np} was?", "hey, what's {np}?", "quick question: what's {np}?",
    "remind me of {np}", "wat's {np}", "do you still know {np}?",
)  # fmt: skip
RECALL_WH_FRAMES = (
    "do you remember {wh}?", "do you know {wh}?", "do you recall {wh}?", "remind me {wh}",
    "can you remind me {wh}?", "could you remind me {wh}?", "can you tell me {wh}?", "tell me {wh}",
    "I forgot {wh}", "I can't remember {wh}", "I don't remember {wh}, do you?", "any idea {wh}?",
    "remind me again {wh}", "I was wondering if you remember {wh}", "can u remind me {wh}",
    "sorry, I forgot {wh}", "hey, do you know {wh}?",
)  # fmt: skip


def _questions(own: tuple[str, ...], nps: tuple[str, ...], whs: tuple[str, ...]) -> tuple[str, ...]:
    """A kind's questions: its own, then every frame around each of its phrases (no repeats)."""
    out = list(own)
    for frames, key, phrases in ((RECALL_NP_FRAMES, "{np}", nps), (RECALL_WH_FRAMES, "{wh}", whs)):
        for frame in frames:
            for phrase in phrases:
                q = frame.replace(key, phrase)
                if q not in out:
                    out.append(q)
    return tuple(out)


FACTS: tuple[FactKind, ...] = (
    FactKind("rel_city", "my {rel} lives in {city}", "your {rel} lives in {city}",
             _questions(("where does my {rel} live?", "in which city does my {rel} live?",
                         "do you know where my {rel} lives?", "remind me where my {rel} lives",
                         "which city is my {rel} in?", "where does my {rel} live again?",
                         "where's my {rel} living these days?", "what city does my {rel} live in?"),
                        ("the city my {rel} lives in", "my {rel}'s city"),
                        ("where my {rel} lives", "which city my {rel} lives in")),
             "city", ("rel",)),
    FactKind("rel_name", "my {rel}'s name is {name}", "your {rel}'s name is {name}",
             _questions(("what's my {rel}'s name?", "what is my {rel} called?",
                         "remind me of my {rel}'s name", "who is my {rel}?",
                         "do you remember my {rel}'s name?", "what was my {rel}'s name?",
                         "how is my {rel} called?", "tell me my {rel}'s name"),
                        ("my {rel}'s name", "the name of my {rel}"),
                        ("what my {rel} is called", "what my {rel}'s name is")),
             "name", ("rel",)),
    FactKind("colour", "my favourite colour is {colour}", "your favourite colour is {colour}",
             _questions(("what's my favourite colour?", "what is my favorite color?",
                         "do you know my favourite colour?", "which colour do I like best?",
                         "remind me of my favourite colour", "what colour do I love most?"),
                        ("my favourite colour", "my favorite color"),
                        ("what my favourite colour is", "which colour I like best")),
             "colour"),
    FactKind("food", "my favourite food is {food}", "your favourite food is {food}",
             _questions(("what's my favourite food?", "what food do I like most?",
                         "what is my favorite dish?", "what should you cook for me?",
                         "do you remember my favourite food?", "which food do I love?"),
                        ("my favourite food", "my favorite dish"),
                        ("what my favourite food is", "what food I like most")),
             "food"),
    FactKind("book", "my favourite book is {book}", "your favourite book is {book}",
             _questions(("what's my favourite book?", "which book do I love most?",
                         "what is my favorite book?", "remind me which book I like best",
                         "do you know my favourite book?", "what book do I like the most?"),
                        ("my favourite book", "my favorite book"),
                        ("what my favourite book is", "which book I love most")),
             "book"),
    FactKind("movie", "my favourite movie is {movie}", "your favourite movie is {movie}",
             _questions(("what's my favourite movie?", "which film do I like best?",
                         "what is my favorite film?", "what movie do I love?",
                         "do you remember my favourite movie?", "remind me of my favourite film"),
                        ("my favourite movie", "my favorite film"),
                        ("what my favourite film is", "which movie I like best")),
             "movie"),
    FactKind("sport", "my favourite sport is {sport}", "your favourite sport is {sport}",
             _questions(("what's my favourite sport?", "which sport do I like best?",
                         "what sport do I love?", "do you know my favourite sport?",
                         "what is my favorite sport?", "remind me what sport I like"),
                        ("my favourite sport", "my favorite sport"),
                        ("what my favourite sport is", "which sport I like best")),
             "sport"),
    FactKind("drink", "my favourite drink is {drink}", "your favourite drink is {drink}",
             _questions(("what's my favourite drink?", "what do I like to drink?",
                         "what is my favorite drink?", "which drink do I love?",
                         "do you remember my favourite drink?", "what should I order to drink?"),
                        ("my favourite drink", "my favorite drink"),
                        ("what my favourite drink is", "what I like to drink")),
             "drink"),
    FactKind("pet", "my {pet} is called {petname}", "your {pet} is called {petname}",
             _questions(("what's my {pet} called?", "what is my {pet}'s name?",
                         "what did I name my {pet}?", "how is my {pet} called?",
                         "do you remember my {pet}'s name?", "remind me of my {pet}'s name"),
                        ("my {pet}'s name", "the name of my {pet}"),
                        ("what my {pet} is called", "what I named my {pet}")),
             "petname", ("pet",)),
    FactKind("birthday", "my birthday is on {date}", "your birthday is on {date}",
             _questions(("when is my birthday?", "what's my birthday?", "when was I born?",
                         "do you know my birthday?", "remind me when my birthday is",
                         "what day is my birthday?"),
                        ("my birthday", "the date of my birthday"),
                        ("when my birthday is", "when I was born")),
             "date"),
    FactKind("rel_birthday", "my {rel}'s birthday is on {date}",
             "your {rel}'s birthday is on {date}",
             _questions(("when is my {rel}'s birthday?", "what's my {rel}'s birthday?",
                         "remind me of my {rel}'s birthday",
                         "when does my {rel} have their birthday?",
                         "do you know my {rel}'s birthday?", "what date is my {rel}'s birthday?"),
                        ("my {rel}'s birthday", "the date of my {rel}'s birthday"),
                        ("when my {rel}'s birthday is", "when my {rel} was born")),
             "date", ("rel",)),
    FactKind("job", "I work as {job}", "you work as {job}",
             _questions(("what do I do for a living?", "what's my job?", "what is my profession?",
                         "do you remember my job?", "what do I work as?",
                         "remind me what my job is"),
                        ("my job", "my profession"),
                        ("what I do for a living", "what I work as")),
             "job"),
    FactKind("car", "I drive {car}", "you drive {car}",
             _questions(("what car do I drive?", "which car do I have?", "what do I drive?",
                         "what kind of car is mine?", "do you remember my car?",
                         "remind me what I drive"),
                        ("my car", "the car I drive"),
                        ("what car I drive", "which car I have")),
             "car"),
    FactKind("home", "I live in {city}", "you live in {city}",
             _questions(("where do I live?", "which city do I live in?",
                         "do you know where I live?", "remind me where I live",
                         "what's my home town?", "where is my home?"),
                        ("my home town", "the city I live in"),
                        ("where I live", "which city I live in")),
             "city"),
    FactKind("born", "I was born in {city}", "you were born in {city}",
             _questions(("where was I born?", "which city was I born in?",
                         "do you know where I was born?", "what's my birthplace?",
                         "remind me where I was born", "where am I from originally?"),
                        ("my birthplace", "the city I was born in"),
                        ("where I was born", "which city I was born in")),
             "city"),
    FactKind("allergy", "I'm allergic to {allergen}", "you're allergic to {allergen}",
             _questions(("what am I allergic to?", "do I have any allergies?",
                         "what's my allergy?", "which allergy do I have?",
                         "remind me what I'm allergic to", "is there something I'm allergic to?"),
                        ("my allergy", "the thing I'm allergic to"),
                        ("what I'm allergic to", "what my allergy is")),
             "allergen"),
    FactKind("language", "I'm learning {lang}", "you're learning {lang}",
             _questions(("what language am I learning?", "which language am I studying?",
                         "do you remember what language I'm learning?",
                         "what am I learning these days?", "remind me which language I'm learning",
                         "which language do I practise?"),
                        ("the language I'm learning", "the language I'm studying"),
                        ("what language I'm learning", "which language I'm studying")),
             "lang"),
    FactKind("rel_age", "my {rel} is {age} years old", "your {rel} is {age} years old",
             _questions(("how old is my {rel}?", "what's my {rel}'s age?",
                         "do you know how old my {rel} is?", "remind me how old my {rel} is",
                         "what age is my {rel}?", "how old's my {rel}?"),
                        ("my {rel}'s age", "the age of my {rel}"),
                        ("how old my {rel} is", "what age my {rel} is")),
             "age", ("rel",)),
    FactKind("rel_job", "my {rel} works as {job}", "your {rel} works as {job}",
             _questions(("what does my {rel} do?", "what's my {rel}'s job?",
                         "what does my {rel} work as?", "do you remember my {rel}'s job?",
                         "remind me what my {rel} does for work", "what is my {rel}'s profession?"),
                        ("my {rel}'s job", "my {rel}'s profession"),
                        ("what my {rel} does for a living", "what my {rel} works as")),
             "job", ("rel",)),
    FactKind("rel_study", "my {rel} studies {subject}", "your {rel} studies {subject}",
             _questions(("what does my {rel} study?", "what is my {rel} studying?",
                         "do you know what my {rel} studies?", "remind me what my {rel} studies",
                         "which subject does my {rel} study?", "what's my {rel}'s major?"),
                        ("my {rel}'s subject", "my {rel}'s major"),
                        ("what my {rel} studies", "which subject my {rel} is studying")),
             "subject", ("rel",)),
    FactKind("number", "my favourite number is {number}", "your favourite number is {number}",
             _questions(("what's my favourite number?", "which number do I like best?",
                         "what is my favorite number?", "do you remember my favourite number?",
                         "remind me of my favourite number", "what's my lucky number?"),
                        ("my favourite number", "my favorite number"),
                        ("what my favourite number is", "which number I like best")),
             "number"),
    FactKind("locker", "my locker number is {number}", "your locker number is {number}",
             _questions(("what's my locker number?", "which locker is mine?",
                         "what is my locker number?", "do you remember my locker number?",
                         "remind me of my locker number", "which number is my locker?"),
                        ("my locker number", "the number of my locker"),
                        ("what my locker number is", "which locker is mine")),
             "number"),
)  # fmt: skip

STORE_TEMPLATES = (
    "remember that {fact}", "please remember that {fact}", "remember: {fact}", "note that {fact}",
    "don't forget that {fact}", "keep in mind that {fact}", "for the record, {fact}", "FYI {fact}",
    "just so you know, {fact}", "save this: {fact}", "memorize this: {fact}", "make a note: {fact}",
    "store this fact: {fact}", "{fact}. remember that", "{fact}, remember it",
    "can you remember that {fact}?", "I want you to remember that {fact}",
    "remember this for later: {fact}", "a fact about me: {fact}", "take note: {fact}",
    "hey, remember that {fact}", "write down that {fact}", "{fact}. please remember",
    "don't forget: {fact}", "good to know for later: {fact}", "remember {fact}",
    "pls remember {fact}", "please remember: {fact}", "would you remember that {fact}",
    "could you remember that {fact}?", "will you remember that {fact}?",
    "kindly remember that {fact}", "remember this: {fact}", "remember the following: {fact}",
    "memorize: {fact}", "memorise that {fact}", "keep in mind: {fact}", "do not forget that {fact}",
    "never forget that {fact}", "please keep in mind that {fact}", "dont forget {fact}",
    "don't forget, {fact}", "note: {fact}", "please note that {fact}", "note down that {fact}",
    "make a note that {fact}", "take note that {fact}", "jot this down: {fact}",
    "jot down that {fact}", "write this down: {fact}", "save this fact: {fact}",
    "store this: {fact}", "record this: {fact}", "log this: {fact}", "save this for later: {fact}",
    "fyi, {fact}", "fyi: {fact}", "btw, just so you know, {fact}", "one thing about me: {fact}",
    "just so you know: {fact}", "one fact about me: {fact}", "I'd like you to remember that {fact}",
    "I want you to know that {fact}", "I'd like you to know that {fact}", "for later: {fact}",
    "ok so remember that {fact}", "also, remember that {fact}", "oh and don't forget that {fact}",
    "okay, note that {fact}", "aether, remember that {fact}", "{fact}. don't forget",
    "{fact}, please remember that", "{fact} - remember that", "{fact}. keep that in mind",
    "{fact}. note that", "{fact}. make a note of it", "{fact}, memorize that",
    "{fact}. remember it, thanks", "{fact}. remember this please", "remember for later: {fact}",
    "can you please remember that {fact}?", "could you note that {fact}?",
    "please save this: {fact}", "please make a note: {fact}", "remember, {fact}",
    "good to know: {fact}", "also, for the record: {fact}", "just so you know {fact}",
    "hi aether, please remember that {fact}", "so, for the record, {fact}",
)  # fmt: skip
STORE_ANSWERS = ("OK, I'll remember that {yours}.", "Got it, I'll remember that {yours}.",
                 "Noted: {yours}.")  # fmt: skip
UNKNOWN_ANSWERS = ("I don't know that yet. Tell me and I'll remember it.",
                   "Sorry, I don't know that. You haven't told me yet.")  # fmt: skip
SLOT_SOURCES = {
    "rel": "RELATIONS", "city": "WORLD_CITIES", "name": "FIRST_NAMES", "colour": "COLOUR_WORDS",
    "food": "FOODS", "book": "BOOKS", "movie": "MOVIES", "sport": "SPORTS", "drink": "DRINKS",
    "pet": "PETS", "petname": "PET_NAMES", "job": "JOBS", "car": "CARS", "allergen": "ALLERGENS",
    "lang": "LANGUAGES", "subject": "SUBJECTS",
}  # fmt: skip


def _slot_value(slot: str, rng: random.Random, split: str) -> str:
    if slot in SLOT_SOURCES:
        return rng.choice(held_out(getattr(lx, SLOT_SOURCES[slot]), split))
    while True:  # numbers and dates: partitioned by hash
        if slot == "age":
            v = str(rng.randint(2, 99))
        elif slot == "number":
            v = str(rng.randint(1, 999))
        else:  # date
            month = rng.choice(lx.MONTHS)
            v = (
                f"{month} {rng.randint(1, 28)}"
                if rng.random() < 0.6
                else f"{rng.randint(1, 28)} {month}"
            )
        if value_split(v) == split:
            return v


@dataclass(frozen=True)
class Fact:
    kind: FactKind
    values: dict[str, str]

    @property
    def mine(self) -> str:
        return self.kind.mine.format(**self.values)

    @property
    def yours(self) -> str:
        return self.kind.yours.format(**self.values)

    @property
    def answer_value(self) -> str:
        return self.values[self.kind.value]

    @property
    def identity(self) -> tuple[str, ...]:
        return (self.kind.name, *(self.values[k] for k in self.kind.key))


def random_fact(rng: random.Random, split: str, kind: FactKind | None = None) -> Fact:
    kind = kind or rng.choice(FACTS)
    slots = {name for name in _slot_names(kind.mine)}
    return Fact(kind, {s: _slot_value(s, rng, split) for s in sorted(slots)})


def _slot_names(template: str) -> list[str]:
    from string import Formatter

    return [n for _, n, _, _ in Formatter().parse(template) if n]


def memory_text(fact: Fact, rng: random.Random) -> str:
    """How a stored fact reads in a MEM segment: the user's words, sometimes capitalized."""
    text = fact.mine
    if rng.random() < 0.3:
        text = text[:1].upper() + text[1:]
    if rng.random() < 0.2:
        text += "."
    return text


def distractor_memories(rng: random.Random, split: str, avoid: Fact | None = None,
                        n: int | None = None) -> tuple[str, ...]:  # fmt: skip
    """1-2 unrelated recalled facts, as the agent's memory search may return them."""
    split = norm_split(split)
    out: list[Fact] = []
    for _ in range(n if n is not None else rng.choice((1, 1, 2))):
        other = random_fact(rng, split)
        if (avoid is None or other.identity != avoid.identity) and all(
            other.identity != d.identity for d in out
        ):
            out.append(other)
    return tuple(memory_text(f, rng) for f in out)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def memory(rng: random.Random, split: str) -> SkillSample:
    """Store a fact (35%), answer from a recalled MEM segment (55%), or admit not knowing (10%)."""
    split = norm_split(split)
    r = rng.random()
    fact = random_fact(rng, split)
    if r < 0.35:
        template = rng.choice(held_out(STORE_TEMPLATES, split))
        prompt = realize(template, {"fact": fact.mine}, rng, split, verbatim=("fact",),
                         imperative=is_command(template))  # fmt: skip
        answer = rng.choice(STORE_ANSWERS).format(yours=fact.yours)
        # the agent searches memory on every turn, so older facts may show up here too
        olds = distractor_memories(rng, split, fact) if rng.random() < 0.3 else ()
        return SkillSample("memory", split, prompt, "store", template, thought=THOUGHT_STORE,
                           answer=answer, expected_answer_contains=(fact.answer_value,),
                           memories=olds, extra={"fact": fact.mine})  # fmt: skip
    template = rng.choice(held_out(fact.kind.questions, split))
    prompt = realize(template, fact.values, rng, split)
    distractors: list[Fact] = []
    for _ in range(rng.choice((0, 1, 1, 2, 2))):
        other = random_fact(rng, split, rng.choice((None, fact.kind)))
        if other.identity != fact.identity and all(
            other.identity != d.identity for d in distractors
        ):
            distractors.append(other)
    if r < 0.9:
        mems = [fact, *distractors]
        rng.shuffle(mems)
        return SkillSample(
            "memory",
            split,
            prompt,
            "recall",
            template,
            memories=tuple(memory_text(m, rng) for m in mems),
            thought=THOUGHT_RECALL,
            answer=_capital(fact.yours) + ".",
            expected_answer_contains=(fact.answer_value,),
            extra={"fact": fact.mine},
        )
    return SkillSample(
        "memory",
        split,
        prompt,
        "unknown",
        template,
        memories=tuple(memory_text(m, rng) for m in distractors),
        thought=THOUGHT_UNKNOWN,
        answer=rng.choice(UNKNOWN_ANSWERS),
        expected_answer_contains=("don't know",),
    )


SKILL = Skill("memory", memory, weight=1.5)
