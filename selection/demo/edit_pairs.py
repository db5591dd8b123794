"""Short synthetic word-level editing pairs in CoEDIT's format, that a tiny seq2seq model learns in a few hundred
steps: for training, tagging and generation tests and benchmarks (the demo dataset itself is
:mod:`selection.demo.generator`'s). No Django."""
from __future__ import annotations

import random

__all__ = ["synthetic_edit_examples"]


def synthetic_edit_examples(n: int, seed: int = 0) -> list[dict[str, str]]:
    """Synthetic word-level text-editing pairs in CoEDIT's format, for demos, tests and benchmarks.

    Three tasks: subject-verb agreement ("Fix grammar: he go to school ." -> "he goes to school ."),
    dropping a subjective adjective ("Write in a more neutral way: ..."), and replacing rare words with
    plain ones ("Simplify: ..."). Deterministic for ``(n, seed)``; ids are ``syn-<seed>-<i>``.
    """
    rng = random.Random(seed)
    makers = (_synthetic_gec, _synthetic_neutral, _synthetic_simplify)
    out = []
    for i in range(n):
        task, src, tgt = makers[i % len(makers)](rng)
        out.append({"id": f"syn-{seed}-{i}", "task": task, "src": src, "tgt": tgt})
    return out


_SUBJ_SING = ["he", "she", "the dog", "my friend", "the teacher", "our neighbour", "the cat", "john",
              "the manager", "my sister", "the child", "the doctor"]
_SUBJ_PLUR = ["they", "we", "the dogs", "my friends", "the teachers", "our neighbours", "the children",
              "the students", "you", "the workers"]
_VERBS = {"go": "goes", "eat": "eats", "like": "likes", "play": "plays", "read": "reads", "watch": "watches",
          "visit": "visits", "need": "needs", "want": "wants", "see": "sees", "love": "loves", "fix": "fixes"}
_OBJECTS = {"go": ["to school", "to the park", "to work", "home"], "eat": ["apples", "rice", "lunch early"],
            "like": ["music", "the book", "cold weather"], "play": ["football", "the piano", "chess"],
            "read": ["the news", "a book", "every evening"], "watch": ["the game", "films", "the birds"],
            "visit": ["the museum", "their parents", "london"], "need": ["help", "a new car", "more time"],
            "want": ["a break", "some tea", "the answer"], "see": ["the sea", "a problem", "the light"],
            "love": ["summer", "this town", "good food"], "fix": ["the bike", "old radios", "the door"]}
_TIMES = ["", "every day", "on sundays", "often", "at night", "in the morning"]
_SUBJECTIVE = ["brilliant", "awful", "amazing", "terrible", "wonderful", "disgraceful", "heroic", "pathetic"]
_NOUNS = ["mayor", "film", "policy", "team", "speech", "company", "senator", "book", "plan", "album"]
_NEUTRAL_PRED = ["was announced on monday", "opened last year", "received many reviews",
                 "was discussed in the report", "changed the rules", "attracted attention"]
_HARD_NOUNS = {"physician": "doctor", "residence": "house", "automobile": "car", "beverage": "drink",
               "infant": "baby", "vessel": "ship"}
_PLAIN_NOUNS = ["teacher", "garden", "letter", "bridge", "station", "market"]
_HARD_VERBS = {"purchase": "buy", "commence": "start", "terminate": "end", "utilize": "use",
               "obtain": "get", "assist": "help", "construct": "build", "observe": "watch"}
_PLAIN_VERBS = ["paint", "clean", "open", "move"]
_HARD_ADJ = {"numerous": "many", "sufficient": "enough", "enormous": "huge", "rapid": "quick"}


def _synthetic_gec(rng: random.Random) -> tuple[str, str, str]:
    verb = rng.choice(sorted(_VERBS))
    tail = " ".join(w for w in (rng.choice(_OBJECTS[verb]), rng.choice(_TIMES)) if w)
    if rng.random() < 0.5:
        subj = rng.choice(_SUBJ_SING)
        wrong, right = verb, _VERBS[verb]
    else:
        subj = rng.choice(_SUBJ_PLUR)
        wrong, right = _VERBS[verb], verb
    return "gec", f"Fix grammar: {subj} {wrong} {tail} .", f"{subj} {right} {tail} ."


def _synthetic_neutral(rng: random.Random) -> tuple[str, str, str]:
    noun, pred, adj = rng.choice(_NOUNS), rng.choice(_NEUTRAL_PRED), rng.choice(_SUBJECTIVE)
    return ("neutralize", f"Write in a more neutral way: the {adj} {noun} {pred} .", f"the {noun} {pred} .")


def _synthetic_simplify(rng: random.Random) -> tuple[str, str, str]:
    hard_verb = rng.random() < 0.7
    verb = rng.choice(sorted(_HARD_VERBS)) if hard_verb else rng.choice(_PLAIN_VERBS)
    subj = rng.choice(sorted(_HARD_NOUNS) + _PLAIN_NOUNS)
    obj = rng.choice(sorted(_HARD_NOUNS)) if not hard_verb else rng.choice(sorted(_HARD_NOUNS) + _PLAIN_NOUNS)
    adj = rng.choice(sorted(_HARD_ADJ)) if rng.random() < 0.4 else ""
    words = ["the", subj, "will", verb, "the"] + ([adj] if adj else []) + [obj, rng.choice(_TIMES), "."]
    words = [w for w in words if w]
    plain = {**_HARD_NOUNS, **_HARD_VERBS, **_HARD_ADJ}
    src = " ".join(words)
    tgt = " ".join(plain.get(w, w) for w in words)
    return "simplification", f"Simplify: {src}", tgt
