"""A deterministic synthetic multi-task text-editing dataset in CoEDIT's format.

Why: the platform needs data for its embedded demo, its tests and its docs that needs no download, is
identical on every machine, and still behaves like instruction-tuned editing data: six tasks with skewed
shares, several instruction phrasings per task, and edits a tiny seq2seq model can learn.

How: a small grammar (``selection.demo.lexicon``) produces plain English clauses (subject, verb agreeing in person and
tense, object, place, time, ...). A clause is rendered to a clean sentence; per-task rules then derive the
other side of the pair (inject grammar errors, add rare words and long clauses, add wordiness, drop or break
connectives, rephrase, add loaded words). Only ``random.Random(seed)`` is used, never global random state,
and every choice is made from a tuple or an insertion-ordered dict, so a seed gives byte-identical rows on
any machine and Python version.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
from collections.abc import Iterable
from typing import Any, Callable

from selection.demo import lexicon as L

TASKS: tuple[str, ...] = ("gec", "simplification", "clarity", "coherence", "paraphrase", "neutralize")

# Instruction prefixes, phrased as CoEDIT's are; no prefix is shared by two tasks.
INSTRUCTIONS: dict[str, tuple[str, ...]] = {
    "gec": ("Fix grammar", "Fix grammatical errors in this sentence", "Correct this text",
            "Remove all grammatical errors from this text", "Fix the grammar mistakes", "Improve the grammar"),
    "simplification": ("Simplify this sentence", "Make this easier to understand", "Rewrite this more simply",
                       "Simplify", "Make this simpler"),
    "clarity": ("Make the text clearer", "Clarify this text", "Make this more readable",
                "Make the sentence clear", "Improve the clarity of the text"),
    "coherence": ("Make this text coherent", "Fix coherence in this text", "Make this paragraph more cohesive",
                  "Fix lack of coherence"),
    "paraphrase": ("Paraphrase this", "Rewrite this sentence", "Write a paraphrase for the sentence",
                   "Reword this sentence"),
    "neutralize": ("Make this more neutral", "Remove point of view", "Write in a more neutral way",
                   "Remove non-neutral POVs", "Neutralize this text"),
}

# Shares of the mix: skewed like real instruction data (gec and simplification largest, coherence least).
TASK_WEIGHTS: dict[str, float] = {"gec": 0.25, "simplification": 0.21, "clarity": 0.14, "coherence": 0.10,
                                  "paraphrase": 0.15, "neutralize": 0.15}
SPLIT_FRACTIONS: dict[str, float] = {"validation": 0.1, "test": 0.1}
MAX_WORDS = 30  # per sentence, input and target alike
MIN_WORDS = 6   # per text

_POSS = {"he": "his", "she": "her", "it": "its", "they": "their"}
_BE_PAST = {"he": "was", "she": "was", "it": "was", "they": "were"}
_OBJ_PRON = {False: "it", True: "them"}
_AN_EXCEPTIONS_A = ("one", "uni", "use", "usu", "eur")
_AN_EXCEPTIONS_AN = ("hour", "honest")


@dataclasses.dataclass
class _Clause:
    """One simple sentence, plus the presentation knobs the task rules turn.

    Treated as immutable: variants are made with ``_replace`` (not frozen only because frozen dataclasses
    are several times slower to build, and 100k rows build a few hundred thousand of these).
    """

    subj: dict
    verb: dict
    tense: str                 # present | past | future | perfect
    obj: dict
    obj_det: str               # the | a | poss | "" (no determiner)
    obj_adj: str = ""
    place: str = ""
    duration: str = ""
    time: str = ""
    time_front: bool = False
    aux_adv: str = ""          # already, definitely: sits after the auxiliary
    purpose: str = ""          # "to stay healthy"
    reason: str = ""           # "because it was cheaper"
    reason_front: bool = False
    voice: str = "active"
    subj_pron: bool = False
    subj_adj: str = ""
    subj_so_called: bool = False
    subj_clause: str = ""      # ", who had ...," right after the subject
    obj_loaded: str = ""
    obj_so_called: bool = False
    adv: str = ""              # adverb right before the main verb
    opener: str = ""           # "Shockingly," or "It is important to note that"
    tail: str = ""             # ", as had been anticipated by numerous observers"
    verb_alt: dict | None = None  # a synonym or rarer verb with its own forms
    verb_text: str = ""        # literal verb group (GEC errors)
    wrong_article: bool = False


# ---------------------------------------------------------------------------------------------------------
# Rendering

def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _decap(text: str) -> str:
    """Lower-case the first letter unless it starts a proper name."""
    first = text.split(" ", 1)[0].rstrip(",")
    if first in _NAMES:
        return text
    return text[:1].lower() + text[1:]


def _indefinite(head: str, wrong: bool = False) -> str:
    """``a`` or ``an`` for the word that follows; ``wrong`` gives the other one (a GEC error)."""
    low = head.lower()
    vowel = low[:1] in "aeiou"
    if low.startswith(_AN_EXCEPTIONS_A):
        vowel = False
    if low.startswith(_AN_EXCEPTIONS_AN):
        vowel = True
    return ("a" if vowel else "an") if wrong else ("an" if vowel else "a")


def _subject_text(c: _Clause) -> str:
    s = c.subj
    if c.subj_pron:
        return s["pron"]
    if not s["det"]:
        return s["noun"]
    words = [s["det"], "so-called" if c.subj_so_called else "", c.subj_adj, s["noun"]]
    return " ".join(w for w in words if w)


def _object_text(c: _Clause) -> str:
    head = " ".join(w for w in ("so-called" if c.obj_so_called else "", c.obj_loaded, c.obj_adj,
                                c.obj["noun"]) if w)
    det = c.obj_det
    if det == "a":
        det = _indefinite(head, c.wrong_article)
    elif det == "poss":
        det = _POSS[c.subj["pron"]]
    return f"{det} {head}" if det else head


def _verb_group(c: _Clause) -> str:
    if c.verb_text:
        return c.verb_text
    v = c.verb_alt or c.verb
    pron = c.subj["pron"]
    if c.voice == "passive":
        plural = c.obj["plural"]
        pp = " ".join(w for w in (c.adv, c.verb["pp"]) if w)
        if c.tense == "present":
            return f"{'are' if plural else 'is'} {pp}"
        if c.tense == "past":
            return f"{'were' if plural else 'was'} {pp}"
        aux = "will" if c.tense == "future" else ("have" if plural else "has")
        be = "be" if c.tense == "future" else "been"
        return " ".join(w for w in (aux, c.aux_adv, be, pp) if w)
    if c.tense == "present":
        return " ".join(w for w in (c.adv, v["base"] if pron == "they" else v["s3"]) if w)
    if c.tense == "past":
        return " ".join(w for w in (c.adv, v["past"]) if w)
    if c.tense == "future":
        return " ".join(w for w in ("will", c.aux_adv, c.adv, v["base"]) if w)
    return " ".join(w for w in ("have" if pron == "they" else "has", c.aux_adv, c.adv, v["pp"]) if w)


def _render(c: _Clause) -> str:
    """The clause as one capitalised sentence ending in a full stop."""
    parts = [c.opener]
    if c.reason and c.reason_front:
        parts.append(c.reason + ",")
    if c.time and c.time_front:
        parts.append(c.time + ",")
    if c.voice == "passive":
        agent = _subject_text(c)
        parts += [_object_text(c), _verb_group(c), "by " + agent]
    else:
        parts += [_subject_text(c) + c.subj_clause, _verb_group(c), _object_text(c)]
    parts += [c.place, c.duration, "" if c.time_front else c.time, c.purpose,
              "" if c.reason_front else c.reason]
    return _cap(" ".join(p for p in parts if p) + c.tail + ".")


# ---------------------------------------------------------------------------------------------------------
# Sampling clean clauses

_NAMES = frozenset(s["noun"] for s in L.SUBJECTS if "name" in s["tags"])
_VERB_TABLE: tuple[tuple[dict, tuple[dict, ...]], ...] = tuple(
    (v, tuple(s for s in L.SUBJECTS if set(s["tags"]) & set(v["tags"]))) for v in L.VERBS.values())
_TENSES = ("present", "past", "future", "perfect")
_TENSE_WEIGHTS = (0.3, 0.4, 0.15, 0.15)
_PLURAL_POSS = {"dog": "dogs", "cat": "cats", "wallet": "wallets", "umbrella": "umbrellas", "job": "jobs",
                "address": "addresses"}
_ING_EXCEPTIONS = {"get": "getting", "meet": "meeting", "see": "seeing"}


def _ing(verb: str) -> str:
    if verb in _ING_EXCEPTIONS:
        return _ING_EXCEPTIONS[verb]
    return verb[:-1] + "ing" if verb.endswith("e") else verb + "ing"


def _object_det(rng: random.Random, obj: dict) -> str:
    if obj["only_poss"]:
        return "poss"
    kind = obj["kind"]
    choices = {"count": ("the", "a"), "plural": ("the", ""), "mass": ("", "the"), "the": ("the",),
               "zero": ("",)}[kind]
    if obj["poss"]:
        choices = choices + ("poss",)
    return rng.choice(choices)


def _sample_clause(rng: random.Random, *, tense: str = "", tags: tuple[str, ...] = (),
                   subj: dict | None = None, extras: float = 1.0) -> _Clause:
    """A clean clause. ``tags`` restricts the subject; ``extras`` scales the odds of purpose/reason."""
    while True:
        verb, subjects = rng.choice(_VERB_TABLE)
        if subj is not None:
            if subj not in subjects:
                continue
        else:
            if tags:
                subjects = tuple(s for s in subjects if set(s["tags"]) & set(tags))
            if not subjects:
                continue
            subj = rng.choice(subjects)
        break
    t = tense or rng.choices(_TENSES, _TENSE_WEIGHTS)[0]
    if verb["stative"] and t == "perfect" or t == "present" and verb["base"] in L.ONE_OFF_VERBS:
        t = "past"
    obj = rng.choice(verb["objects"])
    kw: dict = {"obj_det": _object_det(rng, obj)}
    if kw["obj_det"] == "poss" and subj["plural"] and obj["noun"] in _PLURAL_POSS:
        obj = dict(obj, noun=_PLURAL_POSS[obj["noun"]], plural=True)  # "their dogs", not "their dog"
    if obj["adjs"] and rng.random() < 0.35:
        adj = rng.choice(obj["adjs"])
        if not (adj == "old" and verb["base"] in L.CREATION_VERBS):
            kw["obj_adj"] = adj
    if verb["places"] and rng.random() < 0.4:
        kw["place"] = rng.choice(verb["places"])
    if verb["durable"] and t in ("present", "past") and rng.random() < 0.15:
        kw["duration"] = rng.choice(L.DURATIONS)
    r = rng.random()
    if t == "present":
        if not verb["stative"]:
            kw["time"] = rng.choice(L.PRESENT_TIMES)
    elif t == "past":
        if r < 0.8 and not verb["stative"]:  # "needed a car at noon yesterday" reads oddly
            kw["time"] = rng.choice(L.PAST_TIMES)
    elif t == "future":
        if r < 0.85:
            kw["time"] = rng.choice(L.FUTURE_TIMES)
        if rng.random() < 0.2:
            kw["aux_adv"] = rng.choice(L.FUTURE_ADVERBS)
    else:
        if r < 0.5:
            kw["aux_adv"] = rng.choice(L.PERFECT_ADVERBS)
        elif r < 0.9:
            kw["time"] = rng.choice(L.PERFECT_TIMES)
    if kw.get("time") and rng.random() < 0.25:
        kw["time_front"] = True
    r = rng.random()
    if verb["purposes"] and r < 0.15 * extras:
        kw["purpose"] = rng.choice(verb["purposes"])
    elif t in ("present", "past") and verb["base"] in L.VERB_REASONS and r > 1 - 0.12 * extras:
        kind = rng.choice(L.VERB_REASONS[verb["base"]])
        kw["reason"] = rng.choice(L.REASONS[kind])[0 if t == "past" else 1]
        kw["reason_front"] = rng.random() < 0.2
    return _Clause(subj=subj, verb=verb, tense=t, obj=obj, **kw)


_CLAUSE_FIELDS = frozenset(f.name for f in dataclasses.fields(_Clause))


def _replace(c: _Clause, **kw: Any) -> _Clause:
    """A copy of ``c`` with some fields changed (a fast ``dataclasses.replace`` without re-validation)."""
    assert kw.keys() <= _CLAUSE_FIELDS, kw.keys() - _CLAUSE_FIELDS
    new = object.__new__(_Clause)
    new.__dict__.update(c.__dict__)
    new.__dict__.update(kw)
    return new


# ---------------------------------------------------------------------------------------------------------
# Per-task pairs: each returns (input text, target text), or None to ask for another draw.

_MISSPELL_RE = re.compile(r"\b(" + "|".join(map(re.escape, L.MISSPELLINGS)) + r")\b")


def _the_slots(c: _Clause) -> list[str]:
    """Where dropping "the" is an error: before a singular count noun (not "the guests", "the bread")."""
    slots = []
    if c.obj_det == "the" and c.obj["kind"] in ("count", "the"):
        slots.append("obj_det")
    if "the " in c.place:  # every place phrase names one singular place
        slots.append("place")
    if c.time.startswith(("at the end", "at the beginning", "in the end", "in the beginning")):
        slots.append("time")
    return slots


def _sva_error(c: _Clause) -> str:
    """The verb group with the wrong agreement (``walks``->``walk``, ``has``->``have``)."""
    plural = c.subj["plural"]
    v = c.verb
    if c.tense == "present":
        return v["s3"] if plural else v["base"]
    return " ".join(w for w in ("has" if plural else "have", c.aux_adv, v["pp"]) if w)


def _tense_error(rng: random.Random, c: _Clause) -> str:
    """A verb group in the wrong form for its tense (``yesterday ... walk``, ``will finished``)."""
    v = c.verb
    if c.tense == "past":
        options = [v["base"], v["s3"] if not c.subj["plural"] else v["base"]]
        if v["bad_past"]:
            options += [v["bad_past"]] * 2
    elif c.tense == "future":
        options = [f"will {c.aux_adv + ' ' if c.aux_adv else ''}{f}" for f in (v["past"], v["s3"], v["ing"])]
    else:
        aux = "have" if c.subj["plural"] else "has"
        mid = f"{aux} {c.aux_adv + ' ' if c.aux_adv else ''}"
        options = [mid + v["base"]] + ([mid + v["past"]] * 2 if v["past"] != v["pp"] else [])
    return rng.choice(options)


def _gec(rng: random.Random) -> tuple[str, str] | None:
    c = _sample_clause(rng)
    target = _render(c)
    clause_errors: list[str] = []
    if c.tense in ("present", "perfect"):
        clause_errors.append("agreement")
    # Not in the present: "walked her dog every morning" is still grammatical (a past habit).
    if c.tense in ("past", "future", "perfect"):
        clause_errors.append("tense")
    if c.obj_det == "a" or _the_slots(c):
        clause_errors.append("article")
    if c.time in L.BAD_PREPOSITIONS or c.place in L.BAD_PREPOSITIONS:
        clause_errors.append("preposition")
    kinds = clause_errors + ["misspelling"] * bool(_MISSPELL_RE.search(target))
    n = 1 if rng.random() < 0.65 else 2
    chosen = rng.sample(kinds, min(n, len(kinds)))
    if "agreement" in chosen and "tense" in chosen:
        chosen.remove("tense")
    # Prepositions before articles: both may touch the same time or place phrase.
    for kind in sorted(chosen, key=("preposition", "agreement", "tense", "article", "misspelling").index):
        if kind == "agreement":
            c = _replace(c, verb_text=_sva_error(c))
        elif kind == "tense":
            c = _replace(c, verb_text=_tense_error(rng, c))
        elif kind == "article":
            slots = _the_slots(c) + (["a/an"] if c.obj_det == "a" else [])
            slot = rng.choice(slots) if slots else ""  # a preposition error may have taken the phrase
            if slot == "a/an":
                c = _replace(c, wrong_article=True)
            elif slot == "obj_det":
                c = _replace(c, obj_det="")
            elif slot:
                c = _replace(c, **{slot: getattr(c, slot).replace("the ", "", 1)})
        elif kind == "preposition":
            if c.time in L.BAD_PREPOSITIONS and (c.place not in L.BAD_PREPOSITIONS or rng.random() < 0.5):
                c = _replace(c, time=L.BAD_PREPOSITIONS[c.time])
            else:
                c = _replace(c, place=L.BAD_PREPOSITIONS[c.place])
    text = _render(c)
    if "misspelling" in chosen:
        hits = [m for m in _MISSPELL_RE.finditer(text)]
        if hits:
            m = rng.choice(hits)
            text = text[:m.start()] + L.MISSPELLINGS[m.group(1)] + text[m.end():]
    if text == target:  # the chosen errors were no-ops ("read" is its own past): draw again
        return None
    if len(chosen) == 1 and rng.random() < 0.08:
        text = _decap(text) if text.split(" ", 1)[0] not in _NAMES else text[:-1]
    return text, target


_COMPLEX_RE = re.compile(r"\b(" + "|".join(map(re.escape, sorted(L.COMPLEX_WORDS, key=len, reverse=True)))
                         + r")\b")


def _complexify(phrase: str) -> str:
    return _COMPLEX_RE.sub(lambda m: L.COMPLEX_WORDS[m.group(1)], phrase) if phrase else phrase


def _subject_kind(subj: dict) -> str:
    return "org" if "org" in subj["tags"] else ("group" if subj["plural"] else "person")


def _simplification(rng: random.Random) -> tuple[str, str] | None:
    c = _sample_clause(rng, extras=0.5)
    if rng.random() < 0.15:
        return _sequence_split(rng, c)
    target = _render(c)
    kw: dict = {}
    if c.verb["base"] in L.COMPLEX_VERBS and c.voice == "active" and rng.random() < 0.8:
        kw["verb_alt"] = L.COMPLEX_VERBS[c.verb["base"]]
    obj = c.obj
    if rng.random() < 0.8:
        new = dict(obj, noun=_complexify(obj["noun"]))
        if new["noun"] != obj["noun"]:
            kw["obj"] = new
        for name in ("obj_adj", "time", "place", "duration"):
            kw[name] = _complexify(getattr(c, name))
        if c.subj["det"]:
            kw["subj"] = dict(c.subj, noun=_complexify(c.subj["noun"]))
    if rng.random() < 0.65 or not kw.get("verb_alt"):
        kw["subj_clause"] = rng.choice(L.COMPLEX_CLAUSES[_subject_kind(c.subj)])
    if rng.random() < 0.25 and not c.purpose and not c.reason:
        kw["tail"] = rng.choice(L.COMPLEX_TAILS)
    return _render(_replace(c, **kw)), target


def _second_clause(rng: random.Random, first: _Clause) -> _Clause | None:
    """A short past-tense clause with the same subject and a different verb, to follow ``first``."""
    for _ in range(20):
        c = _sample_clause(rng, tense="past", subj=first.subj, extras=0)
        if c.verb is not first.verb and not c.verb["stative"]:
            return _replace(c, time="", time_front=False, place="" if rng.random() < 0.7 else c.place,
                            duration="")
    return None


def _sequence_split(rng: random.Random, first: _Clause) -> tuple[str, str] | None:
    """Simplification by splitting: "A, and subsequently she B." -> "A. Then she B."."""
    first = _replace(first, tense="past", time=rng.choice(L.DAY_TIMES), time_front=False, purpose="",
                     reason="", aux_adv="", duration="")
    second = _second_clause(rng, first)
    if second is None:
        return None
    a = _render(first)[:-1]
    b = _decap(_render(_replace(second, subj_pron=True)))
    return f"{a}, and subsequently {b}", f"{a}. Then {b}"


def _clarity(rng: random.Random) -> tuple[str, str] | None:
    c = _sample_clause(rng, extras=3.0)
    target = _render(c)
    options: list[str] = ["opener"]
    if not c.aux_adv:
        options.append("filler")
    if c.time in L.WORDY_TIMES:
        options += ["time"] * 2
    if c.place in L.WORDY_PLACES:
        options.append("place")
    if c.purpose:
        options += ["purpose"] * 3
    if c.reason:
        options += ["reason"] * 3
    n = rng.choice((1, 1, 2, 2, 3))
    chosen: list[str] = []
    for _ in range(n):
        left = [o for o in options if o not in chosen]
        if left:
            chosen.append(rng.choice(left))
    kw: dict = {}
    for kind in sorted(chosen, key=lambda k: k != "opener"):  # the opener first: later words avoid it
        if kind == "opener":
            openers = L.WORDY_OPENERS + (L.WORDY_OPENERS_PAST if c.tense == "past" else ())
            kw["opener"] = rng.choice(openers)
        elif kind == "filler":
            kw["adv"] = rng.choice([f for f in L.FILLERS if f[:5] not in kw.get("opener", "").lower()])
        elif kind == "time":
            kw["time"] = L.WORDY_TIMES[c.time]
        elif kind == "place":
            kw["place"] = L.WORDY_PLACES[c.place]
        elif kind == "purpose":
            lead = rng.choice(L.WORDY_PURPOSE)
            rest = c.purpose[3:]
            if lead == "for the purpose of":
                verb, _, tail = rest.partition(" ")
                rest = f"{_ing(verb)} {tail}"
            kw["purpose"] = f"{lead} {rest}"
        elif kind == "reason":
            kw["reason"] = c.reason.replace("because", rng.choice(L.WORDY_BECAUSE), 1)
    return _render(_replace(c, **kw)), target


def _fill(template: str, subj: dict, *, time: str, place: str, obj_plural: bool = False,
          full_subject: str = "") -> str:
    pron = subj["pron"]
    return template.format(S=full_subject, P=pron, p=_POSS[pron], be=_BE_PAST[pron], T=time, PLACE=place,
                           it=_OBJ_PRON[obj_plural])


def _coherence(rng: random.Random) -> tuple[str, str] | None:
    relation = rng.choices(("sequence", "contrast", "result"), (0.4, 0.3, 0.3))[0]
    if relation == "sequence":
        first = _sample_clause(rng, tense="past", extras=0)
        first = _replace(first, time=rng.choice(L.DAY_TIMES), purpose="", reason="", duration="")
        second = _second_clause(rng, first)
        if second is None:
            return None
        a = _render(first)
        b_pron = _render(_replace(second, subj_pron=True))
        b_full = _render(second)
        subj = first.subj
        right, wrong = L.SEQUENCE_CONNECTIVES, ("However,", "As a result,", "Therefore,")
        effect_pron, effect_full = b_pron, b_full
    else:
        if relation == "contrast":
            first = _sample_clause(rng, tense="past", extras=0)
            lead = rng.choice(("planned to", "wanted to", "hoped to", "intended to"))
            first = _replace(first, verb_text=f"{lead} {first.verb['base']}", aux_adv="", purpose="",
                             reason="", duration="")
            a = _render(first)
            subj = first.subj
            template = rng.choice(L.CONTRAST_ENDINGS)
            obj_plural = first.obj["plural"]
            right, wrong = L.CONTRAST_CONNECTIVES, ("As a result,", "Therefore,", "Then")
        else:
            tags, cause, template = rng.choice(L.RESULT_PAIRS)
            subj = rng.choice(tuple(s for s in L.SUBJECTS if set(s["tags"]) & set(tags.split(","))))
            full = _subject_text(_Clause(subj=subj, verb={}, tense="past", obj={}, obj_det=""))
            a = _cap(_fill(cause, subj, time=rng.choice(L.PAST_TIMES), place="", full_subject=full)) + "."
            obj_plural = False
            right, wrong = L.RESULT_CONNECTIVES, ("However,", "Then")
        place = rng.choice(L.DESTINATIONS)
        effect_pron = _cap(_fill(template, subj, time="", place=place, obj_plural=obj_plural)) + "."
        full = _subject_text(_Clause(subj=subj, verb={}, tense="past", obj={}, obj_det=""))
        effect_full = _cap(template.replace("{P}", full, 1).format(
            p=_POSS[subj["pron"]], be=_BE_PAST[subj["pron"]], PLACE=place, it=_OBJ_PRON[obj_plural])) + "."
    connective = rng.choice(right)
    # Target: the right connective (or a merged sentence) with a pronoun.
    if rng.random() < 0.3:
        joiner = {"sequence": ", and then", "contrast": ", but", "result": ", so"}[relation]
        target = f"{a[:-1]}{joiner} {_decap(effect_pron)}"
    else:
        target = f"{a} {connective} {_decap(effect_pron)}"
    # Input: the connective missing or wrong, and/or the subject repeated instead of a pronoun.
    repeat = effect_full != effect_pron and rng.random() < 0.4
    second = effect_full if repeat else effect_pron
    r = rng.random()
    if r < 0.5 or repeat and r < 0.75:
        text = f"{a} {second}"
    else:
        text = f"{a} {rng.choice(wrong)} {_decap(second)}"
    return text, target


def _passive_ok(c: _Clause) -> bool:
    return c.obj_det != "poss" and c.verb["base"] not in L.NO_PASSIVE_VERBS and not c.subj_pron


def _paraphrase(rng: random.Random) -> tuple[str, str] | None:
    c = _sample_clause(rng, extras=0.7)
    knobs: list[str] = []
    if _passive_ok(c):
        knobs += ["voice"] * 3
    if c.time:
        knobs.append("front")
    if c.reason:
        knobs.append("reason")
    if c.verb["base"] in L.VERB_SYNONYMS:
        knobs += ["verb"] * 2
    if c.obj_adj in L.ADJ_SYNONYMS:
        knobs.append("adj")
    if c.time in L.TIME_SYNONYMS:
        knobs.append("time")
    if c.place in L.PLACE_SYNONYMS:
        knobs.append("place")
    if not knobs:
        return None
    n = 1 if rng.random() < 0.6 else 2
    chosen: list[str] = []
    for _ in range(n):
        left = [k for k in knobs if k not in chosen]
        if left:
            chosen.append(rng.choice(left))
    if "voice" in chosen and "verb" in chosen:
        chosen.remove("verb")
    a, b = c, c
    if "voice" in chosen:
        a, b = (a, _replace(b, voice="passive")) if rng.random() < 0.6 else (_replace(a, voice="passive"), b)
    elif "verb" not in chosen and _passive_ok(c) and rng.random() < 0.2:
        a, b = _replace(a, voice="passive"), _replace(b, voice="passive")
    if "front" in chosen:
        b = _replace(b, time_front=not b.time_front)
    if "reason" in chosen:
        b = _replace(b, reason_front=not b.reason_front)
    swap_side = rng.random() < 0.5
    for knob, field, table in (("verb", "verb_alt", None), ("adj", "obj_adj", L.ADJ_SYNONYMS),
                               ("time", "time", L.TIME_SYNONYMS), ("place", "place", L.PLACE_SYNONYMS)):
        if knob not in chosen:
            continue
        value = L.VERB_SYNONYMS[c.verb["base"]] if table is None else table[getattr(c, field)]
        if swap_side:
            a = _replace(a, **{field: value})
        else:
            b = _replace(b, **{field: value})
    return _render(a), _render(b)


_LOADED_SUBJ = {"person": L.LOADED_PERSON_ADJS, "group": L.LOADED_GROUP_ADJS, "org": L.LOADED_ORG_ADJS}
_LOADED_OBJ = {"idea": L.LOADED_IDEA_ADJS, "thing": L.LOADED_THING_ADJS, "animate": L.LOADED_ANIMATE_ADJS}


def _neutralize(rng: random.Random) -> tuple[str, str] | None:
    c = _sample_clause(rng)
    target = _render(c)
    options: list[str] = ["opener", "adverb"] if not c.aux_adv else ["opener"]
    if c.subj["det"]:
        options += ["subject"] * 3
        if "expert" in c.subj["tags"] and c.subj["det"] == "the":
            options += ["subject_so_called"] * 3
    if c.obj["ev"] and (c.obj_det or c.obj["plural"]):
        options += ["object"] * 3
        if c.obj["so_called"] and c.obj_det in ("the", "a"):
            options += ["object_so_called"] * 3
    n = rng.choice((1, 1, 2, 2, 3))
    chosen: list[str] = []
    for _ in range(n):
        left = [o for o in options if o not in chosen and o.split("_")[0] not in
                {x.split("_")[0] for x in chosen}]
        if left:
            chosen.append(rng.choice(left))
    kw: dict = {}
    # The opener first and the object last, so later words can avoid repeating earlier ones.
    for kind in sorted(chosen, key=lambda k: (k != "opener", k.startswith("object"))):
        if kind == "opener":
            kw["opener"] = rng.choice(L.LOADED_SENTENCE_ADVERBS)
        elif kind == "adverb":
            kw["adv"] = rng.choice(L.LOADED_VERB_ADVERBS)
        elif kind == "subject":
            kw["subj_adj"] = rng.choice(_LOADED_SUBJ[_subject_kind(c.subj)])
        elif kind == "subject_so_called":
            kw["subj_so_called"] = True
        elif kind == "object":
            pool = _LOADED_OBJ[c.obj["ev"]]
            used = " ".join(str(v) for v in kw.values()).lower()  # no "brilliant ... brilliant"
            kw["obj_loaded"] = rng.choice([a for a in pool if a[:6] not in used])
        elif kind == "object_so_called":
            kw["obj_so_called"] = True
    return _render(_replace(c, **kw)), target


_MAKERS: dict[str, Callable[[random.Random], tuple[str, str] | None]] = {
    "gec": _gec, "simplification": _simplification, "clarity": _clarity, "coherence": _coherence,
    "paraphrase": _paraphrase, "neutralize": _neutralize}

_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?]) (?=[A-Z])")


def _length_ok(text: str) -> bool:
    n_words = text.count(" ") + 1
    if n_words < MIN_WORDS:
        return False
    return n_words <= MAX_WORDS or all(len(s.split()) <= MAX_WORDS for s in _SENTENCE_SPLIT_RE.split(text))


# ---------------------------------------------------------------------------------------------------------
# Public API

def _quotas(n_rows: int) -> dict[str, int]:
    """Rows per task: largest-remainder rounding of ``TASK_WEIGHTS`` so the total is exactly ``n_rows``."""
    raw = {t: TASK_WEIGHTS[t] * n_rows for t in TASKS}
    quotas = {t: int(raw[t]) for t in TASKS}
    by_remainder = sorted(TASKS, key=lambda t: (-(raw[t] - quotas[t]), TASKS.index(t)))
    for t in by_remainder[: n_rows - sum(quotas.values())]:
        quotas[t] += 1
    return quotas


def _split_labels(n: int, rng: random.Random) -> list[str]:
    """``n`` split names, about 80/10/10, in random order; each split gets a row once ``n`` >= 3."""
    n_val = max(1, round(n * SPLIT_FRACTIONS["validation"])) if n >= 3 else 0
    n_test = max(1, round(n * SPLIT_FRACTIONS["test"])) if n >= 3 else 0
    labels = ["validation"] * n_val + ["test"] * n_test + ["train"] * (n - n_val - n_test)
    rng.shuffle(labels)
    return labels


def make_demo_rows(n_rows: int = 3000, seed: int = 0) -> list[dict]:
    """Generate ``n_rows`` synthetic CoEDIT-style rows, identical for identical ``(n_rows, seed)``.

    Returns dicts ``{"_id", "task", "src", "tgt", "split"}`` where ``src`` is ``"<instruction>: <input>"``,
    ``tgt`` is the edited text and ``split`` is train/validation/test (about 80/10/10 within each task).
    Inputs (the text after the instruction) are unique across the dataset and always differ from ``tgt``.
    Rows of all tasks are interleaved in a seeded order; ids run ``demo-000001``, ``demo-000002``, ...
    """
    if isinstance(n_rows, bool) or not isinstance(n_rows, int) or n_rows < 0:
        raise ValueError(f"n_rows must be a non-negative integer, got {n_rows!r}")
    rng = random.Random(seed)
    quotas = _quotas(n_rows)
    order = [t for t in TASKS for _ in range(quotas[t])]
    rng.shuffle(order)
    seen: set[str] = set()
    pairs: list[tuple[str, str, str]] = []
    for task in order:
        pairs.append((task, *_draw_pair(task, rng, seen)))
    splits = {t: iter(_split_labels(quotas[t], rng)) for t in TASKS}
    rows = []
    for i, (task, text, target) in enumerate(pairs, start=1):
        prefix = rng.choice(INSTRUCTIONS[task])
        rows.append({"_id": f"demo-{i:06d}", "task": task, "src": f"{prefix}: {text}", "tgt": target,
                     "split": next(splits[task])})
    return rows


def _draw_pair(task: str, rng: random.Random, seen: set[str], max_tries: int = 500) -> tuple[str, str]:
    make = _MAKERS[task]
    for _ in range(max_tries):
        pair = make(rng)
        if pair is None:
            continue
        text, target = pair
        if text != target and text not in seen and _length_ok(text) and _length_ok(target):
            seen.add(text)
            return text, target
    raise RuntimeError(f"could not draw a new {task!r} example in {max_tries} tries; "
                       "the grammar is exhausted for this many rows")


def write_jsonl(rows: Iterable[dict], path: str | os.PathLike) -> int:
    """Write ``rows`` as UTF-8 JSON Lines (one object per line, keys in row order); return the row count."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n
