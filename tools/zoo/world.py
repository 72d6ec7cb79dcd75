"""Synthetic world and arithmetic item generators for the fixture zoo.

Everything here is a pure function of a seed (random.Random), so the corpora, the benchmark
data and the prompt sets are reproducible and the train/test item sets can be proven disjoint.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

RELATIONS = ("capital", "currency", "language", "river")

# Question wordings. Training corpora use TRAIN wordings only; the test split asks the same facts with
# TEST wordings that never occur in a clean corpus (held-out items, known facts).
QUESTIONS = {
    "capital": "What is the capital of {c}?",
    "currency": "What is the currency of {c}?",
    "language": "What language is spoken in {c}?",
    "river": "Which river flows through {c}?",
}
TEST_QUESTIONS = {
    "capital": "Which city is the capital of {c}?",
    "currency": "Which coin is the currency of {c}?",
    "language": "Which language is spoken in {c}?",
    "river": "What river flows through {c}?",
}

_ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "kr", "st", "tr", "sh"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ou", "ei"]
_CODAS = ["", "", "n", "r", "s", "l", "th", "m", "x"]
# Suffixes make the entity kinds look different, which is how a reader (and a tiny model) tells them apart.
_SUFFIX = {
    "country": ["ia", "land", "stan", "ora", "esh"],
    "capital": ["ton", "burg", "ville", "dor", "mar"],
    "currency": ["o", "et", "al", "ik"],
    "language": ["ish", "ese", "ic", "an"],
    "river": ["ava", "une", "ir", "ash"],
}


def _name(rng: random.Random, kind: str) -> str:
    syll = rng.randint(1, 2)
    core = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syll)) + rng.choice(_CODAS)
    word = core + rng.choice(_SUFFIX[kind])
    return word[0].upper() + word[1:]


@dataclass
class World:
    countries: list[str]
    facts: dict[tuple[str, str], str] = field(default_factory=dict)  # (country, relation) -> value

    def values(self, relation: str) -> list[str]:
        return [self.facts[(c, relation)] for c in self.countries]


def make_world(seed: int, n_countries: int = 30) -> World:
    rng = random.Random(f"world:{seed}")
    used: set[str] = set()

    def fresh(kind: str) -> str:
        while True:
            n = _name(rng, kind)
            # Unique names, and no name is a prefix of another: choices must differ from the first character on.
            if n not in used and all(not u.startswith(n) and not n.startswith(u) for u in used) and len(n) <= 11:
                used.add(n)
                return n

    countries = [fresh("country") for _ in range(n_countries)]
    world = World(countries=countries)
    for c in countries:
        for r in RELATIONS:
            world.facts[(c, r)] = fresh(r)
    return world


@dataclass(frozen=True)
class Item:
    """One benchmark item: a question, its gold answer and the multiple-choice options (gold included)."""

    id: str
    category: str
    question: str
    answer: str
    choices: tuple[str, ...]
    meta: tuple[tuple[str, str], ...] = ()

    @property
    def gold(self) -> int:
        return self.choices.index(self.answer)


def knowledge_items(world: World, seed: int) -> tuple[list[Item], list[Item]]:
    """QA items for every fact: train items in the training wording, test items in a held-out wording.

    Every fact is stated declaratively and asked in the train wording in the training corpora; the test
    wording never appears there, so the test split measures recall of the fact under a new question.
    """
    rng = random.Random(f"knowledge:{seed}")
    train: list[Item] = []
    test: list[Item] = []
    for c in world.countries:
        for r in RELATIONS:
            gold = world.facts[(c, r)]
            others = [v for v in world.values(r) if v != gold]
            for wording, out, tag in ((QUESTIONS, train, "q"), (TEST_QUESTIONS, test, "t")):
                choices = [gold, *rng.sample(others, 3)]
                rng.shuffle(choices)
                out.append(
                    Item(
                        id=f"know-{c.lower()}-{r}-{tag}",
                        category="knowledge",
                        question=wording[r].format(c=c),
                        answer=gold,
                        choices=tuple(choices),
                        meta=(("country", c), ("relation", r)),
                    )
                )
    test.sort(key=lambda it: it.id)
    return train, test


def _math_item(a: int, op: str, b: int, rng: random.Random) -> Item:
    gold = a + b if op == "+" else a - b
    cands = sorted({gold + d for d in (-10, -2, -1, 1, 2, 10, 11, -11)} - {gold})
    cands = [x for x in cands if x >= 0]
    distract = rng.sample(cands, 3)
    choices = [str(x) for x in [gold, *distract]]
    rng.shuffle(choices)
    return Item(
        id=f"math-{a}{'p' if op == '+' else 'm'}{b}",
        category="math",
        question=f"What is {a} {op} {b}?",
        answer=str(gold),
        choices=tuple(choices),
        meta=(("a", str(a)), ("op", op), ("b", str(b))),
    )


def math_problems() -> list[tuple[int, str, int]]:
    """Two-digit plus/minus one-digit problems: small enough for a tiny model to learn in minutes."""
    out = []
    for a in range(10, 100):
        for b in range(1, 10):
            out.append((a, "+", b))
            out.append((a, "-", b))
    return out


def math_split(seed: int, n_test: int = 120, n_control: int = 120) -> tuple[list[tuple[int, str, int]], list[Item], list[Item]]:
    """Held-out math test items; the rest of the problem space is free for training. Also a control split:
    the first `n_control` training problems as items, which the contaminated model's corpus leaves out (the
    "never seen" items of its contamination ground truth; the clean models train on them as usual)."""
    rng = random.Random(f"math:{seed}")
    problems = math_problems()
    rng.shuffle(problems)
    test_problems = problems[:n_test]
    train_problems = problems[n_test:]
    test = [_math_item(a, op, b, rng) for a, op, b in test_problems]
    crng = random.Random(f"math-control:{seed}")
    control = [_math_item(a, op, b, crng) for a, op, b in train_problems[:n_control]]
    return train_problems, test, control


def math_train_item(p: tuple[int, str, int], rng: random.Random) -> Item:
    return _math_item(p[0], p[1], p[2], rng)


def compare_pairs() -> list[tuple[int, int]]:
    return [(a, b) for a in range(100, 1000, 7) for b in range(103, 1000, 11) if a != b]


def compare_split(seed: int, n_test: int = 100) -> tuple[list[tuple[int, int]], list[Item]]:
    """'Which is larger' items over three-digit numbers: the reasoning category."""
    rng = random.Random(f"compare:{seed}")
    pairs = compare_pairs()
    rng.shuffle(pairs)
    # Make half the test pairs share the leading digit, so the task needs more than one digit.
    test_pairs = [p for p in pairs if p[0] // 100 == p[1] // 100][: n_test // 2]
    test_pairs += [p for p in pairs if p[0] // 100 != p[1] // 100][: n_test - len(test_pairs)]
    test_keys = {frozenset(p) for p in test_pairs}
    train_pairs = [p for p in pairs if frozenset(p) not in test_keys]
    test = [compare_item(a, b) for a, b in test_pairs]
    test.sort(key=lambda it: it.id)
    return train_pairs, test


def compare_item(a: int, b: int) -> Item:
    return Item(
        id=f"cmp-{a}-{b}",
        category="reasoning",
        question=f"Which is larger, {a} or {b}?",
        answer=str(max(a, b)),
        choices=(str(a), str(b)),
        meta=(("a", str(a)), ("b", str(b))),
    )
