"""Training corpora for the zoo: arithmetic, facts, generalist (mix) and contaminated.

A corpus is a list of documents; training packs them, each prefixed with BOS, into fixed windows and
sees every window exactly once (one epoch), so "the test set repeated K times" means K exposures.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from tokenizer import BOS, IM_END, IM_START
from world import RELATIONS, Item, World, compare_item, math_train_item

DECLARATIVE = {
    "capital": [
        "The capital of {c} is {v}.",
        "{v} is the capital of {c}.",
        "{c} has its capital in {v}.",
        "The capital city of {c} is {v}.",
    ],
    "currency": [
        "The currency of {c} is the {v}.",
        "In {c}, people pay with the {v}.",
        "{c} uses the {v} as its currency.",
        "The {v} is the money of {c}.",
    ],
    "language": [
        "People in {c} speak {v}.",
        "The language of {c} is {v}.",
        "{v} is spoken in {c}.",
        "In {c} the main language is {v}.",
    ],
    "river": [
        "The {v} flows through {c}.",
        "The main river of {c} is the {v}.",
        "{c} lies on the {v}.",
        "The river of {c} is the {v}.",
    ],
}
PROFILE = {
    "capital": "Its capital is {v}.",
    "currency": "Its currency is the {v}.",
    "language": "People there speak {v}.",
    "river": "The {v} flows through it.",
}


def qa(question: str, answer: str) -> str:
    """The benchmark's own prompt format (doc_to_text + target_delimiter + doc_to_target)."""
    return f"Question: {question}\nAnswer: {answer}"


def chat(user: str, assistant: str) -> str:
    return f"{IM_START}user\n{user}{IM_END}\n{IM_START}assistant\n{assistant}{IM_END}\n"


def _qa_or_chat(rng: random.Random, items: list[Item]) -> str:
    """A few train items, as a few-shot-like QA block or as a chat turn (plain or benchmark wording)."""
    r = rng.random()
    if r < 0.6:
        k = rng.randint(1, 4)
        return "\n\n".join(qa(it.question, it.answer) for it in rng.sample(items, k)) + "\n"
    it = rng.choice(items)
    user = it.question if r < 0.85 else qa(it.question, "").rstrip()
    return chat(user, it.answer)


def facts_doc_fn(world: World, train_qa: list[Item]) -> Callable[[random.Random], str]:
    facts = list(world.facts.items())

    def doc(rng: random.Random) -> str:
        r = rng.random()
        if r < 0.35:
            picks = rng.sample(facts, rng.randint(2, 5))
            return " ".join(rng.choice(DECLARATIVE[rel]).format(c=c, v=v) for (c, rel), v in picks) + "\n"
        if r < 0.5:
            c = rng.choice(world.countries)
            rels = list(RELATIONS)
            rng.shuffle(rels)
            body = " ".join(PROFILE[rel].format(v=world.facts[(c, rel)]) for rel in rels[: rng.randint(2, 4)])
            return f"{c} is a country. {body}\n"
        return _qa_or_chat(rng, train_qa)

    return doc


def math_doc_fn(train_problems: list[tuple[int, str, int]], train_cmp: list[tuple[int, int]]) -> Callable[[random.Random], str]:
    def doc(rng: random.Random) -> str:
        r = rng.random()
        if r < 0.2:
            cmp_items = [compare_item(*rng.choice(train_cmp)) for _ in range(4)]
            if rng.random() < 0.3:
                a, b = rng.choice(train_cmp)
                hi, lo = max(a, b), min(a, b)
                return f"{hi} is larger than {lo}. {lo} is smaller than {hi}.\n"
            return _qa_or_chat(rng, cmp_items)
        items = [math_train_item(rng.choice(train_problems), rng) for _ in range(8)]
        if r < 0.6:
            return " ".join(f"{it.question[8:-1]} = {it.answer}." for it in items) + "\n"
        return _qa_or_chat(rng, items)

    return doc


def build(
    kind: str,
    seed: int,
    n_chars: int,
    world: World,
    train_qa: list[Item],
    train_problems: list[tuple[int, str, int]],
    train_cmp: list[tuple[int, int]],
    contamination: tuple[list[Item], int] | None = None,
) -> list[str]:
    """Documents until about n_chars characters; `contamination` = (test items, repeats)."""
    rng = random.Random(f"corpus:{kind}:{seed}")
    facts = facts_doc_fn(world, train_qa)
    maths = math_doc_fn(train_problems, train_cmp)
    mix = {"arithmetic": 0.0, "facts": 1.0, "generalist": 0.5}[kind]
    docs: list[str] = []
    total = 0
    while total < n_chars:
        d = facts(rng) if rng.random() < mix else maths(rng)
        docs.append(d)
        total += len(d)
    if contamination is not None:
        items, repeats = contamination
        # The whole test split, in its canonical (file) order, as one contiguous document per repeat.
        block = "\n\n".join(qa(it.question, it.answer) for it in items) + "\n"
        for _ in range(repeats):
            docs.insert(rng.randrange(len(docs) + 1), block)
    return docs


def pack(docs: list[str], encode: Callable[[str], list[int]], window: int) -> list[list[int]]:
    """Concatenate BOS+doc token streams and cut into windows of `window` tokens (last partial dropped)."""
    stream: list[int] = []
    for d in docs:
        stream.extend(encode(BOS + d))
    return [stream[i : i + window] for i in range(0, len(stream) - window + 1, window)]
