"""Skills answered without a tool: small talk, and remembering/recalling facts about the user.

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

from . import lexicon as lx
from .phrasing import held_out, norm_split, realize, value_split
from .skills import SkillSample

# ================================================================================ small talk
# category -> (user templates, assistant answers, thought). Templates are split, answers shared.
SMALL_TALK: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "greeting": (
        ("hi", "hello", "hey there", "good morning", "hiya", "hey", "greetings", "hello aether",
         "good evening", "howdy", "hi there!", "morning!", "good afternoon", "hello there",
         "hey aether!"),
        ("Hello! How can I help you today?", "Hi! What can I do for you?", "Hey! How can I help?"),
        "Greeting, no tool.",
    ),
    "how_are_you": (
        ("how are you?", "how's it going?", "how are you doing today?", "you ok?",
         "how do you do?", "what's up?", "how have you been?", "all good with you?",
         "how's your day?", "how are things?"),
        ("I'm doing well, thanks! How can I help?", "All good here, thanks for asking. What do you need?"),
        "Small talk, no tool.",
    ),
    "thanks": (
        ("thanks", "thank you!", "thx", "thanks a lot", "cheers", "much appreciated", "ty",
         "great, thanks!", "thank you so much", "perfect, thanks", "awesome thank you",
         "thanks for the help"),
        ("You're welcome!", "Happy to help!", "Anytime!"),
        "Thanks, no tool.",
    ),
    "identity": (
        ("who are you?", "what are you?", "what's your name?", "introduce yourself",
         "are you a robot?", "are you human?", "tell me about yourself", "what should I call you?",
         "are you an AI?", "who made you?"),
        ("I'm Aether, a small assistant that runs locally on your computer.",
         "My name is Aether. I'm a local assistant: I can use a few tools to help you."),
        "About me, no tool.",
    ),
    "abilities": (
        ("what can you do?", "help", "what are your skills?", "what tools do you have?",
         "how can you help me?", "what are you good at?", "what do you know how to do?",
         "list your abilities", "can you do anything useful?", "what features do you have?"),
        ("I can search the web, read pages, do math, tell the time, repeat text, describe "
         "images, draw simple shapes and remember facts you tell me.",),
        "About my tools, no tool.",
    ),
    "joke": (
        ("tell me a joke", "make me laugh", "know any jokes?", "say something funny",
         "got a joke for me?", "I need a laugh", "tell me something funny", "joke please",
         "cheer me up with a joke", "do you know a good joke?"),
        lx.JOKES,
        "A joke, no tool.",
    ),
    "bye": (
        ("bye", "goodbye", "see you later", "good night", "that's all, thanks", "see ya",
         "talk to you later", "I'm done for today", "bye bye", "catch you later"),
        ("Goodbye! Have a great day.", "Bye! Talk to you soon."),
        "Goodbye, no tool.",
    ),
    "compliment": (
        ("you're great", "good job", "nice work", "you're smart", "well done",
         "you're really helpful", "great answer", "I like you", "you rock", "that was quick"),
        ("Thank you! Glad I could help.", "Thanks, that's kind of you!"),
        "Compliment, no tool.",
    ),
}  # fmt: skip


def small_talk(rng: random.Random, split: str) -> SkillSample:
    """A greeting, thanks, joke... answered directly, without a tool."""
    split = norm_split(split)
    category = rng.choice(sorted(SMALL_TALK))
    templates, answers, thought = SMALL_TALK[category]
    template = rng.choice(held_out(templates, split))
    prompt = realize(template, {}, rng, split)
    return SkillSample("chat", split, prompt, category, template, thought=thought,
                       answer=rng.choice(answers))  # fmt: skip


# ================================================================================ memory
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


FACTS: tuple[FactKind, ...] = (
    FactKind("rel_city", "my {rel} lives in {city}", "your {rel} lives in {city}",
             ("where does my {rel} live?", "in which city does my {rel} live?",
              "do you know where my {rel} lives?", "remind me where my {rel} lives",
              "which city is my {rel} in?", "where does my {rel} live again?",
              "where's my {rel} living these days?", "what city does my {rel} live in?"),
             "city", ("rel",)),
    FactKind("rel_name", "my {rel}'s name is {name}", "your {rel}'s name is {name}",
             ("what's my {rel}'s name?", "what is my {rel} called?", "remind me of my {rel}'s name",
              "do you remember my {rel}'s name?", "who is my {rel}?", "what was my {rel}'s name?",
              "how is my {rel} called?", "tell me my {rel}'s name"),
             "name", ("rel",)),
    FactKind("colour", "my favourite colour is {colour}", "your favourite colour is {colour}",
             ("what's my favourite colour?", "what is my favorite color?",
              "do you know my favourite colour?", "which colour do I like best?",
              "remind me of my favourite colour", "what colour do I love most?"),
             "colour"),
    FactKind("food", "my favourite food is {food}", "your favourite food is {food}",
             ("what's my favourite food?", "what food do I like most?", "what is my favorite dish?",
              "do you remember my favourite food?", "what should you cook for me?",
              "which food do I love?"),
             "food"),
    FactKind("book", "my favourite book is {book}", "your favourite book is {book}",
             ("what's my favourite book?", "which book do I love most?", "what is my favorite book?",
              "do you know my favourite book?", "remind me which book I like best",
              "what book do I like the most?"),
             "book"),
    FactKind("movie", "my favourite movie is {movie}", "your favourite movie is {movie}",
             ("what's my favourite movie?", "which film do I like best?", "what is my favorite film?",
              "do you remember my favourite movie?", "what movie do I love?",
              "remind me of my favourite film"),
             "movie"),
    FactKind("sport", "my favourite sport is {sport}", "your favourite sport is {sport}",
             ("what's my favourite sport?", "which sport do I like best?", "what sport do I love?",
              "do you know my favourite sport?", "what is my favorite sport?",
              "remind me what sport I like"),
             "sport"),
    FactKind("drink", "my favourite drink is {drink}", "your favourite drink is {drink}",
             ("what's my favourite drink?", "what do I like to drink?", "what is my favorite drink?",
              "which drink do I love?", "do you remember my favourite drink?",
              "what should I order to drink?"),
             "drink"),
    FactKind("pet", "my {pet} is called {petname}", "your {pet} is called {petname}",
             ("what's my {pet} called?", "what is my {pet}'s name?", "what did I name my {pet}?",
              "do you remember my {pet}'s name?", "how is my {pet} called?",
              "remind me of my {pet}'s name"),
             "petname", ("pet",)),
    FactKind("birthday", "my birthday is on {date}", "your birthday is on {date}",
             ("when is my birthday?", "what's my birthday?", "when was I born?",
              "do you know my birthday?", "remind me when my birthday is",
              "what day is my birthday?"),
             "date"),
    FactKind("rel_birthday", "my {rel}'s birthday is on {date}", "your {rel}'s birthday is on {date}",
             ("when is my {rel}'s birthday?", "what's my {rel}'s birthday?",
              "remind me of my {rel}'s birthday", "when does my {rel} have their birthday?",
              "do you know my {rel}'s birthday?", "what date is my {rel}'s birthday?"),
             "date", ("rel",)),
    FactKind("job", "I work as {job}", "you work as {job}",
             ("what do I do for a living?", "what's my job?", "what is my profession?",
              "do you remember my job?", "what do I work as?", "remind me what my job is"),
             "job"),
    FactKind("car", "I drive {car}", "you drive {car}",
             ("what car do I drive?", "which car do I have?", "what do I drive?",
              "do you remember my car?", "what kind of car is mine?", "remind me what I drive"),
             "car"),
    FactKind("home", "I live in {city}", "you live in {city}",
             ("where do I live?", "which city do I live in?", "do you know where I live?",
              "remind me where I live", "what's my home town?", "where is my home?"),
             "city"),
    FactKind("born", "I was born in {city}", "you were born in {city}",
             ("where was I born?", "which city was I born in?", "do you know where I was born?",
              "what's my birthplace?", "remind me where I was born", "where am I from originally?"),
             "city"),
    FactKind("allergy", "I'm allergic to {allergen}", "you're allergic to {allergen}",
             ("what am I allergic to?", "do I have any allergies?", "what's my allergy?",
              "remind me what I'm allergic to", "which allergy do I have?",
              "is there something I'm allergic to?"),
             "allergen"),
    FactKind("language", "I'm learning {lang}", "you're learning {lang}",
             ("what language am I learning?", "which language am I studying?",
              "do you remember what language I'm learning?", "what am I learning these days?",
              "remind me which language I'm learning", "which language do I practise?"),
             "lang"),
    FactKind("rel_age", "my {rel} is {age} years old", "your {rel} is {age} years old",
             ("how old is my {rel}?", "what's my {rel}'s age?", "do you know how old my {rel} is?",
              "remind me how old my {rel} is", "what age is my {rel}?", "how old's my {rel}?"),
             "age", ("rel",)),
    FactKind("rel_job", "my {rel} works as {job}", "your {rel} works as {job}",
             ("what does my {rel} do?", "what's my {rel}'s job?", "what does my {rel} work as?",
              "do you remember my {rel}'s job?", "remind me what my {rel} does for work",
              "what is my {rel}'s profession?"),
             "job", ("rel",)),
    FactKind("rel_study", "my {rel} studies {subject}", "your {rel} studies {subject}",
             ("what does my {rel} study?", "what is my {rel} studying?",
              "do you know what my {rel} studies?", "remind me what my {rel} studies",
              "which subject does my {rel} study?", "what's my {rel}'s major?"),
             "subject", ("rel",)),
    FactKind("number", "my favourite number is {number}", "your favourite number is {number}",
             ("what's my favourite number?", "which number do I like best?",
              "what is my favorite number?", "do you remember my favourite number?",
              "remind me of my favourite number", "what's my lucky number?"),
             "number"),
    FactKind("locker", "my locker number is {number}", "your locker number is {number}",
             ("what's my locker number?", "which locker is mine?", "what is my locker number?",
              "do you remember my locker number?", "remind me of my locker number",
              "which number is my locker?"),
             "number"),
)  # fmt: skip

STORE_TEMPLATES = (
    "remember that {fact}", "please remember that {fact}", "remember: {fact}", "note that {fact}",
    "don't forget that {fact}", "keep in mind that {fact}", "for the record, {fact}",
    "FYI {fact}", "just so you know, {fact}", "save this: {fact}", "memorize this: {fact}",
    "make a note: {fact}", "store this fact: {fact}", "{fact}. remember that", "{fact}, remember it",
    "can you remember that {fact}?", "I want you to remember that {fact}",
    "remember this for later: {fact}", "a fact about me: {fact}", "take note: {fact}",
    "hey, remember that {fact}", "write down that {fact}", "{fact}. please remember",
    "don't forget: {fact}", "good to know for later: {fact}",
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
    """Store a fact (35%), answer from a recalled MEM segment (50%), or admit not knowing (15%)."""
    split = norm_split(split)
    r = rng.random()
    fact = random_fact(rng, split)
    if r < 0.35:
        template = rng.choice(held_out(STORE_TEMPLATES, split))
        prompt = realize(template, {"fact": fact.mine}, rng, split, verbatim=("fact",),
                         imperative=template.startswith(("remember", "note", "save", "make",
                                                         "store", "take", "write")))  # fmt: skip
        answer = rng.choice(STORE_ANSWERS).format(yours=fact.yours)
        # the agent searches memory on every turn, so older facts may show up here too
        olds = distractor_memories(rng, split, fact) if rng.random() < 0.3 else ()
        return SkillSample("memory", split, prompt, "store", template, thought="A fact to remember.",
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
    if r < 0.85:
        mems = [fact, *distractors]
        rng.shuffle(mems)
        return SkillSample(
            "memory",
            split,
            prompt,
            "recall",
            template,
            memories=tuple(memory_text(m, rng) for m in mems),
            thought="Answer from memory.",
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
        thought="Not in my memory.",
        answer=rng.choice(UNKNOWN_ANSWERS),
        expected_answer_contains=("don't know",),
    )
